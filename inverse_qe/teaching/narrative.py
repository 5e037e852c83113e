"""The narrated run (``inverse-qe explain``): one run's story in plain words, from its data.

Nothing here is canned. Every number is read from the run's event log
(:mod:`inverse_qe.model.events`), its weekly series (the recorder behind
:func:`inverse_qe.results.timeseries`) or its ledger flows, and a phase is named
only when the data show it:

* **stimulus** and **drain** -- named from the capex effect, the gap between
  the run's risk-asset value and its twin's (the same scenario and seed without
  AI spending): a stimulus while the gap rises to a positive peak, a drain while
  it falls from there (or from the start, if it never rises). Without a twin
  there is no counterfactual, and the first phase is only the stretch before the
  first sovereign fund ran out of dry powder, called **before exhaustion**.
* **exhaustion** -- from the first ``DryPowderExhausted`` event to the last.
* **scramble** -- from the first week in which capex or a commitment had to be
  raised by selling (forced sales for funding or commitments) or by issuing
  bonds, to the last.
* **cascade** -- the largest chain of forced sales linked by cause (the chains of
  :func:`inverse_qe.model.events.cascades`), when at least one sale in it was
  caused by another.
* **policy response** -- from the first ``PolicyChange`` made by the central
  bank's rule rather than by a scheduled path.

A :class:`Story` holds the phases, the key moments (each with its week, date,
numbers and the mechanism behind it), how the run ended and, for ``--detail``,
a week-by-week chronology, and the watch-list: the thesis's indicators as this
run measured them (:mod:`inverse_qe.watchlist`). :func:`render_text` and
:func:`render_markdown` turn it into a screen or a hand-out; :func:`latest_weeks`
serves the dashboard's "latest events" panel from a model that is still running.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from inverse_qe.model.events import (
    BondIssued,
    CapexCut,
    Default,
    DryPowderExhausted,
    ForcedSale,
    MarginCall,
    MissedCommitment,
    PolicyChange,
)

#: Forced sales below this (US$bn) are rounding, not news.
SMALL = 0.05
#: A weekly price move at least this large is worth a line in the chronology.
BIG_MOVE = 0.10
#: Redemption notices at least this large (US$bn in a week) are worth a line.
BIG_REDEMPTION = 10.0
#: The chronology also gives the state of the tub every this many weeks.
CHECKPOINT_WEEKS = 13
#: The one-screen view shows at most this many key moments.
SCREEN_MOMENTS = 5

PHASE_TITLES = {
    "stimulus": "Stimulus",
    "drain": "Drain",
    "before exhaustion": "Before exhaustion",
    "exhaustion": "Exhaustion",
    "scramble": "Scramble",
    "cascade": "Cascade",
    "policy response": "Policy response",
}
REASON_WORDS = {
    "margin": "after margin calls",
    "redemption": "to pay redemptions",
    "commitment": "to meet capital calls",
    "funding": "to fund capex",
}
_ASSET_NAMES = {
    "treasuries": "treasuries",
    "hyperscaler_bonds": "hyperscaler bonds",
    "memory": "memory makers",
    "saas": "SaaS",
    "speculative": "speculative stocks",
    "crypto": "crypto",
    "gold": "gold",
}
_HOLDER_NAMES = {
    "gulf_fund": "the Gulf fund",
    "softbank": "SoftBank",
    "abu_dhabi_funds": "the Abu Dhabi funds",
    "reopened_flows": "returning foreign capital",
    "amazon": "Amazon",
    "alphabet": "Alphabet",
    "microsoft": "Microsoft",
    "meta": "Meta",
    "oracle": "Oracle",
    "households": "households",
    "value_investors": "value investors",
    "central_bank": "the central bank",
    "real_economy": "the real economy",
}
_STRATEGY_NAMES = {
    "macro_rates": "macro/rates fund",
    "equity_long_short": "equity long/short fund",
    "crypto": "crypto fund",
    "multi_strategy": "multi-strategy fund",
}


# -- words and numbers ----------------------------------------------------------------------
def usd(amount: float) -> str:
    """US$ billions as a student reads them: US$1.4tn, US$884bn, US$2.6bn, US$40m."""
    a = abs(float(amount))
    if a < 0.0005:
        return "US$0"
    sign = "-" if amount < 0 else ""
    if a >= 999.5:
        return f"{sign}US${a / 1000:,.1f}tn"
    if a >= 99.5:
        return f"{sign}US${a:,.0f}bn"
    if a >= 0.9995:
        return f"{sign}US${a:,.1f}bn"
    return f"{sign}US${a * 1000:,.0f}m"


def percent(rate: float, digits: int = 2) -> str:
    """A rate as a percentage, rounded half up: 0.03625 -> '3.63%'."""
    # Round off float noise first (0.03625 * 100 is 3.6249999...), then half up.
    exact = Decimal(repr(round(float(rate) * 100, 9)))
    value = exact.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value}%"


def change(fraction: float) -> str:
    """A signed relative change: '+41%', '-66%', '+0.4%' (one decimal below 10%)."""
    digits = 1 if abs(fraction) < 0.095 else 0
    return f"{fraction * 100:+.{digits}f}%"


def moved(fraction: float) -> str:
    """'fell 7.0%' or 'rose 13%' (one decimal below 10%)."""
    word = "fell" if fraction < 0 else "rose"
    a = abs(fraction) * 100
    return f"{word} {a:.0f}%" if a >= 9.5 else f"{word} {a:.1f}%"


def day(date: dt.date) -> str:
    """'12 Apr 2027'."""
    return f"{date.day} {date:%b %Y}"


def asset_name(asset: str) -> str:
    """How an asset class is called in prose."""
    return _ASSET_NAMES.get(asset, asset.replace("_", " "))


def holder_name(holder: str) -> str:
    """How a holder is called in prose ('the Gulf fund', 'Oracle')."""
    return _HOLDER_NAMES.get(holder, holder.replace("_", " "))


def possessive(name: str) -> str:
    """A name's possessive: the Gulf fund's, the Abu Dhabi funds'."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def strategy_name(strategy: str, count: int | None = None) -> str:
    """'crypto fund'; with a count, '1 crypto fund' or '3 crypto funds'."""
    noun = _STRATEGY_NAMES.get(strategy, f"{strategy.replace('_', ' ')} fund")
    return noun if count is None else _plural(count, noun)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def weeks_label(first: int, last: int) -> str:
    """'week 4' or 'weeks 4-47'."""
    return f"week {first}" if first == last else f"weeks {first}-{last}"


def _led_by(by_asset: dict[str, float], limit: int = 2) -> str:
    """'treasuries (US$371bn) and SaaS (US$176bn)', largest first."""
    ranked = sorted(by_asset.items(), key=lambda kv: -kv[1])[:limit]
    return _join([f"{asset_name(a)} ({usd(v)})" for a, v in ranked if v >= SMALL / 10])


def _sold_list(by_asset: dict[str, float], limit: int = 3) -> str:
    """'US$1.2bn of crypto and US$900m of SaaS', largest first."""
    ranked = sorted(((v, a) for a, v in by_asset.items() if v >= SMALL / 10), reverse=True)
    shown = [f"{usd(v)} of {asset_name(a)}" for v, a in ranked[:limit]]
    rest = sum(v for v, _ in ranked[limit:])
    if rest >= SMALL / 10:
        shown.append(f"{usd(rest)} of other assets")
    return _join(shown)


# -- the story --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    """A stretch of the run the data show: its name, weeks, and what happened in it."""

    name: str
    first_week: int
    last_week: int
    text: str
    gist: str
    numbers: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The phase's heading."""
        return PHASE_TITLES.get(self.name, _cap(self.name))


@dataclass(frozen=True)
class Moment:
    """A key moment: one week, what happened, its numbers, and the mechanism behind it."""

    kind: str
    week: int
    date: dt.date
    text: str
    why: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)
    rank: int = 9  # lower = more important for the one-screen view


@dataclass(frozen=True)
class WeekLine:
    """One week of the chronology."""

    week: int
    date: dt.date
    items: tuple[str, ...]


@dataclass(frozen=True)
class Story:
    """A run told in words."""

    scenario: str
    description: str
    seed: int
    weeks: int
    start: dt.date
    end: dt.date
    summary: str
    phases: list[Phase]
    moments: list[Moment]
    ending: list[str]
    returns: dict[str, float]
    chronology: list[WeekLine]
    watch: list[tuple[str, str]] = field(default_factory=list)

    def phase(self, name: str) -> Phase | None:
        """The phase called ``name``, if the run had one."""
        return next((p for p in self.phases if p.name == name), None)

    def screen_moments(self) -> list[Moment]:
        """The few moments the one-screen view shows, in time order."""
        chosen = sorted(self.moments, key=lambda m: (m.rank, m.week))[:SCREEN_MOMENTS]
        return sorted(chosen, key=lambda m: (m.week, m.rank))


# -- reading a run ------------------------------------------------------------------------------
class _Run:
    """The run's series and events, indexed for telling."""

    def __init__(self, model, capex_effect: np.ndarray | None = None) -> None:
        self.model = model
        self.week = int(model.week)
        # Risk-asset value minus the twin's, week by week (None: no twin to compare with).
        self.gap = None if capex_effect is None else np.asarray(capex_effect, dtype=float)
        self.dates = model.dates
        self.series = model.recorder.table()
        self.events = list(model.events)
        self.by_week: dict[int, list] = defaultdict(list)
        self.by_id = {}
        self.children: dict[int, list[int]] = defaultdict(list)
        for event in self.events:
            self.by_week[event.week].append(event)
            self.by_id[event.id] = event
            if isinstance(event, ForcedSale):
                for cause in event.causes:
                    self.children[cause].append(event.id)
        self.strategy_of = {hf.name: hf.strategy for hf in model.hedge_funds}
        markets = model.markets
        self.assets = list(markets.names)
        self.risk_assets = [a for a, r in zip(markets.names, markets.risk_asset, strict=True) if r]

    def s(self, column: str) -> np.ndarray:
        return self.series[column]

    def date(self, week: int) -> dt.date:
        return self.dates[min(max(week, 0), len(self.dates) - 1)]

    def weekly_return(self, asset: str, week: int) -> float:
        price = self.s(f"price_{asset}")
        return float(price[week] / price[week - 1] - 1.0) if week >= 1 else 0.0

    def of(self, kind: type, week: int | None = None) -> list:
        pool = self.events if week is None else self.by_week.get(week, [])
        return [e for e in pool if isinstance(e, kind)]

    def funds_phrase(self, holders: Iterable[str]) -> str:
        """'20 crypto funds and 3 multi-strategy funds' (other holders by name)."""
        counts: dict[str, int] = defaultdict(int)
        named = []
        for h in sorted(set(holders)):
            if h in self.strategy_of:
                counts[self.strategy_of[h]] += 1
            else:
                named.append(holder_name(h))
        groups = [strategy_name(s, n) for s, n in sorted(counts.items(), key=lambda kv: -kv[1])]
        return _join(named + groups)

    def knock_on(self, roots: Iterable[int], weeks: Iterable[int]) -> list[ForcedSale]:
        """Forced sales caused, directly or down a chain, by ``roots``, within ``weeks``."""
        allowed = set(weeks)
        seen: set[int] = set()
        stack = list(roots)
        found = []
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child in seen:
                    continue
                seen.add(child)
                event = self.by_id[child]
                if event.week in allowed:
                    found.append(event)
                    stack.append(child)
        return found

    def biggest_fallers(self, week: int, n: int = 2) -> list[tuple[str, float]]:
        moves = sorted((self.weekly_return(a, week), a) for a in self.risk_assets)
        return [(a, r) for r, a in moves[:n] if r < 0]


def sum_by_asset(sales: Iterable[ForcedSale]) -> dict[str, float]:
    """What a set of forced sales sold, per asset (US$bn)."""
    total: dict[str, float] = defaultdict(float)
    for sale in sales:
        for asset, amount in sale.by_asset.items():
            total[asset] += amount
    return dict(total)


def cascade_members(events: Iterable) -> list[list[ForcedSale]]:
    """Forced sales grouped into causal chains, largest first (the chains of ``cascades``)."""
    sales = {e.id: e for e in events if isinstance(e, ForcedSale)}
    parent = {i: i for i in sales}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in sorted(sales):
        for cause in sales[i].causes:
            if cause in sales:
                parent[find(i)] = find(cause)
    groups: dict[int, list[ForcedSale]] = defaultdict(list)
    for i in sorted(sales):
        groups[find(i)].append(sales[i])
    return sorted(groups.values(), key=lambda g: sum(s.amount for s in g), reverse=True)


def chain_depth(chain: list[ForcedSale]) -> int:
    """Sales on the longest causal path of a chain (a lone sale has depth 1)."""
    ids = {s.id for s in chain}
    depth: dict[int, int] = {}
    for sale in sorted(chain, key=lambda s: s.id):
        depth[sale.id] = 1 + max((depth[c] for c in sale.causes if c in ids), default=0)
    return max(depth.values(), default=0)


def _largest_chain(run: _Run) -> list[ForcedSale] | None:
    chains = cascade_members(run.events)
    return chains[0] if chains and chain_depth(chains[0]) >= 2 else None


# -- phases -------------------------------------------------------------------------------------
def _phases(run: _Run) -> list[Phase]:
    found = (
        *(_capex_effect_phases(run) if run.gap is not None else (_dry_powder_phase(run),)),
        _exhaustion_phase(run),
        _scramble_phase(run),
        _cascade_phase(run),
        _policy_phase(run),
    )
    order = list(PHASE_TITLES)
    return sorted(
        (p for p in found if p is not None), key=lambda p: (p.first_week, order.index(p.name))
    )


def _parts(run: _Run, gap: np.ndarray, week: int) -> tuple[float, float] | None:
    """The gap at ``week`` as (the earnings AI spending created, what moving money did).

    The twin has no such earnings, so the run's own ``ai_income_value`` is the income
    part of the gap and the rest is the money part (``twin.capex_effect_parts``).
    None for a run recorded before the series existed.
    """
    if "ai_income_value" not in run.series:
        return None
    income = float(run.s("ai_income_value")[week])
    return income, float(gap[week]) - income


def _split(run: _Run, gap: np.ndarray, week: int) -> str:
    """The split of the gap at ``week``, as a sentence ("" when it is not known)."""
    parts = _parts(run, gap, week)
    if parts is None:
        return ""
    return (
        f" The gap in week {week} splits into the earnings AI spending created (memory"
        f" makers' and the profits it adds across the economy), {usd(parts[0])}, and what"
        f" moving the money did, {usd(parts[1])}."
    )


def _split_short(run: _Run, gap: np.ndarray, week: int) -> str:
    """The same split, in brackets for a phase's one line."""
    parts = _parts(run, gap, week)
    if parts is None:
        return ""
    return f" (the earnings it created {usd(parts[0])}, moving money {usd(parts[1])})"


def _capex_effect_phases(run: _Run) -> list[Phase]:
    """Stimulus while the capex effect rises to a positive peak; drain while it falls."""
    gap = run.gap[: run.week + 1]
    net, rav = run.s("net_liquidity"), run.s("risk_asset_value")
    spent = run.s("capex_paid") + run.s("commitments_paid")
    exhausted = np.flatnonzero(net[1:] <= 0)
    exhausted_week = int(exhausted[0]) + 1 if exhausted.size else None
    peak = int(np.argmax(gap))
    phases = []
    if peak >= 2 and gap[peak] > 0:
        numbers = {
            "peak_week": peak,
            "peak_gap": float(gap[peak]),
            "spent": float(spent[1 : peak + 1].sum()),
            "net_start": float(net[0]),
            "net_at_peak": float(net[peak]),
        }
        split = _split(run, gap, peak)
        how = (
            "paid out of idle cash (the funders' own, and dry powder that bought their bonds),"
            " so raising it forced no sales, and the money came back through suppliers' and"
            " workers' deposits."
            if split
            else "paid out of idle cash (the funders' own, and dry powder that bought their"
            " bonds), the money came back through suppliers' and workers' deposits and lifted"
            " the ducks."
        )
        text = (
            f"Against the same world without AI spending (same seed, same news), risk assets "
            f"were {usd(gap[peak])} higher by week {peak}, after {usd(numbers['spent'])} of capex "
            f"and capital calls: {how}{split} Investors' net liquidity went from {usd(net[0])} "
            f"to {usd(net[peak])}."
        )
        gist = (
            f"AI spending worked as a stimulus until week {peak}: risk assets "
            f"{usd(gap[peak])} above the same world without it{_split_short(run, gap, peak)}."
        )
        phases.append(Phase("stimulus", 1, peak, text, gist, numbers))
    start = peak if phases else 1
    drop = float(gap[-1] - gap[start])
    if run.week > start and drop < -SMALL:
        negative = np.flatnonzero(gap[start:] < 0)
        below = int(negative[0]) + start if negative.size else None
        numbers = {
            "from_gap": float(gap[start]),
            "end_gap": float(gap[-1]),
            "below_zero_week": below,
            "exhausted_week": exhausted_week,
            "spent": float(spent[start + 1 :].sum()),
            "risk_end": float(rav[-1]),
        }
        when = (
            f"; investors' net liquidity turned negative in week {exhausted_week}"
            if exhausted_week is not None
            else "; investors never ran out of net liquidity, yet every dollar raised came out"
            " of somebody's cash"
        )
        text = (
            f"From week {start} AI spending drained the tub: against the same world without it, "
            f"risk assets went from {usd(gap[start])} to {usd(gap[-1])} by week {run.week}"
            + (f" (below zero from week {below})" if below is not None and below > start else "")
            + f"{when}. Capex and capital calls had to be raised by selling and by new bonds; "
            "only part of what suppliers received came back to the tub."
            + _split(run, gap, run.week)
        )
        split = _split_short(run, gap, run.week)
        gist = (
            f"Then it drained: {usd(gap[-1])} against the same world without it by week"
            f" {run.week}{split}."
            if phases
            else f"AI spending drained risk assets from the start: {usd(gap[-1])} against the "
            f"same world without it by week {run.week}{split}."
        )
        phases.append(Phase("drain", start, run.week, text, gist, numbers))
    return phases


def _dry_powder_phase(run: _Run) -> Phase | None:
    """Without a twin: the weeks before the first sovereign fund ran out of dry powder."""
    exhausted = [e.week for e in run.of(DryPowderExhausted)]
    last = run.week if not exhausted else min(exhausted) - 1
    if last < 1:
        return None
    rav = run.s("risk_asset_value")
    water, dry = run.s("water_level"), run.s("dry_powder")
    capex = float(run.s("capex_paid")[1 : last + 1].sum())
    numbers = {
        "capex": capex,
        "risk_start": float(rav[0]),
        "risk_end": float(rav[last]),
        "risk_change": float(rav[last] / rav[0] - 1.0),
        "water_start": float(water[0]),
        "water_end": float(water[last]),
        "dry_start": float(dry[0]),
        "dry_end": float(dry[last]),
    }
    until = (
        "The sovereign funds still had dry powder at the end of this run"
        if not exhausted
        else f"Until week {last + 1} the sovereign funds still had dry powder"
    )
    text = (
        f"{until}. Hyperscalers paid {usd(capex)} of capex over {weeks_label(1, last)}; "
        f"investors' dry powder went from {usd(dry[0])} to {usd(dry[last])}, the water level "
        f"from {usd(water[0])} to {usd(water[last])}, and risk assets from {usd(rav[0])} to "
        f"{usd(rav[last])} ({change(numbers['risk_change'])}). Whether AI spending did this "
        "needs the same run without it: run with its twin (the default) to see."
    )
    gist = (
        f"Before the sovereign funds ran out of dry powder risk assets moved "
        f"{change(numbers['risk_change'])} (no twin, so no verdict on AI spending)."
    )
    return Phase("before exhaustion", 1, last, text, gist, numbers)


def _exhaustion_phase(run: _Run) -> Phase | None:
    events = sorted(run.of(DryPowderExhausted), key=lambda e: (e.week, e.id))
    if not events:
        return None
    first, last = events[0].week, events[-1].week
    funds = {e.holder for e in events}
    after = [
        s
        for s in run.of(ForcedSale)
        if s.reason == "commitment" and s.holder in funds and s.week >= first
    ]
    sold = sum(s.amount for s in after)
    by_asset = sum_by_asset(after)
    dry = run.s("dry_powder")
    numbers = {"weeks": {e.holder: e.week for e in events}, "sold": sold, "by_asset": by_asset}
    text = (
        "Dry powder ran out: "
        + _join([f"{holder_name(e.holder)} in week {e.week}" for e in events])
        + ". From then on each capital call had to be met by selling"
    )
    if sold >= SMALL:
        text += (
            f": by week {run.week} they had sold {usd(sold)} to pay their calls "
            f"({_sold_list(by_asset)}), worst performers first."
        )
    else:
        text += ", though in this run their calls still fitted in what they had left."
    text += f" Investors' dry powder was down to {usd(dry[first])} in week {first}."
    gist = f"{_cap(possessive(holder_name(events[0].holder)))} dry powder ran out first" + (
        f"; {len(events)} funds were out by week {last}." if len(events) > 1 else "."
    )
    return Phase("exhaustion", first, last, text, gist, numbers)


def scramble_weeks(series: dict[str, np.ndarray]) -> np.ndarray:
    """Weeks in which capex or commitments had to be raised by selling or by issuing bonds."""
    raised = series["forced_sales_funding"] + series["forced_sales_commitment"]
    busy = (raised >= SMALL / 10) | (series["bonds_issued"] >= SMALL / 10)
    busy[0] = False
    return np.flatnonzero(busy)


def _scramble_phase(run: _Run) -> Phase | None:
    weeks = scramble_weeks(run.series)
    if weeks.size == 0:
        return None
    first, last = int(weeks[0]), int(weeks[-1])
    funding = float(run.s("forced_sales_funding").sum())
    commitment = float(run.s("forced_sales_commitment").sum())
    bonds = float(run.s("bonds_issued").sum())
    y, sp = run.s("yield_10y"), run.s("bond_spread")
    before = first - 1
    numbers = {
        "funding": funding,
        "commitment": commitment,
        "bonds": bonds,
        "yield_before": float(y[before]),
        "yield_peak": float(y[first:].max()),
        "spread_before": float(sp[before]),
        "spread_peak": float(sp[first:].max()),
    }
    parts = []
    if funding >= SMALL:
        parts.append(f"hyperscalers sold {usd(funding)} of assets to fund capex")
    if bonds >= SMALL:
        parts.append(
            f"{'they ' if funding >= SMALL else 'hyperscalers '}issued {usd(bonds)} of new bonds"
        )
    if commitment >= SMALL:
        parts.append(f"sovereign funds sold {usd(commitment)} to meet their capital calls")
    text = (
        f"From week {first}, capex and commitments could no longer all be paid from cash: "
        f"{_join(parts)}. Every dollar raised came out of somebody else's cash in the tub. "
        f"The 10y yield went from {percent(y[before])} to a peak of {percent(y[first:].max())}, "
        f"the hyperscaler bond spread from {percent(sp[before])} to {percent(sp[first:].max())}."
    )
    raised = funding + commitment + bonds
    gist = (
        f"Capex and capital calls had to be raised by selling and borrowing: {usd(raised)} "
        f"in all; the 10y yield peaked at {percent(y[first:].max())}."
    )
    return Phase("scramble", first, last, text, gist, numbers)


def _cascade_phase(run: _Run) -> Phase | None:
    chain = _largest_chain(run)
    if chain is None:
        return None
    size = sum(s.amount for s in chain)
    first, last = min(s.week for s in chain), max(s.week for s in chain)
    holders = {s.holder for s in chain}
    by_reason: dict[str, float] = defaultdict(float)
    for sale in chain:
        by_reason[sale.reason] += sale.amount
    called = {c.holder for c in run.of(MarginCall) if first <= c.week <= last}
    numbers = {
        "size": size,
        "sales": len(chain),
        "depth": chain_depth(chain),
        "first_week": first,
        "last_week": last,
        "holders": len(holders),
        "by_reason": dict(by_reason),
        "margin_called": len(called),
    }
    reasons = _join(
        [
            f"{usd(v)} {REASON_WORDS.get(r, r)}"
            for r, v in sorted(by_reason.items(), key=lambda kv: -kv[1])
            if v >= SMALL
        ]
    )
    text = (
        f"The largest cascade ran over {weeks_label(first, last)}: "
        f"{_plural(len(chain), 'forced sale')} by {_plural(len(holders), 'holder')}, each "
        f"linked by cause to one before it (a chain up to {numbers['depth']} sales long), "
        f"{usd(size)} in all ({reasons}). "
        f"{_plural(len(called), 'fund')} had margin calls in those weeks."
    )
    gist = (
        f"{_plural(len(chain), 'linked forced sale')} ({usd(size)}): one holder's sale set off "
        "another's margin call."
    )
    return Phase("cascade", first, last, text, gist, numbers)


def _policy_phase(run: _Run) -> Phase | None:
    responses = [e for e in run.of(PolicyChange) if e.reason != "path"]
    if not responses:
        return None
    first = responses[0]
    w0 = first.week
    rate, qe, cb = run.s("policy_rate"), run.s("qe_pace"), run.s("cb_balance_sheet")
    after = slice(w0, run.week + 1)
    numbers = {
        "first_week": w0,
        "rate_before": float(first.previous_rate),
        "rate_high": float(rate[after].max()),
        "rate_low": float(rate[after].min()),
        "rate_end": float(rate[-1]),
        "balance_sheet_start": float(cb[w0 - 1]),
        "balance_sheet_end": float(cb[-1]),
        "reason": first.reason,
    }
    moves = []
    if numbers["rate_high"] >= first.previous_rate + 0.0005:
        top = w0 + int(np.argmax(rate[after]))
        moves.append(
            f"raised its rate from {percent(first.previous_rate)} to "
            f"{percent(numbers['rate_high'])} (week {top})"
        )
    if numbers["rate_low"] <= first.previous_rate - 0.0005:
        low = w0 + int(np.argmin(rate[after]))
        moves.append(
            f"cut its rate from {percent(first.previous_rate)} to "
            f"{percent(numbers['rate_low'])} (week {low})"
        )
    qe_after = qe[after]
    if (qe_after < 0).any():
        moves.append(f"shrank its balance sheet (QT) by up to {usd(-qe_after.min())} a week")
    if qe_after.max() > max(qe[w0 - 1], 0.0) + 1e-9:
        moves.append(f"bought up to {usd(qe_after.max())} of treasuries a week (QE)")
    did = _join(moves) or "changed course"
    text = (
        f"From week {w0} the central bank followed its rule (\u201c{first.reason}\u201d): it "
        f"{did}. Its balance sheet went from {usd(numbers['balance_sheet_start'])} to "
        f"{usd(cb[-1])}."
    )
    gist = f"The central bank {_join(moves[:2]) or 'changed course'}."
    return Phase("policy response", w0, run.week, text, gist, numbers)


# -- moments ------------------------------------------------------------------------------------
def _why_margin(run: _Run, week: int) -> tuple[str, dict[str, Any]]:
    """The mechanism of a margin call, with the numbers of the largest one that week."""
    calls = run.of(MarginCall, week)
    if not calls:
        return "", {}
    sold = {(s.holder, s.round): s.amount for s in run.of(ForcedSale, week) if s.reason == "margin"}
    call = max(calls, key=lambda c: sold.get((c.holder, c.round), 0.0))
    strategy = run.strategy_of.get(call.holder)
    who = f"{strategy_name(strategy)}s" if strategy else holder_name(call.holder)
    why = (
        f"Why one sale hurts another: {who} hold assets with borrowed money; falling prices "
        f"pushed their leverage past their lenders' limit (one reached {call.leverage:.1f}x "
        f"against {call.limit:.1f}x), so they sold into the same market, marking down every "
        "other holder."
    )
    return why, {"example_leverage": call.leverage, "example_limit": call.limit}


def _knock_on(run: _Run, sales: list[ForcedSale], week: int, seller: str) -> tuple[str, dict]:
    chained = [
        s
        for s in run.knock_on([s.id for s in sales], range(week, week + 2))
        if s.holder != seller and s.reason in ("margin", "redemption")
    ]
    if not chained:
        return "No leveraged fund was pushed over its limit by these sales.", {"knock_on": 0.0}
    amount = sum(s.amount for s in chained)
    weeks = sorted({s.week for s in chained})
    when = "that week" if weeks == [week] else f"in {weeks_label(weeks[0], weeks[-1])}"
    verb = "hit margin calls" if any(s.reason == "margin" for s in chained) else "had to sell"
    return (
        f"{_cap(run.funds_phrase(s.holder for s in chained))} {verb} and sold {usd(amount)} "
        f"more {when}.",
        {"knock_on": amount, "knock_on_holders": len({s.holder for s in chained})},
    )


def _exhaustion_moments(run: _Run, paid: dict[tuple[str, int], float]) -> list[Moment]:
    moments = []
    events = sorted(run.of(DryPowderExhausted), key=lambda e: (e.week, e.id))
    commitment_sales = [s for s in run.of(ForcedSale) if s.reason == "commitment"]
    for n, event in enumerate(events):
        fund, w = event.holder, event.week
        name = holder_name(fund)
        sales = [s for s in commitment_sales if s.holder == fund]
        sale_week = next((s.week for s in sales if s.week >= w and s.amount >= SMALL), None)
        text = (
            f"{_cap(possessive(name))} dry powder ran out: its cash, {usd(event.cash)}, was down "
            f"to its money demand of {usd(event.money_demand)}."
        )
        numbers: dict[str, Any] = {
            "holder": fund,
            "cash": event.cash,
            "money_demand": event.money_demand,
        }
        if sale_week is None:
            text += " It never had to sell: its calls still fitted in its cash and credit."
        else:
            week_sales = [s for s in sales if s.week == sale_week]
            by_asset = sum_by_asset(week_sales)
            missed = [m for m in run.of(MissedCommitment, sale_week) if m.holder == fund]
            call = missed[0].due if missed else paid.get((fund, sale_week), 0.0)
            lead = (
                " To meet" if sale_week == w else f" From week {sale_week} it had to sell: to meet"
            )
            text += f"{lead} a {usd(call)} capital call it sold {_sold_list(by_asset)}."
            main = sorted(by_asset, key=lambda a: -by_asset[a])[:2]
            moves = {a: run.weekly_return(a, sale_week) for a in main}
            text += (
                " That week " + _join([f"{asset_name(a)} {moved(moves[a])}" for a in main]) + "."
            )
            sentence, extra = _knock_on(run, week_sales, sale_week, fund)
            text += " " + sentence
            numbers.update(
                sale_week=sale_week,
                call=call,
                sold=sum(s.amount for s in week_sales),
                by_asset=by_asset,
                price_moves=moves,
                **extra,
            )
        why = (
            "Why: with no idle cash left, each call is paid by selling, worst performers first, "
            "into a market with fewer buyers."
        )
        moments.append(
            Moment("exhaustion", w, run.date(w), text, why, numbers, rank=0 if n == 0 else 6)
        )
    return moments


def _peak_week_moment(run: _Run, repaid: dict[int, float]) -> Moment | None:
    forced = run.s("forced_sales")
    if forced.size < 2 or forced[1:].max() < SMALL:
        return None
    w = 1 + int(np.argmax(forced[1:]))
    reasons = {r: float(run.s(f"forced_sales_{r}")[w]) for r in REASON_WORDS}
    by_asset = sum_by_asset(run.of(ForcedSale, w))
    called = {c.holder for c in run.of(MarginCall, w)}
    fallers = run.biggest_fallers(w)
    water = run.s("water_level")
    ranked = [(r, v) for r, v in sorted(reasons.items(), key=lambda kv: -kv[1]) if v >= SMALL]
    split = (
        f"all {REASON_WORDS[ranked[0][0]]}"
        if len(ranked) == 1
        else _join([f"{usd(v)} {REASON_WORDS[r]}" for r, v in ranked])
    )
    text = (
        f"The worst week of forced selling: {usd(forced[w])} ({split}), led by {_led_by(by_asset)}."
    )
    if called:
        text += f" {_cap(run.funds_phrase(called))} had margin calls."
    if fallers:
        text += " " + _cap(_join([f"{asset_name(a)} {moved(r)}" for a, r in fallers])) + "."
    drop = float(water[w] - water[w - 1])
    paid_back = repaid.get(w, 0.0)
    if drop < 0 and paid_back >= SMALL:
        text += (
            f" The water level fell {usd(-drop)}: sellers paid back {usd(paid_back)} to their "
            "lenders, and that money left the tub."
        )
    why, example = _why_margin(run, w)
    numbers = {
        "forced": float(forced[w]),
        "by_reason": reasons,
        "margin_called": len(called),
        "fallers": dict(fallers),
        "water_change": drop,
        "repaid": paid_back,
        **example,
    }
    return Moment("peak_week", w, run.date(w), text, why, numbers, rank=1)


def _cascade_moment(run: _Run) -> Moment | None:
    chain = _largest_chain(run)
    if chain is None:
        return None
    leveraged = [s for s in chain if s.reason in ("margin", "redemption")]
    start = min(leveraged or chain, key=lambda s: s.id)
    w = start.week
    first_round = [
        s for s in chain if s.week == w and s.round == start.round and s.reason == start.reason
    ]
    earlier = [s for s in chain if s.id < start.id]
    size = sum(s.amount for s in chain)
    text = (
        f"The largest cascade began: {run.funds_phrase(s.holder for s in first_round)} sold "
        f"{_sold_list(sum_by_asset(first_round), 2)} {REASON_WORDS[start.reason]}."
    )
    if earlier:
        text += (
            f" (The event log links them to {usd(sum(s.amount for s in earlier))} that "
            f"{run.funds_phrase(s.holder for s in earlier)} had sold "
            f"{REASON_WORDS[earlier[0].reason]} just before, in the same assets.)"
        )
    text += (
        f" The chain grew to {_plural(len(chain), 'sale')} and {usd(size)} by week "
        f"{max(s.week for s in chain)}."
    )
    why, example = _why_margin(run, w)
    numbers = {
        "size": size,
        "sales": len(chain),
        "depth": chain_depth(chain),
        "started_by": len({s.holder for s in first_round}),
        "started_with": sum(s.amount for s in first_round),
        "linked_before": sum(s.amount for s in earlier),
        **example,
    }
    return Moment("cascade", w, run.date(w), text, why, numbers, rank=2)


def _policy_moments(run: _Run) -> list[Moment]:
    moments = []
    changes = run.of(PolicyChange)
    rate = run.s("policy_rate")
    for n, event in enumerate(changes):
        if n > 0 and event.reason == changes[n - 1].reason:
            continue  # the same rule acting again: the phase sums it up
        if event.policy_rate > event.previous_rate + 1e-12:
            verb = "raised its rate"
        elif event.policy_rate < event.previous_rate - 1e-12:
            verb = "cut its rate"
        else:
            verb = "kept its rate"
        if event.qe_pace < 0:
            stance = f"began shrinking its balance sheet by {usd(-event.qe_pace)} a week (QT)"
        elif event.qe_pace > 0:
            stance = f"is buying {usd(event.qe_pace)} of treasuries a week (QE)"
        else:
            stance = "neither buys nor sells treasuries"
        source = (
            "its scheduled path"
            if event.reason == "path"
            else f"its rule: \u201c{event.reason}\u201d"
        )
        text = (
            f"The central bank {verb} from {percent(event.previous_rate)} to "
            f"{percent(event.policy_rate)} and {stance}, following {source}."
        )
        end_rate = float(rate[-1])
        if abs(end_rate - event.policy_rate) >= 0.0005:
            text += f" By week {run.week} the rate was {percent(end_rate)}."
        tightening = event.policy_rate > event.previous_rate or event.qe_pace < 0
        why = (
            "Why: hikes raise the cash everyone wants to hold, turning dry powder into a "
            "shortfall; QT drains reserves from the tub beside capex."
            if tightening
            else "Why: cuts lower the cash people want to hold, and QE pours reserves back into "
            "the tub that capex drains."
        )
        numbers = {
            "policy_rate": event.policy_rate,
            "previous_rate": event.previous_rate,
            "qe_pace": event.qe_pace,
            "rate_end": end_rate,
        }
        rank = 3 if event.reason != "path" else 7
        moments.append(Moment("policy", event.week, run.date(event.week), text, why, numbers, rank))
    return moments


def _bond_moment(run: _Run) -> Moment | None:
    issued = run.of(BondIssued)
    if not issued:
        return None
    first = issued[0]
    total = float(run.s("bonds_issued").sum())
    spread = run.s("bond_spread")
    peak = int(np.argmax(spread))
    text = (
        f"{_cap(possessive(holder_name(first.holder)))} cash and treasuries no longer covered its "
        f"capex: it sold {usd(first.amount)} of new bonds. Over the run hyperscalers issued "
        f"{usd(total)}; their bond spread went from {percent(spread[0])} to a peak of "
        f"{percent(spread[peak])} in week {peak}."
    )
    why = (
        "Why: each dollar lent to a hyperscaler is somebody's dry powder; the more they issue, "
        "the more yield buyers demand."
    )
    numbers = {"amount": first.amount, "total": total, "spread_peak": float(spread[peak])}
    return Moment("bonds", first.week, run.date(first.week), text, why, numbers, rank=5)


def _missed_moment(run: _Run) -> Moment | None:
    missed = run.of(MissedCommitment)
    if not missed:
        return None
    first = missed[0]
    unpaid = sum(m.due - m.paid for m in missed)
    holders = sorted({m.holder for m in missed})
    text = (
        f"{_cap(holder_name(first.holder))} could not meet a capital call: {usd(first.due)} was "
        f"due and it paid {usd(first.paid)}, with nothing left to sell or borrow against."
    )
    if len(missed) > 1:
        text += (
            f" In all {_join([holder_name(h) for h in holders])} missed "
            f"{_plural(len(missed), 'call')} ({usd(unpaid)} unpaid), the last in week "
            f"{missed[-1].week}."
        )
    why = "Why it matters: a missed call is AI spending that does not happen."
    numbers = {"due": first.due, "paid": first.paid, "count": len(missed), "unpaid": unpaid}
    return Moment("missed", first.week, run.date(first.week), text, why, numbers, rank=4)


def _default_moment(run: _Run) -> Moment | None:
    wiped = [d for d in run.of(Default) if d.what == "equity"]
    if not wiped:
        return None
    w = wiped[0].week
    same = [d for d in wiped if d.week == w]
    text = (
        f"{_cap(run.funds_phrase(d.holder for d in same))} lost all their equity, leaving their "
        f"lenders {usd(sum(d.shortfall for d in same))} short."
    )
    if len(wiped) > len(same):
        text += f" {_plural(len(wiped), 'fund')} were wiped out over the run."
    why = "Why: a fund holding US$3 of assets per US$1 of its own is wiped out by a one-third fall."
    numbers = {"funds": len(same), "total_funds": len(wiped)}
    return Moment("default", w, run.date(w), text, why, numbers, rank=4)


def _households_moment(run: _Run) -> Moment | None:
    dry = run.s("dry_powder_households")
    if dry[0] <= SMALL:
        return None
    gone = np.flatnonzero(dry[1:] < 0.01 * dry[0])
    if gone.size == 0:
        return None
    w = 1 + int(gone[0])
    text = (
        f"Households had no dry powder left: the {usd(dry[0])} of spare cash they started with "
        "had gone into buying what others sold."
    )
    why = (
        "Why it matters: households take the other side of net sales; without spare cash, each "
        "sale finds fewer buyers and moves prices more."
    )
    return Moment("households", w, run.date(w), text, why, {"start": float(dry[0])}, rank=6)


def _trough_moment(run: _Run) -> Moment | None:
    rav = run.s("risk_asset_value")
    w = int(np.argmin(rav))
    if w == 0:
        return None
    text = (
        f"The bottom: risk assets were worth {usd(rav[w])}, {change(rav[w] / rav[0] - 1)} from "
        "the start."
    )
    if w < run.week:
        text += f" By week {run.week} they were back at {usd(rav[-1])}."
    lows = {}
    for a in run.risk_assets:
        price = run.s(f"price_{a}")
        low = int(np.argmin(price))
        if 0 < low < w:
            lows[a] = (low, float(price[low] / price[0] - 1))
    if lows:
        first = min(lows, key=lambda a: (lows[a][0], a))
        text += (
            f" {_cap(asset_name(first))} had bottomed first, in week {lows[first][0]} "
            f"({change(lows[first][1])})."
        )
    numbers = {"value": float(rav[w]), "change": float(rav[w] / rav[0] - 1)}
    return Moment("trough", w, run.date(w), text, "", numbers, rank=5)


def _capex_cut_moment(run: _Run) -> Moment | None:
    cuts = run.of(CapexCut)
    if not cuts:
        return None
    first = cuts[0]
    text = (
        f"{_cap(holder_name(first.holder))} cut its capex by {first.cut_fraction:.0%}: its "
        f"funding cost had reached {percent(first.funding_cost)}."
    )
    if len(cuts) > 1:
        text += f" {_plural(len(cuts), 'cut')} in all."
    why = "Why: expensive funding limits the drain itself: less capex, less cash to raise."
    numbers = {"funding_cost": first.funding_cost, "cuts": len(cuts)}
    return Moment("capex_cut", first.week, run.date(first.week), text, why, numbers, rank=4)


# -- week by week -------------------------------------------------------------------------------
def week_items(run: _Run, week: int, missed_streaks: dict | None = None) -> list[str]:
    """What happened in one week, in short phrases, most telling first (empty if nothing)."""
    items = []
    for e in run.of(DryPowderExhausted, week):
        items.append(
            f"{possessive(holder_name(e.holder))} dry powder ran out ({usd(e.cash)} cash, "
            f"{usd(e.money_demand)} money demand)"
        )
    for e in run.of(PolicyChange, week):
        stance = "QT" if e.qe_pace < 0 else "QE" if e.qe_pace > 0 else "no QE"
        items.append(
            f"policy rate {percent(e.previous_rate)} -> {percent(e.policy_rate)}, "
            f"{stance} {usd(abs(e.qe_pace))} a week"
        )
    for e in run.of(CapexCut, week):
        items.append(f"{holder_name(e.holder)} cut capex {e.cut_fraction:.0%}")
    forced = float(run.s("forced_sales")[week])
    if forced >= SMALL:
        reasons = {r: float(run.s(f"forced_sales_{r}")[week]) for r in REASON_WORDS}
        top = max(reasons, key=lambda r: reasons[r])
        by_asset = sum_by_asset(run.of(ForcedSale, week))
        main = max(by_asset, key=lambda a: by_asset[a]) if by_asset else None
        items.append(
            f"forced sales {usd(forced)} (mostly {REASON_WORDS[top]}"
            + (f"; mostly {asset_name(main)})" if main else ")")
        )
    called = {c.holder for c in run.of(MarginCall, week)}
    if called:
        items.append(f"margin calls at {run.funds_phrase(called)}")
    issued = run.of(BondIssued)
    if issued and issued[0].week == week:
        items.append(f"first hyperscaler bonds sold ({usd(run.s('bonds_issued')[week])})")
    for e in run.of(MissedCommitment, week):
        last = (missed_streaks or {}).get((e.holder, week))
        if missed_streaks is not None and last is None:
            continue  # inside a streak already told
        text = f"{holder_name(e.holder)} missed a call ({usd(e.due)} due, {usd(e.paid)} paid)"
        if last is not None and last > week:
            text += f", and every call after it until week {last}"
        items.append(text)
    wiped = [d.holder for d in run.of(Default, week) if d.what == "equity"]
    if wiped:
        items.append(f"{run.funds_phrase(wiped)} wiped out")
    for d in run.of(Default, week):
        if d.what != "equity":
            items.append(f"{holder_name(d.holder)} {usd(d.shortfall)} short ({d.what})")
    moves = sorted(
        ((run.weekly_return(a, week), a) for a in run.risk_assets), key=lambda x: -abs(x[0])
    )
    big = [(r, a) for r, a in moves if abs(r) >= BIG_MOVE][:2]
    if big:
        items.append(_join([f"{asset_name(a)} {moved(r)}" for r, a in big]))
    redeemed = float(run.s("redemptions")[week])
    if redeemed >= 1.0:
        items.append(f"investors gave notice to redeem {usd(redeemed)}")
    return items


def _notable(run: _Run, week: int, items: list[str]) -> bool:
    """Whether a week earns a line of its own in the chronology."""
    routine = ("forced sales", "investors gave notice")
    if any(not item.startswith(routine) for item in items):
        return True
    return float(run.s("redemptions")[week]) >= BIG_REDEMPTION


def _checkpoint(run: _Run, week: int) -> str:
    return (
        f"[state] water level {usd(run.s('water_level')[week])}, dry powder "
        f"{usd(run.s('dry_powder')[week])}, risk assets {usd(run.s('risk_asset_value')[week])}, "
        f"10y {percent(run.s('yield_10y')[week])}"
    )


def missed_streaks(run: _Run) -> dict[tuple[str, int], int]:
    """(holder, first week of a run of consecutive missed calls) -> its last week."""
    weeks: dict[str, list[int]] = defaultdict(list)
    for e in run.of(MissedCommitment):
        if not weeks[e.holder] or weeks[e.holder][-1] != e.week:
            weeks[e.holder].append(e.week)
    streaks = {}
    for holder, ws in weeks.items():
        start = ws[0]
        for a, b in zip(ws, [*ws[1:], None], strict=True):
            if b != a + 1:
                streaks[(holder, start)] = a
                start = b
    return streaks


def _chronology(run: _Run) -> list[WeekLine]:
    streaks = missed_streaks(run)
    lines = []
    for w in range(1, run.week + 1):
        items = week_items(run, w, streaks)
        keep = items if _notable(run, w, items) else []
        if w % CHECKPOINT_WEEKS == 0 or w == run.week:
            keep = [*keep, _checkpoint(run, w)]
        if keep:
            lines.append(WeekLine(w, run.date(w), tuple(keep)))
    return lines


def latest_weeks(model, count: int = 6) -> list[WeekLine]:
    """The last ``count`` weeks of a (possibly running) model, newest first; no week is empty."""
    run = _Run(model)
    lines = []
    for w in range(run.week, max(run.week - count, 0), -1):
        items = week_items(run, w)
        if not items:
            water = run.s("water_level")
            step = water[w] - water[w - 1]
            items = [
                f"a quiet week: capex {usd(run.s('capex_paid')[w])} paid, water level "
                f"{'+' if step >= 0 else '-'}{usd(abs(step))}"
            ]
        lines.append(WeekLine(w, run.date(w), tuple(items)))
    return lines


# -- the whole story ----------------------------------------------------------------------------
def _ending(run: _Run) -> tuple[list[str], dict[str, float]]:
    rav, water = run.s("risk_asset_value"), run.s("water_level")
    returns = {a: float(run.s(f"price_{a}")[-1] / run.s(f"price_{a}")[0] - 1.0) for a in run.assets}
    low = int(np.argmin(water))
    step = water[-1] - water[0]
    lines = [
        f"Risk assets ended at {usd(rav[-1])}, {change(rav[-1] / rav[0] - 1)} from "
        f"{usd(rav[0])}; the water level at {usd(water[-1])} "
        f"({'+' if step >= 0 else '-'}{usd(abs(step))}; lowest {usd(water[low])} in week {low}).",
        "Ducks, best to worst: "
        + ", ".join(
            f"{asset_name(a)} {change(r)}"
            for a, r in sorted(returns.items(), key=lambda kv: -kv[1])
        )
        + ".",
    ]
    forced = {r: float(run.s(f"forced_sales_{r}").sum()) for r in REASON_WORDS}
    total = sum(forced.values())
    if total >= SMALL:
        lines.append(
            f"Forced sales: {usd(total)} in all ("
            + ", ".join(f"{usd(v)} {REASON_WORDS[r]}" for r, v in forced.items() if v >= SMALL)
            + ")."
        )
    else:
        lines.append("Nobody was forced to sell.")
    return lines, returns


def _flow_facts(model) -> tuple[dict[tuple[str, int], float], dict[int, float]]:
    """From the ledger: commitments paid per (fund, week), and debt repaid by the tub per week."""
    from inverse_qe.results import flows

    table = flows(model)
    cash = table[table["instrument"] == "cash"]
    commitments = cash[cash["kind"] == "commitment"].groupby(["source", "week"])["amount"].sum()
    water = {model.ledger.holders[r].name for r in model.water_rows}
    repaid = cash[(cash["kind"] == "debt_repayment") & cash["source"].isin(water)]
    return (
        {(str(s), int(w)): float(a) for (s, w), a in commitments.items()},
        {int(w): float(a) for w, a in repaid.groupby("week")["amount"].sum().items()},
    )


# -- the watch-list -----------------------------------------------------------------------------
def _cuts_line(cuts: list[dict[str, Any]]) -> str:
    if not cuts:
        return "None: capital constraints were never confirmed."
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cut in cuts:
        by_firm[cut["firm"]].append(cut)
    first = min(cuts, key=lambda c: c["week"])
    return (
        f"{_plural(len(cuts), 'cut')} by {_join([holder_name(f) for f in by_firm])}; the first "
        f"in week {first['week']} ({holder_name(first['firm'])}, funding at "
        f"{percent(first['funding_cost'])})."
    )


def _spread_line(spread: dict[str, Any]) -> str:
    end, peak = spread["change_bp"], spread["peak_change_bp"]
    verb = "Widened" if end > 0.5 else "Narrowed" if end < -0.5 else "Unchanged"
    tail = f" {abs(end):.0f}bp" if verb != "Unchanged" else ""
    return f"{verb}{tail} by the end; {peak:+.0f}bp at the widest (week {spread['peak_week']})."


def _sovereign_line(selling: dict[str, dict[str, float]]) -> str:
    sellers, buyers = [], []
    for fund, by_asset in selling.items():
        net = sum(by_asset.values())
        if net >= SMALL:
            most = max(by_asset, key=by_asset.__getitem__)
            sellers.append(f"{holder_name(fund)} {usd(net)} (most of it {asset_name(most)})")
        elif net <= -SMALL:
            buyers.append(f"{holder_name(fund)} {usd(-net)}")
    text = "; ".join(
        f"{side}: {_join(funds)}"
        for side, funds in (("net sellers", sellers), ("net buyers", buyers))
        if funds
    )
    return _cap(text) + "." if text else "No sovereign fund traded on balance."


def _policy_line(signals: list[dict[str, Any]]) -> str:
    if not signals:
        return "Did not move."
    first, last = signals[0], signals[-1]
    qe = [s for s in signals if s["qe_pace"] > 0]
    text = (
        f"{_plural(len(signals), 'move')} from week {first['week']} "
        f"({first['reason'].replace('_', ' ')}); the rate went from "
        f"{percent(first['previous_rate'])} to {percent(last['policy_rate'])}"
    )
    if qe:
        text += f"; QE from week {qe[0]['week']}"
    return text + "."


def _crypto_line(crypto: dict[str, Any]) -> str:
    if crypto.get("trough_week") is None:
        return "No crypto in this scenario."
    text = (
        f"Down at most {crypto['max_drawdown'] * 100:.0f}%, lowest in week {crypto['trough_week']}"
    )
    first = crypto["crypto_bottomed_first"]
    if not crypto["liquidity_returned"]:
        return text + "; liquidity had not come back, so whether crypto bottoms first is open."
    text += f"; liquidity came back after week {crypto['liquidity_low_week']}"
    if first is None:
        return text + ", crypto still at its low."
    return text + (
        ", and crypto bottomed first." if first else ", and crypto did not bottom first."
    )


#: The watch-list's indicators, in the thesis's order: (label, how to say it).
WATCH_LINES = (
    ("Capex cuts", "capex_cuts", _cuts_line),
    ("Credit spreads", "spread_widening", _spread_line),
    ("Sovereign funds", "sovereign_net_selling", _sovereign_line),
    ("Central bank", "policy_signals", _policy_line),
    ("Crypto", "crypto_capitulation", _crypto_line),
)


def watch_lines(watch: dict[str, Any]) -> list[tuple[str, str]]:
    """The watch-list (:func:`inverse_qe.watchlist.watch_list`) in words, one line per indicator."""
    return [(label, say(watch[key])) for label, key, say in WATCH_LINES if key in watch]


def tell(model, capex_effect=None, watch: dict[str, Any] | None = None) -> Story:
    """The story of a run (finished or not), from its events, series and flows.

    Args:
        model: the run.
        capex_effect: its weekly capex effect, risk-asset value minus its twin's
            (see :mod:`inverse_qe.twin`); without it there is no verdict on AI spending.
        watch: the run's watch-list, if already measured (a run directory's
            summary); otherwise it is measured from the model.
    """
    from inverse_qe.watchlist import watch_list

    run = _Run(model, capex_effect)
    phases = _phases(run)
    paid, repaid = _flow_facts(model)
    found = [
        _peak_week_moment(run, repaid),
        _cascade_moment(run),
        _bond_moment(run),
        _missed_moment(run),
        _default_moment(run),
        _households_moment(run),
        _trough_moment(run),
        _capex_cut_moment(run),
    ]
    moments = [*_exhaustion_moments(run, paid), *_policy_moments(run), *(m for m in found if m)]
    moments.sort(key=lambda m: (m.week, m.rank))
    ending, returns = _ending(run)
    summary = " ".join(p.gist for p in phases) if phases else "No phase of the mechanism shows."
    return Story(
        scenario=model.config.name,
        description=model.config.description,
        seed=model.seed,
        weeks=run.week,
        start=run.date(0),
        end=run.date(run.week),
        summary=f"{summary} {ending[0]}",
        phases=phases,
        moments=moments,
        ending=ending,
        returns=returns,
        chronology=_chronology(run),
        watch=watch_lines(watch_list(model) if watch is None else watch),
    )


# -- rendering ----------------------------------------------------------------------------------
def _header(story: Story) -> str:
    return (
        f"{story.scenario} \u00b7 seed {story.seed} \u00b7 {story.weeks} weeks, "
        f"{day(story.start)} to {day(story.end)}"
    )


def render_markdown(story: Story, detail: bool = False) -> str:
    """The story as a Markdown hand-out; ``detail`` adds every moment and the chronology."""
    out = [f"# What happened in `{story.scenario}`", "", f"*{_header(story)}*", ""]
    out += [f"> {story.description}", "", f"**In short.** {story.summary}", ""]
    out += ["## The phases", ""]
    if not story.phases:
        out += ["No phase of the mechanism shows in this run.", ""]
    for p in story.phases:
        out += [f"**{p.title}** ({weeks_label(p.first_week, p.last_week)}). {p.text}", ""]
    out += ["## Key moments", ""]
    for m in story.moments if detail else story.screen_moments():
        out.append(
            f"- **Week {m.week}** ({day(m.date)}). {m.text}" + (f" *{m.why}*" if m.why else "")
        )
    out += ["", "## How it ended", ""]
    out += [f"- {line}" for line in story.ending]
    if story.watch:
        out += ["", "## The watch-list", ""]
        out += [f"- **{label}.** {line}" for label, line in story.watch]
    if detail:
        out += ["", "## Week by week", ""]
        out += [
            f"- **Week {line.week}** ({day(line.date)}): " + "; ".join(line.items) + "."
            for line in story.chronology
        ]
    else:
        out += [
            "",
            f"*Every moment and the week-by-week chronology: `inverse-qe explain "
            f"{story.scenario} --seed {story.seed} --detail --format markdown`.*",
        ]
    return "\n".join(out) + "\n"


def render_text(story: Story, console, detail: bool = False) -> None:
    """Print the story on a rich console: one screen, or everything with ``detail``."""
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]{escape(_header(story))}[/]", highlight=False)
    console.print(f"[dim]{escape(story.description)}[/]", highlight=False)
    console.print()
    phases = Table(show_header=False, box=None, padding=(0, 1), title_justify="left")
    phases.add_column(style="cyan", no_wrap=True)
    phases.add_column(style="bold", no_wrap=True)
    phases.add_column()
    for p in story.phases:
        phases.add_row(
            weeks_label(p.first_week, p.last_week), p.title, escape(p.text if detail else p.gist)
        )
    console.print("[bold underline]The phases[/]")
    console.print(phases if story.phases else "no phase of the mechanism shows in this run")
    console.print()
    console.print("[bold underline]Key moments[/]")
    moments = Table(show_header=False, box=None, padding=(0, 1))
    moments.add_column(style="cyan", no_wrap=True)
    moments.add_column()
    told: set[str] = set()
    for m in story.moments if detail else story.screen_moments():
        why = m.why if m.why and (detail or m.why not in told) else ""
        told.add(m.why)
        body = escape(m.text) + (f"\n[italic dim]{escape(why)}[/]" if why else "")
        moments.add_row(f"week {m.week}\n[dim]{day(m.date)}[/]", body)
    console.print(moments if story.moments else "nothing happened that stands out")
    console.print()
    console.print("[bold underline]How it ended[/]")
    for line in story.ending:
        console.print(escape(line), highlight=False)
    if story.watch:
        console.print()
        console.print("[bold underline]The watch-list[/]")
        watch = Table(show_header=False, box=None, padding=(0, 1))
        watch.add_column(style="cyan", no_wrap=True)
        watch.add_column()
        for label, line in story.watch:
            watch.add_row(label, escape(line))
        console.print(watch)
    if detail:
        console.print()
        console.print("[bold underline]Week by week[/]")
        weeks = Table(show_header=False, box=None, padding=(0, 1))
        weeks.add_column(style="cyan", no_wrap=True)
        weeks.add_column(style="dim", no_wrap=True)
        weeks.add_column()
        for line in story.chronology:
            weeks.add_row(f"week {line.week}", day(line.date), escape("; ".join(line.items)))
        console.print(weeks)
    else:
        console.print(
            "[dim]Add --detail for every moment and the week-by-week chronology, "
            "--format markdown for a hand-out.[/]"
        )
