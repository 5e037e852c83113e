"""The real economy: leaks from the tub come back slowly as household savings."""

from __future__ import annotations

import math

import mesa
import pytest

from inverse_qe.agents.real_economy import RealEconomy
from inverse_qe.scenarios.loader import load
from tests.agents.world import World


def economy(return_rate: float, world: World | None = None) -> RealEconomy:
    """The real economy, in ``world`` or on its own (row 0 of no ledger)."""
    spec = load().real_economy.model_copy(update={"return_rate": return_rate})
    if world is None:
        return RealEconomy(mesa.Model(), 0, spec)
    return RealEconomy(world, world.rows.real_economy, spec)


def test_savings_are_a_fixed_fraction_of_the_real_economys_balance():
    # 0.01 x 3000 = 30 a week back to households
    assert economy(0.01).savings(3000.0) == pytest.approx(30.0)


def test_no_savings_from_an_empty_or_overdrawn_real_economy():
    e = economy(0.01)
    assert e.savings(0.0) == 0.0
    assert e.savings(-100.0) == 0.0


def test_a_leak_returns_geometrically_over_time():
    e = economy(0.01)
    balance, returned = 1000.0, 0.0
    for _ in range(52):
        paid = e.savings(balance)
        balance -= paid
        returned += paid
    # after a year 1000 x (1 - 0.99^52) has come back; nothing is lost on the way
    assert returned == pytest.approx(1000.0 * (1 - 0.99**52))
    assert balance + returned == pytest.approx(1000.0)


def test_savings_are_paid_into_household_deposits():
    world = World()
    world.open("real_economy", 3000.0)
    economy(0.01, world).pay_savings()
    assert world.cash("households") == pytest.approx(30.0)
    assert world.flows("savings") == [("real_economy", "households", pytest.approx(30.0))]


def test_a_payment_beyond_the_balance_is_paid_in_part_and_is_a_default():
    world = World(members=[("amazon", "hyperscaler")])
    world.open("real_economy", 5.0)
    economy(0.01, world).pay(world.ledger.index["amazon"], 8.0, "operating_cash_flow")
    # 5 paid, 3 short: never a negative balance
    assert world.cash("amazon") == pytest.approx(5.0)
    assert world.cash("real_economy") == pytest.approx(0.0)
    (default,) = world.events_of("Default")
    assert (default.holder, default.shortfall, default.what) == (
        "real_economy",
        pytest.approx(3.0),
        "operating_cash_flow",
    )


def profits_economy(profits: float, pass_through: float) -> RealEconomy:
    spec = load().real_economy.model_copy(
        update={"profits": profits, "profit_pass_through": pass_through}
    )
    return RealEconomy(mesa.Model(), 0, spec)


def test_ai_spending_adds_its_pass_through_to_profits_and_prices_see_the_growth():
    # Kalecki: profits 65 + 0.5 x 20 = 75 the first week (valued by the opening
    # prices: growth 0); then 65 + 0.5 x 46 = 88, smoothed 75 + (88 - 75) / 13 = 76
    e = profits_economy(65.0, 0.5)
    e.earn_profits(20.0)
    assert e.profits_growth == 0.0
    e.earn_profits(46.0)
    assert e.profits_growth == pytest.approx(math.log(76.0 / 75.0))


def test_steady_ai_spending_or_none_leaves_profits_at_rest():
    for spending in (0.0, 20.0):
        e = profits_economy(65.0, 0.5)
        for _ in range(10):
            e.earn_profits(spending)
            assert e.profits_growth == pytest.approx(0.0, abs=1e-15)


def test_a_cut_in_ai_spending_lowers_profits():
    e = profits_economy(65.0, 0.5)
    e.earn_profits(20.0)
    e.earn_profits(10.0)
    # 65 + 5 = 70 against a record of 75: smoothed 75 - 5 / 13
    assert e.profits_growth == pytest.approx(math.log((75.0 - 5.0 / 13.0) / 75.0))


def test_with_no_pass_through_ai_spending_makes_no_profits():
    e = profits_economy(65.0, 0.0)
    e.earn_profits(20.0)
    e.earn_profits(46.0)
    assert e.profits_growth == 0.0
