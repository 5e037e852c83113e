"""The primary market: new issues placed with dry powder first, the rest at a concession."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inverse_qe.model.clearing import place_new_issues


def test_new_issues_go_to_dry_powder_pro_rata_when_there_is_enough():
    # 30 of treasuries and 10 of bonds; buyers with 300, 100 and none (a shortfall)
    orders = place_new_issues(np.array([30.0, 10.0]), np.array([300.0, 100.0, -50.0]))
    np.testing.assert_allclose(orders, [[22.5, 7.5], [7.5, 2.5], [0.0, 0.0]])


def test_what_dry_powder_cannot_take_is_left_to_the_market():
    # 40 offered, 20 of dry powder: half of each issue placed, in proportion
    orders = place_new_issues(np.array([30.0, 10.0]), np.array([15.0, 5.0]))
    np.testing.assert_allclose(orders, [[11.25, 3.75], [3.75, 1.25]])
    assert orders.sum() == pytest.approx(20.0)


def test_nothing_is_placed_without_dry_powder_or_without_issues():
    assert not place_new_issues(np.array([30.0, 0.0]), np.array([-1.0, 0.0])).any()
    assert not place_new_issues(np.zeros(2), np.array([10.0, 5.0])).any()


@given(
    st.lists(st.floats(0, 1e4), min_size=1, max_size=4),
    st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=5),
)
def test_placements_never_exceed_an_issue_or_a_buyers_dry_powder(issues, dry):
    orders = place_new_issues(np.array(issues), np.array(dry))
    assert np.all(orders >= 0)
    assert np.all(orders.sum(axis=0) <= np.array(issues) * (1 + 1e-12) + 1e-12)
    assert np.all(orders.sum(axis=1) <= np.maximum(dry, 0) * (1 + 1e-12) + 1e-12)
