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


def test_the_fan_chart_drawn_by_two_workers_is_the_fan_chart(tmp_path):
    """On a pool, two idle workers draw a half each while the command makes its table.

    The halves are rendered on transparent backgrounds and laid over white, so
    antialiased edges may round differently by a few levels; nothing else may differ
    (a dropped panel, legend or title would change whole regions).
    """
    from rich.console import Console

    options = {"quiet": True, "console": Console(quiet=True)}
    scenarios = ["dry_powder_exhaustion", "fed_pivot", "capex_plateau"]
    here = compare(scenarios, seeds=3, weeks=WEEKS, out=tmp_path / "one", workers=1, **options)
    pool = compare(scenarios, seeds=3, weeks=WEEKS, out=tmp_path / "two", workers=2, **options)
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


def test_a_half_that_failed_in_its_worker_is_raised(tmp_path):
    """A worker's failure reaches the command as the error it raised; nothing is written."""
    from concurrent.futures import Future

    from inverse_qe.experiments.comparison import _fan_chart

    failed, drawn = Future(), Future()
    failed.set_exception(ValueError("no ink on the left"))
    drawn.set_result((np.zeros((2, 2, 4), dtype=np.uint8), 110.0))
    with pytest.raises(ValueError, match="no ink"):
        _fan_chart(None, tmp_path / "compare.png", [], [failed, drawn])
    assert not (tmp_path / "compare.png").exists()


def test_a_worker_lost_while_drawing_costs_only_time(tmp_path, quiet):
    """A broken pool or a cancelled half: the fan chart is drawn in the command."""
    from concurrent.futures import CancelledError, Future
    from concurrent.futures.process import BrokenProcessPool

    from inverse_qe.experiments.comparison import _fan_chart
    from inverse_qe.experiments.store import load

    out = tmp_path / "c"
    compare(["dry_powder_exhaustion", "fed_pivot"], seeds=2, weeks=WEEKS, out=out, **quiet)
    for lost in (BrokenProcessPool("a worker died"), CancelledError()):
        failed, drawn = Future(), Future()
        failed.set_exception(lost)
        drawn.set_result((np.zeros((2, 2, 4), dtype=np.uint8), 110.0))
        path = tmp_path / f"{type(lost).__name__}.png"
        assert _fan_chart(load(out), path, [], [drawn, failed]) == path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
