"""The results store: one Parquet file per run, plus the experiment manifest.

Layout of an experiment directory::

    manifest.json            what was asked, the plan (every run and its role), sessions
    runs/<run_id>.parquet    one run: its weekly series; spec, summary, metrics as metadata
    runs/<run_id>.sha256     the run file's SHA-256, recorded when it was written
    failures/<run_id>.json   a run that raised: its parameters, error and traceback
    *.csv, *.png             the experiment's tables and figures

Every file is written to a temporary name in the same directory, flushed to
disk and renamed into place (``os.replace`` is atomic), so a process killed at
any moment leaves each run either complete or absent, never truncated. There is
no separate index to fall out of step: the set of runs is the listing of
``runs/``. A lock file keeps two processes from writing one experiment.

A store heals: a run file whose bytes no longer match the checksum recorded
beside it (a flipped bit, a file edited or replaced) counts as missing, so
``--resume`` runs it again and :func:`load` leaves it out, each with a
warning. (``sha256sum -c runs/*.sha256`` checks the files by hand.)

:func:`load` reads everything back as pandas DataFrames.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from inverse_qe.errors import UserError
from inverse_qe.experiments.runs import METADATA_KEY, RunOutcome
from inverse_qe.outputs import sweep_leftovers, write_atomically

__all__ = ["ExperimentError", "Results", "Store", "load", "write_atomically", "write_csv"]

MANIFEST = "manifest.json"


class ExperimentError(UserError, ValueError):
    """A mistake in what was asked of an experiment (reported without a traceback)."""


class DamagedRunWarning(UserWarning):
    """A stored run's file no longer matches its checksum: it counts as missing."""


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    write_atomically(path, (json.dumps(data, indent=1, default=str) + "\n").encode())


def write_csv(frame: pd.DataFrame, path: Path, **options: Any) -> None:
    """Write a table as CSV atomically (``options`` go to :meth:`pandas.DataFrame.to_csv`)."""
    write_atomically(path, frame.to_csv(index=False, **options).encode())


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        self._verified: dict[tuple, bool] = {}
        #: Runs found not to match their checksum (they count as missing).
        self.damaged: set[str] = set()

    # -- files ------------------------------------------------------------------------------
    def run_path(self, run_id: str) -> Path:
        """Where a run's file lives."""
        return self.runs / f"{run_id}.parquet"

    def failure_path(self, run_id: str) -> Path:
        """Where a failed run's record lives."""
        return self.failures / f"{run_id}.json"

    def checksum_path(self, run_id: str) -> Path:
        """Where a run's checksum lives (``sha256sum`` format)."""
        return self.runs / f"{run_id}.sha256"

    def stored_ids(self) -> set[str]:
        """Ids of the runs with a file (the index is the directory listing)."""
        if not self.runs.is_dir():
            return set()
        return {
            p.stem
            for p in self.runs.glob("*.parquet")
            if not p.name.startswith(".") and p.is_file()
        }

    def misplaced(self) -> list[Path]:
        """Directories (or other non-files) where run files should be."""
        if not self.runs.is_dir():
            return []
        return sorted(p for p in self.runs.glob("*.parquet") if not p.is_file())

    def failed_ids(self) -> set[str]:
        """Ids of the runs recorded as failed (and not since completed)."""
        if not self.failures.is_dir():
            return set()
        return {
            p.stem
            for p in self.failures.glob("*.json")
            if not p.name.startswith(".") and p.is_file()
        }

    def failure_record(self, run_id: str) -> dict[str, Any] | None:
        """A failed run's record (``None`` if it is missing or unreadable)."""
        try:
            record = json.loads(self.failure_path(run_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def intact(self, run_id: str) -> bool:
        """The run file matches the checksum recorded when it was written.

        A file stored before checksums were recorded has none and counts as
        intact (its structure is still checked by :meth:`readable`). Results
        are cached by the file's size and modification time.
        """
        path = self.run_path(run_id)
        try:
            recorded = self.checksum_path(run_id).read_text(encoding="ascii").split()[0]
        except FileNotFoundError:
            return True
        except (OSError, ValueError, IndexError):
            recorded = ""
        try:
            stat = path.stat()
        except OSError:
            return False
        key = (run_id, stat.st_size, stat.st_mtime_ns, recorded)
        if key not in self._verified:
            self._verified[key] = _file_sha256(path) == recorded
        if not self._verified[key]:
            self.damaged.add(run_id)
        return self._verified[key]

    def readable(self, run_id: str) -> bool:
        """The run's file exists, matches its checksum, parses, and is the run it claims to be."""
        path = self.run_path(run_id)
        if not path.is_file() or not self.intact(run_id):
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
        """Store a finished run (its file and checksum) or a failed one (its record)."""
        if outcome.ok:
            assert outcome.parquet is not None
            name = self.run_path(outcome.run_id).name
            # The checksum first: a run file never exists without the sum it must match
            # (a kill between the two leaves a stale sum and no file: a missing run).
            write_atomically(
                self.checksum_path(outcome.run_id),
                f"{sha256(outcome.parquet)}  {name}\n".encode("ascii"),
            )
            write_atomically(self.run_path(outcome.run_id), outcome.parquet)
            with contextlib.suppress(FileNotFoundError):
                self.failure_path(outcome.run_id).unlink()
        else:
            write_json(self.failure_path(outcome.run_id), outcome.failure())

    def clean(self) -> tuple[int, list[str]]:
        """Remove leftovers of a killed process: temporary files and unreadable runs.

        Returns:
            How many files were removed, and the ids of the runs removed because
            their file no longer matched its checksum (they will be run again).

        Raises:
            ExperimentError: a directory stands where a run file should be.
        """
        if self.misplaced():
            names = ", ".join(str(p) for p in self.misplaced()[:3])
            raise ExperimentError(
                f"{names}: a directory where a run file should be; move it out of"
                f" {self.runs} and resume again"
            )
        removed = 0
        for directory in (self.root, self.runs, self.failures):
            if directory.is_dir():
                removed += sweep_leftovers(directory)
                for path in directory.glob(".*.tmp"):  # written before owners were recorded
                    path.unlink(missing_ok=True)
                    removed += 1
        for run_id in self.failed_ids():
            if self.failure_record(run_id) is None:
                self.failure_path(run_id).unlink(missing_ok=True)
                removed += 1
        if self.runs.is_dir():  # checksums whose run file never arrived
            for path in self.runs.glob("*.sha256"):
                if not self.run_path(path.stem).exists():
                    path.unlink(missing_ok=True)
                    removed += 1
        damaged = []
        for run_id in sorted(self.stored_ids()):
            if not self.readable(run_id):
                if run_id in self.damaged:
                    damaged.append(run_id)
                self.run_path(run_id).unlink(missing_ok=True)
                self.checksum_path(run_id).unlink(missing_ok=True)
                removed += 1
        return removed, damaged

    # -- manifest ---------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """The manifest's path."""
        return self.root / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or ``None`` when there is none yet.

        Raises:
            ExperimentError: the manifest exists but is not a readable JSON object.
        """
        path = self.manifest_path
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error).split(":")[0]
            raise ExperimentError(
                f"{path}: not a readable manifest ({reason}); the experiment's record is damaged:"
                " restore it or start again in another --out"
            ) from None
        if not isinstance(manifest, dict):
            raise ExperimentError(
                f"{path}: not a manifest (a JSON {type(manifest).__name__}, not an object);"
                " restore it or start again in another --out"
            )
        return manifest

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
    store = Store(Path(directory))
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{directory}: no {MANIFEST}; not an experiment directory")
    check_manifest(store.manifest_path, manifest)
    for path in store.misplaced():
        warnings.warn(f"{path} is a directory, not a run file: left out", DamagedRunWarning, 2)
    stored = sorted(store.stored_ids())
    stored = [run_id for run_id in stored if store.readable(run_id)]
    for run_id in sorted(store.damaged):
        warnings.warn(
            f"{store.run_path(run_id)} does not match its checksum (damaged since it was"
            " written): left out; --resume runs it again",
            DamagedRunWarning,
            2,
        )
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
        record = store.failure_record(run_id)
        if record is None:
            continue  # an unreadable record: the run counts as missing
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
        series = _read_series(store, stored, timeseries)
    return Results(manifest, runs, series, summary_frame, failure_frame, Path(directory))


def _read_series(store: Store, stored: list[str], columns: bool | list[str]) -> pd.DataFrame:
    """The weekly series of the stored runs, one file at a time (a bad file is left out)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = None
    if isinstance(columns, list):
        wanted = list(dict.fromkeys(["run_id", "week", *columns]))
    tables = []
    for run_id in stored:
        path = store.run_path(run_id)
        try:
            with pq.ParquetFile(path) as parquet:
                names = parquet.schema_arrow.names
                chosen = None if wanted is None else [c for c in wanted if c in names]
                tables.append(parquet.read(columns=chosen))
        except (OSError, pa.ArrowException) as error:
            warnings.warn(f"{path} cannot be read ({error}): left out", DamagedRunWarning, 3)
    if not tables:
        return pd.DataFrame()
    series = pa.concat_tables(tables, promote_options="default").to_pandas()
    return series[["run_id", *[c for c in series.columns if c != "run_id"]]]


def check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a manifest that is not an experiment's (e.g. the record of ``inverse-qe run``)."""
    if "kind" not in manifest:
        what = (
            "the record of one `inverse-qe run`"
            if "inverse_qe_version" in manifest
            else "not an experiment's manifest"
        )
        raise ExperimentError(f"{path} is {what}, not an experiment (compare, sweep, ...)")
    parts = [manifest.get("plan", []), manifest.get("dynamic", [])]
    if not all(isinstance(part, list) for part in parts) or not all(
        isinstance(e, dict) and isinstance(e.get("run_id"), str) for part in parts for e in part
    ):
        raise ExperimentError(
            f"{path}: the plan is damaged (entries without a run id); restore the manifest"
            " or start again in another --out"
        )
