"""The supply chain: how receipts split between the tub and the real economy."""

from __future__ import annotations

import math

import mesa
import pytest

from inverse_qe.agents.supplier import Suppliers, split_receipts
from tests.agents.world import World


def test_recycling_share_of_receipts_returns_to_the_tub_the_rest_leaks():
    # 0.35 x 100 = 35 back to the tub, 65 to the real economy
    back, leak = split_receipts(100.0, 0.35)
    assert (back, leak) == pytest.approx((35.0, 65.0))


def test_split_receipts_conserves_the_money():
    back, leak = split_receipts(13.7, 0.123)
    assert back + leak == pytest.approx(13.7, rel=1e-15)


def suppliers() -> Suppliers:
    return Suppliers(mesa.Model(), 0, recycling=0.35, memory_share=0.25, base_earnings=0.0)


def test_memory_earnings_growth_is_zero_the_first_week():
    assert suppliers().memory_earnings_growth(100.0) == 0.0


def test_memory_earnings_grow_when_receipts_rise():
    s = suppliers()
    s.memory_earnings_growth(100.0)  # earnings 0.25 x 100 = 25
    # earnings 0.25 x 126 = 31.5; smoothed 25 + (31.5 - 25) / 13 = 25.5: growth log(1.02)
    assert s.memory_earnings_growth(126.0) == pytest.approx(math.log(1.02))


def test_memory_earnings_shrink_when_receipts_fall_and_stay_flat_when_steady():
    s = suppliers()
    s.memory_earnings_growth(100.0)
    assert s.memory_earnings_growth(100.0) == pytest.approx(0.0)
    assert s.memory_earnings_growth(50.0) < 0.0


def test_memory_earnings_include_a_base_so_more_capex_means_more_earnings():
    # base 10 + 0.25 x 40 = 20, then base 10 + 0.25 x 92 = 33: smoothed 20 + 13 / 13 = 21
    s = Suppliers(mesa.Model(), 0, recycling=0.35, memory_share=0.25, base_earnings=10.0)
    s.memory_earnings_growth(40.0)
    assert s.memory_earnings_growth(92.0) == pytest.approx(math.log(21.0 / 20.0))


def test_memory_earnings_growth_is_finite_when_receipts_stop():
    s = suppliers()
    s.memory_earnings_growth(0.0)
    assert math.isfinite(s.memory_earnings_growth(0.0))
    assert math.isfinite(s.memory_earnings_growth(100.0))


def test_suppliers_pass_receipts_on_in_the_week_they_arrive():
    world = World()
    world.open("suppliers", 100.0)
    s = Suppliers(world, world.rows.suppliers, 0.35, 0.25, 0.0)
    s.settle()
    # 0.35 x 100 back to deposits, 65 leaks; nothing stays with the suppliers
    assert world.cash("households") == pytest.approx(35.0)
    assert world.cash("real_economy") == pytest.approx(65.0)
    assert world.cash("suppliers") == 0.0
    assert s.earnings_growth == 0.0  # the first week sets the level
    world.ledger.pay(world.rows.central_bank, world.rows.suppliers, 126.0, "capex")
    s.settle()
    # earnings 0.25 x 126 = 31.5 against 25: smoothed 25.5, growth log(1.02)
    assert s.earnings_growth == pytest.approx(math.log(1.02))


def test_the_receipts_beyond_memory_are_what_memory_makers_do_not_earn():
    s = suppliers()
    s.receipts = 40.0
    # 40 x (1 - 0.25) = 30: chips, servers, buildings and power
    assert s.receipts_beyond_memory() == pytest.approx(30.0)
