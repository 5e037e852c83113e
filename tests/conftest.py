"""Shared fixtures: the default scenario, loaded once; the tally of hostile inputs."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from inverse_qe.scenarios.loader import load


@pytest.fixture(scope="session")
def default_scenario():
    """The calibrated default scenario (dry_powder_exhaustion)."""
    return load()


def scenario_with(*overrides: str):
    """The default scenario with ``field.path=value`` overrides applied."""
    return load("dry_powder_exhaustion", list(overrides))


# -- the hostile-input tally ------------------------------------------------------------------
# Every hostile input the suite tries is recorded (one JSON line per case, in a directory
# shared by the xdist workers); the terminal summary counts them and how many ended
# otherwise than promised.
HOSTILE_LOG = "INVERSE_QE_HOSTILE_LOG"


def pytest_configure(config):
    if not os.environ.get(HOSTILE_LOG):  # the controller; workers inherit its environment
        os.environ[HOSTILE_LOG] = tempfile.mkdtemp(prefix="inverse-qe-hostile-")
        config._hostile_log_owner = True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    directory = Path(os.environ.get(HOSTILE_LOG, ""))
    if not getattr(config, "_hostile_log_owner", False) or not directory.is_dir():
        return
    records = []
    for path in directory.glob("*.jsonl"):
        records += [json.loads(line) for line in path.read_text().splitlines() if line]
    shutil.rmtree(directory, ignore_errors=True)
    if records:
        broken = [r["case"] for r in records if not r["ok"]]
        terminalreporter.write_line(
            f"hostile inputs: {len(records)} tried, {len(broken)} ended otherwise than promised"
            + (f" ({', '.join(broken[:10])})" if broken else "")
        )


def record_hostile(case: str, ok: bool) -> None:
    """Count one hostile input (called by the hostile-input suite)."""
    directory = os.environ.get(HOSTILE_LOG)
    if not directory:
        return
    with open(Path(directory) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps({"case": case, "ok": ok}) + "\n")
