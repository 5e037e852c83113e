"""Hyperscalers: the capex funding waterfall, shareholder payouts and capex cuts."""

from __future__ import annotations

import mesa
import pytest

from inverse_qe.agents.hyperscaler import (
    FundingPlan,
    Hyperscaler,
    funding_plan,
    shareholder_payout,
)


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
