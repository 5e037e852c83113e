"""Households: their money demand, rebalancing toward it, and a retail momentum slice."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.agents.household import Households
from inverse_qe.scenarios.loader import load
from tests.agents.world import World

#: Money demand's sensitivities pinned for the hand-worked numbers.
MONEY_DEMAND = ("money_demand.rate_sensitivity=2.0", "money_demand.stress_sensitivity=0.05")


def households_in_world(**spec) -> tuple[World, Households]:
    world = World(overrides=MONEY_DEMAND)
    spec = load().households.model_copy(update=spec)
    mask = np.array([False, True, False])  # momentum in the middle asset only
    return world, Households(world, world.rows.households, spec, mask)


def test_household_orders_are_rebalancing_at_current_weights_plus_momentum():
    world, households = households_in_world(
        rebalance_speed=0.1, momentum_share=0.02, momentum_sensitivity=0.5
    )
    world.open("households", 30.0, treasuries=75.0, hyperscaler_bonds=25.0)
    world.markets.trailing = np.array([0.3, 0.2, 0.0])
    households.money_demand = 10.0
    # rebalancing keeps current weights [0.75, 0.25, 0]; dry powder 30 - 10 = 20:
    #   desired [0.75, 0.25, 0] x 120 = [90, 30, 0]; 0.1 x [15, 5, 0] = [1.5, 0.5, 0]
    # momentum on asset 1 only, through tanh: 0.02 x 25 x 0.5 x tanh(0.2) = 0.25 x 0.197375
    momentum = 0.25 * np.tanh(0.2)
    orders = households.orders()
    np.testing.assert_allclose(orders, [1.5, 0.5 + momentum, 0.0])
    assert orders.sum() == pytest.approx(0.1 * 20.0 + momentum)


def test_household_money_demand_is_a_share_of_wealth_raised_by_rates_and_stress():
    world, households = households_in_world(money_share=0.10)
    world.open("households", 30.0, debt=10.0, treasuries=50.0, crypto=25.0)
    world.markets.price[:] = [1.0, 1.0, 2.0]
    world.central_bank.rate_gap = 0.01
    world.markets.stress = 0.2
    # share 0.10 + 2.0 x 0.01 + 0.05 x 0.2 = 0.13; wealth 50 + 25 x 2 + 30 - 10 = 120
    assert households.update_money_demand() == pytest.approx(0.13 * 120.0)
    assert households.money_demand == pytest.approx(15.6)


def test_households_under_water_want_no_cash():
    world, households = households_in_world(money_share=0.10)
    world.open("households", 5.0, debt=50.0, treasuries=20.0)
    assert households.update_money_demand() == 0.0


def test_households_open_their_holdings_in_units_at_opening_prices():
    world, households = households_in_world(cash=40.0, holdings={"crypto": 30.0})
    world.markets.price[:] = [1.0, 1.0, 1.5]
    households.open_accounts()
    # US$30bn of crypto at 1.5: 20 units
    np.testing.assert_allclose(world.units("households"), [0.0, 0.0, 20.0])
    assert world.cash("households") == pytest.approx(40.0)
