"""Honest uncertainty over seeds: intervals, paired tests, bootstrap.

Every interval is a 95% interval for a *mean over seeds* (what an experiment
estimates), not the spread of single runs; the spread is reported separately
as quantiles. Paired statistics use the seeds both arms share (common random
numbers), which is what makes scenario differences sharp with few seeds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

LEVEL = 0.95
#: Fewer seeds than this: intervals are rough, so results say so and mark nothing significant.
MIN_SEEDS = 10
#: A Sobol' base sample smaller than this: the indices are dominated by estimation noise.
MIN_SOBOL_N = 64


def _scipy_stats():
    """``scipy.stats``, imported when first needed.

    It takes about 1.5 s, which an experiment's parent pays while its runs execute
    elsewhere (see ``Experiment.start``), not before they start.
    """
    from scipy import stats

    return stats


def enough_seeds(seeds: int) -> bool:
    """Whether ``seeds`` seeds are enough to mark a difference as significant."""
    return seeds >= MIN_SEEDS


def sample_warnings(seeds: int, *, sobol_n: int | None = None) -> list[str]:
    """Warnings for a sample too small to support the intervals and indices it reports."""
    found = []
    if seeds < MIN_SEEDS:
        found.append(
            f"only {seeds} seed{'s' if seeds != 1 else ''} (fewer than {MIN_SEEDS}): the 95%"
            " intervals are rough and nothing is marked significant; use --seeds"
            f" {MIN_SEEDS} or more for conclusions"
        )
    if sobol_n is not None and sobol_n < MIN_SOBOL_N:
        found.append(
            f"Sobol' base sample n = {sobol_n} (below {MIN_SOBOL_N}): the indices are mostly"
            f" estimation noise (they can come out negative, or first above total order); use"
            f" --runs {MIN_SOBOL_N} or more"
        )
    return found


def mean_interval(values: np.ndarray, level: float = LEVEL) -> dict[str, float]:
    """Mean, its Student-t interval, the spread of single runs (NaNs dropped).

    Returns:
        ``n, mean, ci_low, ci_high, sd, q05, median, q95``.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return dict.fromkeys(
            ("n", "mean", "ci_low", "ci_high", "sd", "q05", "median", "q95"), math.nan
        ) | {"n": 0}
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and sd > 0:
        half = float(_scipy_stats().t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    elif n > 1:
        half = 0.0  # every run equal: the mean is known exactly
    else:
        half = math.nan
    q05, median, q95 = (float(q) for q in np.quantile(x, [0.05, 0.5, 0.95]))
    return {
        "n": n,
        "mean": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "sd": sd,
        "q05": q05,
        "median": median,
        "q95": q95,
    }


def median_interval(values: np.ndarray, level: float = LEVEL) -> dict[str, float]:
    """The median and its distribution-free interval from order statistics (NaNs dropped).

    The number of runs below the true median is Binomial(n, 1/2) whatever the
    distribution, so the order statistics ``x(l) <= x(n+1-l)`` (1-based) cover it
    with probability ``1 - 2 P(B < l)``; ``l`` is the largest rank keeping that at
    least ``level`` (Conover, *Practical Nonparametric Statistics*, 3rd ed., §3.2).
    Used where a median is compared with a band (the hindcasts): no assumption on the
    shape of the runs' spread, which for returns is skewed.

    Returns:
        ``n, median, ci_low, ci_high, coverage`` (the interval's exact coverage, at
        least ``level``). Below six runs no pair of order statistics reaches 95%:
        the bounds are NaN.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    n = x.size
    out = {"n": n} | dict.fromkeys(("median", "ci_low", "ci_high", "coverage"), math.nan)
    if n == 0:
        return out
    out["median"] = float(np.median(x))
    below = _scipy_stats().binom.cdf(np.arange(n // 2 + 1), n, 0.5)  # P(B <= k)
    # P(B < l) = below[l - 1]; the largest l with 1 - 2 P(B < l) >= level.
    ranks = np.flatnonzero(1.0 - 2.0 * below >= level) + 1
    if ranks.size == 0:
        return out
    rank = int(ranks[-1])
    return out | {
        "ci_low": float(x[rank - 1]),
        "ci_high": float(x[n - rank]),
        "coverage": float(1.0 - 2.0 * below[rank - 1]),
    }


def paired_difference(
    treatment: np.ndarray, baseline: np.ndarray, level: float = LEVEL
) -> dict[str, float]:
    """``treatment - baseline`` over the seeds both have: mean, t interval, paired tests.

    Returns:
        ``n_pairs, diff, diff_ci_low, diff_ci_high, p_value`` (paired t-test) and
        ``p_wilcoxon`` (Wilcoxon signed-rank test, which does not assume normal
        differences: forced-sale totals are heavy-tailed). When every pair
        differs by the same amount the tests are degenerate: ``p`` is 1 for a
        zero difference and 0 otherwise.
    """
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(baseline, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    n = d.size
    out = {"n_pairs": n, "diff": math.nan, "diff_ci_low": math.nan, "diff_ci_high": math.nan}
    out |= {"p_value": math.nan, "p_wilcoxon": math.nan}
    if n == 0:
        return out
    summary = mean_interval(d, level)
    out |= {
        "diff": summary["mean"],
        "diff_ci_low": summary["ci_low"],
        "diff_ci_high": summary["ci_high"],
    }
    if n < 2:
        return out
    scale = max(float(np.abs(a[keep]).max()), float(np.abs(b[keep]).max()), 1e-300)
    if float(np.ptp(d)) <= 1e-12 * scale:  # equal differences, up to rounding
        p = 1.0 if np.all(d == 0) else 0.0
        return out | {"p_value": p, "p_wilcoxon": p}
    out["p_value"] = float(_scipy_stats().ttest_1samp(d, 0.0).pvalue)
    nonzero = d[d != 0]
    if nonzero.size:
        out["p_wilcoxon"] = float(_scipy_stats().wilcoxon(nonzero).pvalue)
    return out


def bootstrap_interval(
    statistic: Callable[..., np.ndarray | float],
    *samples: np.ndarray,
    n_resamples: int = 5000,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap interval over seeds (:func:`scipy.stats.bootstrap`), pairs resampled together.

    BCa (bias-corrected and accelerated) where it is defined; where it is not
    (every resample equal, or too few distinct values for the jackknife), the
    percentile interval of the same resamples.

    Args:
        statistic: ``f(*samples, axis) -> value``, reducing over ``axis`` (the seeds),
            e.g. :func:`ratio_of_means`.
        samples: arrays with the seeds on axis 0, all the same length (paired:
            seed ``s`` of every sample is resampled together).
        n_resamples: number of bootstrap resamples.
        level: coverage of the interval.
        seed: the resampling's seed (results are reproducible).

    Returns:
        ``(low, high)`` with the statistic's shape (NaN where it is undefined).
    """
    low = high = None
    for method in ("BCa", "percentile"):
        low_m, high_m = _scipy_bootstrap(statistic, samples, n_resamples, level, seed, method)
        if low is None:
            low, high = low_m, high_m
        else:  # fill in what BCa could not give
            missing = ~(np.isfinite(low) & np.isfinite(high))
            low, high = np.where(missing, low_m, low), np.where(missing, high_m, high)
        if np.isfinite(low).all() and np.isfinite(high).all():
            break
    return low, high


def _scipy_bootstrap(statistic, samples, n_resamples, level, seed, method):
    n = samples[0].shape[0]
    shape = np.shape(statistic(*samples, axis=0))
    nan = np.full(shape, math.nan)
    if n < 2:
        return nan, nan.copy()
    # Memory: each batch holds batch x (every element of the samples).
    batch = max(1, min(n_resamples, 4_000_000 // max(1, int(np.prod(samples[0].shape)))))
    with warnings.catch_warnings():
        # Degenerate data (all resamples equal), all-NaN weeks: NaN here, handled by the caller.
        warnings.simplefilter("ignore")
        try:
            result = _scipy_stats().bootstrap(
                samples,
                statistic,
                n_resamples=n_resamples,
                batch=batch,
                vectorized=True,
                paired=len(samples) > 1,
                axis=0,
                confidence_level=level,
                method=method,
                rng=np.random.default_rng(seed),
            )
        except (ValueError, FloatingPointError, ZeroDivisionError):
            return nan, nan.copy()
    interval = result.confidence_interval
    return (
        np.asarray(interval.low, dtype=float).reshape(shape),
        np.asarray(interval.high, dtype=float).reshape(shape),
    )


def mean_over_seeds(sample: np.ndarray, axis: int = 0) -> np.ndarray:
    """The mean over seeds (NaNs left out): a statistic for :func:`bootstrap_interval`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(sample, axis=axis)


def ratio_of_means(numerator: np.ndarray, denominator: np.ndarray, axis: int = 0) -> np.ndarray:
    """``mean(numerator) / mean(denominator)`` over ``axis`` (the seeds), NaNs left out.

    Used for per-dollar multipliers: the aggregate change in value divided by
    the aggregate change in capex (robust when a seed's capex change is small).
    """
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(numerator, axis=axis) / np.nanmean(denominator, axis=axis)


def format_p(p: float) -> str:
    """A p-value as people write it."""
    if not math.isfinite(p):
        return "–"
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}"
