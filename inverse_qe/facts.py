"""The stylized facts of DESIGN §9, measured over many seeds with honest statistics.

Each fact is a function of a list of seeds returning a :class:`FactResult`: the
effect (a mean over seeds of a per-seed statistic, usually a paired difference
between two scenarios run on the same seeds: common random numbers), its 95%
bootstrap interval, the p-value of a paired sign test, and whether the fact
holds (the interval excludes zero on the side the thesis predicts and the sign
test agrees at 5%). The tests in ``tests/test_stylized_facts.py`` assert them;
``docs/make_validation.py`` tabulates them with their sensitivities.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.model.events import cascades
from inverse_qe.scenarios.loader import load, resolve

ALPHA = 0.05


@dataclass(frozen=True)
class RunMetrics:
    """What the facts need from one run."""

    risk_value: np.ndarray  # weekly aggregate risk-asset value, US$bn
    total_return: dict[str, float]
    capex_paid: float
    capex_weekly: np.ndarray
    yield_change: float
    spread_change: float
    forced_sales: np.ndarray  # weekly
    margin_calls: np.ndarray  # weekly counts
    cascade_sizes: np.ndarray
    dry_powder: np.ndarray  # weekly investors' dry powder

    @property
    def drawdown(self) -> float:
        """Largest fall of aggregate risk-asset value from a running peak."""
        peak = np.maximum.accumulate(self.risk_value)
        return float((1.0 - self.risk_value / peak).max())

    @property
    def risk_change(self) -> float:
        """Change of aggregate risk-asset value over the run, as a fraction."""
        return float(self.risk_value[-1] / self.risk_value[0] - 1.0)


def _run(job: tuple[str, tuple[str, ...], int]) -> RunMetrics:
    name, overrides, seed = job
    model = BathtubModel(load(name, list(overrides)), seed=seed).run()
    r = model.recorder
    price = {a: r.series(f"price_{a}") for a in model.markets.names}
    return RunMetrics(
        risk_value=r.series("risk_asset_value").copy(),
        total_return={a: float(p[-1] / p[0] - 1.0) for a, p in price.items()},
        capex_paid=float(r.series("capex_paid").sum()),
        capex_weekly=r.series("capex_paid").copy(),
        yield_change=float(r.series("yield_10y")[-1] - r.series("yield_10y")[0]),
        spread_change=float(r.series("bond_spread")[-1] - r.series("bond_spread")[0]),
        forced_sales=r.series("forced_sales").copy(),
        margin_calls=r.series("margin_calls").copy(),
        cascade_sizes=np.array([c.size for c in cascades(model.events)]),
        dry_powder=r.series("dry_powder").copy(),
    )


def run_seeds(
    name: str, seeds: Sequence[int], overrides: Sequence[str] = (), workers: int = 1
) -> list[RunMetrics]:
    """Run one scenario on each seed (in a process pool when ``workers`` > 1)."""
    jobs = [(name, tuple(overrides), int(s)) for s in seeds]
    if workers <= 1:
        return [_run(j) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_run, jobs))


def capex_scaled(name: str, factor: float) -> str:
    """An override that multiplies every point of the scenario's capex path by ``factor``."""
    _, raw = resolve(name)
    points = ", ".join(
        f'["{w.isoformat()}", {v * factor}]' if hasattr(w, "isoformat") else f"[{w}, {v * factor}]"
        for w, v in raw["hyperscalers"]["capex"]
    )
    return f"hyperscalers.capex=[{points}]"


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
        """A plain dict (for tables and JSON)."""
        return asdict(self)


def judge(
    fact: int, claim: str, statistic: str, values, expected_sign: int, details=None
) -> FactResult:
    """Mean, bootstrap 95% interval and paired sign test of per-seed ``values``."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if np.ptp(values) == 0:
        low = high = mean
    else:
        boot = stats.bootstrap(
            (values,),
            np.mean,
            confidence_level=0.95,
            n_resamples=4000,
            random_state=np.random.default_rng(0),
            method="percentile",
        )
        low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
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


def _multiplier(name: str, seeds, overrides=(), workers=1) -> tuple[np.ndarray, list, list]:
    """Per seed: change in end risk-asset value per US$ of capex (capex vs none)."""
    full = run_seeds(name, seeds, overrides, workers)
    none = run_seeds(name, seeds, [*overrides, capex_scaled(name, 0.0)], workers)
    per_dollar = np.array(
        [
            (a.risk_value[-1] - b.risk_value[-1]) / max(a.capex_paid - b.capex_paid, 1e-9)
            for a, b in zip(full, none, strict=True)
        ]
    )
    return per_dollar, full, none


def fact_1(seeds, overrides=(), workers=1) -> FactResult:
    """In early_phase, capex raises aggregate risk-asset value."""
    m, _, _ = _multiplier("early_phase", seeds, overrides, workers)
    return judge(
        1,
        "early_phase: capex raises risk-asset value",
        "US$ of risk-asset value per US$ of capex (capex vs none)",
        m,
        +1,
    )


def fact_2(seeds, overrides=(), workers=1) -> FactResult:
    """In dry_powder_exhaustion the same capex lowers it; the flip comes with exhaustion."""
    m, full, _ = _multiplier("dry_powder_exhaustion", seeds, overrides, workers)
    early, _, _ = _multiplier("early_phase", seeds, overrides, workers)
    # The flip, seed by seed: the multiplier falls from early_phase to exhaustion.
    flip = m - early
    details = {
        "multiplier_dry_powder_exhaustion": float(m.mean()),
        "multiplier_early_phase": float(early.mean()),
        "weeks_dry_powder_below_10pct": float(
            np.mean([_first_week(r.dry_powder <= 0.1 * r.dry_powder[0]) for r in full])
        ),
    }
    result = judge(
        2,
        "dry_powder_exhaustion: the same capex lowers risk-asset value",
        "US$ of risk-asset value per US$ of capex (capex vs none)",
        m,
        -1,
        details,
    )
    flipped = judge(2, "", "", flip, -1)
    return FactResult(
        **{
            **result.as_dict(),
            "holds": result.holds and flipped.holds,
            "details": {**details, "flip_p_value": flipped.p_value},
        }
    )


def _first_week(mask: np.ndarray) -> int:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else mask.size


def convexity_costs(seeds, overrides=(), workers=1, levels=(1.0, 0.5, 0.25)) -> dict:
    """Per seed, the risk-asset value capex costs per US$, at several dry-powder levels.

    Dry powder is scaled through the sovereign funds' and value investors' cash and
    the households' cash share, so ``level`` 0.5 starts with about a quarter of
    the base's dry powder and 0.25 with about a tenth (the money demand is the
    same). The cost is the end-of-run gap between runs with and without capex,
    per US$ of capex paid.
    """
    base = load("dry_powder_exhaustion")
    costs = {}
    for level in levels:
        scale = [
            f"sovereign_funds.{i}.cash={f.cash * level}" for i, f in enumerate(base.sovereign_funds)
        ]
        scale += [
            f"households.money_share={base.households.money_share - 0.01 * (level - 1.0)}",
            f"absorber.cash={base.absorber.cash * level}",
        ]
        full = run_seeds("dry_powder_exhaustion", seeds, [*overrides, *scale], workers)
        none = run_seeds(
            "dry_powder_exhaustion",
            seeds,
            [*overrides, *scale, capex_scaled("dry_powder_exhaustion", 0.0)],
            workers,
        )
        costs[level] = np.array(
            [
                (b.risk_value[-1] - a.risk_value[-1]) / max(a.capex_paid - b.capex_paid, 1e-9)
                for a, b in zip(full, none, strict=True)
            ]
        )
    return costs


def fact_3(seeds, overrides=(), workers=1) -> FactResult:
    """The scramble is convex: each US$ of capex costs more as dry powder shrinks."""
    costs = convexity_costs(seeds, overrides, workers)
    levels = sorted(costs)  # scarcest first
    steeper = costs[levels[0]] - costs[levels[-1]]
    means = [float(costs[lvl].mean()) for lvl in levels]
    details = {
        f"cost_per_dollar_at_{lvl}x_dry_powder": m for lvl, m in zip(levels, means, strict=True)
    }
    details["monotone"] = all(a > b for a, b in itertools.pairwise(means))
    result = judge(
        3,
        "the cost of capex per US$ grows as dry powder shrinks",
        "cost per US$ of capex with a tenth of the dry powder minus with all of it",
        steeper,
        +1,
        details,
    )
    return FactResult(**{**result.as_dict(), "holds": result.holds and details["monotone"]})


def fact_4(seeds, overrides=(), workers=1) -> FactResult:
    """Bifurcation: memory beats saas, speculative and crypto; crypto falls most."""
    runs = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    ret = {a: np.array([r.total_return[a] for r in runs]) for a in runs[0].total_return}
    losers = ("saas", "speculative", "crypto")
    parts = {f"memory_minus_{x}": judge(4, "", "", ret["memory"] - ret[x], +1) for x in losers}
    parts.update(
        {
            f"crypto_minus_{x}": judge(4, "", "", ret["crypto"] - ret[x], -1)
            for x in ("saas", "speculative")
        }
    )
    worst_loser = np.min([ret[x] for x in losers], axis=0)
    result = judge(
        4,
        "memory outperforms saas, speculative and crypto; crypto falls most",
        "memory return minus the worst of saas/speculative/crypto",
        ret["memory"] - worst_loser,
        +1,
        {
            **{k: v.effect for k, v in parts.items()},
            **{f"mean_return_{a}": float(v.mean()) for a, v in ret.items()},
        },
    )
    return FactResult(
        **{**result.as_dict(), "holds": result.holds and all(p.holds for p in parts.values())}
    )


def fact_5(seeds, overrides=(), workers=1) -> FactResult:
    """Yields and spreads rise when capex funding needs exceed dry powder."""
    full = run_seeds("dry_powder_exhaustion", seeds, overrides, workers)
    none = run_seeds(
        "dry_powder_exhaustion",
        seeds,
        [*overrides, capex_scaled("dry_powder_exhaustion", 0.0)],
        workers,
    )
    dy = np.array([a.yield_change - b.yield_change for a, b in zip(full, none, strict=True)])
    ds = np.array([a.spread_change - b.spread_change for a, b in zip(full, none, strict=True)])
    y, s = judge(5, "", "", dy, +1), judge(5, "", "", ds, +1)
    result = judge(
        5,
        "capex beyond dry powder raises the 10y yield and the bond spread",
        "extra rise of the 10y yield with capex vs none (fraction)",
        dy,
        +1,
        {
            "extra_spread_rise": s.effect,
            "spread_ci": [s.ci_low, s.ci_high],
            "yield_change_with_capex": float(np.mean([r.yield_change for r in full])),
            "spread_change_with_capex": float(np.mean([r.spread_change for r in full])),
        },
    )
    return FactResult(**{**result.as_dict(), "holds": y.holds and s.holds})


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
    result = judge(
        6,
        "margin calls cluster; cascade sizes are heavy-tailed",
        "index of dispersion of weekly margin calls minus 1",
        dispersion,
        +1,
        details,
    )
    heavy = sizes.size >= 20 and details["size_cv"] > 1.0 and tail < 2.0
    return FactResult(**{**result.as_dict(), "holds": result.holds and heavy})


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
    checks = {
        "drawdown_warsh_minus_base": judge(
            7, "", "", [a.drawdown - b.drawdown for a, b in zip(w, d, strict=True)], +1
        ),
        "drawdown_base_minus_pivot": judge(
            7, "", "", [a.drawdown - b.drawdown for a, b in zip(d, p, strict=True)], +1
        ),
        # Cascade size: how many margin calls the forced selling set off.
        "margin_calls_warsh_minus_base": judge(
            7,
            "",
            "",
            [a.margin_calls.sum() - b.margin_calls.sum() for a, b in zip(w, d, strict=True)],
            +1,
        ),
        "margin_calls_base_minus_pivot": judge(
            7,
            "",
            "",
            [a.margin_calls.sum() - b.margin_calls.sum() for a, b in zip(d, p, strict=True)],
            +1,
        ),
        "risk_change_base_minus_warsh": judge(
            7, "", "", [b.risk_change - a.risk_change for a, b in zip(w, d, strict=True)], +1
        ),
        "risk_change_pivot_minus_base": judge(
            7, "", "", [b.risk_change - a.risk_change for a, b in zip(d, p, strict=True)], +1
        ),
    }
    gap = [a.risk_change - c.risk_change for a, c in zip(p, w, strict=True)]
    result = judge(
        7,
        "warsh ends worse than exhaustion, which ends worse than pivot",
        "risk-asset value change, pivot minus warsh",
        gap,
        +1,
        {k: v.effect for k, v in checks.items()}
        | {f"{k}_holds": v.holds for k, v in checks.items()},
    )
    return FactResult(
        **{**result.as_dict(), "holds": result.holds and all(c.holds for c in checks.values())}
    )


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


FACTS: dict[int, Callable[..., FactResult]] = {
    1: fact_1,
    2: fact_2,
    3: fact_3,
    4: fact_4,
    5: fact_5,
    6: fact_6,
    7: fact_7,
    8: fact_8,
}
