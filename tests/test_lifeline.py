"""Nothing left behind by a command killed with SIGKILL: no stray files, no processes.

Each test starts a real ``inverse-qe`` process, kills it with SIGKILL at the
worst moment (while writing, with workers busy, with the server listening) and
checks that every process it started is gone within seconds and that whatever
it was writing is swept by the next command that writes there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from inverse_qe import lifeline

ROOT = Path(__file__).resolve().parent.parent
MPL_CONFIG = os.environ.get("MPLCONFIGDIR") or str(Path(tempfile.gettempdir()) / "inverse-qe-mpl")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "MPLCONFIGDIR": MPL_CONFIG, "INVERSE_QE_CRASH_DIR": str(cwd / "crashes")}
    return subprocess.Popen(
        [sys.executable, "-m", "inverse_qe.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the command ended (status {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {seconds}s")
        time.sleep(0.01)


def _kill_and_check_family(process: subprocess.Popen, least: int = 0) -> None:
    """SIGKILL the command alone (not its group) and wait for every descendant to go."""
    family = psutil.Process(process.pid).children(recursive=True)
    assert len(family) >= least, f"expected {least} child processes, found {len(family)}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=15)
    names = [" ".join(p.cmdline()[:6]) for p in alive if p.is_running()]
    for survivor in alive:  # do not leave them to the next test either
        survivor.kill()
    assert not names, f"still running after their parent was killed: {names}"


def _leftovers(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*~iqe-*"))


def test_run_killed_while_writing_leaves_only_what_the_next_run_sweeps(tmp_path):
    process = _start(["run", "--weeks", "104", "--quiet"], tmp_path)
    runs = tmp_path / "runs"
    _wait_for(lambda: bool(_leftovers(tmp_path)), process, 120, "staging directory")
    _kill_and_check_family(process)
    assert _leftovers(tmp_path), "killed while writing: the staging directory is left"
    assert not [p for p in runs.iterdir() if not p.name.startswith(".")], "no partial results"

    nxt = _start(["run", "--weeks", "2", "--quiet", "--no-figure"], tmp_path)
    assert nxt.wait(timeout=120) == 0
    assert not _leftovers(tmp_path), "the next run swept the dead run's staging directory"
    assert len(list(runs.iterdir())) == 1
    assert not (tmp_path / "crashes").exists()


def test_run_killed_while_its_twin_and_figure_worker_run_leaves_no_process(tmp_path):
    # A long run, so that both forked children (the dashboard's worker, waiting with
    # matplotlib imported, and the twin, simulating) are alive together for a while.
    process = _start(["run", "--weeks", "2000", "--quiet"], tmp_path)
    children = lambda: len(psutil.Process(process.pid).children(recursive=True))  # noqa: E731
    _wait_for(lambda: children() >= 2, process, 120, "figure worker and twin")
    _kill_and_check_family(process, least=2)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def _interrupt_group(args: list[str], cwd: Path, least: int, ready=None) -> str:
    """Start a command in its own process group, Ctrl-C the group once ``least``
    children run and ``ready()`` holds (a terminal sends it to all of them), and
    check what is left."""
    env = {**os.environ, "MPLCONFIGDIR": MPL_CONFIG, "INVERSE_QE_CRASH_DIR": str(cwd / "c")}
    # As from a terminal: a command started in the background of a script (as CI may
    # be) inherits Ctrl-C ignored, and Python then leaves it ignored.
    with_ctrl_c = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler);"
        " runpy.run_module('inverse_qe.cli', run_name='__main__')"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", with_ctrl_c, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    children = lambda: psutil.Process(process.pid).children(recursive=True)  # noqa: E731
    _wait_for(lambda: len(children()) >= least, process, 120, f"{least} child processes")
    if ready is not None:
        _wait_for(ready, process, 120, "the moment to interrupt")
    family = children()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=90)
    _, alive = psutil.wait_procs(family, timeout=30)  # Dask tears down slowly on a loaded machine
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert "interrupted" in stderr
    survivors = []
    for survivor in alive:  # named, so that a rare failure says who stayed
        with contextlib.suppress(psutil.Error):
            if survivor.is_running():
                survivors.append(" ".join(survivor.cmdline()[:6]))
    assert not survivors, f"outlived the interrupted command: {survivors}; stderr: {stderr}"
    return stderr


def test_ctrl_c_during_a_run_is_answered_once_by_the_run_not_by_its_children(tmp_path):
    # The run's two children: the dashboard's worker and the twin.
    _interrupt_group(["run", "--weeks", "2000", "--quiet"], tmp_path, least=2)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize(
    "executor",
    [["--workers", "2"], ["--workers", "2", "--scheduler", "local"]],
    ids=["pool", "dask"],
)
def test_ctrl_c_during_an_experiment_is_answered_once_by_the_command(tmp_path, executor):
    command = ["compare", "dry_powder_exhaustion", "fed_pivot", "--seeds", "200", "--out", "x"]
    # Once runs are being stored: the workers are up and busy.
    stored = lambda: len(list((tmp_path / "x" / "runs").glob("*.parquet"))) >= 2  # noqa: E731
    stderr = _interrupt_group([*command, *executor], tmp_path, least=2, ready=stored)
    assert "--resume" in stderr


@pytest.mark.parametrize(
    "executor",
    [["--workers", "2"], ["--workers", "2", "--scheduler", "local"]],
    ids=["pool", "dask"],
)
def test_compare_with_workers_killed_leaves_no_process(tmp_path, executor):
    args = ["compare", "dry_powder_exhaustion", "fed_pivot", "--seeds", "10", "--weeks", "52"]
    out = tmp_path / "exp"
    process = _start([*args, *executor, "--out", str(out), "--quiet"], tmp_path)
    _wait_for(lambda: any(out.glob("runs/*.parquet")), process, 120, "stored run")
    # The forkserver, its two workers and the resource tracker at least (Dask's workers
    # are forked from the same forkserver).
    _kill_and_check_family(process, least=4)
    from inverse_qe.experiments.store import Store

    Store(out).clean()  # what --resume does first
    assert not _leftovers(out)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_app_killed_leaves_no_server(tmp_path):
    pytest.importorskip("solara")
    port = _free_port()
    process = _start(["app", "--port", str(port)], tmp_path)
    _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/"), process, 90, "answering server")
    _kill_and_check_family(process, least=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # the port is free again


def test_a_child_bound_by_the_lifeline_dies_with_its_parent(tmp_path):
    # A parent that starts a bound grandchild (sleeping), then is killed.
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-m', 'inverse_qe.lifeline',"
        " str(__import__('os').getpid()), 'timeit', '-n1', '-r1', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    _, alive = psutil.wait_procs([child], timeout=10)
    assert not alive


def test_the_lifeline_refuses_a_bad_command_line():
    with pytest.raises(SystemExit):
        lifeline.main(["not-a-pid", "module"])


def test_the_parent_death_signal_is_set_on_linux():
    if not sys.platform.startswith("linux"):
        pytest.skip("prctl is Linux's")
    code = "from inverse_qe import lifeline; assert lifeline.set_parent_death_signal()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
