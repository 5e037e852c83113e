"""The portfolio rules of the unlevered investors, on hand-worked numbers (DESIGN §3a)."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.agents.portfolio import (
    current_weights,
    momentum_orders,
    money_demand_share,
    rebalance_orders,
    weights_from,
)

# ---------------------------------------------------------------------------------------
# money_demand_share
# ---------------------------------------------------------------------------------------


def test_money_demand_share_is_base_plus_rate_and_stress_terms():
    # 0.10 + 2.0 x 0.01 + 0.05 x 0.2 = 0.10 + 0.02 + 0.01 = 0.13
    assert money_demand_share(0.10, 0.01, 0.2, 2.0, 0.05) == pytest.approx(0.13)


def test_a_hike_raises_money_demand():
    before = money_demand_share(0.10, 0.0, 0.0, 2.0, 0.05)
    after = money_demand_share(0.10, 0.0025, 0.0, 2.0, 0.05)
    # one 25bp hike adds 2.0 x 0.0025 = 0.005 to the cash share
    assert after - before == pytest.approx(0.005)


def test_stress_raises_money_demand():
    calm = money_demand_share(0.10, 0.0, 0.0, 2.0, 0.05)
    stressed = money_demand_share(0.10, 0.0, 0.4, 2.0, 0.05)
    # 0.05 x 0.4 = 0.02 more of wealth wanted in cash
    assert stressed - calm == pytest.approx(0.02)


def test_money_demand_share_is_clipped_to_the_unit_interval():
    # a large cut would give 0.10 + 2.0 x (-0.10) = -0.10: no one holds negative cash
    assert money_demand_share(0.10, -0.10, 0.0, 2.0, 0.05) == 0.0
    # extreme stress would give 0.9 + 0.05 x 5 = 1.15: at most all of wealth
    assert money_demand_share(0.9, 0.0, 5.0, 2.0, 0.05) == 1.0


def test_money_demand_share_works_on_arrays_of_holders():
    shares = money_demand_share(np.array([0.1, 0.3]), 0.01, 0.0, 2.0, 0.05)
    np.testing.assert_allclose(shares, [0.12, 0.32])


# ---------------------------------------------------------------------------------------
# rebalance_orders: a two-asset holder, worked by hand
#   holdings [50, 50] (invested 100), target weights [0.6, 0.4], speed 0.1
# ---------------------------------------------------------------------------------------

HOLDINGS = np.array([50.0, 50.0])
WEIGHTS = np.array([0.6, 0.4])


def test_holder_with_dry_powder_buys_toward_its_weights():
    # cash 30, money demand 10: dry powder 20, wealth to invest 100 + 20 = 120
    # desired = [0.6, 0.4] x 120 = [72, 48]; orders = 0.1 x ([72, 48] - [50, 50]) = [2.2, -0.2]
    orders = rebalance_orders(HOLDINGS, 30.0, 10.0, WEIGHTS, 0.1)
    np.testing.assert_allclose(orders, [2.2, -0.2])
    # net buying = speed x dry powder = 0.1 x 20 = 2
    assert orders.sum() == pytest.approx(2.0)


def test_holder_below_money_demand_sells_to_rebuild_cash():
    # cash 5, money demand 25: short 20 of cash, wealth to invest 100 - 20 = 80
    # desired = [48, 32]; orders = 0.1 x ([48, 32] - [50, 50]) = [-0.2, -1.8]
    orders = rebalance_orders(HOLDINGS, 5.0, 25.0, WEIGHTS, 0.1)
    np.testing.assert_allclose(orders, [-0.2, -1.8])
    # net selling = speed x shortfall = 0.1 x 20 = 2
    assert orders.sum() == pytest.approx(-2.0)


def test_deploy_only_holder_buys_under_weights_capped_at_speed_times_dry_powder():
    # unrestricted orders [2.2, -0.2]; keep the buy only: [2.2, 0]
    # budget = speed x dry powder = 0.1 x 20 = 2 < 2.2, so scale by 2 / 2.2: [2.0, 0]
    orders = rebalance_orders(HOLDINGS, 30.0, 10.0, WEIGHTS, 0.1, sell=False)
    np.testing.assert_allclose(orders, [2.0, 0.0])


def test_deploy_only_holder_below_money_demand_does_nothing():
    # no dry powder: budget max(0.1 x (5 - 25), 0) = 0
    orders = rebalance_orders(HOLDINGS, 5.0, 25.0, WEIGHTS, 0.1, sell=False)
    np.testing.assert_allclose(orders, [0.0, 0.0])


def test_deploy_only_holder_under_budget_buys_the_full_gap():
    # on-weight holder [60, 40], cash 30, money demand 10: desired [72, 48]
    # orders 0.1 x [12, 8] = [1.2, 0.8], total 2.0 = budget 0.1 x 20: scale 1
    orders = rebalance_orders(np.array([60.0, 40.0]), 30.0, 10.0, WEIGHTS, 0.1, sell=False)
    np.testing.assert_allclose(orders, [1.2, 0.8])


def test_holder_at_money_demand_and_on_weight_does_not_trade():
    orders = rebalance_orders(np.array([60.0, 40.0]), 10.0, 10.0, WEIGHTS, 0.5)
    np.testing.assert_allclose(orders, [0.0, 0.0], atol=1e-12)


def test_holder_whose_money_demand_exceeds_wealth_sells_speed_of_everything():
    # wealth to invest max(100 + (0 - 500), 0) = 0: desired 0, orders -0.1 x [50, 50]
    orders = rebalance_orders(HOLDINGS, 0.0, 500.0, WEIGHTS, 0.1)
    np.testing.assert_allclose(orders, [-5.0, -5.0])


def test_rebalance_orders_are_computed_row_by_row_for_many_holders():
    holdings = np.array([[50.0, 50.0], [60.0, 40.0]])
    cash = np.array([30.0, 10.0])
    demand = np.array([10.0, 10.0])
    orders = rebalance_orders(holdings, cash, demand, WEIGHTS, 0.1)
    np.testing.assert_allclose(orders, [[2.2, -0.2], [0.0, 0.0]], atol=1e-12)


# ---------------------------------------------------------------------------------------
# momentum, weights
# ---------------------------------------------------------------------------------------


def test_momentum_traders_buy_after_gains_and_sell_after_losses_in_flagged_assets_only():
    holdings = np.array([100.0, 200.0, 300.0])
    trailing = np.array([0.10, -0.20, 0.50])
    mask = np.array([True, True, False])
    # share 0.02, sensitivity 0.5, returns through tanh:
    #   0.02 x 100 x 0.5 x tanh(0.10) = 0.0997;  0.02 x 200 x 0.5 x tanh(-0.20) = -0.3948
    orders = momentum_orders(holdings, trailing, mask, 0.02, 0.5)
    np.testing.assert_allclose(orders, [np.tanh(0.1), -2 * np.tanh(0.2), 0.0])


def test_momentum_saturates_instead_of_compounding():
    # A tenfold rally is chased barely harder than a doubling: tanh(9) / tanh(1) < 1.32.
    big = momentum_orders(np.array([100.0]), np.array([9.0]), np.array([True]), 0.02, 0.5)
    double = momentum_orders(np.array([100.0]), np.array([1.0]), np.array([True]), 0.02, 0.5)
    assert big[0] / double[0] < 1.32


def test_weights_from_normalises_holdings_and_zeroes_absent_assets():
    # 30 + 10 = 40 over the listed assets: [30/40, 0, 10/40]; "other" is not listed
    w = weights_from({"a": 30.0, "c": 10.0, "other": 60.0}, ["a", "b", "c"])
    np.testing.assert_allclose(w, [0.75, 0.0, 0.25])


def test_weights_from_nothing_held_is_equal_weights():
    np.testing.assert_allclose(weights_from({}, ["a", "b", "c", "d"]), [0.25] * 4)


def test_current_weights_are_values_over_total_and_equal_when_empty():
    values = np.array([[30.0, 10.0], [0.0, 0.0]])
    np.testing.assert_allclose(current_weights(values), [[0.75, 0.25], [0.5, 0.5]])
