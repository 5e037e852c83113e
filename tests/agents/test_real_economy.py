"""The real economy: leaks from the tub come back slowly as household savings."""

from __future__ import annotations

import mesa
import pytest

from inverse_qe.agents.real_economy import RealEconomy


def test_savings_are_a_fixed_fraction_of_the_real_economys_balance():
    # 0.01 x 3000 = 30 a week back to households
    assert RealEconomy(mesa.Model(), 0, 0.01).savings(3000.0) == pytest.approx(30.0)


def test_no_savings_from_an_empty_or_overdrawn_real_economy():
    economy = RealEconomy(mesa.Model(), 0, 0.01)
    assert economy.savings(0.0) == 0.0
    assert economy.savings(-100.0) == 0.0


def test_a_leak_returns_geometrically_over_time():
    economy = RealEconomy(mesa.Model(), 0, 0.01)
    balance, returned = 1000.0, 0.0
    for _ in range(52):
        paid = economy.savings(balance)
        balance -= paid
        returned += paid
    # after a year 1000 x (1 - 0.99^52) has come back; nothing is lost on the way
    assert returned == pytest.approx(1000.0 * (1 - 0.99**52))
    assert balance + returned == pytest.approx(1000.0)
