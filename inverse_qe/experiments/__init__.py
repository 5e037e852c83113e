"""Experiments over many runs: comparison, sweeps, the capex multiplier, the regime map.

Every experiment is a list of independent runs, each a pure function of
(scenario source, overrides, seed, weeks), executed in this process, in a local
process pool or on a Dask cluster, and stored one Parquet file per run in the
experiment's directory (see :mod:`inverse_qe.experiments.store`). An
interrupted experiment resumes where it stopped (``resume=True``).

From Python::

    from inverse_qe import experiments

    comparison = experiments.compare(
        ["dry_powder_exhaustion", "warsh_tightening", "fed_pivot"], seeds=100, out="cmp"
    )
    comparison.table                      # tidy: metric x scenario, intervals, paired tests
    runs, timeseries, summaries, failures = experiments.load("cmp")

    experiments.sweep("dry_powder_exhaustion", ["suppliers.recycling=0.2:0.6"], sample="sobol")
    experiments.multiplier("early_phase", seeds=20)        # + QE-equivalent
    experiments.regime("dry_powder_exhaustion", seeds=8)   # capex growth x dry powder

Execution options (keyword arguments of every experiment): ``out``,
``resume``, ``workers``, ``scheduler`` (``"local"`` or ``"tcp://HOST:PORT"``),
``executor`` (any ``concurrent.futures.Executor``), ``console``, ``quiet``,
``figures``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use, so that ``inverse-qe --help`` (which imports the
# subcommands module of this package) does not pay for pandas and scipy.
_EXPORTS = {
    "compare": ("comparison", "compare"),
    "Comparison": ("comparison", "Comparison"),
    "comparison_table": ("comparison", "comparison_table"),
    "sweep": ("sweeps", "sweep"),
    "Sweep": ("sweeps", "Sweep"),
    "multiplier": ("capex_multiplier", "multiplier"),
    "Multiplier": ("capex_multiplier", "Multiplier"),
    "regime": ("regime_map", "regime"),
    "RegimeMap": ("regime_map", "RegimeMap"),
    "load": ("store", "load"),
    "Results": ("store", "Results"),
    "Store": ("store", "Store"),
    "ExperimentError": ("store", "ExperimentError"),
    "Experiment": ("engine", "Experiment"),
    "Options": ("engine", "Options"),
    "PlannedRun": ("engine", "PlannedRun"),
    "Runner": ("engine", "Runner"),
    "InProcessExecutor": ("executors", "InProcessExecutor"),
    "open_executor": ("executors", "open_executor"),
    "Axis": ("parameters", "Axis"),
    "parse_axis": ("parameters", "parse_axis"),
    "RunOutcome": ("runs", "RunOutcome"),
    "RunSpec": ("runs", "RunSpec"),
    "ScenarioSource": ("runs", "ScenarioSource"),
    "execute_run": ("runs", "execute_run"),
    "make_spec": ("runs", "make_spec"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'inverse_qe.experiments' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f"inverse_qe.experiments.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
