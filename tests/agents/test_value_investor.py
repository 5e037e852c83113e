"""Value investors: the residual holders, their money demand and their slow rebalancing."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.agents.value_investor import ValueInvestors
from inverse_qe.scenarios.loader import ScenarioError, load
from tests.agents.world import World

UNITS = ("assets.treasuries.units=100.0", "assets.hyperscaler_bonds.units=50.0")
MONEY_DEMAND = ("money_demand.rate_sensitivity=2.0", "money_demand.stress_sensitivity=0.05")


def value_investors_in_world(*overrides: str, money_share=0.05, speed=0.1):
    world = World(members=[("fund", "hedge_fund")], overrides=(*UNITS, *MONEY_DEMAND, *overrides))
    spec = load().absorber.model_copy(
        update={"cash": 7.0, "money_share": money_share, "rebalance_speed": speed}
    )
    return world, ValueInvestors(world, world.rows.value_investors, spec)


def test_value_investors_hold_every_unit_no_one_else_was_given():
    world, investors = value_investors_in_world("assets.crypto.units=10.0")
    world.open("households", treasuries=30.0)
    world.open("fund", hyperscaler_bonds=20.0)
    investors.open_accounts()
    investors.hold_the_rest()
    # treasuries 100 - 30, bonds 50 - 20, crypto all 10
    np.testing.assert_allclose(world.units("value_investors"), [70.0, 30.0, 10.0])
    np.testing.assert_allclose(world.ledger.outstanding, [100.0, 50.0, 10.0])
    assert world.cash("value_investors") == pytest.approx(7.0)


def test_holders_given_more_units_than_exist_is_a_scenario_error():
    world, investors = value_investors_in_world()
    world.open("households", treasuries=120.0)
    with pytest.raises(ScenarioError, match=r"assets\.treasuries\.units"):
        investors.hold_the_rest()


def test_value_investors_money_demand_is_their_share_of_wealth():
    world, investors = value_investors_in_world(money_share=0.05)
    world.open("value_investors", 20.0, treasuries=80.0)
    world.central_bank.rate_gap = -0.005
    # share 0.05 + 2.0 x (-0.005) = 0.04 of wealth 100: 4
    assert investors.update_money_demand() == pytest.approx(4.0)


def test_their_cash_target_follows_wealth_with_the_averaging_lag():
    world, investors = value_investors_in_world(
        "money_demand.wealth_half_life=1.0", money_share=0.05
    )
    row = world.open("value_investors", 20.0, treasuries=80.0)
    assert investors.update_money_demand() == pytest.approx(5.0)  # 0.05 x 100
    world.ledger.holdings[row, 0] = 180.0  # wealth doubles to 200 (a price jump, say)
    # half-life one week: the averaged wealth moves half way, to 150: target 7.5
    assert investors.update_money_demand() == pytest.approx(7.5)
    assert investors.update_money_demand() == pytest.approx(8.75)


def test_value_investors_rebuild_cash_when_short_keeping_their_mix():
    world, investors = value_investors_in_world(speed=0.1)
    world.open("value_investors", 5.0, treasuries=60.0, hyperscaler_bonds=40.0)
    investors.money_demand = 25.0
    # short 20 of cash: desired [0.6, 0.4] x (100 - 20) = [48, 32]; 0.1 x [-12, -8]
    np.testing.assert_allclose(investors.orders(), [-1.2, -0.8, 0.0])
