"""Typed, timestamped events with causal links (DESIGN §7).

A *cascade* is a chain of forced sales linked by cause: a margin call in one
clearing round is caused by the forced sales of the round before it that hit the
same assets. :func:`cascades` follows those links and measures each chain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import ClassVar

import numpy as np


@dataclass(slots=True)
class Event:
    """Something that happened to one holder in one week."""

    week: int
    holder: str
    id: int = -1
    causes: tuple[int, ...] = ()
    type: ClassVar[str] = "Event"

    def to_dict(self) -> dict:
        """A JSON-ready record with the event type first."""
        return {"type": self.type, **asdict(self)}


@dataclass(slots=True)
class DryPowderExhausted(Event):
    """A holder's cash fell to its money demand: it has no dry powder left to pay with."""

    cash: float = 0.0
    money_demand: float = 0.0
    type: ClassVar[str] = "DryPowderExhausted"


@dataclass(slots=True)
class MarginCall(Event):
    """A leveraged holder's leverage passed its limit; it must deleverage."""

    leverage: float = 0.0
    limit: float = 0.0
    round: int = 0
    type: ClassVar[str] = "MarginCall"


@dataclass(slots=True)
class Redemption(Event):
    """Investors gave notice to withdraw ``amount`` from a fund, due in ``due_week``."""

    amount: float = 0.0
    trailing_return: float = 0.0
    due_week: int = 0
    type: ClassVar[str] = "Redemption"


@dataclass(slots=True)
class ForcedSale(Event):
    """Sales a holder had to make: ``reason`` is margin, redemption, commitment or funding."""

    reason: str = ""
    amount: float = 0.0
    by_asset: dict[str, float] = field(default_factory=dict)
    round: int = 0
    type: ClassVar[str] = "ForcedSale"


@dataclass(slots=True)
class MissedCommitment(Event):
    """A commitment (capital call) that could not be paid in full."""

    due: float = 0.0
    paid: float = 0.0
    type: ClassVar[str] = "MissedCommitment"


@dataclass(slots=True)
class BondIssued(Event):
    """A hyperscaler sold new bonds to fund capex."""

    amount: float = 0.0
    spread: float = 0.0
    type: ClassVar[str] = "BondIssued"


@dataclass(slots=True)
class CapexCut(Event):
    """A hyperscaler cut capex because its funding cost passed the hurdle."""

    funding_cost: float = 0.0
    cut_fraction: float = 0.0
    type: ClassVar[str] = "CapexCut"


@dataclass(slots=True)
class PolicyChange(Event):
    """The central bank changed its policy rate or balance-sheet pace."""

    policy_rate: float = 0.0
    previous_rate: float = 0.0
    qe_pace: float = 0.0
    reason: str = ""
    type: ClassVar[str] = "PolicyChange"


@dataclass(slots=True)
class Default(Event):
    """A holder's equity went below zero, or a payment it owed was not made."""

    shortfall: float = 0.0
    what: str = ""
    type: ClassVar[str] = "Default"


class _Columns:
    """Equal-length numpy columns appended in batches, grown by doubling."""

    def __init__(self, dtypes: dict[str, type], capacity: int = 1024) -> None:
        self.size = 0
        self.data = {name: np.empty(capacity, dtype) for name, dtype in dtypes.items()}

    def append(self, **values) -> None:
        n = int(np.size(values["id"]))
        end = self.size + n
        capacity = next(iter(self.data.values())).size
        if end > capacity:
            grow = max(end, 2 * capacity)
            for name, column in self.data.items():
                grown = np.empty(grow, column.dtype)
                grown[: self.size] = column[: self.size]
                self.data[name] = grown
        for name, value in values.items():
            self.data[name][self.size : end] = value
        self.size = end

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name][: self.size]


class EventLog:
    """Events in the order they happened, each with a unique id.

    The cascade's events (margin calls, forced sales, redemptions) come by the
    thousand per round at large populations, so they are stored as numpy columns
    appended per round (:meth:`add_forced_sales`, :meth:`add_redemptions`) and
    made into :class:`Event` objects only when asked (iterating, :attr:`events`,
    :meth:`of_type`); the few other events are objects from the start
    (:meth:`add`). Either way ids run 0, 1, 2... in the order events happened.
    """

    def __init__(self) -> None:
        self._objects: list[Event] = []
        self._next = 0
        self._holder_names: list[str] = []
        self._asset_names: list[str] = []
        self._reasons: list[str] = []
        self._sales = _Columns(
            {
                "id": np.int64,
                "week": np.int32,
                "holder": np.int32,
                "reason": np.int8,
                "amount": np.float64,
                "round": np.int32,
            }
        )
        self._sale_causes: list[tuple[int, ...]] = []  # shared tuples, one per pattern
        self._sale_assets = _Columns({"id": np.int64, "asset": np.int16, "value": np.float64})
        self._calls = _Columns(
            {
                "id": np.int64,
                "week": np.int32,
                "holder": np.int32,
                "leverage": np.float64,
                "limit": np.float64,
                "round": np.int32,
                "sale": np.int64,
            }
        )
        self._redemptions = _Columns(
            {
                "id": np.int64,
                "week": np.int32,
                "holder": np.int32,
                "amount": np.float64,
                "trailing_return": np.float64,
                "due_week": np.int32,
            }
        )
        self._cache: list[Event] | None = None

    # -- recording ----------------------------------------------------------------------
    def add(self, event: Event) -> Event:
        """Record an event and give it its id."""
        event.id = self._next
        self._next += 1
        self._objects.append(event)
        self._cache = None
        return event

    def _name_rows(self, ledger) -> None:
        # The columns hold ledger rows and asset indices; objects are built with names.
        self._holder_names, self._asset_names = ledger.names, ledger.assets

    def add_forced_sales(
        self,
        ledger,
        week: int,
        holders: np.ndarray,
        reasons: np.ndarray,
        amounts: np.ndarray,
        causes: list[tuple[int, ...]],
        by_asset: tuple[np.ndarray, np.ndarray, np.ndarray],
        round_: int,
        margin: tuple[np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """One round's forced sales; a margin sale comes right after its :class:`MarginCall`.

        Args:
            ledger: the ledger whose rows and assets the indices refer to.
            week: the week of the round.
            holders: ledger rows of the sellers.
            reasons: each sale's reason (``margin``, ``redemption``, ...), an array of str.
            amounts: US$bn each sold.
            causes: the ids of each sale's causes (shared by its margin call).
            by_asset: (seller position, asset index, US$bn) of every non-zero sale.
            round_: the clearing round (from 1).
            margin: each seller's leverage when the check began, and its limit.

        Returns:
            The forced sales' ids.
        """
        self._name_rows(ledger)
        reasons = np.asarray(reasons, dtype=str)
        n = reasons.size
        names, which = np.unique(reasons, return_inverse=True)
        codes = np.array([self._reason_code(str(r)) for r in names], dtype=np.int8)[which]
        is_margin = reasons == "margin"
        # ids in order of occurrence: a margin call, then its sale
        sale_ids = self._next + np.cumsum(1 + is_margin) - 1
        first_sale = self._sales.size
        self._sales.append(
            id=sale_ids, week=week, holder=holders, reason=codes, amount=amounts, round=round_
        )
        self._sale_causes.extend(causes)
        seller, asset, value = by_asset
        self._sale_assets.append(id=sale_ids[seller], asset=asset, value=value)
        calls = np.flatnonzero(is_margin)
        if calls.size:
            self._calls.append(
                id=sale_ids[calls] - 1,
                week=week,
                holder=holders[calls],
                leverage=margin[0][calls],
                limit=margin[1][calls],
                round=round_,
                sale=first_sale + calls,
            )
        self._next += n + calls.size
        self._cache = None
        return sale_ids

    def add_redemptions(self, ledger, week, holders, amounts, trailing_returns, due_week) -> None:
        """Notices of redemption from funds (rows ``holders`` of ``ledger``), in that order."""
        n = int(np.size(holders))
        if n == 0:
            return
        self._name_rows(ledger)
        self._redemptions.append(
            id=self._next + np.arange(n),
            week=week,
            holder=holders,
            amount=amounts,
            trailing_return=trailing_returns,
            due_week=due_week,
        )
        self._next += n
        self._cache = None

    def _reason_code(self, reason: str) -> int:
        if reason not in self._reasons:
            self._reasons.append(reason)
        return self._reasons.index(reason)

    # -- reading ------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._next

    def __iter__(self):
        return iter(self.events)

    @property
    def events(self) -> list[Event]:
        """Every event as an object, in order (built from the columns, then kept)."""
        if self._cache is None:
            built = [*self._objects, *self._built(ForcedSale), *self._built(MarginCall)]
            built += self._built(Redemption)
            built.sort(key=lambda e: e.id)
            self._cache = built
        return self._cache

    def of_type(self, kind: type[Event]) -> list[Event]:
        """The recorded events of one type, in order.

        A type no cascade column can hold (a policy change, a capex cut) is read
        from the few objects kept from the start, without building the tens of
        thousands of forced sales a long run records.
        """
        if not any(issubclass(columnar, kind) for columnar in (ForcedSale, MarginCall, Redemption)):
            return [e for e in self._objects if isinstance(e, kind)]
        return [e for e in self.events if isinstance(e, kind)]

    def since(self, first_id: int) -> tuple[set[str], list[float]]:
        """Since event ``first_id``: the holders with a margin call, and redemptions' amounts.

        Amounts in the order they were noticed (what the weekly record sums).
        """
        names = self._holder_names
        calls = self._calls
        holders = {names[h] for h in calls["holder"][calls["id"] >= first_id].tolist()}
        redemptions = self._redemptions
        recent = redemptions["id"] >= first_id
        found = list(
            zip(
                redemptions["id"][recent].tolist(),
                redemptions["amount"][recent].tolist(),
                strict=True,
            )
        )
        for event in self._objects_since(first_id):
            if isinstance(event, MarginCall):
                holders.add(event.holder)
            elif isinstance(event, Redemption):
                found.append((event.id, event.amount))
        found.sort()
        return holders, [amount for _, amount in found]

    def _objects_since(self, first_id: int) -> list[Event]:
        objects = self._objects
        j = len(objects)
        while j > 0 and objects[j - 1].id >= first_id:
            j -= 1
        return objects[j:]

    def forced_sales(self) -> dict[str, np.ndarray]:
        """Every forced sale as columns: ``id, week, amount, reason`` (a name per sale)."""
        sales = self._sales
        columns = {
            "id": sales["id"].astype(np.int64),
            "week": sales["week"].astype(np.int64),
            "amount": sales["amount"],
            "reason": np.array(self._reasons, dtype=object)[sales["reason"]]
            if sales.size
            else np.array([], dtype=object),
        }
        extra = [e for e in self._objects if isinstance(e, ForcedSale)]
        if extra:
            columns = {
                "id": np.concatenate([columns["id"], [e.id for e in extra]]),
                "week": np.concatenate([columns["week"], [e.week for e in extra]]),
                "amount": np.concatenate([columns["amount"], [e.amount for e in extra]]),
                "reason": np.concatenate(
                    [columns["reason"], np.array([e.reason for e in extra], dtype=object)]
                ),
            }
            order = np.argsort(columns["id"], kind="stable")
            columns = {name: column[order] for name, column in columns.items()}
        return columns

    def forced_sale_causes(self) -> list[tuple[int, ...]]:
        """The causes of each forced sale, in the order of :meth:`forced_sales`."""
        causes = dict(zip(self._sales["id"].tolist(), self._sale_causes, strict=True))
        for e in self._objects:
            if isinstance(e, ForcedSale):
                causes[e.id] = e.causes
        return [causes[i] for i in sorted(causes)]

    def _built(self, kind: type[Event]) -> list[Event]:
        names = self._holder_names
        if kind is ForcedSale:
            sales, parts = self._sales, self._sale_assets
            assets = [self._asset_names[k] for k in parts["asset"].tolist()]
            by_sale: dict[int, dict[str, float]] = {}
            for i, a, v in zip(parts["id"].tolist(), assets, parts["value"].tolist(), strict=True):
                by_sale.setdefault(i, {})[a] = v
            reasons = self._reasons
            return [
                ForcedSale(
                    week=w,
                    holder=names[h],
                    id=i,
                    causes=c,
                    reason=reasons[r],
                    amount=a,
                    by_asset=by_sale.get(i, {}),
                    round=n,
                )
                for i, w, h, c, r, a, n in zip(
                    sales["id"].tolist(),
                    sales["week"].tolist(),
                    sales["holder"].tolist(),
                    self._sale_causes,
                    sales["reason"].tolist(),
                    sales["amount"].tolist(),
                    sales["round"].tolist(),
                    strict=True,
                )
            ]
        if kind is MarginCall:
            calls, causes = self._calls, self._sale_causes
            return [
                MarginCall(
                    week=w,
                    holder=names[h],
                    id=i,
                    causes=causes[s],
                    leverage=lev,
                    limit=lim,
                    round=n,
                )
                for i, w, h, lev, lim, n, s in zip(
                    calls["id"].tolist(),
                    calls["week"].tolist(),
                    calls["holder"].tolist(),
                    calls["leverage"].tolist(),
                    calls["limit"].tolist(),
                    calls["round"].tolist(),
                    calls["sale"].tolist(),
                    strict=True,
                )
            ]
        r = self._redemptions
        return [
            Redemption(week=w, holder=names[h], id=i, amount=a, trailing_return=t, due_week=d)
            for i, w, h, a, t, d in zip(
                r["id"].tolist(),
                r["week"].tolist(),
                r["holder"].tolist(),
                r["amount"].tolist(),
                r["trailing_return"].tolist(),
                r["due_week"].tolist(),
                strict=True,
            )
        ]


@dataclass(frozen=True)
class Cascade:
    """A chain of forced sales linked by cause."""

    size: float
    depth: int
    sales: int
    first_week: int
    last_week: int


def cascade_columns(log: EventLog) -> dict[str, np.ndarray]:
    """The cascades as columns, largest first: :func:`cascades` without its objects.

    Columns ``size``, ``depth``, ``sales``, ``first_week`` and ``last_week``, one row per
    cascade (a run's summary needs only the largest and the count).
    """
    # Read from the log's columns: no event objects are made (a long run records tens of
    # thousands of sales). The grouping is scipy's; depth and sizes take one plain pass.
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    columns = log.forced_sales()
    ids, amount, week = columns["id"], columns["amount"], columns["week"]
    n = ids.size
    if n == 0:
        return {name: np.zeros(0, dtype=float if name == "size" else np.int64) for name in _COLUMNS}
    causes = log.forced_sale_causes()
    counts = np.fromiter((len(c) for c in causes), dtype=np.int64, count=n)
    effect = np.repeat(np.arange(n), counts)
    cause_ids = np.fromiter((c for cs in causes for c in cs), dtype=np.int64, count=counts.sum())
    # A link counts only if its cause is itself a forced sale (ids ascend, so search).
    position = np.searchsorted(ids, cause_ids).clip(max=n - 1)
    linked = ids[position] == cause_ids
    effect, cause = effect[linked], position[linked]
    graph = coo_array((np.ones(effect.size), (effect, cause)), shape=(n, n))
    # Labels are numbered in the order of each cascade's first sale.
    _, label = connected_components(graph, directed=False)
    # Longest chain: a sale is one deeper than its deepest cause. Links come in the
    # order of their effects and a cause precedes its effect, so one pass suffices.
    depth = [1] * n
    for e, c in zip(effect.tolist(), cause.tolist(), strict=True):
        if depth[c] >= depth[e]:
            depth[e] = depth[c] + 1
    groups = int(label.max()) + 1
    # Each cascade's size is Python's sum over its sales in id order (the bits the
    # summary has always reported); the other measures are exact in any order.
    by_label = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[by_label], np.arange(groups + 1)).tolist()
    amounts = amount[by_label].tolist()
    size = np.array([sum(amounts[a:b]) for a, b in pairwise(bounds)])
    sales = np.bincount(label, minlength=groups)
    deepest = np.zeros(groups, dtype=np.int64)
    np.maximum.at(deepest, label, np.array(depth))
    first = np.full(groups, np.iinfo(np.int64).max)
    np.minimum.at(first, label, week)
    last = np.zeros(groups, dtype=np.int64)
    np.maximum.at(last, label, week)
    order = np.argsort(-size, kind="stable")
    return {
        "size": size[order],
        "depth": deepest[order],
        "sales": sales[order],
        "first_week": first[order],
        "last_week": last[order],
    }


#: The measures of a cascade, as :class:`Cascade` names them.
_COLUMNS = ("size", "depth", "sales", "first_week", "last_week")


def cascades(log: EventLog) -> list[Cascade]:
    """Group forced sales into cascades: connected chains of causal links.

    Sizes are in US$bn sold; depth is the number of sales on the longest causal
    chain (a lone forced sale has depth 1).
    Sorted largest first (ties: the cascade that began first).
    """
    columns = cascade_columns(log)
    return [
        Cascade(*values)
        for values in zip(*(columns[name].tolist() for name in _COLUMNS), strict=True)
    ]
