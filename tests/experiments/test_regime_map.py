"""The regime map over capex growth and initial dry powder."""

from __future__ import annotations

import pandas as pd

from inverse_qe.experiments.regime_map import default_axes, regime


def test_regime_grid_csv_and_figure(tmp_path, quiet):
    result = regime(
        "dry_powder_exhaustion",
        x="capex_growth=0:0.6:2",
        y="dry_powder=200:1200:2",
        seeds=2,
        weeks=10,
        out=tmp_path / "r",
        **{**quiet, "figures": True},
    )
    grid = pd.read_csv(tmp_path / "r" / "regime.csv")
    assert len(grid) == 4
    assert {"capex_growth", "dry_powder", "multiplier", "ci_low", "ci_high", "sign"} <= set(grid)
    # Two seeds are too few to call a sign: nothing is marked.
    assert set(grid["sign"]) == {"too few seeds"}
    assert grid["seeds"].eq(2).all()
    assert result.warnings and "fewer than 10" in result.warnings[0]
    assert (tmp_path / "r" / "regime.png").stat().st_size > 0
    # Paired runs: full capex and none, per point and seed.
    assert len(result.results.summaries) == 4 * 2 * 2
    assert result.scenario_point is not None


def test_default_axes_span_the_scenario(source):
    x, y = default_axes(source, [])
    assert x.startswith("capex_growth=") and y.startswith("dry_powder=")
    low, high = (float(v) for v in y.split("=")[1].split(":")[:2])
    assert low < 611 < high
