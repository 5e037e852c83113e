"""One run of an experiment: what defines it, and the pure function that performs it.

A run is a pure function of ``(scenario source, overrides, seed, weeks)``. The
source is the scenario's resolved TOML text (its ``extends`` chain merged in),
so a worker on another machine needs the package but none of the user's files,
and an experiment resumed after the scenario file was edited still runs what it
planned. The run id is a hash of those four things: the same run has the same
id whoever plans it, and a store holds it once.

:func:`execute_run` never raises for a failed run: it returns a
:class:`RunOutcome` with the error, so one bad run cannot stop an experiment.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import socket
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

#: Version of the per-run file layout (bump when the metadata changes shape).
FORMAT = 1
#: Schema-metadata key of a run file: the run's spec, summary and metrics as JSON.
METADATA_KEY = b"inverse_qe"


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario as data: its label (name or path) and its resolved TOML text."""

    label: str
    text: str

    @functools.cached_property
    def sha(self) -> str:
        """SHA-256 of the text: identifies the scenario's content."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @classmethod
    def resolve(cls, name_or_path: str) -> ScenarioSource:
        """The source of a built-in name or a ``.toml`` path (raises ``ScenarioError``)."""
        from inverse_qe.scenarios.loader import resolve

        _, data = resolve(str(name_or_path))
        return cls(str(name_or_path), tomli_w.dumps(data))

    def data(self) -> dict[str, Any]:
        """The raw scenario data (not validated)."""
        return tomllib.loads(self.text)

    def scenario(self, overrides: tuple[str, ...] | list[str] = ()):
        """The validated scenario with ``field.path=value`` overrides applied.

        Kept per process for the runs that follow (scenarios are frozen models): a
        worker runs the same few scenarios for many seeds, and parsing and validating
        the TOML each time was a quarter of a run's overhead.
        """
        return _validated(self.label, self.text, tuple(overrides))


@functools.lru_cache(maxsize=64)
def _validated(label: str, text: str, overrides: tuple[str, ...]):
    from inverse_qe.scenarios.loader import apply_override, validate

    data = tomllib.loads(text)
    for assignment in overrides:
        data = apply_override(label, data, assignment)
    return validate(label, data)


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run (and nothing else).

    Args:
        source: the scenario.
        overrides: ``field.path=value`` assignments applied in order.
        seed: the run's seed; scenarios run on one seed share their news.
        weeks: run length.
    """

    source: ScenarioSource
    overrides: tuple[str, ...]
    seed: int
    weeks: int
    scenario_sha: str

    @functools.cached_property
    def run_id(self) -> str:
        """A hash of what the run computes: the validated scenario, the seed, the length.

        Two specs that reach the same scenario (whatever its label, whichever
        overrides led there) have the same id and are run and stored once.
        """
        key = json.dumps([FORMAT, self.scenario_sha, self.seed, self.weeks])
        return hashlib.sha256(key.encode()).hexdigest()[:20]

    def describe(self) -> dict[str, Any]:
        """The spec as JSON-safe data (the source by its hash)."""
        return {
            "run_id": self.run_id,
            "scenario": self.source.label,
            "source_sha": self.source.sha,
            "scenario_sha": self.scenario_sha,
            "overrides": list(self.overrides),
            "seed": self.seed,
            "weeks": self.weeks,
        }


@functools.lru_cache(maxsize=8192)
def _resolved(source: ScenarioSource, overrides: tuple[str, ...]) -> tuple[str, int]:
    """(hash of the validated scenario, its run length); raises ``ScenarioError``."""
    scenario = source.scenario(overrides)
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), scenario.run.weeks


def make_spec(
    source: ScenarioSource, overrides: list[str] | tuple[str, ...], seed: int, weeks: int | None
) -> RunSpec:
    """A validated spec (raises ``ScenarioError``); ``weeks=None``: the scenario's length."""
    overrides = tuple(overrides)
    sha, own_weeks = _resolved(source, overrides)
    return RunSpec(source, overrides, int(seed), int(own_weeks if weeks is None else weeks), sha)


@dataclass
class RunOutcome:
    """What a worker sends back: the run file's bytes, or the error."""

    spec: dict[str, Any]
    ok: bool
    parquet: bytes | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error_type: str | None = None
    error: str | None = None
    traceback: str | None = None
    elapsed: float = 0.0
    worker: str = ""
    code: str = ""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.spec["run_id"]

    def failure(self) -> dict[str, Any]:
        """The failure record written to the store."""
        return {
            **self.spec,
            "error_type": self.error_type,
            "error": self.error,
            "traceback": self.traceback,
            "elapsed": self.elapsed,
            "worker": self.worker,
            "code": self.code,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }


@functools.cache
def code_fingerprint() -> str:
    """A hash of the model's source code (model, agents, scenario schema and loader, results).

    Stored with every run so a resumed experiment (or a remote worker) cannot
    silently mix two versions of the model.
    """
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    files = sorted(
        [
            *root.glob("model/*.py"),
            *root.glob("agents/*.py"),
            root / "scenarios" / "schema.py",
            root / "scenarios" / "loader.py",
            root / "results.py",
        ]
    )
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _number(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return float(value)
    return float(value)


def headline_metrics(summary: dict[str, Any], final: dict[str, float]) -> dict[str, float]:
    """A run's summary as flat ``name: number`` metrics.

    Names: ``max_drawdown.<asset>``, ``total_return.<asset>``,
    ``final_price.<asset>``, ``dry_powder_exhausted.<fund>`` (week, NaN if
    never) and ``dry_powder_exhausted.first``, ``forced_sales.<reason>``,
    ``largest_cascade.size`` (0 without a cascade), every other numeric
    summary field under its own name, and ``final_<column>`` for the last
    week's risk-asset value, water level and dry powder.
    """
    metrics: dict[str, float] = {}
    for asset, values in summary.get("assets", {}).items():
        for name, value in values.items():
            metrics[f"{name}.{asset}"] = _number(value)
        metrics[f"final_price.{asset}"] = _number(final.get(f"price_{asset}"))
    weeks = [w for w in summary.get("dry_powder_exhausted", {}).values() if w is not None]
    for fund, week in summary.get("dry_powder_exhausted", {}).items():
        metrics[f"dry_powder_exhausted.{fund}"] = _number(week)
    metrics["dry_powder_exhausted.first"] = float(min(weeks)) if weeks else math.nan
    cascade = summary.get("largest_cascade") or {}
    for name in ("size", "depth", "sales"):
        metrics[f"largest_cascade.{name}"] = _number(cascade.get(name, 0.0))
    for name in ("first_week", "last_week"):
        metrics[f"largest_cascade.{name}"] = _number(cascade.get(name))
    for key, value in summary.get("forced_sales", {}).items():
        metrics[f"forced_sales.{key}"] = _number(value)
    skip = {"assets", "dry_powder_exhausted", "largest_cascade", "forced_sales", "seed"}
    for key, value in summary.items():
        if key in skip:
            continue
        if isinstance(value, int | float | bool) or value is None:
            metrics[key] = _number(value)
    for column in ("risk_asset_value", "water_level", "dry_powder"):
        metrics[f"final_{column}"] = _number(final.get(column))
        metrics[f"initial_{column}"] = _number(final.get(f"initial_{column}"))
    return metrics


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def execute_run(spec: RunSpec) -> RunOutcome:
    """Perform one run and return its outcome (never raises for a failed run)."""
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from inverse_qe import results
        from inverse_qe.model.bathtub import BathtubModel

        scenario = spec.source.scenario(spec.overrides)
        model = BathtubModel(scenario, seed=spec.seed, weeks=spec.weeks).run()
        # The weekly table straight from the recorder's arrays: no DataFrame on the way.
        columns = results.timeseries_columns(model)
        rows = len(columns["week"])
        summary = _json_safe(results.summary(model))
        final = {k: v[-1].item() for k, v in columns.items() if k != "date"}
        final.update(
            {f"initial_{c}": columns[c][0].item() for c in ("risk_asset_value", "water_level")}
        )
        final["initial_dry_powder"] = columns["dry_powder"][0].item()
        metrics = headline_metrics(summary, final)
        elapsed = time.perf_counter() - started
        table = pa.table({**columns, "run_id": pa.array([spec.run_id] * rows, pa.string())})
        metadata = {
            "format": FORMAT,
            **spec.describe(),
            "rows": rows,
            "summary": summary,
            "metrics": _json_safe(metrics),
            "elapsed": elapsed,
            "worker": worker,
            "code": code_fingerprint(),
        }
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata).encode()}
        )
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        return RunOutcome(
            spec.describe(),
            ok=True,
            parquet=sink.getvalue().to_pybytes(),
            metrics=metrics,
            elapsed=elapsed,
            worker=worker,
            code=code_fingerprint(),
        )
    except Exception as error:
        return RunOutcome(
            spec.describe(),
            ok=False,
            error_type=type(error).__name__,
            error=str(error),
            traceback=traceback.format_exc(),
            elapsed=time.perf_counter() - started,
            worker=worker,
            code=code_fingerprint(),
        )
