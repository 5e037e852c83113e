"""What experiments vary: axis parsing, scaled paths, derived parameters."""

from __future__ import annotations

import pytest

from inverse_qe.experiments.parameters import (
    format_value,
    initial_dry_powder,
    parse_axis,
    point_overrides,
)
from inverse_qe.experiments.store import ExperimentError
from inverse_qe.scenarios.loader import load


def test_parse_axis_kinds(source):
    field = parse_axis("suppliers.recycling=0.2:0.6:3", source)
    assert (field.kind, field.low, field.high, field.points) == ("field", 0.2, 0.6, 3)
    assert list(field.grid()) == pytest.approx([0.2, 0.4, 0.6])
    scale = parse_axis("hyperscalers.capex*=0.5:1.5", source)
    assert scale.kind == "scale" and scale.label == "hyperscalers.capex*"
    derived = parse_axis("capex_growth=0:0.5:2", source)
    assert derived.kind == "derived"
    integer = parse_axis("hedge_funds.redemption_notice=2:6:3", source)
    assert integer.integer and list(integer.grid()) == [2, 4, 6]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("suppliers.recycling", "expected"),
        ("suppliers.nothing=0:1", "no field"),
        ("suppliers.recycling=a:1", "not a number"),
        ("hyperscalers.capex=1:2", "time path"),
        ("capex_growth*=1:2", "is set, not scaled"),
        ("suppliers.recycling=0:1:x", "whole number"),
    ],
)
def test_parse_axis_explains_mistakes(source, text, message):
    with pytest.raises(ExperimentError, match=message):
        parse_axis(text, source)


def test_scaling_a_time_path_scales_every_point(source):
    axis = parse_axis("hyperscalers.capex*=0.5:2", source)
    overrides = axis.overrides(source, [], 0.5)
    scaled = source.scenario(overrides).hyperscalers.capex
    original = source.scenario().hyperscalers.capex
    assert [v for _, v in scaled] == pytest.approx([0.5 * v for _, v in original])


def test_capex_growth_sets_an_exponential_path(source):
    overrides = parse_axis("capex_growth=0:1", source).overrides(source, [], 0.3)
    path = dict(source.scenario(overrides).hyperscalers.capex)
    start = source.scenario().hyperscalers.capex[0][1]
    assert path[0] == pytest.approx(start)
    assert path[52] == pytest.approx(start * 1.3)


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.5])
def test_dry_powder_reaches_its_target(source, factor):
    base = sum(initial_dry_powder(source, []).values())
    target = factor * base
    overrides = point_overrides(source, [parse_axis("dry_powder=0:1", source)], [target], [])
    assert sum(initial_dry_powder(source, overrides).values()) == pytest.approx(target, abs=1e-6)
    # Only the idle money moves: the scenario's other fields are untouched.
    changed = load("dry_powder_exhaustion", overrides)
    assert changed.hyperscalers.capex == source.scenario().hyperscalers.capex


def test_format_value_round_trips_through_toml(source):
    import tomllib

    value = [[0, 13.5], [52, 1 / 3]]
    assert tomllib.loads(f"v = {format_value(value)}")["v"] == value
    assert format_value(True) == "true" and format_value('a"b') == '"a\\"b"'


def test_dry_powder_beyond_what_idle_cash_allows_is_refused(source):
    from inverse_qe.experiments.parameters import max_dry_powder

    most = max_dry_powder(source, [])
    axis = parse_axis("dry_powder=0:1", source)
    assert point_overrides(source, [axis], [0.99 * most], [])
    with pytest.raises(ExperimentError, match="at most"):
        point_overrides(source, [axis], [1.05 * most], [])
