"""An experiment killed with SIGKILL mid-run and resumed ends with exactly the planned runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inverse_qe.experiments.store import Store, load
from inverse_qe.experiments.sweeps import sweep
from tests.experiments.conftest import assert_same_runs, run_contents

ROOT = Path(__file__).resolve().parents[2]
SWEEP = [
    "sweep",
    "dry_powder_exhaustion",
    "--vary",
    "suppliers.recycling=0.2:0.6:6",
    "--seeds",
    "3",
    "--weeks",
    "30",
    "--workers",
    "1",
    "--no-figures",
    "--quiet",
]


def _command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "inverse_qe.cli", *SWEEP, "--out", str(out), *extra]


def _wait_for_runs(out: Path, process: subprocess.Popen, at_least: int, timeout: float = 120):
    runs = out / "runs"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runs.is_dir() and len(list(runs.glob("*.parquet"))) >= at_least:
            return
        if process.poll() is not None:
            pytest.fail(f"the sweep ended before it could be killed: {process.stderr.read()}")
        time.sleep(0.005)
    pytest.fail("the sweep stored no runs in time")


def test_sigkill_then_resume_gives_exactly_the_planned_runs(tmp_path):
    out = tmp_path / "killed"
    process = subprocess.Popen(
        _command(out),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for_runs(out, process, at_least=4)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the whole group, as the OOM killer would
        process.wait()
    planned = {e["run_id"] for e in json.loads((out / "manifest.json").read_text())["plan"]}
    assert len(planned) == 18
    stored = Store(out).stored_ids()
    assert 4 <= len(stored) < len(planned), "killed mid-run"
    assert all(Store(out).readable(r) for r in stored), "no run file is ever truncated"

    resumed = subprocess.run(
        _command(out, "--resume"), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    files = sorted(p.name for p in (out / "runs").iterdir())
    expected = [f"{r}.{ext}" for r in planned for ext in ("parquet", "sha256")]
    assert files == sorted(expected), "each planned run once (with its checksum), nothing else"
    assert not list(out.glob("failures/*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["sessions"][-1]["resumed_with"] == len(stored)

    # Content: every run equals the same run of an uninterrupted sweep.
    sweep(
        "dry_powder_exhaustion",
        ["suppliers.recycling=0.2:0.6:6"],
        seeds=3,
        weeks=30,
        out=tmp_path / "straight",
        workers=1,
        quiet=True,
        figures=False,
    )
    assert_same_runs(out, tmp_path / "straight")
    assert len(run_contents(out)) == 18
    table = load(out, timeseries=False).summaries
    assert table["run_id"].is_unique and len(table) == 18
