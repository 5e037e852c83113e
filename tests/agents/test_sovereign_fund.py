"""Sovereign funds: which assets they sell first, what they must raise, what they can borrow."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.real_economy import RealEconomy
from inverse_qe.agents.sovereign_fund import (
    SovereignFund,
    SovereignFunds,
    cash_to_raise,
    sale_ranks,
)
from inverse_qe.scenarios.loader import load
from tests.agents.world import World


def test_worst_performers_are_sold_first():
    # returns: a +10%, b -30%, c 0%, d -50% -> sell d, then b, then c, then a
    ranks = sale_ranks(np.array([0.10, -0.30, 0.0, -0.50]), "worst_performers")
    np.testing.assert_array_equal(ranks, [3, 1, 2, 0])


def test_equal_performers_keep_their_listed_order():
    np.testing.assert_array_equal(sale_ranks(np.zeros(3), "worst_performers"), [0, 1, 2])


def test_pro_rata_sells_everything_at_once():
    np.testing.assert_array_equal(sale_ranks(np.array([0.1, -0.3, 0.2]), "pro_rata"), [0, 0, 0])


def test_commitment_paid_from_cash_above_buffer_needs_no_sales():
    # cash 20, buffer 15: 5 spare pays a call of 5
    assert cash_to_raise(5.0, 20.0, 15.0) == 0.0


def test_only_the_part_of_a_call_above_spare_cash_is_raised():
    # spare 17 - 15 = 2: raise 5 - 2 = 3
    assert cash_to_raise(5.0, 17.0, 15.0) == pytest.approx(3.0)


def test_fund_at_or_below_its_buffer_raises_the_whole_call():
    assert cash_to_raise(5.0, 15.0, 15.0) == pytest.approx(5.0)
    assert cash_to_raise(5.0, 10.0, 15.0) == pytest.approx(5.0)


def fund(commitments: list[float], margin_loan_limit: float = 0.10) -> SovereignFund:
    spec = load().sovereign_funds[0].model_copy(update={"margin_loan_limit": margin_loan_limit})
    paths = {"commitments": np.array(commitments), "inflows": np.zeros(len(commitments))}
    return SovereignFund(mesa.Model(), 0, spec, paths)


def test_commitments_ahead_sum_the_next_horizon_weeks_not_this_one():
    f = fund([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # week 1, horizon 3: weeks 2, 3, 4 -> 3 + 4 + 5 = 12
    assert f.commitments_ahead(1, 3) == pytest.approx(12.0)
    assert f.commitment_due(1) == pytest.approx(2.0)


def test_commitments_ahead_stop_at_the_end_of_the_schedule():
    # week 4, horizon 3: only week 5 is left -> 6
    assert fund([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).commitments_ahead(4, 3) == pytest.approx(6.0)


def test_margin_loan_room_is_the_limit_on_holdings_less_what_is_owed():
    f = fund([0.0], margin_loan_limit=0.10)
    # 0.10 x 300 - 10 = 20
    assert f.margin_loan_room(300.0, 10.0) == pytest.approx(20.0)
    # a claim (negative debt) does not add room: 0.10 x 300 = 30
    assert f.margin_loan_room(300.0, -50.0) == pytest.approx(30.0)
    # owing more than the limit leaves no room (never negative)
    assert f.margin_loan_room(300.0, 40.0) == 0.0


# ---------------------------------------------------------------------------------------
# The sector's week in a small economy: gulf (buffer 15) and softbank (buffer 5)
# ---------------------------------------------------------------------------------------

FUNDS = [("gulf", "sovereign_fund"), ("softbank", "sovereign_fund")]


def funds_in_world(world: World, calls=(8.0, 8.0), inflows=(0.0, 0.0), **spec) -> SovereignFunds:
    base = load().sovereign_funds[0]
    specs = [
        base.model_copy(
            update={
                "name": "gulf",
                "cash_buffer": 15.0,
                "margin_loan_limit": 0.10,
                "holdings": {"treasuries": 60.0, "crypto": 40.0},
                "liquidation": "worst_performers",
                **spec,
            }
        ),
        base.model_copy(
            update={"name": "softbank", "cash_buffer": 5.0, "liquidation": "pro_rata", **spec}
        ),
    ]
    paths = [
        {"commitments": np.full(world.weeks + 1, call), "inflows": np.full(world.weeks + 1, flow)}
        for call, flow in zip(calls, inflows, strict=True)
    ]
    return SovereignFunds(world, specs, paths)


def test_a_call_that_takes_cash_to_its_money_demand_exhausts_dry_powder_once():
    world = World(members=FUNDS)
    world.open("gulf", 20.0)
    world.open("softbank", 100.0)
    funds = funds_in_world(world)
    funds.money_demand = np.array([15.0, 5.0])
    # gulf: 20 - 8 = 12 <= 15: exhausted; spare 20 - 15 = 5, so 8 - 5 = 3 to raise
    np.testing.assert_allclose(funds.payments_due(), [3.0, 0.0])
    (event,) = world.events_of("DryPowderExhausted")
    assert (event.holder, event.cash, event.money_demand) == ("gulf", 20.0, 15.0)
    assert [f.exhausted_week for f in funds] == [1, None]
    world.week = 2
    funds.payments_due()
    assert len(world.events_of("DryPowderExhausted")) == 1


def test_a_call_sales_did_not_cover_is_met_by_a_margin_loan_then_missed():
    world = World(members=FUNDS)
    world.open("gulf", 16.0, treasuries=50.0)  # holdings worth 50: room 0.10 x 50 = 5
    world.open("softbank", 100.0)
    world.open("banks", 100.0)
    funds = funds_in_world(world)
    funds.commitments_due = [8.0, 8.0]
    funds.settle()
    # gulf: 1 above the buffer + a loan of 5 = 6 paid, 2 missed; softbank pays 8
    assert world.cash("suppliers") == pytest.approx(14.0)
    assert world.ledger.debt[world.ledger.index["gulf"]] == pytest.approx(5.0)
    assert world.cash("gulf") == pytest.approx(15.0)
    (missed,) = world.events_of("MissedCommitment")
    assert (missed.holder, missed.due, missed.paid) == ("gulf", 8.0, pytest.approx(6.0))
    assert (funds.commitments_paid, funds.missed) == pytest.approx((14.0, 2.0))


def test_without_broker_cash_there_is_no_margin_loan():
    world = World(members=FUNDS)
    world.open("gulf", 16.0, treasuries=50.0)
    world.open("softbank", 100.0)
    funds = funds_in_world(world)
    funds.commitments_due = [8.0, 0.0]
    funds.settle()
    assert world.ledger.debt[world.ledger.index["gulf"]] == 0.0
    assert funds.missed == pytest.approx(7.0)


def test_funds_deploy_dry_powder_into_their_opening_mix_and_never_sell_by_choice():
    world = World(members=FUNDS, overrides=["money_demand.deploy_rate=0.1"])
    world.open("gulf", 30.0, treasuries=60.0, crypto=40.0)
    world.open("softbank", 0.0, treasuries=10.0)
    funds = funds_in_world(world)
    funds.money_demand = np.array([10.0, 5.0])
    # gulf: dry powder 20; desired [0.6, 0, 0.4] x 120 = [72, 0, 48]; 0.1 x [12, 0, 8]
    # softbank: below its money demand, but it does not sell
    np.testing.assert_allclose(funds.orders(), [[1.2, 0.0, 0.8], [0.0, 0.0, 0.0]])


def test_money_demand_is_the_buffer_plus_the_calls_over_the_payments_horizon():
    world = World(members=FUNDS, overrides=["money_demand.payments_horizon=4"])
    funds = funds_in_world(world, calls=(2.0, 0.5))
    # 15 + 4 x 2 and 5 + 4 x 0.5 (no wealth yet: no reserve)
    np.testing.assert_allclose(funds.update_money_demand(), [23.0, 7.0])


def test_the_reserve_rises_with_the_policy_rate_so_a_hike_brings_exhaustion_forward():
    overrides = ["money_demand.payments_horizon=0", "money_demand.rate_sensitivity=0.5"]
    world = World(members=FUNDS, overrides=overrides)
    world.open("gulf", 30.0, treasuries=170.0)  # wealth 200
    world.open("softbank", 100.0)
    funds = funds_in_world(world, money_share=0.05)
    # buffer 15 + 0.05 x 200 = 25: a call of 8 leaves 22 <= 25: exhausted
    funds.update_money_demand()
    assert funds.money_demand[0] == pytest.approx(25.0)
    # the same fund with a reserve share lowered to 0.01: 15 + 2 = 17, 22 > 17: not yet
    world2 = World(members=FUNDS, overrides=overrides)
    world2.open("gulf", 30.0, treasuries=170.0)
    world2.open("softbank", 100.0)
    calm = funds_in_world(world2, money_share=0.01)
    calm.update_money_demand()
    calm.payments_due()
    assert calm.members[0].exhausted_week is None
    # ... until a 100bp hike raises the share by 0.5 x 0.01: 15 + 0.015 x 200 = 18, still not;
    # a 300bp hike: 15 + 0.025 x 200 = 20; 400bp: 15 + 0.03 x 200 = 21; 500bp: 22 -> exhausted
    world2.central_bank.rate_gap = 0.05
    world2.week = 2
    calm.update_money_demand()
    assert calm.money_demand[0] == pytest.approx(22.0)
    calm.payments_due()
    assert calm.members[0].exhausted_week == 2


def test_worst_performers_go_first_for_gulf_and_everything_at_once_for_softbank():
    world = World(members=FUNDS)
    world.markets.trailing = np.array([0.1, -0.3, -0.5])
    np.testing.assert_array_equal(funds_in_world(world).sale_ranks(), [[2, 1, 0], [0, 0, 0]])


def test_oil_revenue_arrives_from_the_real_economy():
    world = World(members=FUNDS)
    world.open("real_economy", 100.0)
    world.real_economy = RealEconomy(world, world.rows.real_economy, load().real_economy)
    funds_in_world(world, inflows=(3.0, 0.0)).receive_income()
    assert (world.cash("gulf"), world.cash("softbank")) == (3.0, 0.0)
