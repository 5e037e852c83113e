"""The front door: user mistakes are exit 2 in a paragraph; bugs exit 1 with a saved traceback."""

from __future__ import annotations

import errno
import os
import signal

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
