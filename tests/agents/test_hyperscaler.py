"""Hyperscalers: the capex funding waterfall, shareholder payouts and capex cuts."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.hyperscaler import (
    FundingPlan,
    Hyperscaler,
    Hyperscalers,
    funding_plan,
    shareholder_payout,
)
from inverse_qe.agents.real_economy import RealEconomy
from inverse_qe.scenarios.loader import load
from tests.agents.world import World


def test_capex_is_paid_from_cash_above_the_buffer_first():
    # cash 100, buffer 50: 50 spare covers capex 30 entirely
    plan = funding_plan(capex=30.0, cash=100.0, buffer=50.0, treasuries_value=20.0)
    assert plan == FundingPlan(30.0, 0.0, 0.0)
    assert plan.to_raise == 0.0


def test_capex_beyond_spare_cash_is_met_by_selling_treasuries_then_issuing_bonds():
    # cash 60, buffer 50: 10 from cash; gap 20; 15 of treasuries; 5 of new bonds
    plan = funding_plan(capex=30.0, cash=60.0, buffer=50.0, treasuries_value=15.0)
    assert plan.from_cash == pytest.approx(10.0)
    assert plan.from_treasuries == pytest.approx(15.0)
    assert plan.from_bonds == pytest.approx(5.0)
    assert plan.to_raise == pytest.approx(20.0)


def test_firm_below_its_buffer_funds_capex_from_treasuries_and_bonds_only():
    # cash 40 < buffer 50: nothing from cash; 12 of treasuries, 30 - 12 = 18 of bonds
    plan = funding_plan(capex=30.0, cash=40.0, buffer=50.0, treasuries_value=12.0)
    assert plan == FundingPlan(0.0, 12.0, 18.0)


def test_waterfall_always_funds_exactly_the_capex():
    for cash, buffer, tsy in [(0, 0, 0), (10, 5, 3), (200, 1, 50), (3, 10, 100)]:
        plan = funding_plan(25.0, cash, buffer, tsy)
        assert plan.from_cash + plan.to_raise == pytest.approx(25.0)
        assert min(plan.from_cash, plan.from_treasuries, plan.from_bonds) >= 0.0


def test_shareholders_get_payout_rate_of_cash_above_money_demand():
    # 0.25 x (100 - 60) = 10
    assert shareholder_payout(100.0, 60.0, 0.25) == pytest.approx(10.0)


def test_no_payout_when_cash_is_below_money_demand():
    assert shareholder_payout(50.0, 60.0, 0.25) == 0.0


def test_capex_due_is_the_firms_share_of_sector_capex():
    firm = Hyperscaler(mesa.Model(), "amazon", 0, capex_share=0.28)
    # 0.28 x 13.5 = 3.78
    assert firm.capex_due(13.5) == pytest.approx(3.78)


def test_capex_is_cut_once_when_funding_cost_passes_the_hurdle():
    firm = Hyperscaler(mesa.Model(), "oracle", 0, capex_share=0.5)
    assert not firm.consider_cut(funding_cost=0.06, hurdle=0.07, fraction=0.25)
    assert firm.capex_due(10.0) == pytest.approx(5.0)
    assert firm.consider_cut(funding_cost=0.08, hurdle=0.07, fraction=0.25)
    # 0.5 x 10 x (1 - 0.25) = 3.75
    assert firm.capex_due(10.0) == pytest.approx(3.75)
    # a second breach does not cut again
    assert not firm.consider_cut(funding_cost=0.10, hurdle=0.07, fraction=0.25)
    assert firm.capex_due(10.0) == pytest.approx(3.75)


# ---------------------------------------------------------------------------------------
# The sector's week in a small economy: amazon has 3/4 of capex, oracle 1/4
# ---------------------------------------------------------------------------------------

FIRMS = [("amazon", "hyperscaler"), ("oracle", "hyperscaler")]


def sector(world: World, capex: float = 20.0, cash_flow: float = 8.0, **spec) -> Hyperscalers:
    """Sector capex 20 a week (amazon 15, oracle 5), operating cash flow 8 (6 and 2),
    precautionary cash 5 weeks of it (30 and 10)."""
    base = load().hyperscalers
    firms = [
        base.firms[0].model_copy(update={"name": "amazon", "capex_share": 3.0, "cash": 40.0}),
        base.firms[0].model_copy(update={"name": "oracle", "capex_share": 1.0, "cash": 100.0}),
    ]
    update = {"firms": firms, "precautionary_weeks": 5.0, "payout_rate": 0.25, **spec}
    paths = {
        "capex": np.full(world.weeks + 1, capex),
        "operating_cash_flow": np.full(world.weeks + 1, cash_flow),
    }
    return Hyperscalers(world, base.model_copy(update=update), paths)


def test_payments_due_follow_the_waterfall_and_issue_the_bonds_needed():
    world = World(members=FIRMS, prices=(1.0, 0.5, 1.0))
    world.open("amazon", 40.0, treasuries=3.0)
    world.open("oracle", 100.0)
    firms = sector(world)
    to_raise = firms.payments_due()
    # amazon: capex 15, precautionary 5 x 6 = 30: 10 from cash, 3 of treasuries, 2 of new bonds
    # oracle: capex 5 from cash above its precautionary 5 x 2 = 10
    np.testing.assert_allclose(to_raise, [5.0, 0.0])
    assert firms.capex_due == pytest.approx([15.0, 5.0])
    # a tenth more bonds than needed, at a price of 0.5: 1.1 x 2 / 0.5 = 4.4 units
    amazon = firms.members[0]
    assert amazon.issued_units == pytest.approx(4.4)
    np.testing.assert_allclose(world.units("amazon"), [3.0, 4.4, 0.0])
    assert world.ledger.outstanding[1] == pytest.approx(4.4)


def test_settlement_cancels_unsold_bonds_pays_capex_and_pays_out_the_surplus():
    world = World(members=FIRMS, prices=(1.0, 0.5, 1.0))
    world.open("amazon", 40.0)
    world.open("oracle", 100.0)
    world.open("households", 10.0)
    firms = sector(world)
    firms.payments_due()  # amazon: 15 - (40 - 30) = 5 to raise, all in bonds: 11 units
    assert firms.bonds_offered == pytest.approx(5.0)  # for the primary market
    # the clearing sold 9 of the 11 new units to households at 0.5
    sold = np.zeros_like(world.ledger.holdings)
    bought = np.zeros_like(world.ledger.holdings)
    sold[world.ledger.index["amazon"], 1] = bought[world.rows.households, 1] = 9.0
    world.ledger.trade(world.rows.markets, sold, bought, world.markets.price, "trade")
    firms.money_demand = np.array([20.0, 10.0])
    firms.settle()
    # 2 unsold units cancelled; 9 x 0.5 = 4.5 issued, a BondIssued event
    np.testing.assert_allclose(world.units("amazon"), [0.0, 0.0, 0.0])
    assert world.ledger.outstanding[1] == pytest.approx(9.0)
    (issued,) = world.events_of("BondIssued")
    assert (issued.holder, issued.amount) == ("amazon", pytest.approx(4.5))
    assert firms.bonds_issued == pytest.approx(4.5)
    # capex 15 + 5 to suppliers; payouts 0.25 x (44.5 - 15 - 20) and 0.25 x (100 - 5 - 10)
    assert world.cash("suppliers") == pytest.approx(20.0)
    assert firms.capex_paid == pytest.approx(20.0)
    assert world.cash("amazon") == pytest.approx(9.5 * 0.75 + 20.0)
    assert world.cash("oracle") == pytest.approx(85.0 * 0.75 + 10.0)
    assert world.cash("households") == pytest.approx(10.0 - 4.5 + 0.25 * 9.5 + 0.25 * 85.0)


def test_capex_that_cash_cannot_pay_is_a_default_not_a_negative_balance():
    world = World(members=FIRMS)
    world.open("amazon", 4.0)
    world.open("oracle", 100.0)
    firms = sector(world)
    firms.capex_due = [15.0, 5.0]
    firms.settle()
    assert world.cash("amazon") == 0.0
    (default,) = world.events_of("Default")
    assert (default.holder, default.shortfall, default.what) == ("amazon", 11.0, "capex")


def test_money_demand_is_precautionary_cash_plus_capex_over_the_payments_horizon():
    world = World(members=FIRMS, overrides=["money_demand.payments_horizon=4"])
    firms = sector(world)
    # 5 weeks of cash flow (6 and 2) + 4 weeks of next week's capex (15 and 5)
    np.testing.assert_allclose(firms.update_money_demand(), [30.0 + 60.0, 10.0 + 20.0])


def test_without_capex_a_firm_keeps_only_its_precautionary_cash():
    world = World(members=FIRMS, overrides=["money_demand.payments_horizon=4"])
    firms = sector(world, capex=0.0)
    np.testing.assert_allclose(firms.update_money_demand(), [30.0, 10.0])


def test_operating_cash_flow_is_shared_by_capex_share_and_paid_by_the_real_economy():
    world = World(members=FIRMS)
    world.open("real_economy", 1000.0)
    world.real_economy = RealEconomy(world, world.rows.real_economy, load().real_economy)
    sector(world, cash_flow=8.0).receive_income()
    assert (world.cash("amazon"), world.cash("oracle")) == pytest.approx((6.0, 2.0))
    assert world.cash("real_economy") == pytest.approx(992.0)


def test_funding_costs_above_the_hurdle_cut_capex_once_with_an_event():
    world = World(members=FIRMS)
    world.open("amazon", 1000.0)
    world.open("oracle", 1000.0)
    world.ten_year_yield, world.markets.spread = 0.05, 0.03
    firms = sector(world, capex_cut_enabled=True, capex_cut_hurdle=0.07, capex_cut_fraction=0.25)
    firms.payments_due()
    # funding cost 0.05 + 0.03 = 0.08 > 0.07: both cut a quarter, once
    assert firms.capex_due == pytest.approx([15.0 * 0.75, 5.0 * 0.75])
    cuts = world.events_of("CapexCut")
    assert [(e.holder, e.funding_cost) for e in cuts] == [
        ("amazon", pytest.approx(0.08)),
        ("oracle", pytest.approx(0.08)),
    ]
    firms.payments_due()
    assert len(world.events_of("CapexCut")) == 2


def test_hyperscalers_sell_treasuries_first_then_their_new_bonds():
    firms = sector(World(members=FIRMS))
    np.testing.assert_array_equal(firms.sale_ranks(), [[0, 1, 2], [0, 1, 2]])


def test_the_spread_sees_the_bonds_sold_over_the_last_window_less_one_weeks():
    world = World(members=FIRMS, weeks=30, overrides=["markets.spread_issuance_window=13"])
    firms = sector(world)
    for week in range(1, 16):
        world.week = week
        firms.issuance[week % 13] += 1.0
        recent = firms.recent_issuance()
    # weeks 1..15 sold 1 each; at the close of week 15 the ring holds weeks 4..15
    assert recent == pytest.approx(12.0)
