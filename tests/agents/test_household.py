"""Households: rebalancing toward their cash share plus a retail momentum slice."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.household import Household
from inverse_qe.scenarios.loader import load


def test_household_orders_are_rebalancing_at_current_weights_plus_momentum():
    spec = load().households.model_copy(
        update={"rebalance_speed": 0.1, "momentum_share": 0.02, "momentum_sensitivity": 0.5}
    )
    household = Household(mesa.Model(), 0, spec, np.array([False, True]))
    holdings = np.array([75.0, 25.0])
    # rebalancing keeps current weights [0.75, 0.25]; dry powder 30 - 10 = 20:
    #   desired [0.75, 0.25] x 120 = [90, 30]; 0.1 x [15, 5] = [1.5, 0.5]
    # momentum on asset 1 only, through tanh: 0.02 x 25 x 0.5 x tanh(0.2) = 0.25 x 0.197375
    momentum = 0.25 * np.tanh(0.2)
    orders = household.orders(holdings, 30.0, 10.0, np.array([0.3, 0.2]))
    np.testing.assert_allclose(orders, [1.5, 0.5 + momentum])
    assert orders.sum() == pytest.approx(0.1 * 20.0 + momentum)
