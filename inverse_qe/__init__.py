"""inverse-qe: an agent-based model of liquidity in which AI capex acts as inverse QE.

::

    import inverse_qe as iq

    result = iq.run("dry_powder_exhaustion", seed=3, weeks=52)
    result.timeseries                     # pandas DataFrames: timeseries, flows, balances, events
    result.summary                        # the headline metrics

    scenario = iq.load_scenario("fed_pivot", overrides={"suppliers.recycling": 0.5})
    model = iq.BathtubModel(scenario, rng=7)   # a Mesa model: step(), run_for(), datacollector
    iq.read_run("runs/dry_powder_exhaustion_seed42")   # a directory ``inverse-qe run`` wrote

Names are imported on first use, so ``import inverse_qe`` stays light.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("inverse-qe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

_EXPORTS = {
    "load_scenario": "inverse_qe.api",
    "run": "inverse_qe.api",
    "RunResult": "inverse_qe.api",
    "read_run": "inverse_qe.recorded",
    "RecordedRun": "inverse_qe.recorded",
    "BathtubModel": "inverse_qe.model.bathtub",
    "Scenario": "inverse_qe.scenarios.schema",
    "ScenarioError": "inverse_qe.scenarios.loader",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'inverse_qe' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
