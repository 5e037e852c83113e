"""The same runs give bit-identical results in-process, in a process pool and on Dask."""

from __future__ import annotations

import pytest

from inverse_qe.experiments.comparison import compare
from inverse_qe.experiments.executors import InProcessExecutor, open_executor
from inverse_qe.experiments.store import ExperimentError, load
from tests.experiments.conftest import WEEKS, assert_same_runs

SCENARIOS = ["dry_powder_exhaustion", "warsh_tightening"]


def _compare(out, **execution):
    execution = {"quiet": True, "figures": False, **execution}
    return compare(SCENARIOS, seeds=2, first_seed=5, weeks=WEEKS, out=out, **execution)


def test_in_process_pool_and_dask_give_identical_runs(tmp_path):
    inprocess = _compare(tmp_path / "inprocess", workers=1)
    pool = _compare(tmp_path / "pool", workers=2)
    dask = _compare(tmp_path / "dask", workers=2, scheduler="local")
    assert_same_runs(tmp_path / "inprocess", tmp_path / "pool")
    assert_same_runs(tmp_path / "inprocess", tmp_path / "dask")
    assert len(inprocess.results.summaries) == 4
    # The work really was spread: the pool and the cluster used other processes.
    here = set(inprocess.results.summaries["worker"])
    assert len(here) == 1
    assert not set(pool.results.summaries["worker"]) & here
    assert not set(dask.results.summaries["worker"]) & here
    sessions = [load(r.out).manifest["sessions"][0]["executor"] for r in (inprocess, pool, dask)]
    assert sessions[0] == "in-process"
    assert "local processes" in sessions[1]
    assert "LocalCluster" in sessions[2]
    for result in (pool, dask):
        assert result.table.equals(inprocess.table)


def test_a_custom_executor_is_used_as_given(tmp_path):
    executor = InProcessExecutor()
    result = _compare(tmp_path / "custom", executor=executor)
    assert load(result.out).manifest["sessions"][0]["executor"] == "your executor"


def test_bad_scheduler_address_is_a_user_error():
    with (
        pytest.raises(ExperimentError, match="scheduler"),
        open_executor(workers=1, scheduler="nowhere:1"),
    ):
        pass


def test_workers_must_be_positive():
    with pytest.raises(ExperimentError, match="workers"), open_executor(workers=0):
        pass


def test_a_pool_starts_without_the_model_in_the_command():
    """The workers import the model (in their forkserver); the command need not.

    Naming the workers' initializer used to import the model in the command (0.6 s,
    on the critical path before any run could start).
    """
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from inverse_qe.experiments.executors import open_executor\n"
        "from inverse_qe.experiments.pool import start_forkserver\n"
        "assert not start_forkserver(1)\n"
        "assert start_forkserver(2)\n"
        "with open_executor(workers=2) as info:\n"
        "    child = info.executor.submit(os.getpid).result()\n"
        "    ask = \"'inverse_qe.model.bathtub' in __import__('sys').modules\"\n"
        "    warm = info.executor.submit(eval, ask).result()\n"
        "assert child != os.getpid()\n"
        "assert warm, 'the workers are warm'\n"
        "assert 'inverse_qe.model.bathtub' not in sys.modules, 'the command is not'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_analysis_modules_are_imported_meanwhile_and_waited_for():
    """The analysis' imports run in a thread, joined on leaving; a failed one is left alone."""
    import sys
    import threading

    from inverse_qe.experiments.engine import _imported_meanwhile

    sys.modules.pop("colorsys", None)
    with _imported_meanwhile(["no_such_module_anywhere", "colorsys"]):
        pass
    assert "colorsys" in sys.modules
    assert not [t for t in threading.enumerate() if t.name == "analysis imports"]


def test_an_interrupted_dask_experiment_cancels_its_runs_and_keeps_dask_quiet():
    import logging
    import time

    names = ("tornado.application", "distributed.scheduler", "distributed.client")
    before = {name: logging.getLogger(name).level for name in names}
    try:
        with (
            pytest.raises(KeyboardInterrupt),
            open_executor(workers=1, scheduler="local") as info,
        ):
            # The workers print nothing below CRITICAL either (a heartbeat to a scheduler
            # already gone logs a traceback): Dask's handler and tornado's loggers there.
            in_worker = "[h.level for h in __import__('logging').getLogger('distributed').handlers]"
            assert min(info.executor.submit(eval, in_worker).result()) >= logging.CRITICAL
            tornado = "__import__('logging').getLogger('tornado.application').getEffectiveLevel()"
            assert info.executor.submit(eval, tornado).result() >= logging.CRITICAL
            in_flight = info.executor.submit(time.sleep, 30)
            raise KeyboardInterrupt
        # Cancelled, not waited for; and what Dask logs while its cluster goes down
        # (results it can no longer gather) is not printed after the command's own words.
        assert in_flight.cancelled()
        assert all(logging.getLogger(n).getEffectiveLevel() > logging.CRITICAL for n in names)
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)
