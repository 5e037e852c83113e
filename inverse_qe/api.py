"""The Python API: load a scenario, run it, get its tables as DataFrames.

::

    import inverse_qe as iq

    scenario = iq.load_scenario("dry_powder_exhaustion", overrides={"suppliers.recycling": 0.5})
    result = iq.run(scenario, seed=3, weeks=52)
    result.timeseries          # one row per week (a DataFrame)
    result.summary             # the headline metrics (a dict, as in summary.json)
    result.write("runs/mine")  # every file ``inverse-qe run`` writes

``inverse_qe.read_run(directory)`` reads a directory that ``inverse-qe run``
wrote back into the same tables. Mesa users can build
:class:`~inverse_qe.model.bathtub.BathtubModel` themselves and step it; its
``datacollector`` holds the weekly series.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, as_scenario, load

if TYPE_CHECKING:
    import pandas as pd

    from inverse_qe.model.bathtub import BathtubModel
    from inverse_qe.scenarios.schema import Scenario

__all__ = ["RunResult", "events_frame", "load_scenario", "run"]


def _assignments(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``--set`` style ``field.path=value`` strings from a mapping or a list of them."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        return [overrides]
    if isinstance(overrides, Mapping):
        return [f"{field}={_toml_value(value)}" for field, value in overrides.items()]
    return [str(item) for item in overrides]


def _toml_value(value: Any) -> str:
    """A Python value as the TOML text an override takes."""
    import tomli_w

    text = tomli_w.dumps({"value": value}).strip()
    return text.removeprefix("value = ")


def load_scenario(
    name_or_path: str | Path = DEFAULT_SCENARIO,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Scenario:
    """Load a built-in scenario or a ``.toml`` file, with overrides, validated.

    Args:
        name_or_path: a built-in name (``inverse-qe list``) or a path.
        overrides: ``{"suppliers.recycling": 0.5}`` or ``["suppliers.recycling=0.5"]``,
            as ``--set`` takes them (list items by name or index:
            ``"sovereign_funds.softbank.cash"``).

    Raises:
        inverse_qe.scenarios.loader.ScenarioError: the scenario or an override is invalid
            (the message names the field and what was expected).
    """
    return load(str(name_or_path), _assignments(overrides))


class RunResult:
    """A finished run: its model, its twin and its tables.

    Attributes:
        model: the finished :class:`~inverse_qe.model.bathtub.BathtubModel`.
        twin: the same scenario and seed without AI spending (see
            :mod:`inverse_qe.twin`), or None; with it the tables carry what AI
            spending did (``capex_effect``).
    """

    def __init__(self, model: BathtubModel, twin: BathtubModel | None = None) -> None:
        self.model = model
        self.twin = twin

    def __repr__(self) -> str:
        return (
            f"<RunResult {self.model.config.name} seed {self.model.seed}, {self.model.week} weeks>"
        )

    @property
    def scenario(self) -> Scenario:
        """The scenario the run used, fully resolved."""
        return self.model.config

    @property
    def seed(self) -> int:
        """The run's seed."""
        return self.model.seed

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        """One row per week: ``timeseries.csv``."""
        from inverse_qe.results import timeseries

        return timeseries(self.model, self.twin)

    @cached_property
    def flows(self) -> pd.DataFrame:
        """Every ledger movement: ``flows.csv``."""
        from inverse_qe.results import flows

        return flows(self.model)

    @cached_property
    def balances(self) -> pd.DataFrame:
        """Every holder's cash, debt and holdings at week 0 and at the end: ``balances.csv``."""
        from inverse_qe.results import balances

        return balances(self.model)

    @cached_property
    def events(self) -> pd.DataFrame:
        """One row per event (``events.jsonl``): type, week, holder, id, causes and fields."""
        return events_frame(event.to_dict() for event in self.model.events)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The headline metrics: ``summary.json``."""
        from inverse_qe.results import summary

        return json.loads(json.dumps(summary(self.model, self.twin), default=_plain))

    def write(self, out: str | Path, *, force: bool = False, figure: bool = True) -> Path:
        """Write every file of ``inverse-qe run`` into ``out`` (atomically); the directory."""
        from inverse_qe.results import write_run

        return write_run(self.model, Path(out), twin=self.twin, figure=figure, force=force)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def events_frame(records) -> pd.DataFrame:
    """Events as a DataFrame: the common columns first, each type's own fields after."""
    import pandas as pd

    frame = pd.DataFrame(list(records))
    common = ["type", "week", "holder", "id", "causes"]
    if frame.empty:
        return pd.DataFrame(columns=common)
    return frame[[*common, *(c for c in frame.columns if c not in common)]]


def run(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    *,
    seed: int | None = None,
    weeks: int | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    twin: bool = True,
) -> RunResult:
    """Run one scenario to its end, and its twin without AI spending.

    Args:
        scenario: a :class:`~inverse_qe.scenarios.schema.Scenario`, a built-in
            name or a ``.toml`` path.
        seed: the run's seed (default: the scenario's ``run.seed``).
        weeks: run length (default: the scenario's ``run.weeks``).
        overrides: field overrides, as :func:`load_scenario` takes them.
        twin: also run the same scenario and seed without AI spending (as
            ``inverse-qe run`` does unless ``--no-twin``).

    Returns:
        The finished run with its tables as DataFrames.
    """
    from inverse_qe.model.bathtub import BathtubModel

    if overrides:
        if not isinstance(scenario, str | Path):
            raise TypeError("overrides apply to a scenario name or path; load_scenario() it first")
        scenario = load_scenario(scenario, overrides)
    scenario = as_scenario(scenario)
    model = BathtubModel(scenario, seed=seed, weeks=weeks).run()
    if not twin:
        return RunResult(model)
    from inverse_qe.twin import without_ai_spending

    return RunResult(
        model, BathtubModel(without_ai_spending(scenario), seed=model.seed, weeks=weeks).run()
    )
