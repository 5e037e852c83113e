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
from scipy import stats

LEVEL = 0.95


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
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
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
    out["p_value"] = float(stats.ttest_1samp(d, 0.0).pvalue)
    nonzero = d[d != 0]
    if nonzero.size:
        out["p_wilcoxon"] = float(stats.wilcoxon(nonzero).pvalue)
    return out


def bootstrap_interval(
    statistic: Callable[..., np.ndarray | float],
    *samples: np.ndarray,
    n_resamples: int = 5000,
    level: float = LEVEL,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap over seeds, resampling rows of every sample together.

    Args:
        statistic: ``f(*resampled) -> value`` where each resampled array has the
            seeds on axis 0 (and a leading resample axis: shape ``(B, S, ...)``);
            it must reduce over axis 1.
        samples: arrays with the seeds on axis 0, all the same length (paired).
        n_resamples: number of bootstrap resamples.
        level: coverage of the interval.
        seed: the resampling's seed (results are reproducible).

    Returns:
        ``(low, high)`` with the statistic's shape.
    """
    n = samples[0].shape[0]
    rng = np.random.default_rng(seed)
    # In chunks, so a week-by-week statistic over many seeds stays small in memory.
    values = []
    chunk = max(1, min(n_resamples, 2_000_000 // max(1, np.prod(samples[0].shape))))
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        index = rng.integers(0, n, size=(size, n))
        values.append(np.asarray(statistic(*(s[index] for s in samples))))
        done += size
    distribution = np.concatenate(values, axis=0)
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks stay NaN
        lows = np.nanquantile(distribution, alpha, axis=0)
        highs = np.nanquantile(distribution, 1 - alpha, axis=0)
    return lows, highs


def ratio_of_means(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``mean(numerator) / mean(denominator)`` over axis -2 of ``(..., S, T)`` arrays.

    Used for per-dollar multipliers: the aggregate change in value divided by
    the aggregate change in capex (robust when a seed's capex change is small).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(numerator, axis=-2) / np.nanmean(denominator, axis=-2)


def format_p(p: float) -> str:
    """A p-value as people write it."""
    if not math.isfinite(p):
        return "–"
    if p < 0.001:
        return "p<0.001"
    return f"p={p:.3f}"
