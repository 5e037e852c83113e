"""Loading scenarios: built-ins, files, extends, overrides, and errors that name the field."""

from __future__ import annotations

import contextlib
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inverse_qe.scenarios.loader import (
    ScenarioError,
    builtin_names,
    deep_merge,
    load,
    parse_value,
    resolve,
    validate,
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_the_default_scenario_is_built_in_and_valid():
    assert "dry_powder_exhaustion" in builtin_names()
    scenario = load()
    assert scenario.name == "dry_powder_exhaustion"
    assert {"treasuries", "memory", "saas", "speculative", "crypto"} <= set(scenario.assets)


def test_a_user_file_extends_a_builtin_from_any_directory(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        "mine.toml",
        """
        extends = "dry_powder_exhaustion"
        name = "mine"
        [suppliers]
        recycling = 0.5
    """,
    )
    monkeypatch.chdir(tmp_path.parent)
    scenario = load(str(path))
    assert scenario.name == "mine"
    assert scenario.suppliers.recycling == 0.5
    assert scenario.suppliers.memory_share == load().suppliers.memory_share


def test_extends_resolves_relative_paths_against_the_extending_file(tmp_path):
    write(tmp_path, "base.toml", 'extends = "dry_powder_exhaustion"\nname = "base"\n')
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\nname = "child"\n')
    assert load(str(child)).name == "child"


def test_a_cycle_of_extends_is_an_error(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    a = tmp_path / "a.toml"
    write(tmp_path, "b.toml", f'extends = "{a}"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load(str(a))


def test_deep_merge_merges_tables_and_replaces_lists():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    merged = deep_merge(base, {"a": {"y": [3]}, "c": 3})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 3}
    assert base["a"]["y"] == [1, 2]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[suppliers]\nrecyclng = 0.3\n", "suppliers.recyclng"),
        ("[suppliers]\nrecycling = 1.5\n", "suppliers.recycling"),
        ("[assets.crypto]\nelasticity = 0.0\n", "assets.crypto.elasticity"),
        ("[assets.crypto]\nelasticity = -1.0\n", "assets.crypto.elasticity"),
        ("[households]\ncash = -5.0\n", "households.cash"),
        ("[hyperscalers]\ncapex = []\n", "hyperscalers.capex"),
        ("[hyperscalers]\ncapex = [[10, 1.0], [5, 2.0]]\n", "hyperscalers.capex"),
        ("[treasury]\ndeficit = [[2020-01-01, 1.0]]\n", "treasury.deficit"),
        ("[central_bank]\nrule = 'hawk'\n", "central_bank.rule"),
        ("[run]\nweeks = 'many'\n", "run.weeks"),
    ],
)
def test_bad_values_are_errors_naming_the_file_and_the_field(tmp_path, text, field):
    path = write(tmp_path, "bad.toml", 'extends = "dry_powder_exhaustion"\n' + text)
    with pytest.raises(ScenarioError) as raised:
        load(str(path))
    message = str(raised.value)
    assert str(path) in message
    assert field in message


def test_leverage_below_one_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "bad.toml",
        """
        extends = "dry_powder_exhaustion"
        [[hedge_funds.strategies]]
        name = "odd"
        count = 1
        equity = 1.0
        leverage = 0.5
        leverage_limit = 2.0
        weights = { crypto = 1.0 }
    """,
    )
    with pytest.raises(ScenarioError, match=r"hedge_funds\.strategies\.0\.leverage"):
        load(str(path))


def test_an_unknown_field_suggests_the_close_one(tmp_path):
    path = write(
        tmp_path, "typo.toml", 'extends = "dry_powder_exhaustion"\n[suppliers]\nrecyclng = 0.3\n'
    )
    with pytest.raises(ScenarioError, match="did you mean 'recycling'"):
        load(str(path))


def test_an_unknown_asset_named_in_a_portfolio_is_an_error():
    with pytest.raises(ScenarioError, match="unknown asset 'bitcoin'"):
        load("dry_powder_exhaustion", ["households.momentum_assets=['bitcoin']"])


def test_unknown_scenario_name_suggests_a_builtin():
    with pytest.raises(ScenarioError, match="did you mean 'dry_powder_exhaustion'"):
        load("dry_powder_exhaustio")


def test_broken_toml_is_an_error(tmp_path):
    path = write(tmp_path, "broken.toml", "name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load(str(path))


def test_overrides_reach_nested_fields_and_named_list_items():
    scenario = load(
        "dry_powder_exhaustion",
        [
            "suppliers.recycling=0.6",
            "sovereign_funds.softbank.cash=1.5",
            "hedge_funds.strategies.0.count=3",
            "central_bank.policy_rate=[[0, 0.05]]",
        ],
    )
    assert scenario.suppliers.recycling == 0.6
    assert next(f for f in scenario.sovereign_funds if f.name == "softbank").cash == 1.5
    assert scenario.hedge_funds.strategies[0].count == 3
    assert scenario.central_bank.policy_rate == [(0, 0.05)]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("suppliers.recycling", "expected field.path=value"),
        ("suppliers.recyclng=0.3", "did you mean 'recycling'"),
        ("sovereign_funds.nobody.cash=1", "no item 'nobody'"),
        ("suppliers.recycling=abc", "suppliers.recycling"),
    ],
)
def test_bad_overrides_are_errors_naming_the_field(assignment, message):
    with pytest.raises(ScenarioError, match=message):
        load("dry_powder_exhaustion", [assignment])


def test_parse_value_reads_toml_values_and_falls_back_to_text():
    assert parse_value("0.5") == 0.5
    assert parse_value("[[0, 1.0]]") == [[0, 1.0]]
    assert parse_value("true") is True
    assert parse_value("warsh") == "warsh"


_, BASE = resolve("dry_powder_exhaustion")


def _leaves(node, path=()):
    """Every scalar or list-valued field of the raw scenario, as a key path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path


LEAVES = list(_leaves(BASE))
MUTANT_VALUES = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-5, 5), max_size=3),
    st.lists(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=2), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from(LEAVES),
    value=MUTANT_VALUES,
    action=st.sampled_from(["replace", "delete", "add_key"]),
    new_key=st.text(min_size=1, max_size=8),
)
def test_mutated_scenarios_load_or_raise_the_scenario_error_only(field, value, action, new_key):
    # Types, values and keys mutated at random: loading succeeds or raises ScenarioError,
    # never any other exception.
    data = deep_merge(BASE, {})
    node = data
    for key in field[:-1]:
        node = node[key]
    if action == "replace":
        node[field[-1]] = value
    elif action == "delete":
        del node[field[-1]]
    else:
        node[new_key] = value
    with contextlib.suppress(ScenarioError):
        validate("mutant", data)


def test_a_file_can_add_an_asset_class_and_hold_it(tmp_path):
    from inverse_qe.model.bathtub import BathtubModel

    path = write(
        tmp_path,
        "chips.toml",
        """
        extends = "dry_powder_exhaustion"
        name = "with_chips"
        [assets.ai_chips]
        kind = "equity"
        risk_asset = true
        price = 1.0
        units = 3000.0
        duration = 10.0
        elasticity = 0.2
        haircut = 0.2
        volatility = 0.3
        risk_premium = 0.05
        stress_beta = 0.01
        scarcity_beta = 0.004
        earnings_growth = 0.05
        capex_beta = 0.5
        profits_beta = 0.0
        distortion_half_life = 13.0
        [households.holdings]
        ai_chips = 1000.0
    """,
    )
    scenario = load(str(path))
    model = BathtubModel(scenario, weeks=8).run()
    assert "ai_chips" in model.markets.names
    assert model.ledger.conservation_error() < 1e-9


def test_remove_drops_an_asset_and_every_mention_of_it(tmp_path):
    from inverse_qe.model.bathtub import BathtubModel

    path = write(
        tmp_path,
        "nogold.toml",
        """
        extends = "dry_powder_exhaustion"
        name = "no_gold"
        remove = ["assets.gold"]
    """,
    )
    scenario = load(str(path))
    assert "gold" not in scenario.assets
    assert "gold" not in scenario.households.holdings
    assert all("gold" not in f.holdings for f in scenario.sovereign_funds)
    model = BathtubModel(scenario, weeks=8).run()
    assert model.markets.names == [a for a in load().assets if a != "gold"]


def test_removing_a_field_that_is_not_there_is_an_error(tmp_path):
    path = write(
        tmp_path, "bad.toml", 'extends = "dry_powder_exhaustion"\nremove = ["assets.silver"]\n'
    )
    with pytest.raises(ScenarioError, match=r"assets\.silver"):
        load(str(path))


def test_hedge_fund_populations_are_defined_in_the_file():
    from inverse_qe.model.bathtub import BathtubModel

    scenario = load("dry_powder_exhaustion", ["hedge_funds.strategies.crypto.count=50"])
    model = BathtubModel(scenario, weeks=1)
    assert sum(1 for f in model.hedge_funds if f.strategy == "crypto") == 50
