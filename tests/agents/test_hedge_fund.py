"""Hedge funds: equity, leverage, procyclical margins, redemptions and releveraging."""

from __future__ import annotations

from types import SimpleNamespace

import mesa
import numpy as np
import pytest

from inverse_qe.agents.hedge_fund import (
    HedgeFund,
    HedgeFunds,
    equity,
    fund_names,
    leverage,
    leverage_limits,
    redemption_fraction,
    relever_orders,
)
from inverse_qe.model.ledger import Holder, Ledger
from inverse_qe.scenarios.loader import load
from inverse_qe.scenarios.schema import HedgeFundStrategy
from tests.agents.world import World

# ---------------------------------------------------------------------------------------
# equity and leverage
# ---------------------------------------------------------------------------------------


def test_equity_is_holdings_plus_cash_minus_debt():
    # 250 + 10 - 160 = 100
    assert equity(250.0, 10.0, 160.0) == pytest.approx(100.0)


def test_leverage_is_gross_assets_over_equity():
    # gross 250 + 10 = 260, equity 100: leverage 2.6
    assert float(leverage(250.0, 10.0, 160.0)) == pytest.approx(2.6)


def test_unlevered_fund_has_leverage_one():
    assert float(leverage(100.0, 0.0, 0.0)) == pytest.approx(1.0)


def test_leverage_is_infinite_once_equity_is_gone():
    # equity 100 + 0 - 100 = 0 and 100 - 150 = -50: both infinitely levered
    lev = leverage(np.array([100.0, 100.0, 100.0]), 0.0, np.array([100.0, 150.0, 50.0]))
    assert np.isinf(lev[0])
    assert np.isinf(lev[1])
    assert lev[2] == pytest.approx(2.0)


def test_hedge_fund_agent_reads_its_leverage_from_the_ledger_at_market_prices():
    model = mesa.Model()
    ledger = Ledger(
        [Holder("central_bank", "central_bank"), Holder("fund", "hedge_fund")],
        ["bonds", "stocks"],
        "central_bank",
    )
    ledger.open_account("fund", 20.0, {"bonds": 100.0, "stocks": 50.0})
    ledger.open_loan("central_bank", "fund", 170.0)
    model.ledger = ledger
    model.markets = SimpleNamespace(price=np.array([1.0, 2.0]))
    fund = HedgeFund(model, "fund", 1, "macro", leverage=2.0, limit=3.0)
    # holdings 100 x 1 + 50 x 2 = 200, cash 20, debt 170: equity 50, gross 220, leverage 4.4
    assert fund.leverage == pytest.approx(4.4)


# ---------------------------------------------------------------------------------------
# leverage_limits: procyclical margins
# ---------------------------------------------------------------------------------------

WEIGHTS = np.array([[0.5, 0.5]])
BASE = np.array([0.1, 0.2])


def test_margin_limit_halves_when_haircuts_double():
    # portfolio haircut 0.5 x 0.1 + 0.5 x 0.2 = 0.15 at base, 0.30 now: limit 4 x 0.15/0.30 = 2
    limits = leverage_limits(np.array([4.0]), WEIGHTS, BASE, 2 * BASE)
    np.testing.assert_allclose(limits, [2.0])


def test_margin_limit_is_the_strategy_limit_at_base_haircuts():
    np.testing.assert_allclose(leverage_limits(np.array([4.0]), WEIGHTS, BASE, BASE), [4.0])


def test_margin_limit_never_falls_below_one():
    # 1.5 x 0.15 / 0.45 = 0.5: an unlevered fund still may hold its equity
    limits = leverage_limits(np.array([1.5]), WEIGHTS, BASE, 3 * BASE)
    np.testing.assert_allclose(limits, [1.0])


def test_margin_limit_only_weighs_the_haircuts_of_assets_a_fund_holds():
    # fund 1 holds only asset 0 (haircut unchanged), fund 2 only asset 1 (haircut doubled)
    weights = np.array([[1.0, 0.0], [0.0, 1.0]])
    limits = leverage_limits(np.array([4.0, 4.0]), weights, BASE, np.array([0.1, 0.4]))
    np.testing.assert_allclose(limits, [4.0, 2.0])


def test_margin_limit_with_zero_haircuts_is_the_strategy_limit():
    limits = leverage_limits(np.array([4.0]), WEIGHTS, np.zeros(2), np.zeros(2))
    np.testing.assert_allclose(limits, [4.0])


# ---------------------------------------------------------------------------------------
# redemption_fraction: flow-performance
# ---------------------------------------------------------------------------------------


def test_no_redemptions_when_returns_are_above_threshold():
    assert float(redemption_fraction(0.02, -0.05, 0.5, 0.10)) == 0.0
    assert float(redemption_fraction(-0.05, -0.05, 0.5, 0.10)) == 0.0


def test_redemptions_rise_linearly_below_threshold():
    # 0.5 x (-0.05 - (-0.15)) = 0.05 of equity; twice as far below: 0.10
    assert float(redemption_fraction(-0.15, -0.05, 0.5, 0.20)) == pytest.approx(0.05)
    assert float(redemption_fraction(-0.25, -0.05, 0.5, 0.20)) == pytest.approx(0.10)


def test_redemptions_are_capped():
    # 0.5 x (-0.05 + 0.60) = 0.275 > cap 0.10
    assert float(redemption_fraction(-0.60, -0.05, 0.5, 0.10)) == pytest.approx(0.10)


# ---------------------------------------------------------------------------------------
# relever_orders
# ---------------------------------------------------------------------------------------


def test_fund_below_target_buys_speed_of_the_gap_in_its_weights_and_borrows_the_rest():
    # holdings [60, 40] (100), cash 10, debt 10: equity 100, leverage 110/100 = 1.1
    # cash kept 0.05 x 100 = 5; invested wanted 3 x 100 - 5 = 295
    # desired = [0.6, 0.4] x 295 = [177, 118]; gap [117, 78]; speed 0.1: orders [11.7, 7.8]
    # spends 19.5 with cash above its share 10 - 5 = 5: borrows 14.5
    orders, borrowing = relever_orders(
        np.array([[60.0, 40.0]]),
        np.array([10.0]),
        np.array([10.0]),
        np.array([[0.6, 0.4]]),
        3.0,
        0.05,
        0.1,
    )
    np.testing.assert_allclose(orders, [[11.7, 7.8]])
    np.testing.assert_allclose(borrowing, [14.5])


def test_fund_with_enough_spare_cash_does_not_borrow_to_relever():
    # holdings [60, 40], cash 100, debt 0: equity 200, cash kept 0.05 x 200 = 10
    # invested wanted 1.5 x 200 - 10 = 290 -> [174, 116]; gap [114, 76]; speed 0.1: 19
    # spare cash 100 - 10 = 90 covers it: no borrowing
    orders, borrowing = relever_orders(
        np.array([[60.0, 40.0]]),
        np.array([100.0]),
        np.array([0.0]),
        np.array([[0.6, 0.4]]),
        1.5,
        0.05,
        0.1,
    )
    np.testing.assert_allclose(orders, [[11.4, 7.6]])
    np.testing.assert_allclose(borrowing, [0.0])


def test_fund_above_target_leverage_on_its_weights_buys_nothing():
    # holdings [240, 160] (400), cash 0, debt 300: equity 100, leverage 4 > target 3
    # desired [180, 120] < holdings: nothing to buy (selling is for margin calls)
    orders, borrowing = relever_orders(
        np.array([[240.0, 160.0]]),
        np.array([0.0]),
        np.array([300.0]),
        np.array([[0.6, 0.4]]),
        3.0,
        0.0,
        0.1,
    )
    np.testing.assert_allclose(orders, [[0.0, 0.0]])
    np.testing.assert_allclose(borrowing, [0.0])


def test_insolvent_fund_buys_nothing_and_borrows_nothing():
    # fund 0: equity 100 - 120 = -20; fund 1 solvent: equity 50, wants 2 x 50 = 100 -> 0.1 x 50
    orders, borrowing = relever_orders(
        np.array([[100.0], [50.0]]),
        np.array([0.0, 0.0]),
        np.array([120.0, 0.0]),
        np.array([[1.0], [1.0]]),
        2.0,
        0.0,
        0.1,
    )
    np.testing.assert_allclose(orders, [[0.0], [5.0]])
    np.testing.assert_allclose(borrowing, [0.0, 5.0])


def test_fund_at_target_leverage_with_drifted_holdings_does_not_lever_up():
    # holdings [150, 50] (200), cash 0, debt 100: equity 100, leverage 2 = target 2
    # aggregate gap: 2 x 100 - 200 = 0, so 'speed of the gap' is 0: no buying, no borrowing.
    # The code buys 0.1 x (100 - 50) = 5 of asset 1 with 5 of new debt: leverage 2.05.
    orders, borrowing = relever_orders(
        np.array([[150.0, 50.0]]),
        np.array([0.0]),
        np.array([100.0]),
        np.array([[0.5, 0.5]]),
        2.0,
        0.0,
        0.1,
    )
    assert orders.sum() == pytest.approx(0.0)
    assert borrowing.sum() == pytest.approx(0.0)


def test_relevering_buys_at_most_speed_times_the_leverage_gap():
    # holdings [150, 30] (180), cash 0, debt 80: equity 100, target 2 -> invested wanted 200
    # leverage gap 200 - 180 = 20; speed 0.1: at most 2 of buying.
    # The code buys 0.1 x (100 - 30) = 7 of asset 1.
    orders, _ = relever_orders(
        np.array([[150.0, 30.0]]),
        np.array([0.0]),
        np.array([80.0]),
        np.array([[0.5, 0.5]]),
        2.0,
        0.0,
        0.1,
    )
    assert orders.sum() <= 0.1 * 20.0 + 1e-12


# ---------------------------------------------------------------------------------------
# The sector's week in a small economy
# ---------------------------------------------------------------------------------------

#: Two macro funds on treasuries and bonds, one crypto fund.
MACRO_WEIGHTS = {"treasuries": 0.6, "hyperscaler_bonds": 0.4}
MACRO = HedgeFundStrategy(
    name="macro", count=2, equity=100.0, leverage=3.0, leverage_limit=4.0, weights=MACRO_WEIGHTS
)
CRYPTO = HedgeFundStrategy(
    name="crypto", count=1, equity=20.0, leverage=2.0, leverage_limit=2.5, weights={"crypto": 1.0}
)


def funds_in_world(strategies=(MACRO, CRYPTO), prices=(1.0, 1.0, 2.0), **spec):
    """Funds of equal size (no dispersion) in a small economy; returns (world, sector)."""
    world = World(
        members=[(name, "hedge_fund") for name in fund_names(strategies)],
        prices=prices,
        overrides=["money_demand.payments_horizon=4"],
    )
    update = {"strategies": list(strategies), "size_dispersion": 0.0, "cash_share": 0.05, **spec}
    funds = HedgeFunds(
        world, load().hedge_funds.model_copy(update=update), np.random.default_rng(1)
    )
    return world, funds


def test_a_strategys_equity_is_split_among_its_funds():
    _, funds = funds_in_world()
    assert [f.name for f in funds] == ["macro_001", "macro_002", "crypto_001"]
    assert [f.strategy for f in funds] == ["macro", "macro", "crypto"]
    # no dispersion: equal shares of each strategy's equity
    np.testing.assert_allclose(funds.opening_equity, [50.0, 50.0, 20.0])
    np.testing.assert_allclose(funds.weights, [[0.6, 0.4, 0.0], [0.6, 0.4, 0.0], [0, 0, 1]])
    np.testing.assert_allclose(funds.leverage_limit, [4.0, 4.0, 2.5])


def test_fund_sizes_vary_but_add_up_to_the_strategys_equity():
    _, funds = funds_in_world(size_dispersion=0.6)
    assert funds.opening_equity[:2].sum() == pytest.approx(100.0)
    assert funds.opening_equity[0] != pytest.approx(funds.opening_equity[1])


def test_funds_open_at_their_target_leverage_owing_the_prime_brokers():
    world, funds = funds_in_world()
    funds.open_accounts()
    # macro fund, equity 50 at leverage 3: gross 150, cash 0.05 x 50 = 2.5, invested 147.5
    # in [0.6, 0.4]; debt 100. crypto fund: equity 20, gross 40, cash 1, 39 of crypto at 2
    np.testing.assert_allclose(world.units("macro_001"), [88.5, 59.0, 0.0])
    np.testing.assert_allclose(world.units("crypto_001"), [0.0, 0.0, 19.5])
    assert world.cash("macro_002") == pytest.approx(2.5)
    debt = world.ledger.debt
    np.testing.assert_allclose(debt[funds.rows], [100.0, 100.0, 20.0])
    assert debt[world.rows.banks] == pytest.approx(-220.0)


def test_redemptions_due_are_paid_from_cash_first_the_rest_is_raised():
    _, funds = funds_in_world()
    funds.open_accounts()
    funds.pending_redemptions[1] = [2.0, 20.0, 0.0]
    # cash 2.5, 2.5, 1: nothing to raise, 17.5 to raise, nothing due
    np.testing.assert_allclose(funds.payments_due(), [0.0, 17.5, 0.0])


def test_redemptions_are_paid_to_households_and_a_shortfall_is_a_default():
    world, funds = funds_in_world()
    for fund, cash in zip(funds, (10.0, 8.0, 0.0), strict=True):
        world.open(fund.name, cash)
    funds.pending_redemptions[1] = [5.0, 20.0, 0.0]
    funds.payments_due()
    funds.settle()
    assert world.cash("households") == pytest.approx(13.0)
    assert funds.redemptions_paid == pytest.approx(13.0)
    (default,) = world.events_of("Default")
    assert (default.holder, default.shortfall, default.what) == ("macro_002", 12.0, "redemption")


def relevering_fund(bank_cash: float):
    """The hand-worked fund of the first relever test: [60, 40] held, cash 10, debt 10."""
    world, funds = funds_in_world((MACRO.model_copy(update={"count": 1}),), relever_speed=0.1)
    world.open("macro_001", 10.0, debt=10.0, treasuries=60.0, hyperscaler_bonds=40.0)
    world.open("banks", bank_cash)
    return world, funds


def test_funds_relever_borrowing_from_prime_brokers():
    world, funds = relevering_fund(bank_cash=100.0)
    # as in the first relever test: buys [11.7, 7.8], 14.5 borrowed
    np.testing.assert_allclose(funds.orders(), [[11.7, 7.8, 0.0]])
    assert world.cash("macro_001") == pytest.approx(24.5)
    assert world.ledger.debt[funds.rows[0]] == pytest.approx(24.5)


def test_prime_brokers_short_of_cash_ration_the_credit_and_the_buying():
    world, funds = relevering_fund(bank_cash=5.0)
    # 14.5 wanted, 5 available: borrowing and buys scaled by 5 / 14.5
    np.testing.assert_allclose(funds.orders(), [[11.7 * 5 / 14.5, 7.8 * 5 / 14.5, 0.0]])
    assert world.cash("banks") == pytest.approx(0.0)
    assert world.ledger.debt[funds.rows[0]] == pytest.approx(15.0)


def test_margin_terms_shrink_the_limit_when_haircuts_rise():
    world, funds = funds_in_world((MACRO.model_copy(update={"count": 1}),))
    world.open("macro_001", 0.0, debt=75.0, treasuries=100.0)
    world.markets.base_haircut = np.array([0.1, 0.2, 0.5])
    world.markets.haircut = np.array([0.2, 0.4, 0.5])
    now, limit, target = funds.margin_terms()
    # equity 100 - 75 = 25: leverage 4; haircuts doubled: limit 4 x 0.1 / 0.2 = 2;
    # target a deleverage buffer of 0.05 below it: 1.9
    np.testing.assert_allclose(now, [4.0])
    np.testing.assert_allclose(limit, [2.0])
    np.testing.assert_allclose(target, [2.0 * (1 - load().hedge_funds.deleverage_buffer)])


def test_a_fund_whose_equity_is_gone_defaults_once():
    world, funds = funds_in_world()
    world.open("macro_002", 0.0, debt=30.0, treasuries=10.0)
    funds.record_defaults(np.array([False, True, False]))
    funds.record_defaults(np.array([False, True, False]))
    (default,) = world.events_of("Default")
    assert (default.holder, default.shortfall, default.what) == ("macro_002", 20.0, "equity")


def test_investors_give_notice_after_poor_returns_once_per_pending_redemption():
    world, funds = funds_in_world(
        (MACRO.model_copy(update={"count": 1}),),
        redemption_lookback=2,
        redemption_threshold=-0.05,
        redemption_sensitivity=0.5,
        redemption_max=0.10,
        redemption_notice=4,
    )
    world.open("macro_001", 100.0)
    for week, equity_now in ((1, 100.0), (2, 90.0), (3, 80.0), (4, 80.0)):
        world.week = week
        fund_cash = world.cash("macro_001")
        if fund_cash > equity_now:
            world.ledger.pay(funds.rows[0], world.rows.suppliers, fund_cash - equity_now, "loss")
        funds.notices()
    # week 3: equity 80 against 100 two weeks before: -20%, 0.5 x (-0.05 + 0.20) = 7.5%
    # of 80 = 6, due in week 3 + 4 = 7; week 4: notice already pending, no new one
    (notice,) = world.events_of("Redemption")
    assert (notice.week, notice.amount, notice.due_week) == (3, pytest.approx(6.0), 7)
    assert notice.trailing_return == pytest.approx(-0.2)
    assert funds.pending_redemptions[7, 0] == pytest.approx(6.0)


def test_money_demand_is_the_cash_kept_plus_redemptions_due_soon():
    world, funds = funds_in_world()
    world.open("macro_001", 100.0)
    funds.pending_redemptions[2, 0] = 3.0
    funds.pending_redemptions[5, 0] = 2.0
    funds.pending_redemptions[6, 0] = 7.0  # beyond the horizon of 4 weeks after week 1
    # 0.05 x 100 + 3 + 2
    np.testing.assert_allclose(funds.update_money_demand(), [10.0, 0.0, 0.0])
