"""Work forked onto the other core: results, errors and early exits as in-process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from inverse_qe.forking import FigureError, FigureWorker, ForkedTask, ForkedTaskError, can_fork
from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import ScenarioError, load
from inverse_qe.twin import simulate_twin, without_ai_spending

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork (POSIX)")


def _scenario_error(field: str) -> None:
    raise ScenarioError("my.toml", [f"{field}: expected a positive number"])


def _unpicklable():
    error = ValueError("cannot cross")
    error.callback = lambda: None  # a local function: no pickle can carry it
    raise error


def test_a_forked_task_returns_the_childs_value():
    assert ForkedTask(sum, [1, 2, 3]).result() == 6


def test_a_forked_task_raises_the_childs_own_exception_with_its_traceback():
    task = ForkedTask(_scenario_error, "markets.depth")
    with pytest.raises(ScenarioError, match=r"markets\.depth") as raised:
        task.result()
    assert any("raised in a forked worker" in note for note in raised.value.__notes__)


def test_an_exception_that_cannot_be_sent_back_is_still_reported():
    with pytest.raises(ForkedTaskError, match="cannot cross"):
        ForkedTask(_unpicklable).result()


def test_the_twin_simulated_in_a_child_is_the_twin_simulated_here():
    scenario = load("dry_powder_exhaustion", [])
    forked = ForkedTask(simulate_twin, scenario, 7, 26).result()
    here = BathtubModel(without_ai_spending(scenario), seed=7, weeks=26).run()
    assert forked.dates == list(here.dates)
    table = here.recorder.table()
    assert forked.recorder.columns == list(table)
    for column, values in table.items():
        np.testing.assert_array_equal(forked.recorder.series(column), values, err_msg=column)


def test_a_figure_worker_sent_away_without_data_ends_quietly():
    worker = FigureWorker()
    worker.close()
    assert worker._process.exitcode == 0


def test_a_figure_that_cannot_be_drawn_is_an_error_not_a_missing_file(tmp_path):
    worker = FigureWorker()
    # A directory where the PNG should go: saving fails in the child.
    (tmp_path / "dashboard.png").mkdir()
    worker.draw(pd.DataFrame({"week": [0, 1]}), {}, tmp_path / "dashboard.png")
    with pytest.raises(FigureError, match=r"drawing dashboard\.png failed"):
        worker.wait()


def test_a_parent_leaving_before_it_sent_the_figure_does_not_wait_for_ever() -> None:
    """The figure worker is not daemonic (it forks a helper), so multiprocessing joins
    it when its parent exits: the parent hangs up first, and the worker, seeing no
    job will come, ends."""
    script = (
        "from inverse_qe.forking import FigureWorker\n"
        "worker = FigureWorker()\n"
        "raise SystemExit('left early')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "left early"
