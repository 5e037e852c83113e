"""The stylized facts of DESIGN §9, measured over many seeds with honest statistics.

Each fact is a function of a list of seeds returning a :class:`FactResult`: the
effect (a mean over seeds of a per-seed statistic, mostly a paired difference
between a run and its twin without AI spending on the same seed: common random
numbers), its 95% bootstrap interval, the p-value of a paired sign test, and
whether the fact holds (the interval excludes zero on the side the thesis
predicts and the sign test agrees at 5%, plus any bound the fact states). The
tests in ``tests/test_stylized_facts.py`` assert them on seeds never used in
calibration; ``docs/make_validation.py`` tabulates them with their sensitivities.

Runs are cached per process (the same run serves several facts).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.model.events import cascade_columns
from inverse_qe.scenarios.loader import load
from inverse_qe.twin import AI_SPENDING, first_week, without_ai_spending

ALPHA = 0.05
#: The plausible magnitudes of DESIGN §9 fact 12 for the default's medians (see
#: docs/validation.md for the episode each band comes from).
BANDS = {
    "bond_spread_change_bp": (-50.0, 150.0),
    "crypto_max_drawdown": (0.40, 0.85),
    "largest_weekly_move": (0.0, 0.35),
    "risk_asset_drawdown": (0.10, 0.40),
}


@dataclass(frozen=True)
class RunMetrics:
    """What the facts need from one run."""

    risk_value: np.ndarray  # weekly risk-asset value (opening units at today's prices), US$bn
    total_return: dict[str, float]
    max_drawdown: dict[str, float]  # per asset, the largest fall from a running peak
    ai_spending: np.ndarray  # weekly capex + commitments paid
    yield_10y: np.ndarray
    bond_spread: np.ndarray
    forced_sales: np.ndarray  # weekly
    margin_calls: np.ndarray  # weekly counts
    cascade_sizes: np.ndarray
    net_liquidity: np.ndarray  # weekly, signed
    funders_net_liquidity: np.ndarray  # weekly, hyperscalers' and sovereign funds' together
    crypto_drawdown: float
    largest_weekly_move: float  # the largest |weekly return| of any asset
    news_only_value: np.ndarray  # weekly risk-asset value had only news moved prices
    ai_income_value: np.ndarray  # weekly: what of risk_value the earnings of AI spending carry

    @property
    def drawdown(self) -> float:
        """Largest fall of aggregate risk-asset value from a running peak."""
        peak = np.maximum.accumulate(self.risk_value)
        return float((1.0 - self.risk_value / peak).max())

    @property
    def news_only_drawdown(self) -> float:
        """The drawdown the run's news alone would have given (no flows, no rate moves)."""
        peak = np.maximum.accumulate(self.news_only_value)
        return float((1.0 - self.news_only_value / peak).max())

    @property
    def risk_change(self) -> float:
        """Change of aggregate risk-asset value over the run, as a fraction."""
        return float(self.risk_value[-1] / self.risk_value[0] - 1.0)

    @property
    def exhausted_week(self) -> int | None:
        """The first week investors' net liquidity was not positive (None: never)."""
        return first_week(self.net_liquidity <= 0.0)

    @property
    def funders_exhausted_week(self) -> int | None:
        """The first week the funders' own idle cash was gone (None: never)."""
        return first_week(self.funders_net_liquidity <= 0.0)


@functools.lru_cache(maxsize=4096)
def _run(job: tuple[str, tuple[str, ...], int, float]) -> RunMetrics:
    name, overrides, seed, ai_scale = job
    scenario = load(name, list(overrides))
    if ai_scale != 1.0:
        scenario = without_ai_spending(scenario, ai_scale)
    model = BathtubModel(scenario, seed=seed).run()
    r = model.recorder
    prices = np.array([r.series(f"price_{a}") for a in model.markets.names])
    crypto = prices[model.markets.index["crypto"]] if "crypto" in model.markets.index else None
    return RunMetrics(
        risk_value=r.series("risk_asset_value").copy(),
        total_return={
            a: float(p[-1] / p[0] - 1.0) for a, p in zip(model.markets.names, prices, strict=True)
        },
        max_drawdown={
            a: float((1.0 - p / np.maximum.accumulate(p)).max())
            for a, p in zip(model.markets.names, prices, strict=True)
        },
        ai_spending=(r.series("capex_paid") + r.series("commitments_paid")).copy(),
        yield_10y=r.series("yield_10y").copy(),
        bond_spread=r.series("bond_spread").copy(),
        forced_sales=r.series("forced_sales").copy(),
        margin_calls=r.series("margin_calls").copy(),
        cascade_sizes=cascade_columns(model.events)["size"],
        net_liquidity=r.series("net_liquidity").copy(),
        funders_net_liquidity=(
            r.series("net_liquidity_hyperscalers") + r.series("net_liquidity_sovereign_funds")
        ).copy(),
        crypto_drawdown=0.0
        if crypto is None
        else float((1.0 - crypto / np.maximum.accumulate(crypto)).max()),
        largest_weekly_move=float(np.abs(np.expm1(np.diff(np.log(prices), axis=1))).max()),
        news_only_value=(
            np.exp(model.markets.news_only_log_prices(model.news))[:, model.markets.risk_asset]
            @ model.opening_units[model.markets.risk_asset]
        ),
        ai_income_value=r.series("ai_income_value").copy(),
    )


def run_seeds(
    name: str,
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    workers: int = 1,
    ai_scale: float = 1.0,
) -> list[RunMetrics]:
    """Run one scenario on each seed, AI spending scaled by ``ai_scale`` (0: the twins)."""
    jobs = [(name, tuple(overrides), int(s), float(ai_scale)) for s in seeds]
    if workers <= 1:
        return [_run(j) for j in jobs]
    # Runs made in worker processes are kept here, so later facts reuse them too.
    missing = [j for j in dict.fromkeys(jobs) if j not in _DONE]
    if missing:
        with ProcessPoolExecutor(workers) as pool:
            _DONE.update(zip(missing, pool.map(_run, missing), strict=True))
    return [_DONE[j] for j in jobs]


#: Runs made by worker processes, by job (the parent's side of the cache).
_DONE: dict[tuple[str, tuple[str, ...], int, float], RunMetrics] = {}


def pairs(name, seeds, overrides=(), workers=1) -> tuple[list[RunMetrics], list[RunMetrics]]:
    """Each seed's run and its twin without AI spending."""
    return (
        run_seeds(name, seeds, overrides, workers),
        run_seeds(name, seeds, overrides, workers, ai_scale=0.0),
    )


def gaps(full: list[RunMetrics], twins: list[RunMetrics]) -> np.ndarray:
    """Seeds x weeks: risk-asset value with AI spending minus without (the capex effect)."""
    return np.array([a.risk_value - b.risk_value for a, b in zip(full, twins, strict=True)])


def income_gaps(full: list[RunMetrics], twins: list[RunMetrics]) -> np.ndarray:
    """Seeds x weeks: the part of :func:`gaps` that the earnings AI spending created carry.

    The rest of the gap is what moving the money did (``twin.capex_effect_parts``).
    """
    return np.array(
        [a.ai_income_value - b.ai_income_value for a, b in zip(full, twins, strict=True)]
    )


def money_per_dollar(full: list[RunMetrics], twins: list[RunMetrics]) -> np.ndarray:
    """Per seed: the money part of the end gap over cumulative AI spending."""
    money = gaps(full, twins)[:, -1] - income_gaps(full, twins)[:, -1]
    spent = np.array([max(a.ai_spending.sum(), 1e-9) for a in full])
    return money / spent


def per_dollar(full: list[RunMetrics], twins: list[RunMetrics]) -> np.ndarray:
    """Per seed: the end gap over cumulative AI spending (the multiplier on asset prices)."""
    return np.array(
        [
            (a.risk_value[-1] - b.risk_value[-1]) / max(a.ai_spending.sum(), 1e-9)
            for a, b in zip(full, twins, strict=True)
        ]
    )


@dataclass(frozen=True)
class FactResult:
    """One stylized fact measured over seeds."""

    fact: int
    claim: str
    statistic: str
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    seeds: int
    expected_sign: int
    holds: bool
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A plain dict of Python numbers (for tables and JSON: numpy scalars are not JSON)."""
        return _plain(asdict(self))

    def also(self, holds: bool, **details) -> FactResult:
        """The same result, holding only if ``holds`` too, with more details."""
        return FactResult(
            **{
                **self.as_dict(),
                "holds": self.holds and bool(holds),
                "details": {**self.details, **details},
            }
        )


def _plain(value):
    """``value`` with numpy scalars and arrays (nested in dicts, lists, tuples) as Python's own."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def interval(values, statistic=np.mean) -> tuple[float, float]:
    """95% bootstrap interval of ``statistic`` over seeds (BCa, percentile as a fallback)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2 or np.ptp(values) == 0:
        v = float(statistic(values))
        return v, v
    rng = np.random.default_rng(0)
    try:
        boot = stats.bootstrap(
            (values,), statistic, n_resamples=4000, random_state=rng, method="BCa"
        )
    except ValueError:  # degenerate jackknife: fall back on the percentile interval
        boot = stats.bootstrap(
            (values,), statistic, n_resamples=4000, random_state=rng, method="percentile"
        )
    low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        boot = stats.bootstrap(
            (values,), statistic, n_resamples=4000, random_state=rng, method="percentile"
        )
        low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    return low, high


def judge(
    fact: int, claim: str, statistic: str, values, expected_sign: int, details=None
) -> FactResult:
    """Mean, bootstrap 95% interval and paired sign test of per-seed ``values``."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    low, high = interval(values)
    positives = int((values * expected_sign > 0).sum())
    nonzero = int((values != 0).sum())
    p = (
        float(stats.binomtest(positives, nonzero, 0.5, alternative="greater").pvalue)
        if nonzero
        else 1.0
    )
    interval_agrees = low > 0 if expected_sign > 0 else high < 0
    return FactResult(
        fact,
        claim,
        statistic,
        mean,
        low,
        high,
        p,
        values.size,
        expected_sign,
        bool(interval_agrees and p < ALPHA),
        details or {},
    )


# -- the facts ---------------------------------------------------------------------------


def fact_1(seeds, overrides=(), workers=1) -> FactResult:
    """In early_phase, AI spending raises aggregate risk-asset value."""
    runs = pairs("early_phase", seeds, overrides, workers)
    return judge(
        1,
        "early_phase: AI spending raises risk-asset value",
        "US$ of risk-asset value per US$ of AI spending (run minus twin, at the end)",
        per_dollar(*runs),
        +1,
        {"money_part_per_dollar": float(money_per_dollar(*runs).mean())},
    )


def fact_2(seeds, overrides=(), workers=1) -> FactResult:
    """In dry_powder_exhaustion the same spending lowers it: the flip across regimes."""
    runs = pairs("dry_powder_exhaustion", seeds, overrides, workers)
    m = per_dollar(*runs)
    early = per_dollar(*pairs("early_phase", seeds, overrides, workers))
    flipped = judge(2, "", "", m - early, -1)
    return judge(
        2,
        "dry_powder_exhaustion: the same AI spending lowers risk-asset value",
        "US$ of risk-asset value per US$ of AI spending (run minus twin, at the end)",
        m,
        -1,
        {
            "multiplier_early_phase": float(early.mean()),
            "money_part_per_dollar": float(money_per_dollar(*runs).mean()),
        },
    ).also(flipped.holds, flip_p_value=flipped.p_value)


#: Initial dry powder, as multiples of the default's, at which fact 3 prices AI spending.
CONVEXITY_LEVELS = (4.0, 1.0, 0.25)


def dry_powder_levels(levels=CONVEXITY_LEVELS, overrides=()) -> dict[float, list[str]]:
    """Overrides that set the default's initial dry powder to each multiple of its own."""
    from inverse_qe.experiments.parameters import dry_powder_overrides, initial_dry_powder
    from inverse_qe.experiments.runs import ScenarioSource

    source = ScenarioSource.resolve("dry_powder_exhaustion")
    base = sum(initial_dry_powder(source, list(overrides)).values())
    return {
        level: [*overrides, *dry_powder_overrides(source, list(overrides), level * base)]
        for level in levels
    }


def fact_3(seeds, overrides=(), workers=1) -> FactResult:
    """The scramble is convex: each US$ of AI spending costs more as dry powder shrinks."""
    costs = {
        level: -per_dollar(*pairs("dry_powder_exhaustion", seeds, o, workers))
        for level, o in dry_powder_levels(overrides=overrides).items()
    }
    levels = sorted(costs)  # scarcest first
    means = [float(costs[lvl].mean()) for lvl in levels]
    monotone = all(a > b for a, b in itertools.pairwise(means))
    return judge(
        3,
        "the cost of AI spending per US$ grows as dry powder shrinks",
        "cost per US$ at a quarter of the default's dry powder minus at four times it",
        costs[levels[0]] - costs[levels[-1]],
        +1,
        {f"cost_per_dollar_at_{lvl}x_dry_powder": m for lvl, m in zip(levels, means, strict=True)},
    ).also(monotone, monotone=monotone)


def fact_4(seeds, overrides=(), workers=1) -> FactResult:
    """Bifurcation: AI spending lifts memory against saas, speculative and crypto; crypto most.

    Paired with the twin, so the news cancels: per asset, the log of its end
    price with AI spending over its end price without (what AI spending did to
    it). Memory's must beat each loser's, and crypto's must be the lowest.
    """
    full, twins = pairs("dry_powder_exhaustion", seeds, overrides, workers)
    did = {
        a: np.array(
            [
                np.log1p(f.total_return[a]) - np.log1p(t.total_return[a])
                for f, t in zip(full, twins, strict=True)
            ]
        )
        for a in full[0].total_return
    }
    losers = ("saas", "speculative", "crypto")
    parts = {f"memory_minus_{x}": judge(4, "", "", did["memory"] - did[x], +1) for x in losers}
    parts.update(
        {
            f"crypto_minus_{x}": judge(4, "", "", did["crypto"] - did[x], -1)
            for x in ("saas", "speculative")
        }
    )
    worst_loser = np.min([did[x] for x in losers], axis=0)
    return judge(
        4,
        "AI spending lifts memory against saas, speculative and crypto; crypto is hit hardest",
        "memory's log return against its twin minus the worst of the three losers'",
        did["memory"] - worst_loser,
        +1,
        {
            **{k: v.effect for k, v in parts.items()},
            **{f"mean_log_effect_{a}": float(v.mean()) for a, v in did.items()},
            **{f"mean_return_{a}": float(np.mean([r.total_return[a] for r in full])) for a in did},
        },
    ).also(all(p.holds for p in parts.values()))


def fact_5(seeds, overrides=(), workers=1) -> FactResult:
    """Yields and spreads rise when AI spending's funding needs exceed dry powder."""
    full, twins = pairs("dry_powder_exhaustion", seeds, overrides, workers)
    dy = np.array([(a.yield_10y[-1] - b.yield_10y[-1]) for a, b in zip(full, twins, strict=True)])
    ds = np.array(
        [(a.bond_spread[-1] - b.bond_spread[-1]) for a, b in zip(full, twins, strict=True)]
    )
    spread = judge(5, "", "", ds, +1)
    return judge(
        5,
        "AI spending beyond dry powder raises the 10y yield and the bond spread",
        "10y yield at the end, run minus twin (fraction)",
        dy,
        +1,
        {"extra_spread": spread.effect, "spread_ci": [spread.ci_low, spread.ci_high]},
    ).also(spread.holds)


def fact_6(seeds, overrides=(), workers=1) -> FactResult:
    """Forced selling clusters in time, and cascade sizes are heavy-tailed."""
    runs = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    # Clustering: the index of dispersion of weekly margin calls (1 for a Poisson process).
    dispersion = np.array(
        [r.margin_calls[1:].var() / max(r.margin_calls[1:].mean(), 1e-9) - 1.0 for r in runs]
    )
    sizes = np.concatenate([r.cascade_sizes for r in runs])
    tail = hill_tail_index(sizes)
    details = {
        "cascades": int(sizes.size),
        "hill_tail_index_top10pct": tail,
        "size_cv": float(sizes.std() / sizes.mean()) if sizes.size else 0.0,
        "largest_over_median": float(sizes.max() / np.median(sizes)) if sizes.size else 0.0,
    }
    heavy = sizes.size >= 20 and details["size_cv"] > 1.0 and tail < 2.0
    return judge(
        6,
        "margin calls cluster; cascade sizes are heavy-tailed",
        "index of dispersion of weekly margin calls minus 1",
        dispersion,
        +1,
        details,
    ).also(heavy)


def hill_tail_index(sizes: np.ndarray, top: float = 0.1) -> float:
    """Hill estimator of the tail index from the largest ``top`` share (lower = heavier)."""
    x = np.sort(np.asarray(sizes, float))[::-1]
    k = max(int(top * x.size), 2)
    if x.size <= k or x[k] <= 0:
        return float("inf")
    return float(1.0 / np.mean(np.log(x[:k] / x[k])))


def fact_7(seeds, overrides=(), workers=1) -> FactResult:
    """warsh_tightening ends worse than dry_powder_exhaustion, which ends worse than fed_pivot."""
    w = run_seeds("warsh_tightening", seeds, overrides, workers)
    d = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    p = run_seeds("fed_pivot", seeds, overrides, workers)

    def paired(x, y, f):
        return [f(a) - f(b) for a, b in zip(x, y, strict=True)]

    checks = {
        "drawdown_warsh_minus_base": judge(7, "", "", paired(w, d, lambda r: r.drawdown), +1),
        "drawdown_base_minus_pivot": judge(7, "", "", paired(d, p, lambda r: r.drawdown), +1),
        "forced_sales_warsh_minus_base": judge(
            7, "", "", paired(w, d, lambda r: r.forced_sales.sum()), +1
        ),
        "forced_sales_base_minus_pivot": judge(
            7, "", "", paired(d, p, lambda r: r.forced_sales.sum()), +1
        ),
        "risk_change_base_minus_warsh": judge(7, "", "", paired(d, w, lambda r: r.risk_change), +1),
        "risk_change_pivot_minus_base": judge(7, "", "", paired(p, d, lambda r: r.risk_change), +1),
    }
    return judge(
        7,
        "warsh ends worse than exhaustion, which ends worse than pivot",
        "risk-asset value change, pivot minus warsh",
        paired(p, w, lambda r: r.risk_change),
        +1,
        {k: v.effect for k, v in checks.items()}
        | {f"{k}_holds": v.holds for k, v in checks.items()},
    ).also(all(c.holds for c in checks.values()))


def fact_8(seeds, overrides=(), workers=1) -> FactResult:
    """In fiscal_stimulus with the central bank absorbing, asset prices rise."""
    runs = run_seeds("fiscal_stimulus", seeds, overrides, workers)
    return judge(
        8,
        "fiscal stimulus with the central bank absorbing lifts asset prices",
        "change of aggregate risk-asset value over the run (fraction)",
        [r.risk_change for r in runs],
        +1,
    )


def fact_9(seeds, overrides=(), workers=1) -> FactResult:
    """Without AI spending the world is at rest; with it, AI spending causes most of the fall.

    At rest: the twins' median drawdown of risk-asset value is at most 15% and
    their median change within ±15% over the run. Cause: the mean paired effect
    of AI spending at the end is at least two thirds of the mean fall.
    """
    full, twins = pairs("dry_powder_exhaustion", seeds, overrides, workers)
    gap = gaps(full, twins)[:, -1]
    fall = np.array([a.risk_value[0] - a.risk_value[-1] for a in full])
    share = float(-gap.mean() / fall.mean()) if fall.mean() > 0 else float("nan")
    boot_share = _ratio_interval(-gap, fall)
    twin_dd = float(np.median([t.drawdown for t in twins]))
    # What the model's own loops add to the drawdown the same news gives on its own
    # (paired by seed): the diagnosis when the bound fails.
    added = np.array([t.drawdown - t.news_only_drawdown for t in twins])
    twin_change = float(np.median([t.risk_change for t in twins]))
    at_rest = twin_dd <= 0.15 and abs(twin_change) <= 0.15
    return judge(
        9,
        "without AI spending the world is at rest; AI spending causes most of the default's fall",
        "risk-asset value at the end, run minus twin (US$bn)",
        gap,
        -1,
        {
            "twin_median_drawdown": twin_dd,
            "twin_median_change": twin_change,
            "twin_news_only_median_drawdown": float(
                np.median([t.news_only_drawdown for t in twins])
            ),
            "drawdown_added_by_the_model_median": float(np.median(added)),
            "drawdown_added_interval": list(interval(added, np.median)),
            "median_drawdown_with_ai": float(np.median([a.drawdown for a in full])),
            "mean_fall": float(fall.mean()),
            "share_of_fall_caused": share,
            "share_interval": list(boot_share),
            "ai_spending": AI_SPENDING,
        },
    ).also(at_rest and share >= 2 / 3, at_rest=at_rest)


def _ratio_interval(numerator: np.ndarray, denominator: np.ndarray) -> tuple[float, float]:
    """95% paired bootstrap interval of mean(numerator) / mean(denominator)."""
    rng = np.random.default_rng(0)
    n = numerator.size
    draws = rng.integers(0, n, size=(4000, n))
    ratios = numerator[draws].mean(axis=1) / denominator[draws].mean(axis=1)
    return float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))


def fact_10(seeds, overrides=(), workers=1) -> FactResult:
    """In full_cycle the effect of AI spending rises, peaks near exhaustion, then turns negative.

    Over the seeds: the mean gap (run minus twin) is positive and rising to its
    peak, falls after it and is negative at the end; and the peak comes within
    13 weeks of the mean aggregate exhaustion week (the first week investors'
    net liquidity is not positive). The funders' own exhaustion week (when the
    hyperscalers' and sovereign funds' idle cash is gone and capex must be
    raised from others) is reported beside it.
    """
    full, twins = pairs("full_cycle", seeds, overrides, workers)
    gap = gaps(full, twins)
    mean_gap = gap.mean(axis=0)
    mean_income = income_gaps(full, twins).mean(axis=0)
    mean_money = mean_gap - mean_income

    def mean_week(weeks):
        found = [w for w in weeks if w is not None]
        return (float(np.mean(found)) if found else float("nan")), len(found) / len(weeks)

    weeks = [a.exhausted_week for a in full]
    ran_out = [w for w in weeks if w is not None]
    exhaustion, share = mean_week(weeks)
    funders, funders_share = mean_week([a.funders_exhausted_week for a in full])
    peak = int(np.argmax(mean_gap))
    half = peak // 2
    rises = judge(10, "", "", gap[:, peak] - gap[:, half], +1).holds and mean_gap[half] > 0
    falls = judge(10, "", "", gap[:, -1] - gap[:, peak], -1).holds
    near = bool(share > 0) and abs(peak - exhaustion) <= 13
    aligned = _aligned_on_exhaustion(gap, weeks)
    return judge(
        10,
        "full_cycle: AI spending lifts prices while dry powder lasts, drains them after",
        "risk-asset value at the end, run minus twin (US$bn)",
        gap[:, -1],
        -1,
        {
            "mean_exhaustion_week": exhaustion,
            "share_of_seeds_exhausted": share,
            "earliest_exhaustion_week": min(ran_out, default=None),
            "latest_exhaustion_week": max(ran_out, default=None),
            "mean_funders_exhaustion_week": funders,
            "share_of_seeds_funders_exhausted": funders_share,
            "peak_week_of_mean_gap": peak,
            "peak_mean_gap": float(mean_gap[peak]),
            "mean_gap_at_half_the_peak_week": float(mean_gap[half]),
            "rises_to_its_peak": rises,
            "falls_after_its_peak": falls,
            "peak_within_13_weeks_of_exhaustion": near,
            # Each seed's gap set on its own exhaustion week, then averaged: where the
            # effect turns, free of the spread of exhaustion weeks across seeds.
            "aligned_peak_weeks_from_own_exhaustion": aligned,
            "peak_within_13_weeks_of_funders_exhaustion": bool(funders_share > 0)
            and abs(peak - funders) <= 13,
            # The mean gap's two parts (twin.capex_effect_parts): the earnings AI spending
            # created, and what moving the money did.
            "income_part_at_peak": float(mean_income[peak]),
            "money_part_at_peak": float(mean_money[peak]),
            "income_part_at_end": float(mean_income[-1]),
            "money_part_at_end": float(mean_money[-1]),
            "money_part_highest": float(mean_money.max()),
        },
    ).also(rises and falls and near)


def _aligned_on_exhaustion(gap: np.ndarray, weeks: list[int | None], span: int = 52) -> int | None:
    """Weeks from exhaustion to the peak of the mean gap, each seed set on its own week.

    The mean over seeds of the gap ``span`` weeks either side of each seed's
    exhaustion week (seeds that never run out are left out; weeks outside the run
    do not count). Negative: the effect peaks before exhaustion.
    """
    rows = []
    for row, week in zip(gap, weeks, strict=True):
        if week is None:
            continue
        window = np.full(2 * span + 1, np.nan)
        lo, hi = max(week - span, 0), min(week + span + 1, row.size)
        window[lo - (week - span) : hi - (week - span)] = row[lo:hi]
        rows.append(window)
    if not rows:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column no seed covers
        mean = np.nanmean(np.array(rows), axis=0)
    return int(np.nanargmax(mean)) - span


def fact_11(seeds, overrides=(), workers=1) -> FactResult:
    """Exhaustion comes earlier under warsh_tightening; under fed_pivot liquidity returns."""
    base = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    warsh = run_seeds("warsh_tightening", seeds, overrides, workers)
    pivot = run_seeds("fed_pivot", seeds, overrides, workers)
    never = len(base[0].net_liquidity)  # never exhausted counts as after the end

    def week(r):
        w = r.exhausted_week
        return never if w is None else w

    earlier = np.array([week(b) - week(w) for w, b in zip(warsh, base, strict=True)])
    share_earlier = float((earlier > 0).mean())
    returned = [r.net_liquidity[-1] > 0 for r in pivot if r.exhausted_week is not None]
    share_returned = float(np.mean(returned)) if returned else float("nan")
    return judge(
        11,
        "exhaustion comes earlier under warsh; under pivot net liquidity turns positive again",
        "exhaustion week, base minus warsh (weeks)",
        earlier,
        +1,
        {
            "share_of_seeds_warsh_earlier": share_earlier,
            "median_exhaustion_week_base": float(np.median([week(b) for b in base])),
            "median_exhaustion_week_warsh": float(np.median([week(w) for w in warsh])),
            "exhaustion_weeks_vary_across_seeds": len({week(b) for b in base}) > 1,
            "pivot_share_positive_again_at_the_end": share_returned,
        },
    ).also(share_earlier >= 0.75 and share_returned > 0.5)


def fact_12(seeds, overrides=(), workers=1) -> FactResult:
    """Magnitudes: the default's medians stay within what markets have done.

    Bands (:data:`BANDS`): the hyperscaler bond spread's change, crypto's
    largest drawdown, the largest single-week move of any asset and the risk
    assets' drawdown; and the 10y moves with policy (up more under warsh).
    """
    runs = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    warsh = run_seeds("warsh_tightening", seeds, overrides, workers)
    medians = {
        "bond_spread_change_bp": float(
            np.median([(r.bond_spread[-1] - r.bond_spread[0]) * 1e4 for r in runs])
        ),
        "crypto_max_drawdown": float(np.median([r.crypto_drawdown for r in runs])),
        "largest_weekly_move": float(np.median([r.largest_weekly_move for r in runs])),
        "risk_asset_drawdown": float(np.median([r.drawdown for r in runs])),
    }
    inside = {k: BANDS[k][0] <= v <= BANDS[k][1] for k, v in medians.items()}
    rates = [
        (w.yield_10y[-1] - w.yield_10y[0]) - (d.yield_10y[-1] - d.yield_10y[0])
        for w, d in zip(warsh, runs, strict=True)
    ]
    return judge(
        12,
        "magnitudes stay within what markets have done; the 10y moves with policy",
        "10y change, warsh minus the default (fraction)",
        rates,
        +1,
        {**medians, **{f"{k}_within_band": v for k, v in inside.items()}},
    ).also(all(inside.values()))


#: Initial dry powder (multiples of the default's) along fact 13's axis, bottom to top.
REGIME_LEVELS = (0.25, 1.0, 2.5, 6.0)


def multipliers_at(levels, seeds, overrides=(), workers=1) -> dict[float, np.ndarray]:
    """Per level of initial dry powder (multiples of the default's), each seed's multiplier."""
    return {
        level: per_dollar(*pairs("dry_powder_exhaustion", seeds, o, workers))
        for level, o in dry_powder_levels(levels, overrides).items()
    }


def fact_13(seeds, overrides=(), workers=1) -> FactResult:
    """The regime map: at fixed capex growth the multiplier rises with initial dry powder."""
    multipliers = multipliers_at(REGIME_LEVELS, seeds, overrides, workers)
    levels = sorted(multipliers)
    means = [float(multipliers[lvl].mean()) for lvl in levels]
    rising = all(a < b for a, b in itertools.pairwise(means))
    top = judge(13, "", "", multipliers[levels[-1]], +1)
    bottom = judge(13, "", "", multipliers[levels[0]], -1)
    return judge(
        13,
        "the multiplier of AI spending rises with initial dry powder, from negative to positive",
        "multiplier at the most dry powder minus at the least (US$ per US$)",
        multipliers[levels[-1]] - multipliers[levels[0]],
        +1,
        {f"multiplier_at_{lvl}x_dry_powder": m for lvl, m in zip(levels, means, strict=True)}
        | {"rising": rising, "top_positive": top.holds, "bottom_negative": bottom.holds},
    ).also(rising and top.holds and bottom.holds)


#: The assumptions that decide the sign at the top of fact 13's axis, and the values tried
#: along each, going from the base's value (read from the scenario) towards the side that
#: lifts the top: less of the suppliers' receipts leaking out of the tub, the leak coming
#: back sooner, the funders paying less of their spare cash out (so that, without AI
#: spending, it would sit idle), more of each AI dollar becoming profits at home. None has
#: a public figure behind it (``_base.toml`` marks each assumed).
TOP_ASSUMPTIONS: dict[str, tuple[float, ...]] = {
    "suppliers.recycling": (0.5, 0.65, 0.8),
    "real_economy.return_rate": (0.015, 0.02, 0.03),
    "hyperscalers.payout_rate": (0.1, 0.03, 0.01),
    "real_economy.profit_pass_through": (0.75, 1.0),
}


def zero_crossing(values: Sequence[float], means: Sequence[float]) -> float | None:
    """Where a piecewise-linear path through ``(value, mean)`` first crosses zero upwards.

    ``None`` if it never does; the first value itself if it starts at or above zero.
    """
    if means[0] >= 0:
        return float(values[0])
    for (v0, m0), (v1, m1) in itertools.pairwise(zip(values, means, strict=True)):
        if m0 < 0 <= m1:
            return float(v0 + (v1 - v0) * (0 - m0) / (m1 - m0))
    return None


def top_turning_points(seeds, workers=1) -> dict[str, dict]:
    """Fact 13's top (the most dry powder) along each of :data:`TOP_ASSUMPTIONS`.

    For each assumption: the values tried (the base's first), the multiplier's mean and
    bootstrap 95% interval at each, and where the mean turns positive (linear between
    the values tried; ``None`` if it does not within them).
    """
    top = REGIME_LEVELS[-1]
    scenario = load("dry_powder_exhaustion")
    base = multipliers_at((top,), seeds, (), workers)[top]
    out = {}
    for path, tried in TOP_ASSUMPTIONS.items():
        values = [float(functools.reduce(getattr, path.split("."), scenario)), *tried]
        samples = [base] + [
            multipliers_at((top,), seeds, (f"{path}={v}",), workers)[top] for v in tried
        ]
        intervals = [interval(x) for x in samples]
        means = [float(x.mean()) for x in samples]
        out[path] = {
            "values": values,
            "mean": means,
            "ci_low": [float(lo) for lo, _ in intervals],
            "ci_high": [float(hi) for _, hi in intervals],
            "turns_at": zero_crossing(values, means),
        }
    return out


FACTS: dict[int, Callable[..., FactResult]] = {
    1: fact_1,
    2: fact_2,
    3: fact_3,
    4: fact_4,
    5: fact_5,
    6: fact_6,
    7: fact_7,
    8: fact_8,
    9: fact_9,
    10: fact_10,
    11: fact_11,
    12: fact_12,
    13: fact_13,
}
