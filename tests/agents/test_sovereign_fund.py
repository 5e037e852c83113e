"""Sovereign funds: which assets they sell first, what they must raise, what they can borrow."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.sovereign_fund import SovereignFund, cash_to_raise, sale_ranks
from inverse_qe.scenarios.loader import load


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
