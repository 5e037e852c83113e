"""The front door: user mistakes are exit 2 in a paragraph; bugs exit 1 with a saved traceback."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from inverse_qe import errors
from inverse_qe.cli import main


@pytest.fixture
def crashes(tmp_path, monkeypatch):
    directory = tmp_path / "crashes"
    monkeypatch.setenv(errors.CRASH_DIR_VARIABLE, str(directory))
    return directory


def _guarded(handler) -> tuple[int, list[str]]:
    said: list[str] = []
    return errors.run_guarded(handler, said.append), said


def test_a_user_error_is_one_paragraph_and_exit_2(crashes):
    def handler():
        raise errors.UserError("--out x: already exists")

    code, said = _guarded(handler)
    assert code == errors.EXIT_USAGE and said == ["error: --out x: already exists"]
    assert not crashes.exists()


def test_a_bug_is_exit_1_with_the_traceback_saved_not_shown(crashes):
    def handler():
        raise KeyError("scenario")

    code, said = _guarded(handler)
    assert code == errors.EXIT_BUG
    saved = list(crashes.iterdir())
    assert len(saved) == 1 and str(saved[0]) in said[0]
    assert "Traceback" not in said[0] and "KeyError" in said[0]
    assert "Traceback (most recent call last)" in saved[0].read_text()


def test_a_file_the_system_refuses_is_the_users_problem(crashes):
    def handler():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/full/disk/x.csv")

    code, said = _guarded(handler)
    assert code == errors.EXIT_USAGE and "/full/disk/x.csv" in said[0]


def test_sigterm_unwinds_so_cleanup_runs(crashes):
    cleaned = []

    def handler():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 0)  # let the handler run
            return 0
        finally:
            cleaned.append(True)

    code, _ = _guarded(handler)
    assert code == 128 + signal.SIGTERM and cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_cli_sends_a_bug_through_the_front_door(crashes, monkeypatch, capsys):
    from inverse_qe.scenarios import commands

    def broken(args, console):
        raise RuntimeError("a bug")

    monkeypatch.setattr(commands, "cmd_list", broken)
    assert main(["list"]) == errors.EXIT_BUG
    err = capsys.readouterr().err
    assert "a bug" in err and "Traceback" not in err and str(crashes) in err


def _leave_in_a_child(body: str) -> subprocess.CompletedProcess:
    script = "import sys\nfrom inverse_qe.errors import leave\n" + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_leave_flushes_the_streams_runs_exit_handlers_and_keeps_the_status() -> None:
    done = _leave_in_a_child(
        """
        import atexit
        class Kept:
            def __del__(self):
                print("torn down")
        kept = Kept()  # freed only by the interpreter's teardown, which is skipped
        atexit.register(lambda: print("exit handler ran"))
        print("x" * 100_000, end="")  # more than a pipe's buffer, still in Python's
        print("to stderr", file=sys.stderr, end="")
        leave(3)
        """
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "exit handler ran\n"
    assert done.stderr == "to stderr"


def test_leave_exits_as_usual_while_another_thread_still_works() -> None:
    """A thread still at work is waited for: the quick exit would kill it mid-task."""
    done = _leave_in_a_child(
        """
        import threading, time
        def work():
            time.sleep(0.5)
            print("the thread finished")
        threading.Thread(target=work).start()
        leave(0)
        """
    )
    assert done.returncode == 0
    assert done.stdout == "the thread finished\n"


def test_leave_stops_an_idle_pool_thread_and_still_skips_the_teardown() -> None:
    """A pool's idle thread (Dask keeps one for the process's life) is stopped as the
    interpreter's exit would stop it, and the quick exit is still taken."""
    done = _leave_in_a_child(
        """
        from concurrent.futures import ThreadPoolExecutor
        class Kept:
            def __del__(self):
                print("torn down")
        kept = Kept()  # freed only by the interpreter's teardown, which is skipped
        pool = ThreadPoolExecutor(max_workers=1)  # never shut down, like Dask's
        print(pool.submit(lambda: "the pool's task ran").result())
        leave(4)
        """
    )
    assert done.returncode == 4
    assert done.stdout == "the pool's task ran\n"


def test_a_profiled_command_still_writes_its_profile(tmp_path) -> None:
    """A profiler reports as the interpreter ends: the quick exit must not cut it short."""
    profile = tmp_path / "list.prof"
    done = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "inverse_qe", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0
