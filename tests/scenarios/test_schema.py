"""The scenario schema's ranges: documented, enforced, and survived by the model.

The property: any scenario whose numbers lie inside the schema's ranges runs
with cash conserved and prices finite. Hypothesis draws scenarios inside the
ranges (several fields at a time, values at and between the bounds) and runs
the model; a slow test sets every field to each of its bounds and runs the
whole scenario.
"""

from __future__ import annotations

import typing
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from annotated_types import Ge, Gt, Le
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios import schema
from inverse_qe.scenarios.loader import ScenarioError, load, resolve

#: Fields whose draws the property leaves alone (the run's calendar and length are given).
FIXED = {"run.weeks", "run.seed", "run.start_date"}


@dataclass(frozen=True)
class NumericField:
    """A numeric field of the schema: its path (``*`` for a list entry), bounds, kind."""

    path: str
    low: float
    high: float
    integer: bool
    time_path: bool
    description: str


def _bounds(metadata) -> tuple[float, float]:
    low = high = None
    for item in metadata:
        if isinstance(item, Ge):
            low = item.ge
        elif isinstance(item, Gt):
            low = np.nextafter(item.gt, np.inf)
        elif isinstance(item, Le):
            high = item.le
    return low, high


def _model_in(annotation) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def numeric_fields(model: type[BaseModel] = schema.Scenario, prefix: str = "") -> list:
    """Every numeric field of the schema, with its bounds (walks nested tables and lists)."""
    found = []
    for name, info in model.model_fields.items():
        path, annotation = prefix + name, info.annotation
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        nested = _model_in(annotation)
        if origin is list and args and _model_in(args[0]):
            found += numeric_fields(_model_in(args[0]), f"{path}.*.")
        elif origin is dict and args and _model_in(args[1]):
            found += numeric_fields(_model_in(args[1]), f"{path}.*.")
        elif nested is not None:
            found += numeric_fields(nested, f"{path}.")
        elif origin is list and args and typing.get_origin(args[0]) is tuple:
            value = typing.get_args(typing.get_args(args[0])[1])[1]
            low, high = _bounds(value.metadata)
            found.append(NumericField(path, low, high, False, True, info.description or ""))
        elif origin is dict and args and typing.get_args(args[1]):
            value = typing.get_args(args[1])[1]
            low, high = _bounds(value.metadata)
            found.append(NumericField(f"{path}.*", low, high, False, False, ""))
        elif annotation in (int, float):
            low, high = _bounds(info.metadata)
            found.append(
                NumericField(path, low, high, annotation is int, False, info.description or "")
            )
    return found


FIELDS = [f for f in numeric_fields() if f.path not in FIXED]
_, BASE = resolve("dry_powder_exhaustion")


def test_every_numeric_field_has_a_documented_two_sided_range():
    assert len(FIELDS) > 100
    for field in numeric_fields():
        assert field.low is not None and field.high is not None, field.path
        assert field.low <= field.high, field.path
        if not field.path.endswith(".*") and field.path not in {"run.start_date"}:
            assert field.description, f"{field.path}: no reason given for its range"


def test_the_json_schema_carries_the_ranges_and_reasons():
    from inverse_qe.scenarios.commands import scenario_json_schema

    households = scenario_json_schema()["$defs"]["HouseholdSpec"]["properties"]["cash"]
    assert households["maximum"] == schema.MAX_MONEY and households["minimum"] == 0
    assert "US$bn" in households["description"]


def _keys(path: str) -> list[str]:
    """Concrete paths for a field path with ``*`` (list entries by name, table keys)."""
    head, _, rest = path.partition(".*")
    node = BASE
    for key in head.split("."):
        node = node[key]
    keys = [item["name"] for item in node] if isinstance(node, list) else list(node)
    return [f"{head}.{k}{rest}" for k in keys]


#: In the fast property, integers that only cost time (agents, look-back windows) stay below
#: this; the slow test runs each at its bound.
FAST_INTEGER_CAP = 400


@st.composite
def overrides(draw, fast: bool = True) -> list[str]:
    """``--set`` assignments for a few fields, each inside its range."""
    chosen = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True))
    assignments = []
    for field in chosen:
        path = draw(st.sampled_from(_keys(field.path))) if "*" in field.path else field.path
        if field.integer:
            high = min(field.high, FAST_INTEGER_CAP) if fast else field.high
            value = str(draw(st.integers(int(field.low), int(high))))
        else:
            number = st.floats(field.low, field.high, allow_nan=False, allow_infinity=False)
            value = repr(draw(number))
            if field.time_path:
                later = repr(draw(number))
                value = f"[[0, {value}], [{draw(st.integers(1, 104))}, {later}]]"
        assignments.append(f"{path}={value}")
    return assignments


def run_conserved(assignments: list[str], weeks: int | None, seed: int = 1) -> BathtubModel:
    """Run the default scenario with ``assignments``; assert conservation and finite prices."""
    scenario = load("dry_powder_exhaustion", assignments)
    model = BathtubModel(scenario, seed=seed, weeks=weeks, check_invariants=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # extremes overflow harmlessly in logs
        model.run()
    assert model.ledger.conservation_error() < 1e-9
    assert np.all(np.isfinite(model.markets.price)) and np.all(model.markets.price > 0)
    return model


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(assignments=overrides(), seed=st.integers(0, 2**32))
def test_any_scenario_inside_the_ranges_runs_with_cash_conserved(assignments, seed):
    try:
        BathtubModel(load("dry_powder_exhaustion", assignments), weeks=1)
    except ScenarioError:
        reject()  # a cross-field rule (holdings above units, leverage above its limit)
    run_conserved(assignments, weeks=26, seed=seed)


@pytest.mark.parametrize(
    "capex",
    [
        "[[0, 1080.0], [52, 1320.0], [104, 1520.0]]",  # 80x the calibration
        "[[0, 1350.0], [52, 1650.0], [104, 1900.0]]",  # 100x
        f"[[0, {schema.MAX_FLOW!r}]]",  # the cap, every week
    ],
)
def test_extreme_capex_inside_the_range_runs_to_the_end_with_cash_conserved(capex):
    model = run_conserved([f"hyperscalers.capex={capex}"], weeks=None)
    assert model.week == 104


def test_values_outside_the_ranges_are_refused_naming_the_field():
    for assignment, field in [
        ("households.cash=1e308", "households.cash"),
        ("assets.crypto.price=1e308", "assets.crypto.price"),
        ("assets.crypto.volatility=1e6", "assets.crypto.volatility"),
        ("central_bank.qe_pace=[[0, 1e6]]", "central_bank.qe_pace"),
        ("hedge_funds.strategies.0.count=1e12", "hedge_funds.strategies.0.count"),
        ("run.start_date=9999-12-01", "run.start_date"),
        ('name="../x"', "name"),
        ('assets.crypto.kind="equity"', None),  # in range: accepted
    ]:
        if field is None:
            load("dry_powder_exhaustion", [assignment])
            continue
        with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
            load("dry_powder_exhaustion", [assignment])


@pytest.mark.slow
@pytest.mark.parametrize("field", FIELDS, ids=[f.path for f in FIELDS])
def test_every_field_at_each_bound_runs_the_whole_scenario(field):
    path = _keys(field.path)[0] if "*" in field.path else field.path
    for bound in (field.low, field.high):
        value = str(int(bound)) if field.integer else repr(float(bound))
        assignment = f"{path}=[[0, {value}]]" if field.time_path else f"{path}={value}"
        try:
            BathtubModel(load("dry_powder_exhaustion", [assignment]), weeks=1)
        except ScenarioError:
            continue  # a cross-field rule refuses it (e.g. leverage above its limit)
        run_conserved([assignment], weeks=None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.floats(-schema.MAX_FLOW, schema.MAX_FLOW, allow_nan=False),
    later=st.floats(-schema.MAX_FLOW, schema.MAX_FLOW, allow_nan=False),
    week=st.integers(1, 52),
)
def test_any_bill_path_in_range_runs_with_cash_conserved_and_the_rrp_never_negative(
    first, later, week
):
    # history_2024 opens with US$700bn at the RRP, so bills have something to drain
    assignment = f"treasury.bills=[[0, {first!r}], [{week}, {later!r}]]"
    model = BathtubModel(load("history_2024", [assignment]), weeks=8, check_invariants=True)
    model.run()
    assert model.ledger.conservation_error() < 1e-9
    assert model.ledger.cash[model.rows.rrp] >= -1e-9
    assert model.ledger.cash[model.rows.treasury] >= -1e-9


@given(
    value=st.one_of(
        st.floats(schema.MAX_FLOW, 1e300, exclude_min=True),
        st.floats(-1e300, -schema.MAX_FLOW, exclude_max=True),
        st.just(float("nan")),
    )
)
def test_bill_paths_outside_the_range_are_refused_naming_the_field(value):
    with pytest.raises(ScenarioError, match=r"treasury\.bills"):
        load("history_2024", [f"treasury.bills=[[0, {value!r}]]"])
