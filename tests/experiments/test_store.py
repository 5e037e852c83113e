"""The results store: atomic files, readable runs, failures recorded, loading back."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from inverse_qe.experiments.comparison import compare
from inverse_qe.experiments.engine import Experiment, Options, PlannedRun
from inverse_qe.experiments.runs import RunSpec, execute_run, make_spec
from inverse_qe.experiments.store import ExperimentError, Store, load, write_atomically
from tests.experiments.conftest import WEEKS


def test_write_atomically_leaves_only_the_file(tmp_path):
    target = tmp_path / "deep" / "file.bin"
    write_atomically(target, b"one")
    write_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


def test_readable_rejects_truncated_and_foreign_files(tmp_path, source):
    store = Store(tmp_path)
    outcome = execute_run(make_spec(source, [], 1, WEEKS))
    store.write(outcome)
    assert store.readable(outcome.run_id)
    assert store.metrics(outcome.run_id)["weeks"] == WEEKS
    path = store.run_path(outcome.run_id)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # what a non-atomic writer could leave
    assert not store.readable(outcome.run_id)
    other = store.run_path("0" * 20)
    other.write_bytes(data)  # a readable file under the wrong name
    assert not store.readable("0" * 20)
    (store.runs / ".x.parquet.abc.tmp").write_bytes(b"partial")
    assert store.clean() == (3, [outcome.run_id])  # the truncated one: its checksum differs
    assert store.stored_ids() == set()


def _plan(source, seeds, bad_seed=None):
    plan = []
    for seed in seeds:
        if seed == bad_seed:
            spec = RunSpec(source, ("suppliers.recycling=7",), seed, WEEKS, "invalid")
        else:
            spec = make_spec(source, [], seed, WEEKS)
        plan.append(PlannedRun(spec, {"seed": seed}))
    return plan


def test_a_failing_run_is_recorded_and_the_experiment_goes_on(tmp_path, source, quiet):
    options = Options(out=tmp_path / "exp", **quiet)
    with Experiment("test", {"n": 1}, options) as experiment:
        plan = _plan(source, [1, 2, 3], bad_seed=2)
        runner = experiment.start(plan, "test")
        failed = runner.run(p.spec for p in plan)
        experiment.finish()
    assert failed == [plan[1].spec.run_id]
    assert runner.done == 2 and runner.failed == 1
    results = load(tmp_path / "exp")
    assert sorted(results.summaries["seed"]) == [1, 3]
    assert len(results.failures) == 1
    failure = results.failures.iloc[0]
    assert failure["seed"] == 2 and failure["error_type"] == "ScenarioError"
    assert "suppliers.recycling=7" in failure["overrides"]
    assert sorted(results.runs["status"]) == ["done", "done", "failed"]
    manifest = json.loads((tmp_path / "exp" / "manifest.json").read_text())
    assert manifest["status"] == "incomplete"
    assert manifest["failed_runs"] == [plan[1].spec.run_id]


def test_load_returns_the_four_tables(tmp_path, quiet):
    compare(
        ["dry_powder_exhaustion", "fed_pivot"], seeds=2, weeks=WEEKS, out=tmp_path / "c", **quiet
    )
    runs, timeseries, summaries, failures = load(tmp_path / "c")
    assert len(runs) == 4 and set(runs["status"]) == {"done"}
    assert set(runs["arm"]) == {"dry_powder_exhaustion", "fed_pivot"}
    assert len(timeseries) == 4 * (WEEKS + 1)
    assert timeseries.groupby("run_id")["week"].max().eq(WEEKS).all()
    assert len(summaries) == 4 and "max_drawdown.crypto" in summaries
    assert failures.empty
    some = load(tmp_path / "c", timeseries=["water_level"])
    assert list(some.timeseries.columns) == ["run_id", "week", "water_level"]


def test_an_existing_directory_is_never_overwritten(tmp_path, quiet):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExperimentError, match="not empty"):
        compare(["dry_powder_exhaustion", "fed_pivot"], seeds=1, weeks=WEEKS, out=out, **quiet)
    with pytest.raises(ExperimentError, match="not an experiment"):
        compare(
            ["dry_powder_exhaustion", "fed_pivot"],
            seeds=1,
            weeks=WEEKS,
            out=out,
            resume=True,
            **quiet,
        )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_resume_refuses_different_options(tmp_path, quiet):
    out = tmp_path / "c"
    compare(["dry_powder_exhaustion", "fed_pivot"], seeds=1, weeks=WEEKS, out=out, **quiet)
    with pytest.raises(ExperimentError, match="seeds"):
        compare(
            ["dry_powder_exhaustion", "fed_pivot"],
            seeds=2,
            weeks=WEEKS,
            out=out,
            resume=True,
            **quiet,
        )


def test_one_writer_at_a_time(tmp_path):
    first, second = Store(tmp_path), Store(tmp_path)
    first.lock()
    try:
        with pytest.raises(ExperimentError, match="another process"):
            second.lock()
    finally:
        first.unlock()
    second.lock()
    second.unlock()


def test_resume_keeps_stored_runs_and_retries_failures(tmp_path, source, quiet):
    out = tmp_path / "exp"
    plan = _plan(source, [1, 2, 3], bad_seed=2)
    with Experiment("test", {"n": 1}, Options(out=out, **quiet)) as experiment:
        experiment.start(plan, "test").run(p.spec for p in plan)
        experiment.finish()
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    with Experiment("test", {"n": 1}, Options(out=out, resume=True, **quiet)) as experiment:
        runner = experiment.start(plan, "test")
        runner.run(p.spec for p in plan)
        experiment.finish()
    assert runner.skipped == 2 and runner.done == 0 and runner.failed == 1
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == stamps
    sessions = json.loads((out / "manifest.json").read_text())["sessions"]
    assert [s["resumed_with"] for s in sessions] == [0, 2]


def test_results_frame_types(tmp_path, quiet):
    compare(
        ["dry_powder_exhaustion", "fed_pivot"], seeds=1, weeks=WEEKS, out=tmp_path / "c", **quiet
    )
    results = load(tmp_path / "c")
    assert isinstance(results.summaries, pd.DataFrame)
    assert results.manifest["kind"] == "compare"
    assert os.path.isdir(results.directory)


def test_resume_after_a_model_change_reanalyses_but_never_mixes(tmp_path, source, quiet):
    out = tmp_path / "exp"
    plan = _plan(source, [1, 2])
    with Experiment("test", {"n": 1}, Options(out=out, **quiet)) as experiment:
        experiment.start(plan, "test").run(p.spec for p in plan)
        experiment.finish()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["code"] = "an-older-model"
    (out / "manifest.json").write_text(json.dumps(manifest))
    # Everything stored: re-analysing is allowed.
    with Experiment("test", {"n": 1}, Options(out=out, resume=True, **quiet)) as experiment:
        experiment.start(plan, "test").run(p.spec for p in plan)
        experiment.finish()
    # A run missing: running it with today's model would mix two models.
    next(iter((out / "runs").glob("*.parquet"))).unlink()
    with (
        pytest.raises(ExperimentError, match="code changed"),
        Experiment("test", {"n": 1}, Options(out=out, resume=True, **quiet)) as experiment,
    ):
        experiment.start(plan, "test").run(p.spec for p in plan)
    assert len(list((out / "runs").glob("*.parquet"))) == 1


def test_workers_released_after_the_runs_close_in_the_background_and_refuse_more_runs(
    tmp_path, source, quiet
):
    options = Options(out=tmp_path / "exp", **{**quiet, "workers": 2})
    with Experiment("test", {"n": 1}, options) as experiment:
        plan = _plan(source, [1, 2])
        runner = experiment.start(plan, "test")
        runner.run(p.spec for p in plan)
        pool = runner.executor
        experiment.release_workers()
        experiment.release_workers()  # twice is harmless
        # The analysis can read what the workers wrote while they are being stopped.
        assert len(load(tmp_path / "exp").summaries) == 2
        with pytest.raises(ExperimentError, match="released"):
            runner.run([make_spec(source, [], 3, WEEKS)])
        experiment.finish()
        # finish waited for the closing: the pool is shut down, no worker is left.
        assert pool._shutdown_thread and not pool._processes
    assert load(tmp_path / "exp").manifest["status"] == "complete"


def test_an_error_while_closing_the_workers_is_raised_where_it_is_waited_for():
    from inverse_qe.experiments.engine import _Closing

    class Failing:
        def __exit__(self, *exc):
            raise RuntimeError("the cluster would not stop")

    closing = _Closing(Failing())
    with pytest.raises(RuntimeError, match="would not stop"):
        closing.__exit__(None, None, None)
    # Leaving on another error, that one is not hidden by the closing's.
    _Closing(Failing()).__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
