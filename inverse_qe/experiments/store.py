"""The results store: one Parquet file per run, plus the experiment manifest.

Layout of an experiment directory::

    manifest.json            what was asked, the plan (every run and its role), sessions
    runs/<run_id>.parquet    one run: its weekly series; spec, summary, metrics as metadata
    failures/<run_id>.json   a run that raised: its parameters, error and traceback
    *.csv, *.png             the experiment's tables and figures

Every file is written to a temporary name in the same directory, flushed to
disk and renamed into place (``os.replace`` is atomic), so a process killed at
any moment leaves each run either complete or absent, never truncated. There is
no separate index to fall out of step: the set of runs is the listing of
``runs/``. A lock file keeps two processes from writing one experiment.

:func:`load` reads everything back as pandas DataFrames.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from inverse_qe.experiments.runs import METADATA_KEY, RunOutcome

MANIFEST = "manifest.json"


class ExperimentError(ValueError):
    """A mistake in what was asked of an experiment (reported without a traceback)."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    write_atomically(path, (json.dumps(data, indent=1, default=str) + "\n").encode())


def read_run_metadata(path: Path) -> dict[str, Any]:
    """The spec, summary and metrics stored in a run file (raises if unreadable)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return json.loads(schema.metadata[METADATA_KEY])


class Store:
    """An experiment directory: run files, failure records, the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.failures = self.root / "failures"
        self._lock_handle: Any = None

    # -- files ------------------------------------------------------------------------------
    def run_path(self, run_id: str) -> Path:
        """Where a run's file lives."""
        return self.runs / f"{run_id}.parquet"

    def failure_path(self, run_id: str) -> Path:
        """Where a failed run's record lives."""
        return self.failures / f"{run_id}.json"

    def stored_ids(self) -> set[str]:
        """Ids of the runs with a file (the index is the directory listing)."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.parquet") if not p.name.startswith(".")}

    def failed_ids(self) -> set[str]:
        """Ids of the runs recorded as failed (and not since completed)."""
        if not self.failures.is_dir():
            return set()
        return {p.stem for p in self.failures.glob("*.json") if not p.name.startswith(".")}

    def readable(self, run_id: str) -> bool:
        """The run's file exists, parses, and is the run it claims to be."""
        path = self.run_path(run_id)
        if not path.is_file():
            return False
        try:
            import pyarrow.parquet as pq

            with pq.ParquetFile(path) as parquet:
                info = json.loads(parquet.schema_arrow.metadata[METADATA_KEY])
                rows = parquet.metadata.num_rows
            return info["run_id"] == run_id and rows == info["rows"]
        except Exception:
            return False

    def metrics(self, run_id: str) -> dict[str, float] | None:
        """A stored run's headline metrics (``None`` if not stored)."""
        if not self.readable(run_id):
            return None
        info = read_run_metadata(self.run_path(run_id))
        return {k: (float("nan") if v is None else v) for k, v in info["metrics"].items()}

    def write(self, outcome: RunOutcome) -> None:
        """Store a finished run (its file) or a failed one (its record)."""
        if outcome.ok:
            assert outcome.parquet is not None
            write_atomically(self.run_path(outcome.run_id), outcome.parquet)
            with contextlib.suppress(FileNotFoundError):
                self.failure_path(outcome.run_id).unlink()
        else:
            write_json(self.failure_path(outcome.run_id), outcome.failure())

    def clean(self) -> int:
        """Remove leftovers of a killed process: temporary files and unreadable runs."""
        removed = 0
        for directory in (self.root, self.runs, self.failures):
            if directory.is_dir():
                for path in directory.glob(".*.tmp"):
                    path.unlink(missing_ok=True)
                    removed += 1
        for run_id in self.stored_ids():
            if not self.readable(run_id):
                self.run_path(run_id).unlink(missing_ok=True)
                removed += 1
        return removed

    # -- manifest ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """The manifest's path."""
        return self.root / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or ``None`` when there is none yet."""
        if not self.manifest_path.is_file():
            return None
        return json.loads(self.manifest_path.read_text())

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest atomically."""
        write_json(self.manifest_path, manifest)

    # -- one writer at a time ---------------------------------------------------------------
    def lock(self) -> None:
        """Take the experiment's lock (released by :meth:`unlock` or when the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "a+")  # noqa: SIM115 - held until unlock()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ExperimentError(
                f"{self.root} is being written by another process; wait for it or use another --out"
            ) from None
        self._lock_handle = handle

    def unlock(self) -> None:
        """Release the lock."""
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None


@dataclass
class Results:
    """An experiment read back: its manifest and four tables.

    Attributes:
        manifest: what was asked and how it ran (``manifest.json``).
        runs: one row per planned run (its role in the experiment: scenario,
            seed, parameters...) plus any run stored outside the plan, with
            ``status`` ``done``, ``failed`` or ``missing``.
        timeseries: the weekly series of every stored run, keyed by ``run_id``.
        summaries: one row per stored run: its spec and headline metrics.
        failures: one row per failed run: its spec, error and traceback.
    """

    manifest: dict[str, Any]
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    summaries: pd.DataFrame
    failures: pd.DataFrame
    directory: Path = field(default=Path())

    def __iter__(self):
        """Unpack as ``runs, timeseries, summaries, failures``."""
        return iter((self.runs, self.timeseries, self.summaries, self.failures))


def _plan_frame(manifest: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for entry in manifest.get("plan", []) + manifest.get("dynamic", []):
        row = {k: v for k, v in entry.items() if k != "role"}
        row["overrides"] = " ".join(entry.get("overrides", []))
        row.update(entry.get("role", {}))
        rows.append(row)
    return pd.DataFrame(rows)


def load(directory: str | Path, *, timeseries: bool | list[str] = True) -> Results:
    """Read an experiment directory back as pandas DataFrames.

    Args:
        directory: the experiment's output directory.
        timeseries: ``False`` to skip the weekly series, or a list of columns to
            read (``run_id`` and ``week`` are always included).

    Returns:
        :class:`Results` (``runs, timeseries, summaries, failures = load(DIR)`` also works).
    """
    import pyarrow.dataset as ds

    store = Store(Path(directory))
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{directory}: no {MANIFEST}; not an experiment directory")
    stored = sorted(store.stored_ids())
    stored = [run_id for run_id in stored if store.readable(run_id)]
    summaries = []
    for run_id in stored:
        info = read_run_metadata(store.run_path(run_id))
        row = {
            "run_id": run_id,
            "scenario": info["scenario"],
            "seed": info["seed"],
            "weeks": info["weeks"],
            "overrides": " ".join(info["overrides"]),
            "elapsed": info.get("elapsed"),
            "worker": info.get("worker"),
        }
        row.update({k: (float("nan") if v is None else v) for k, v in info["metrics"].items()})
        summaries.append(row)
    summary_frame = pd.DataFrame(summaries)
    failures = []
    for run_id in sorted(store.failed_ids() - set(stored)):
        record = json.loads(store.failure_path(run_id).read_text())
        record["overrides"] = " ".join(record.get("overrides", []))
        failures.append(record)
    failure_frame = pd.DataFrame(failures)

    runs = _plan_frame(manifest)
    known = set(runs["run_id"]) if len(runs) else set()
    extra = [s for s in summaries if s["run_id"] not in known]
    extra += [f for f in failures if f["run_id"] not in known]
    if extra:
        keys = ("run_id", "scenario", "seed", "weeks", "overrides")
        runs = pd.concat(
            [runs, pd.DataFrame([{k: e.get(k) for k in keys} for e in extra])], ignore_index=True
        )
    if len(runs):
        done, failed = set(stored), {f["run_id"] for f in failures}
        runs["status"] = [
            "done" if r in done else "failed" if r in failed else "missing" for r in runs["run_id"]
        ]

    if timeseries is False or not stored:
        series = pd.DataFrame()
    else:
        columns = None
        if isinstance(timeseries, list):
            columns = list(dict.fromkeys(["run_id", "week", *timeseries]))
        dataset = ds.dataset([str(store.run_path(r)) for r in stored], format="parquet")
        series = dataset.to_table(columns=columns).to_pandas()
        series = series[["run_id", *[c for c in series.columns if c != "run_id"]]]
    return Results(manifest, runs, series, summary_frame, failure_frame, Path(directory))
