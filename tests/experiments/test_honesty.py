"""Experiments that do not overstate: small samples said so, one sign, honest pictures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from inverse_qe.experiments.capex_multiplier import summarise_qe
from inverse_qe.experiments.figures import response_curves, smooth, tornado
from inverse_qe.experiments.stats import (
    MIN_SEEDS,
    bootstrap_interval,
    enough_seeds,
    mean_over_seeds,
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
