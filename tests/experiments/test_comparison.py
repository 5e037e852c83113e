"""Comparison on common random numbers: identical scenarios differ by nothing; the statistics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from inverse_qe.experiments import metrics as mx
from inverse_qe.experiments.comparison import arm_names, compare
from inverse_qe.experiments.stats import (
    bootstrap_interval,
    mean_interval,
    paired_difference,
    ratio_of_means,
)
from inverse_qe.experiments.store import ExperimentError
from tests.experiments.conftest import WEEKS


def test_identical_scenarios_differ_by_nothing(tmp_path, quiet):
    copy = tmp_path / "copy.toml"
    copy.write_text('extends = "dry_powder_exhaustion"\nname = "copy"\n')
    result = compare(
        ["dry_powder_exhaustion", str(copy), "dry_powder_exhaustion"],
        seeds=3,
        weeks=WEEKS,
        out=tmp_path / "same",
        **quiet,
    )
    table = result.table
    assert list(dict.fromkeys(table["scenario"])) == [
        "dry_powder_exhaustion",
        str(copy),
        "dry_powder_exhaustion (2)",
    ]
    # The copy is a different scenario (its name differs), so its runs were computed
    # separately; the repeated name shares the first one's runs.
    assert len(result.results.summaries) == 6
    others = table[table["scenario"] != "dry_powder_exhaustion"]
    assert set(others["metric"]) == set(mx.headline(result.results.summaries.columns))
    finite = others[others["n_pairs"] > 0]
    assert (finite["diff_ci_low"] <= 0).all() and (finite["diff_ci_high"] >= 0).all()
    assert (finite["diff"] == 0).all()
    assert (finite["p_value"] == 1).all()
    assert (tmp_path / "same" / "comparison.csv").is_file()


def test_compare_needs_two_scenarios(tmp_path, quiet):
    with pytest.raises(ExperimentError, match="at least two"):
        compare(["dry_powder_exhaustion"], seeds=2, out=tmp_path / "x", **quiet)


def test_arm_names_are_unique():
    assert arm_names(["a", "b", "a", "a"]) == ["a", "b", "a (2)", "a (3)"]


def test_mean_interval_is_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    s = mean_interval(x)
    low, high = stats.t.interval(0.95, 3, loc=x.mean(), scale=stats.sem(x))
    assert s["n"] == 4 and s["mean"] == pytest.approx(3.5)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((low, high))
    assert mean_interval(np.array([np.nan, 2.0, 2.0]))["ci_low"] == 2.0


def test_paired_difference_matches_scipy_and_covers_zero_under_the_null():
    rng = np.random.default_rng(7)
    baseline = rng.normal(size=40)
    treatment = baseline + rng.normal(scale=0.1, size=40)  # no effect, paired noise
    d = paired_difference(treatment, baseline)
    assert d["p_value"] == pytest.approx(stats.ttest_rel(treatment, baseline).pvalue)
    assert d["diff_ci_low"] < 0 < d["diff_ci_high"]
    shifted = paired_difference(baseline + 1.0, baseline)
    assert shifted["diff"] == pytest.approx(1.0) and shifted["p_value"] == 0.0
    nan_pairs = paired_difference(np.array([1.0, np.nan, 3.0]), np.array([0.0, 1.0, np.nan]))
    assert nan_pairs["n_pairs"] == 1


def test_bootstrap_of_a_ratio_of_means_brackets_the_estimate():
    rng = np.random.default_rng(3)
    dc = np.full((30, 1), 100.0)
    dv = rng.normal(50.0, 20.0, size=(30, 1))
    low, high = bootstrap_interval(ratio_of_means, dv, dc, n_resamples=2000)
    point = ratio_of_means(dv, dc)[0]
    assert low[0] < point < high[0]
    assert low[0] == pytest.approx(0.5 - 1.96 * 0.2 / np.sqrt(30), abs=0.06)
    assert bootstrap_interval(ratio_of_means, dv, dc, n_resamples=500)[0] == pytest.approx(
        bootstrap_interval(ratio_of_means, dv, dc, n_resamples=500)[0]
    )


def test_metric_units():
    assert mx.fmt("max_drawdown.crypto", 0.5) == "50.0%"
    assert mx.fmt_diff("peak_yield_10y", 0.0025) == "+25bp"
    assert mx.fmt_diff("forced_sales.total", -12.4) == "-12"
    assert mx.label("dry_powder_exhausted.gulf_fund") == "dry powder out: gulf_fund (week)"


def _pixels(path):
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _options(**more):
    """Quiet, with figures: the fixture ``quiet`` has none."""
    from rich.console import Console

    return {"quiet": True, "console": Console(quiet=True), **more}


def test_the_fan_chart_drawn_by_the_figure_worker_is_the_fan_chart(tmp_path):
    """On a pool, a forked figure worker draws the chart while the command makes its table.

    It renders one half and a child of it the other, on transparent backgrounds laid
    over white, so antialiased edges may round differently by a few levels; nothing
    else may differ (a dropped panel, legend or title would change whole regions).
    """
    scenarios = ["dry_powder_exhaustion", "fed_pivot", "capex_plateau"]
    here = compare(scenarios, seeds=3, weeks=WEEKS, out=tmp_path / "one", **_options(workers=1))
    pool = compare(scenarios, seeds=3, weeks=WEEKS, out=tmp_path / "two", **_options(workers=2))
    assert here.figure == tmp_path / "one" / "compare.png"
    assert pool.figure == tmp_path / "two" / "compare.png"
    one, two = _pixels(here.figure), _pixels(pool.figure)
    assert one.shape == two.shape
    difference = np.abs(one - two).max(axis=2)
    assert difference.max() <= 12
    assert (difference > 0).mean() < 0.02
    width = two.shape[1]
    for region in (two[:40], two[-30:], two[:, : width // 2], two[:, width // 2 :]):
        assert (region < 200).any()  # the title, the legend and both halves have ink
    assert pool.table.equals(here.table)


def test_a_figure_worker_is_forked_only_when_the_runs_execute_elsewhere(tmp_path, figure_workers):
    """In-process runs draw here (one process, as ``--workers 1`` promises); without
    figures nothing is forked; on a pool the worker has ended when the command returns."""
    forked = figure_workers
    scenarios = ["dry_powder_exhaustion", "fed_pivot"]
    compare(scenarios, seeds=2, weeks=WEEKS, out=tmp_path / "a", **_options(workers=1))
    assert forked == []
    compare(scenarios, seeds=2, weeks=WEEKS, out=tmp_path / "b", **_options(workers=2))
    assert len(forked) == 1 and forked[0]._process.exitcode == 0
    assert (tmp_path / "b" / "compare.png").stat().st_size > 10_000
    no_figures = _options(workers=2, figures=False)
    compare(scenarios, seeds=2, weeks=WEEKS, out=tmp_path / "c", **no_figures)
    assert len(forked) == 1


def test_a_figure_that_failed_in_its_worker_is_raised_and_nothing_is_written(tmp_path, monkeypatch):
    """The right half is rendered by a child of the figure worker: its failure travels
    two processes up, the command stops with it, and no ``compare.png`` is written."""
    from inverse_qe import halves
    from inverse_qe.forking import FigureError

    render = halves.render_half

    def no_right_half(fig, side):
        if side == "right":
            raise ValueError("no ink on the right")
        return render(fig, side)

    monkeypatch.setattr(halves, "render_half", no_right_half)
    out = tmp_path / "c"
    failed = r"(?s)drawing the compare figures failed.*no ink on the right"
    with pytest.raises(FigureError, match=failed):
        compare(
            ["dry_powder_exhaustion", "fed_pivot"],
            seeds=2,
            weeks=WEEKS,
            out=out,
            **_options(workers=2),
        )
    assert not (out / "compare.png").exists()
    assert (out / "comparison.csv").exists()  # the runs and the table are kept


def test_a_figure_worker_is_stopped_when_the_experiment_fails_before_drawing(
    tmp_path, figure_workers
):
    """A mistake found after the worker was forked (here a bad override, found as the
    plan is made) ends the command at once: the worker is stopped, not waited for, and
    the new directory is removed."""
    from inverse_qe.scenarios.loader import ScenarioError

    forked = figure_workers
    with pytest.raises(ScenarioError, match="unknown field"):
        compare(
            ["dry_powder_exhaustion", "fed_pivot"],
            seeds=2,
            weeks=WEEKS,
            overrides=["hyperscalers.no_such_field=1"],
            out=tmp_path / "x",
            **_options(workers=2),
        )
    assert len(forked) == 1 and not forked[0]._process.is_alive()
    assert not (tmp_path / "x").exists()
