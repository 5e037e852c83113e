"""Sweeps: designs, the per-run and per-point tables, Sobol' indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inverse_qe.experiments.parameters import Axis
from inverse_qe.experiments.store import ExperimentError, load
from inverse_qe.experiments.sweeps import make_design, sobol_table, sweep

A = Axis("a", "field", 0.0, 1.0, 3)
B = Axis("b", "field", 10.0, 20.0, 2)


def test_grid_is_every_combination():
    design = make_design([A, B], "grid", None)
    assert design.values.shape == (6, 2)
    assert {tuple(v) for v in design.values} == {
        (a, b) for a in (0.0, 0.5, 1.0) for b in (10.0, 20.0)
    }


def test_latin_hypercube_fills_each_stratum_once():
    design = make_design([A, B], "lhs", 10, seed=1)
    assert design.values.shape == (10, 2)
    strata = np.floor(design.values[:, 0] * 10).astype(int)
    assert sorted(strata) == list(range(10))
    assert np.array_equal(design.values, make_design([A, B], "lhs", 10, seed=1).values)


def test_sobol_design_is_saltelli():
    design = make_design([A, B], "sobol", 8)
    assert design.values.shape == (8 * 4, 2)
    blocks = pd.Series(design.blocks)
    assert blocks.value_counts().to_dict() == {"A": 8, "B": 8, "AB0": 8, "AB1": 8}
    a, b = design.values[:8], design.values[8:16]
    ab0 = design.values[16:24]
    assert np.array_equal(ab0[:, 0], b[:, 0]) and np.array_equal(ab0[:, 1], a[:, 1])
    with pytest.raises(ExperimentError, match="power of two"):
        make_design([A, B], "sobol", 10)


def test_sobol_indices_of_a_known_function():
    # y = 3a + b with a, b uniform: variance shares 9/10 and 1/10, no interaction.
    n = 1024
    design = make_design([A, Axis("b", "field", 0.0, 1.0)], "sobol", n, seed=3)
    y = 3 * design.values[:, 0] + design.values[:, 1]
    table = pd.DataFrame(
        {"block": design.blocks, "index": design.index, "y": y, "seed": 0, "point": range(len(y))}
    )
    sens = sobol_table(table, ["a", "b"], ["y"], n).set_index("parameter")
    assert sens.loc["a", "first_order"] == pytest.approx(0.9, abs=0.05)
    assert sens.loc["b", "first_order"] == pytest.approx(0.1, abs=0.05)
    assert sens.loc["a", "total_order"] == pytest.approx(0.9, abs=0.05)
    assert sens.loc["a", "total_low"] <= 0.9 <= sens.loc["a", "total_high"]


def test_sobol_intervals_are_the_same_for_the_same_runs_and_leave_numpy_as_it_was():
    """The bootstrap's resamples come from the sweep's seed, not from numpy's global
    generator (which scipy's Sobol' bootstrap uses, unseeded), and that generator is
    left where it was."""
    n = 32
    design = make_design([A, Axis("b", "field", 0.0, 1.0)], "sobol", n, seed=3)
    y = 3 * design.values[:, 0] + design.values[:, 1] ** 2
    table = pd.DataFrame(
        {"block": design.blocks, "index": design.index, "y": y, "seed": 0, "point": range(len(y))}
    )
    np.random.seed(11)
    expected_next = np.random.random()
    np.random.seed(11)
    first = sobol_table(table, ["a", "b"], ["y"], n, seed=5)
    assert np.random.random() == expected_next  # the global generator, untouched
    np.random.seed(12)  # another global state: the table must not move with it
    again = sobol_table(table, ["a", "b"], ["y"], n, seed=5)
    pd.testing.assert_frame_equal(first, again)
    other = sobol_table(table, ["a", "b"], ["y"], n, seed=6)
    assert not other["total_low"].equals(first["total_low"])  # the seed does resample


def test_grid_sweep_writes_its_tables(tmp_path, quiet):
    result = sweep(
        "dry_powder_exhaustion",
        ["suppliers.recycling=0.2:0.6:3"],
        seeds=2,
        weeks=8,
        outputs=["forced_sales.total", "min_water_level"],
        out=tmp_path / "grid",
        **quiet,
    )
    assert len(result.table) == 6 and set(result.table["status"]) == {"done"}
    assert sorted(result.points["suppliers.recycling"]) == pytest.approx([0.2, 0.4, 0.6])
    assert {"forced_sales.total_ci_low", "min_water_level"} <= set(result.points.columns)
    on_disk = pd.read_csv(tmp_path / "grid" / "sweep.csv")
    assert len(on_disk) == 6 and "max_drawdown.crypto" in on_disk
    assert result.sensitivity is None
    # Every point runs on the same seeds (common random numbers).
    assert result.table.groupby("point")["seed"].apply(sorted).map(tuple).nunique() == 1


def test_sobol_sweep_with_figures(tmp_path, quiet):
    result = sweep(
        "dry_powder_exhaustion",
        ["suppliers.recycling=0.2:0.6", "hyperscalers.capex*=0.5:1.5"],
        sample="sobol",
        runs=4,
        seeds=1,
        weeks=8,
        outputs=["forced_sales.total"],
        out=tmp_path / "sobol",
        **{**quiet, "figures": True},
    )
    assert len(result.points) == 4 * 4
    assert list(result.sensitivity["parameter"]) == ["suppliers.recycling", "hyperscalers.capex*"]
    for name in ("sweep.png", "sensitivity.png", "sensitivity.csv", "sweep_points.csv"):
        assert (tmp_path / "sobol" / name).stat().st_size > 0
    assert len(load(tmp_path / "sobol", timeseries=False).summaries) == 16


def test_a_sweep_on_workers_draws_the_same_figures_in_its_figure_worker(
    tmp_path, quiet, figure_workers
):
    """On a pool, both figures are drawn by the worker forked at the start (two jobs
    for one worker), byte for byte the figures drawn in this process."""
    forked = figure_workers
    sobol = {
        "sample": "sobol",
        "runs": 4,
        "seeds": 1,
        "weeks": 8,
        "outputs": ["forced_sales.total"],
    }
    axes = ["suppliers.recycling=0.2:0.6", "hyperscalers.capex*=0.5:1.5"]
    for name, workers in (("here", 1), ("pool", 2)):
        options = {**quiet, "figures": True, "workers": workers}
        sweep("dry_powder_exhaustion", axes, out=tmp_path / name, **sobol, **options)
    assert [worker.drawn for worker in forked] == [2]  # none for the run in this process
    for figure in ("sweep.png", "sensitivity.png"):
        drawn = (tmp_path / "pool" / figure).read_bytes()
        assert drawn == (tmp_path / "here" / figure).read_bytes(), figure


def test_sweep_refuses_bad_outputs_and_invalid_points(tmp_path, quiet):
    with pytest.raises(ExperimentError, match="no such metric"):
        sweep(
            "dry_powder_exhaustion",
            ["suppliers.recycling=0.2:0.6:2"],
            outputs=["nonsense"],
            out=tmp_path / "a",
            **quiet,
        )
    with pytest.raises(ExperimentError, match="not valid scenarios"):
        sweep(
            "dry_powder_exhaustion",
            ["suppliers.recycling=0.5:1.5:3"],
            out=tmp_path / "b",
            **quiet,
        )
