"""The treasury: issuance finances the deficit and moves the TGA toward its target."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.treasury import Treasury, issuance_needed
from inverse_qe.scenarios.loader import load
from tests.agents.world import World


def test_issuance_pays_the_deficit_and_rebuilds_the_tga():
    # deficit 30 + 0.1 x (850 - 800) = 30 + 5 = 35
    assert issuance_needed(30.0, 800.0, 850.0, 0.1) == pytest.approx(35.0)


def test_a_tga_above_target_is_drawn_down_instead_of_issuing():
    # 30 + 0.1 x (850 - 1000) = 30 - 15 = 15
    assert issuance_needed(30.0, 1000.0, 850.0, 0.1) == pytest.approx(15.0)


def test_issuance_is_never_negative():
    # 30 + 0.1 x (850 - 2000) = -85: the treasury does not buy back
    assert issuance_needed(30.0, 2000.0, 850.0, 0.1) == 0.0


def test_treasury_agent_reads_this_weeks_deficit_and_target():
    spec = load().treasury.model_copy(update={"tga_speed": 0.5})
    paths = {"deficit": np.array([10.0, 20.0]), "tga_target": np.array([100.0, 200.0])}
    treasury = Treasury(mesa.Model(), 0, spec, paths)
    # week 1: 20 + 0.5 x (200 - 150) = 45
    assert treasury.issuance(1, 150.0) == pytest.approx(45.0)


def treasury_in_world(deficit: float, tga: float, tga_target: float) -> tuple[World, Treasury]:
    world = World()
    spec = load().treasury.model_copy(update={"tga_speed": 0.5, "transfer_share": 0.25})
    paths = {"deficit": np.full(11, deficit), "tga_target": np.full(11, tga_target)}
    world.open("treasury", tga)
    return world, Treasury(world, world.rows.treasury, spec, paths)


def test_treasury_issues_its_needs_and_offers_them_all_for_sale():
    world, treasury = treasury_in_world(deficit=20.0, tga=150.0, tga_target=200.0)
    world.markets.price[:] = [0.9, 1.0, 1.0]
    orders = treasury.orders()
    # 20 + 0.5 x (200 - 150) = 45 at a price of 0.9: 50 new units, all offered
    np.testing.assert_allclose(orders, [-45.0, 0.0, 0.0])
    np.testing.assert_allclose(world.units("treasury"), [50.0, 0.0, 0.0])
    assert world.ledger.outstanding[0] == pytest.approx(50.0)


def test_treasury_issues_nothing_when_the_tga_is_well_above_target():
    world, treasury = treasury_in_world(deficit=20.0, tga=300.0, tga_target=200.0)
    # 20 + 0.5 x (200 - 300) = -30: nothing issued, nothing offered
    np.testing.assert_allclose(treasury.orders(), [0.0, 0.0, 0.0])
    assert world.ledger.outstanding[0] == 0.0


@pytest.mark.parametrize(
    ("tga", "transfers", "spending"),
    [
        (150.0, 5.0, 15.0),  # 0.25 x 20 = 5 into deposits, 15 into the real economy
        (8.0, 2.0, 6.0),  # only 8 in the TGA: 2 of transfers, 6 of spending
    ],
)
def test_treasury_spends_the_deficit_as_far_as_the_tga_allows(tga, transfers, spending):
    world, treasury = treasury_in_world(deficit=20.0, tga=tga, tga_target=200.0)
    treasury.settle()
    assert world.cash("households") == pytest.approx(transfers)
    assert world.cash("real_economy") == pytest.approx(spending)
    assert world.cash("treasury") == pytest.approx(tga - transfers - spending)


# ---------------------------------------------------------------------------------------
# Bills: money funds buy them out of the RRP; that part of the deficit is not coupons
# ---------------------------------------------------------------------------------------


def treasury_with_bills(bills: float, rrp: float, tga: float = 150.0):
    world, treasury = treasury_in_world(deficit=20.0, tga=tga, tga_target=200.0)
    world.open("rrp", rrp)
    treasury.bills = np.full(11, bills)
    return world, treasury


def test_bills_are_bought_out_of_the_rrp_and_cut_the_coupons_offered():
    world, treasury = treasury_with_bills(bills=8.0, rrp=100.0)
    orders = treasury.orders()
    # coupons: (20 - 8) + 0.5 x (200 - 150) = 12 + 25 = 37; the TGA is read before the bills
    np.testing.assert_allclose(orders, [-37.0, 0.0, 0.0])
    assert world.cash("rrp") == pytest.approx(92.0)
    assert world.cash("treasury") == pytest.approx(158.0)
    assert treasury.bills_held == pytest.approx(8.0)
    assert world.flows("bill_sale") == [("rrp", "treasury", pytest.approx(8.0))]


def test_money_funds_buy_no_more_bills_than_the_rrp_holds():
    world, treasury = treasury_with_bills(bills=8.0, rrp=3.0)
    # only 3 at the RRP: 3 of bills; coupons (20 - 3) + 25 = 42
    np.testing.assert_allclose(treasury.orders(), [-42.0, 0.0, 0.0])
    assert world.cash("rrp") == pytest.approx(0.0)
    assert treasury.bills_held == pytest.approx(3.0)


def test_a_bill_paydown_is_parked_at_the_rrp_and_financed_with_coupons():
    world, treasury = treasury_with_bills(bills=-6.0, rrp=10.0)
    # coupons: (20 + 6) + 0.5 x (200 - 150) = 51; 6 from the TGA to the RRP
    np.testing.assert_allclose(treasury.orders(), [-51.0, 0.0, 0.0])
    assert world.cash("rrp") == pytest.approx(16.0)
    assert world.cash("treasury") == pytest.approx(144.0)
    assert treasury.bills_held == pytest.approx(-6.0)


def test_a_paydown_is_at_most_what_the_tga_holds():
    world, treasury = treasury_with_bills(bills=-6.0, rrp=10.0, tga=4.0)
    assert treasury.sell_bills(-6.0) == pytest.approx(-4.0)
    assert world.cash("treasury") == pytest.approx(0.0)
    assert world.cash("rrp") == pytest.approx(14.0)


def test_no_bills_leave_the_treasury_as_it_was():
    world, treasury = treasury_with_bills(bills=0.0, rrp=10.0)
    # 20 + 0.5 x (200 - 150) = 45, as without bills; nothing moves at the RRP
    np.testing.assert_allclose(treasury.orders(), [-45.0, 0.0, 0.0])
    assert world.cash("rrp") == 10.0 and treasury.bills_held == 0.0
    assert world.flows("bill_sale") == [] and world.flows("bill_paydown") == []
