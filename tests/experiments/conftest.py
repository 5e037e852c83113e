"""Shared helpers of the experiment tests: short runs, quiet consoles, content checks."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from inverse_qe.experiments.runs import METADATA_KEY, ScenarioSource

WEEKS = 12


@pytest.fixture(scope="session")
def source():
    """The default scenario as a source."""
    return ScenarioSource.resolve("dry_powder_exhaustion")


@pytest.fixture
def quiet():
    """Execution options for a test: no progress bar, no figures, in-process."""
    return {"quiet": True, "figures": False, "workers": 1, "console": Console(quiet=True)}


@pytest.fixture
def figure_workers(monkeypatch):
    """Every figure worker the experiments fork in the test, in order (they still work)."""
    from inverse_qe.experiments import engine

    forked = []
    original = engine.FigureWorker

    def counted(*args, **kwargs):
        forked.append(original(*args, **kwargs))
        return forked[-1]

    monkeypatch.setattr(engine, "FigureWorker", counted)
    return forked


def run_contents(directory: Path) -> dict[str, tuple]:
    """Every stored run's table and its computed metadata (not timings or worker names)."""
    contents = {}
    for path in sorted((Path(directory) / "runs").glob("*.parquet")):
        table = pq.read_table(path)
        info = json.loads(table.schema.metadata[METADATA_KEY])
        kept = {
            k: info[k] for k in ("run_id", "scenario_sha", "seed", "weeks", "summary", "metrics")
        }
        contents[path.stem] = (
            table.replace_schema_metadata(None),
            json.dumps(kept, sort_keys=True),
        )
    return contents


def assert_same_runs(a: Path, b: Path) -> None:
    """Two experiment directories hold exactly the same runs, bit for bit."""
    left, right = run_contents(a), run_contents(b)
    assert set(left) == set(right)
    for run_id, (table, info) in left.items():
        assert table.equals(right[run_id][0]), run_id
        assert info == right[run_id][1], run_id
