"""Experiments that do not overstate: small samples said so, one sign, honest pictures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from inverse_qe.experiments.capex_multiplier import summarise_qe
from inverse_qe.experiments.figures import response_curves, smooth, tornado
from inverse_qe.experiments.stats import (
    MIN_SEEDS,
    bootstrap_interval,
    enough_seeds,
    mean_over_seeds,
    median_interval,
    ratio_of_means,
    sample_warnings,
)


def test_small_samples_are_named():
    assert not enough_seeds(MIN_SEEDS - 1) and enough_seeds(MIN_SEEDS)
    assert sample_warnings(10) == []
    assert "fewer than 10" in sample_warnings(4)[0]
    assert "Sobol'" in sample_warnings(20, sobol_n=16)[0]
    assert sample_warnings(20, sobol_n=64) == []


def test_the_bootstrap_is_scipys_bca_paired():
    rng = np.random.default_rng(1)
    x = rng.lognormal(size=(25, 1))
    low, high = bootstrap_interval(mean_over_seeds, x, n_resamples=3000, seed=7)
    expected = stats.bootstrap(
        (x[:, 0],), np.mean, n_resamples=3000, method="BCa", rng=np.random.default_rng(7)
    ).confidence_interval
    assert (low[0], high[0]) == pytest.approx((expected.low, expected.high), rel=1e-9)
    # Paired: value and capex of a seed stay together (a perfectly proportional pair has
    # no uncertainty in its ratio).
    capex = rng.uniform(50, 150, size=(30, 1))
    low, high = bootstrap_interval(ratio_of_means, 2.0 * capex, capex, n_resamples=500)
    assert low[0] == pytest.approx(2.0) and high[0] == pytest.approx(2.0)


def test_the_median_interval_is_the_order_statistics_of_the_binomial():
    # n = 10, by hand: P(B <= 1) = 11/1024 and P(B <= 2) = 56/1024 for B ~ Binomial(10, 1/2),
    # so x(2) to x(9) covers the median with 1 - 22/1024 = 97.85%, and x(3) to x(8) only
    # with 1 - 112/1024 = 89.1%: the published table's interval for n = 10.
    x = np.array([9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0, 10.0])
    got = median_interval(x)
    assert (got["n"], got["median"], got["ci_low"], got["ci_high"]) == (10, 5.5, 2.0, 9.0)
    assert got["coverage"] == pytest.approx(1 - 22 / 1024)
    # Five runs: even the extremes cover with only 1 - 2/32 = 93.75% < 95%.
    few = median_interval(np.arange(5.0))
    assert few["median"] == 2.0 and np.isnan(few["ci_low"]) and np.isnan(few["ci_high"])
    assert median_interval(np.array([np.nan]))["n"] == 0


def test_the_median_interval_covers_a_skewed_median_as_often_as_it_says():
    # Lognormal runs (skewed like returns): the interval holds the true median, 1, in at
    # least 95% of samples of 30 (its exact coverage is 95.7%); 4,000 samples, so the
    # frequency's own standard error is about 0.3 points.
    samples = np.random.default_rng(3).lognormal(size=(4000, 30))
    covered = [(lambda r: r["ci_low"] <= 1.0 <= r["ci_high"])(median_interval(s)) for s in samples]
    assert np.mean(covered) >= 0.945
    assert median_interval(samples[0])["coverage"] == pytest.approx(0.9572, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=200))
def test_the_median_interval_brackets_the_median(values):
    got = median_interval(np.array(values))
    assert got["ci_low"] <= got["median"] <= got["ci_high"]
    assert 0.95 <= got["coverage"] <= 1.0


def test_the_qe_equivalent_has_one_sign():
    # A QT pace of +5 a week matches the full-capex run: capex acts like QT, so its
    # QE-equivalent is -5 and the whole interval is on that side.
    table = pd.DataFrame(
        {"seed": range(12), "qt_pace": np.linspace(4.0, 6.0, 12), "converged": True}
    )
    per_seed = pd.DataFrame({"scale": [0.0] * 12, "delta_capex": [100.0] * 12})
    summary = summarise_qe(table, per_seed, 0.0, 52)
    assert summary["mean"] == pytest.approx(-5.0)
    assert summary["ci_low"] < summary["mean"] < summary["ci_high"] < 0
    assert (table["qe_equivalent"] == -table["qt_pace"]).all()
    assert summary["qe_dollars_per_capex_dollar"] < 0


def test_negative_sobol_indices_are_drawn_with_their_intervals(tmp_path):
    table = pd.DataFrame(
        {
            "output": ["forced_sales.total"] * 2,
            "parameter": ["a", "b"],
            "first_order": [-0.3, 0.5],
            "first_low": [-0.9, 0.1],
            "first_high": [0.4, 0.9],
            "total_order": [0.2, 0.4],
            "total_low": [0.0, 0.1],
            "total_high": [0.5, 1.3],
        }
    )
    captured = {}

    def keep(fig, path):
        captured["fig"] = fig
        return path

    import inverse_qe.experiments.figures as figures

    real = figures._save
    figures._save = keep
    try:
        tornado(table, tmp_path / "s.png", "title", ["a warning"])
    finally:
        figures._save = real
    ax = captured["fig"].axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    assert min(widths) == pytest.approx(-0.3)  # drawn as estimated, not clipped at 0
    assert ax.get_xlim()[0] < -0.9 and ax.get_xlim()[1] > 1.3  # intervals fit
    assert "estimation noise" in ax.get_xlabel()
    texts = [t.get_text() for t in captured["fig"].findobj(lambda a: hasattr(a, "get_text"))]
    assert any("WARNING: a warning" in t for t in texts)


def test_a_quasi_random_design_gets_a_smoother_not_a_zigzag(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 400)
    other = rng.uniform(0, 1, 400)
    y = 2 * x + 3 * other  # the other parameter's noise would zigzag a joined line
    frame = pd.DataFrame({"p": x, "q": other, "max_drawdown.crypto": y / 10, "point": range(400)})
    captured = {}
    import inverse_qe.experiments.figures as figures

    real = figures._save
    figures._save = lambda fig, path: captured.setdefault("fig", fig)
    try:
        response_curves(
            frame, ["p"], ["max_drawdown.crypto"], tmp_path / "s.png", "t", design="lhs"
        )
    finally:
        figures._save = real
    (line,) = captured["fig"].axes[0].get_lines()
    xs = line.get_xdata()
    assert len(xs) == 60 and np.all(np.diff(xs) > 0)  # a smooth curve on a fine grid
    fitted = smooth(x, y, np.array([0.2, 0.8]), 0.15)
    assert fitted[1] - fitted[0] == pytest.approx(2 * 0.6, abs=0.25)  # the main effect of p
