"""What an experiment varies: ``--vary``/``--x``/``--y`` axes and how they become overrides.

An axis is written ``NAME=LO:HI[:N]`` and comes in three kinds:

* ``field.path=LO:HI`` sets a scalar field of the scenario (any field
  ``--set`` accepts), e.g. ``suppliers.recycling=0.2:0.6:5``;
* ``field.path*=LO:HI`` multiplies a field by a factor: every point of a time
  path (``hyperscalers.capex*=0.5:1.5``) or a scalar;
* a derived parameter, which sets several fields consistently:

  - ``capex_growth``: annual growth of hyperscaler capex from its week-0 level,
    ``capex(w) = capex(0) · (1 + g)^(w/52)`` (the built-in
    ``dry_powder_exhaustion`` path grows about 19% a year, ``early_phase`` 44%);
  - ``dry_powder``: investors' initial dry powder, US$bn (cash above money
    demand at week 0, all sectors). Each sector's dry powder is scaled by the
    same factor: households' and value investors' money share is lowered or
    raised (same money, more or less of it idle), sovereign funds' and
    hyperscalers' cash is raised or lowered by their dry powder's change.

Every value becomes ``field.path=value`` overrides at planning time, so a run
stays a pure function of (source, overrides, seed, weeks).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inverse_qe.errors import UserError
from inverse_qe.experiments.runs import ScenarioSource
from inverse_qe.experiments.store import ExperimentError

_AXIS = re.compile(
    r"^\s*(?P<name>[A-Za-z_][\w.\-]*?)\s*(?P<op>\*?=)\s*(?P<lo>[^:]+):(?P<hi>[^:]+)(?::(?P<n>[^:]+))?\s*$"
)


def format_value(value: Any) -> str:
    """A Python value as TOML (for ``field.path=value``): exact floats, dates, lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ValueError(f"cannot write {value!r} as a scenario value")


def lookup(data: dict[str, Any], path: str) -> Any:
    """The value at ``a.b.c`` in raw scenario data (list items by index or name)."""
    node: Any = data
    for key in path.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list):
            if key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                named = [i for i in node if isinstance(i, dict) and i.get("name") == key]
                if not named:
                    raise KeyError(path)
                node = named[0]
        else:
            raise KeyError(path)
    return node


def is_path(value: Any) -> bool:
    """A time path: ``[[week-or-date, value], ...]``."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(p, list | tuple) and len(p) == 2 for p in value)
    )


def scaled(value: Any, factor: float) -> Any:
    """A scalar or every point of a time path, times ``factor``."""
    if is_path(value):
        return [[key, float(v) * factor] for key, v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * factor
    raise TypeError("only numbers and time paths can be scaled")


def shifted(value: Any, offset: float) -> Any:
    """Every point of a time path (or a scalar) plus ``offset``."""
    if is_path(value):
        return [[key, float(v) + offset] for key, v in value]
    return float(value) + offset


def apply(source: ScenarioSource, overrides: list[str]) -> dict[str, Any]:
    """Raw scenario data with overrides applied (raises ``ScenarioError``)."""
    from inverse_qe.scenarios.loader import apply_override

    data = source.data()
    for assignment in overrides:
        data = apply_override(source.label, data, assignment)
    return data


def capex_growth_overrides(data: dict[str, Any], growth: float) -> list[str]:
    """Replace the capex path by ``capex(0)·(1+g)^(w/52)``, a point every 4 weeks."""
    if growth <= -1:
        raise ExperimentError(f"capex_growth: expected a growth rate above -1, got {growth}")
    weeks = int(data["run"]["weeks"])
    start = float(lookup(data, "hyperscalers.capex")[0][1])
    points = [[w, start * (1 + growth) ** (w / 52)] for w in [*range(0, weeks, 4), weeks]]
    return [f"hyperscalers.capex={format_value(points)}"]


def initial_dry_powder(source: ScenarioSource, overrides: list[str]) -> dict[str, float]:
    """Dry powder per holder at week 0, US$bn (only holders that have some)."""
    from inverse_qe.model.bathtub import BathtubModel
    from inverse_qe.model.liquidity import dry_powder_by_sector

    scenario = source.scenario(overrides)
    model = BathtubModel(scenario, weeks=1, check_invariants=False)
    try:
        cash = np.asarray(model.ledger.cash, dtype=float)
        demand = np.asarray(model.money_demand, dtype=float)
        rows = model.ledger.index
    except AttributeError as error:  # pragma: no cover - guards against model refactors
        raise ExperimentError(f"dry_powder: the model no longer exposes {error.name}") from None
    dry = {name: float(max(cash[i] - demand[i], 0.0)) for name, i in rows.items()}
    total = sum(dry_powder_by_sector(model).values())
    found = sum(v for k, v in dry.items() if _dry_powder_holder(k, scenario))
    if not math.isclose(found, total, rel_tol=1e-6, abs_tol=1e-6):  # pragma: no cover
        raise ExperimentError(
            f"dry_powder: holders' dry powder ({found:.3f}) does not add up to the model's"
            f" ({total:.3f}); the model changed how dry powder is counted"
        )
    return {k: v for k, v in dry.items() if v > 0 and _dry_powder_holder(k, scenario)}


def _dry_powder_holder(name: str, scenario) -> bool:
    if name in ("households", "value_investors"):
        return True
    names = {f.name for f in scenario.hyperscalers.firms} | {
        f.name for f in scenario.sovereign_funds
    }
    return name in names or any(
        name.startswith(f"{s.name}_") for s in scenario.hedge_funds.strategies
    )


def dry_powder_overrides(source: ScenarioSource, overrides: list[str], target: float) -> list[str]:
    """Overrides that make investors' initial dry powder ``target`` US$bn."""
    if target < 0:
        raise ExperimentError(f"dry_powder: expected US$bn >= 0, got {target}")
    scenario = source.scenario(overrides)
    dry = initial_dry_powder(source, overrides)
    total = sum(dry.values())
    if total <= 0:
        raise ExperimentError(f"dry_powder: {source.label} starts with no dry powder to scale")
    factor = target / total
    result: list[str] = []
    sectors = {"households": "households", "value_investors": "absorber"}
    for holder, table in sectors.items():
        if holder not in dry:
            continue
        spec = getattr(scenario, table)
        share = spec.money_share
        wealth = (spec.cash - dry[holder]) / share if share > 0 else math.inf
        if not math.isfinite(wealth) or wealth <= 0:
            continue
        new_share = (spec.cash - factor * dry[holder]) / wealth
        if not 0 <= new_share <= 1:
            most = max_dry_powder(source, overrides)
            raise ExperimentError(
                f"dry_powder={target:g}: {table}.money_share would be {new_share:.3f}; at most"
                f" US${most:,.0f}bn is possible (all of the sector's cash idle)"
            )
        result.append(f"{table}.money_share={format_value(float(new_share))}")
    for group, items in (
        ("hyperscalers.firms", scenario.hyperscalers.firms),
        ("sovereign_funds", scenario.sovereign_funds),
    ):
        for item in items:
            if item.name in dry:
                # A fund keeps a reserve of money_share of its wealth, cash included: each
                # US$ of cash adds only 1 - money_share of dry powder.
                kept = getattr(item, "money_share", 0.0)
                cash = item.cash + (factor - 1) * dry[item.name] / (1.0 - kept)
                result.append(f"{group}.{item.name}.cash={format_value(float(max(cash, 0.0)))}")
    return result


def max_dry_powder(source: ScenarioSource, overrides: list[str]) -> float:
    """The largest initial dry powder :func:`dry_powder_overrides` can reach, US$bn.

    Households' and value investors' dry powder grows by lowering their money
    share, which cannot go below zero: at most all their cash is idle.
    """
    scenario = source.scenario(overrides)
    dry = initial_dry_powder(source, overrides)
    total = sum(dry.values())
    factors = [
        getattr(scenario, table).cash / dry[holder]
        for holder, table in (("households", "households"), ("value_investors", "absorber"))
        if dry.get(holder, 0) > 0
    ]
    return total * min(factors) if factors else math.inf


@dataclass(frozen=True)
class Axis:
    """One varied parameter: its name, kind, range and number of grid points."""

    name: str
    kind: str  # "field", "scale" or "derived"
    low: float
    high: float
    points: int | None = None
    integer: bool = False

    @property
    def label(self) -> str:
        """How tables and plots name it."""
        return f"{self.name}*" if self.kind == "scale" else self.name

    def grid(self, default: int = 5) -> np.ndarray:
        """Evenly spaced values from low to high."""
        values = np.linspace(self.low, self.high, self.points or default)
        return np.round(values) if self.integer else values

    def at(self, unit: np.ndarray) -> np.ndarray:
        """Values at positions in [0, 1] (for quasi-random designs)."""
        values = self.low + (self.high - self.low) * np.asarray(unit)
        return np.round(values) if self.integer else values

    def overrides(self, source: ScenarioSource, before: list[str], value: float) -> list[str]:
        """The overrides that give this axis ``value``, after ``before`` is applied."""
        value = int(value) if self.integer else float(value)
        try:
            if self.kind == "derived":
                return DERIVED[self.name][1](source, before, value)
            data = apply(source, before)
            current = lookup(data, self.name)
            if self.kind == "scale":
                return [f"{self.name}={format_value(scaled(current, value))}"]
            return [f"{self.name}={format_value(value)}"]
        except (ValueError, OverflowError) as error:
            if isinstance(error, UserError):  # a bad scenario or axis says so itself
                raise
            raise ExperimentError(
                f"{self.label}: the scenario value it gives is not a finite number;"
                " choose a smaller range"
            ) from None

    def describe(self) -> dict[str, Any]:
        """JSON-safe description."""
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "points": self.points,
        }


def _capex_growth(source: ScenarioSource, before: list[str], value: float) -> list[str]:
    return capex_growth_overrides(apply(source, before), value)


def _dry_powder(source: ScenarioSource, before: list[str], value: float) -> list[str]:
    return dry_powder_overrides(source, before, value)


#: Derived parameters: name -> (description, overrides(source, before, value)).
DERIVED: dict[str, tuple[str, Callable[[ScenarioSource, list[str], float], list[str]]]] = {
    "capex_growth": ("annual growth of hyperscaler capex from its week-0 level", _capex_growth),
    "dry_powder": ("investors' initial dry powder, US$bn", _dry_powder),
}


def _number(text: str, what: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ExperimentError(f"{spec!r}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ExperimentError(f"{spec!r}: {what} must be finite")
    return value


def parse_axis(spec: str, source: ScenarioSource | None = None) -> Axis:
    """Parse ``NAME=LO:HI[:N]`` or ``NAME*=LO:HI[:N]`` (checks the field exists)."""
    match = _AXIS.match(spec)
    if match is None:
        raise ExperimentError(
            f"{spec!r}: expected field.path=LO:HI[:N] (or field.path*=LO:HI[:N] to scale,"
            f" or one of {', '.join(DERIVED)})"
        )
    name, op = match["name"], match["op"]
    low = _number(match["lo"], "LO", spec)
    high = _number(match["hi"], "HI", spec)
    points = None
    if match["n"] is not None:
        try:
            points = int(match["n"])
        except ValueError:
            raise ExperimentError(f"{spec!r}: N {match['n']!r} is not a whole number") from None
        if points < 1:
            raise ExperimentError(f"{spec!r}: N must be at least 1")
    if name in DERIVED:
        if op != "=":
            raise ExperimentError(f"{spec!r}: {name} is set, not scaled: write {name}=LO:HI")
        return Axis(name, "derived", low, high, points)
    kind = "scale" if op == "*=" else "field"
    integer = False
    if source is not None:
        try:
            current = lookup(source.data(), name)
        except KeyError:
            raise ExperimentError(
                f"{spec!r}: {source.label} has no field {name!r}"
                f" (derived parameters: {', '.join(DERIVED)})"
            ) from None
        if kind == "field" and is_path(current):
            raise ExperimentError(
                f"{spec!r}: {name} is a time path; scale it with {name}*=LO:HI"
                + (" or vary capex_growth" if name == "hyperscalers.capex" else "")
            )
        if (kind == "field" and not isinstance(current, int | float)) or isinstance(current, bool):
            raise ExperimentError(f"{spec!r}: {name} is not a number ({current!r})")
        if kind == "scale" and not (is_path(current) or isinstance(current, int | float)):
            raise ExperimentError(f"{spec!r}: {name} is neither a number nor a time path")
        integer = (
            kind == "field" and isinstance(current, int) and low.is_integer() and high.is_integer()
        )
    return Axis(name, kind, low, high, points, integer)


def point_overrides(
    source: ScenarioSource, axes: list[Axis], values: list[float], base: list[str]
) -> list[str]:
    """The overrides of one design point: ``base`` then each axis in order."""
    overrides = list(base)
    for axis, value in zip(axes, values, strict=True):
        overrides += axis.overrides(source, overrides, value)
    return overrides
