"""Tests of the fire-sale / clearing engine and the GLT (2015) closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inverse_qe.model.firesale import (
    MIN_LINEAR_RETURN,
    FireSaleResult,
    glt_aggregate_vulnerability,
    glt_indirect_vulnerability,
    run_fire_sale,
)

KINDS = ("linear", "exponential", "log")
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def flows_gap(cash0, debt0, result: FireSaleResult) -> np.ndarray:
    """Per holder: (Δcash + debt repaid) - (proceeds - buys paid); zero if conserved."""
    lhs = (result.cash - np.asarray(cash0)) + (np.asarray(debt0) - result.debt)
    rhs = result.proceeds.sum(axis=1) - result.buys.sum(axis=1)
    return lhs - rhs


def flows_scale(cash0, debt0, result: FireSaleResult) -> np.ndarray:
    return (
        np.asarray(cash0)
        + np.asarray(debt0)
        + result.cash
        + result.debt
        + result.proceeds.sum(axis=1)
        + result.buys.sum(axis=1)
        + 1e-300
    )


def assert_conserved(cash0, debt0, result: FireSaleResult) -> None:
    gap = flows_gap(cash0, debt0, result)
    assert np.all(np.abs(gap) <= 1e-9 * flows_scale(cash0, debt0, result)), gap


def glt_case(seed: int, n_holders: int = 20, n_assets: int = 5):
    """Random GLT economy: random weights, leverage 2-15, impact ~1e-4 per dollar."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(n_assets), size=n_holders)
    assets = rng.uniform(500.0, 1500.0, n_holders)
    holdings = weights * assets[:, None]
    leverage = rng.uniform(2.0, 15.0, n_holders)
    debt = assets - assets / leverage
    impact = rng.uniform(0.5e-4, 1.5e-4, n_assets)
    direction = -rng.uniform(0.2, 1.0, n_assets)  # every asset falls: all holders sell
    return holdings, debt, impact, direction


def glt_relative_gap(holdings, debt, impact, shock) -> float:
    """|engine spillover / E - (-AV)| / |AV| for the GLT configuration of the engine."""
    result = run_fire_sale(
        holdings,
        np.zeros(len(debt)),
        debt,
        impact,
        shock,
        impact_kind="linear",
        max_rounds=1,
        liquidation="pro_rata",
        target_leverage=None,
        use_cash=True,
    )
    equity = holdings.sum() - debt.sum()
    av = glt_aggregate_vulnerability(holdings, debt, impact, shock)
    engine = result.spillover_losses.sum() / equity
    return abs(engine + av) / abs(av)


# ---------------------------------------------------------------------------------------
# Hand-worked cases
# ---------------------------------------------------------------------------------------


def test_glt_hand_worked_single_holder():
    # One holder, one asset: a = 100, e = 10 (debt 90, b = 9), impact 0.001, shock -1%.
    # GLT closed form: AV = a·ℓ·b·a·f / e = 100·0.001·9·100·(-0.01) / 10 = -0.09.
    av = glt_aggregate_vulnerability([[100.0]], [90.0], [0.001], [-0.01])
    assert av == pytest.approx(-0.09, rel=1e-14)
    assert glt_indirect_vulnerability([[100.0]], [90.0], [0.001], [-0.01]) == pytest.approx(
        [-0.09], rel=1e-14
    )
    # Engine: after the shock h = 99, equity = 9, gross = 99, target leverage 10
    #   x = 99 - 10·9 = 9 sold; r = -0.001·9 = -0.009; proceeds 9·0.991 = 8.919 -> debt 81.081;
    #   kept 90·0.991 = 89.19; equity 89.19 - 81.081 = 8.109; loss 10 - 8.109 = 1.891,
    #   direct 1, spillover 0.891 = 99·0.009 = 0.9·(1 - 0.01): GLT's 0.9 marked on post-shock
    #   holdings, so spillover / E = 8.91% vs -AV = 9%, a relative gap of |f| = 1%.
    r = run_fire_sale([[100.0]], [0.0], [90.0], [0.001], [-0.01])
    assert r.rounds == 1
    assert r.sales[0, 0] == pytest.approx(9.0, rel=1e-12)
    assert r.price_change[0] == pytest.approx(-0.009, rel=1e-12)
    assert r.total_price_change[0] == pytest.approx(0.99 * 0.991 - 1, rel=1e-12)
    assert r.proceeds[0, 0] == pytest.approx(8.919, rel=1e-12)
    assert r.debt[0] == pytest.approx(81.081, rel=1e-12)
    assert r.holdings[0, 0] == pytest.approx(89.19, rel=1e-12)
    assert r.losses[0] == pytest.approx(1.891, rel=1e-12)
    assert r.direct_losses[0] == pytest.approx(1.0, rel=1e-12)
    assert r.spillover_losses[0] == pytest.approx(0.891, rel=1e-12)
    assert r.spillover_losses[0] / 10.0 == pytest.approx(-av * (1 - 0.01), rel=1e-12)


def test_two_holders_share_one_asset():
    # A: h = 100, debt 50 (leverage 2); B: h = 100, no debt. Impact 0.001, shock -10%.
    # After the shock: A h = 90, equity 40, x = 90 - 2·40 = 10 sold; B leverage 1, x = 0.
    # r = -0.001·10 = -1%. A: proceeds 9.9 -> debt 40.1, kept 80·0.99 = 79.2, equity 39.1,
    # loss 50 - 39.1 = 10.9 = 10 direct + 0.9 spillover. B: 90·0.99 = 89.1, loss 10.9 too:
    # the bystander loses as much to A's fire sale as A does.
    r = run_fire_sale([[100.0], [100.0]], [0.0, 0.0], [50.0, 0.0], [0.001], [-0.1])
    np.testing.assert_allclose(r.sales[:, 0], [10.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(r.proceeds[:, 0], [9.9, 0.0], rtol=1e-12)
    np.testing.assert_allclose(r.debt, [40.1, 0.0], rtol=1e-12)
    np.testing.assert_allclose(r.holdings[:, 0], [79.2, 89.1], rtol=1e-12)
    np.testing.assert_allclose(r.losses, [10.9, 10.9], rtol=1e-12)
    np.testing.assert_allclose(r.direct_losses, [10.0, 10.0], rtol=1e-12)
    np.testing.assert_allclose(r.spillover_losses, [0.9, 0.9], rtol=1e-10)


def test_cash_need_exponential_two_rounds():
    # h = 100, no debt, must raise 10; impact 0.001, exponential, 2 rounds.
    # Round 1: sell 10; 1 + r1 = exp(-0.01) = 0.990049833749168; proceeds 9.90049833749168;
    #   still due 10 - 9.90049833749168 = 0.09950166250832; kept 90·0.99005 = 89.10448503742512.
    # Round 2: sell 0.0995016625; 1 + r2 = exp(-0.001·0.0995016625) = 0.9999005032876179;
    #   proceeds 0.09949176242002; still due 9.90008829612754e-06 -> reported unmet;
    #   kept (89.10448503742512 - 0.0995016625)·0.9999005 = 88.99612767168539.
    r = run_fire_sale(
        [[100.0]],
        [0.0],
        [0.0],
        [0.001],
        cash_needed=[10.0],
        max_rounds=2,
        impact_kind="exponential",
    )
    assert r.rounds == 2
    np.testing.assert_allclose(
        [r.round_returns[0][0], r.round_returns[1][0]],
        [0.990049833749168 - 1, 0.9999005032876179 - 1],
        rtol=1e-12,
    )
    np.testing.assert_allclose(r.round_sales[1][0, 0], 0.09950166250832027, rtol=1e-12)
    assert r.proceeds[0, 0] == pytest.approx(9.90049833749168 + 0.09949176242002414, rel=1e-13)
    assert r.unmet_cash_needed[0] == pytest.approx(9.90008829612754e-06, rel=1e-8)
    assert r.cash[0] == pytest.approx(10.0 - 9.90008829612754e-06, rel=1e-13)
    assert r.holdings[0, 0] == pytest.approx(88.99612767168539, rel=1e-13)
    assert r.debt[0] == 0.0


def test_use_cash_repays_debt_before_selling():
    # h = 100, cash 20, debt 60: equity 60, gross 120. Target 1.5 -> x = 120 - 90 = 30.
    # use_cash: repay 20 from cash, sell 10 -> h 90, cash 0, debt 30, leverage 90/60 = 1.5.
    r = run_fire_sale([[100.0]], [20.0], [60.0], [0.0], target_leverage=1.5)
    assert r.sales[0, 0] == pytest.approx(10.0)
    assert (r.cash[0], r.debt[0]) == pytest.approx((0.0, 30.0))
    # Without: sell all 30, keep the cash: h 70, cash 20, debt 30 (gross 90, equity 60).
    r = run_fire_sale([[100.0]], [20.0], [60.0], [0.0], target_leverage=1.5, use_cash=False)
    assert r.sales[0, 0] == pytest.approx(30.0)
    assert (r.cash[0], r.debt[0]) == pytest.approx((20.0, 30.0))


def test_impact_kinds_hand_values_and_first_order_agreement():
    # One holder sells 10 (cash need) with impact 0.002: pressure 0.02.
    expected = {"linear": -0.02, "exponential": math.exp(-0.02) - 1, "log": 1 / 1.02 - 1}
    for kind, value in expected.items():
        r = run_fire_sale([[100.0]], [0.0], [0.0], [0.002], cash_needed=[10.0], impact_kind=kind)
        assert r.price_change[0] == pytest.approx(value, rel=1e-13)
    # Buying 50 with impact 0.001: pressure -0.05.
    expected = {"linear": 0.05, "exponential": math.exp(0.05) - 1, "log": 0.05}
    for kind, value in expected.items():
        r = run_fire_sale([[0.0]], [100.0], [0.0], [0.001], orders=[[50.0]], impact_kind=kind)
        assert r.price_change[0] == pytest.approx(value, rel=1e-13)
    # First order: the three kinds differ by O(pressure²).
    for pressure in (1e-3, 1e-4):
        changes = [
            run_fire_sale(
                [[100.0]], [0.0], [0.0], [pressure / 10], cash_needed=[10.0], impact_kind=k
            ).price_change[0]
            for k in KINDS
        ]
        assert max(changes) - min(changes) <= pressure**2


# ---------------------------------------------------------------------------------------
# GLT first-order agreement
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_glt_first_order_random(seed):
    holdings, debt, impact, direction = glt_case(seed)
    # Small shocks: the engine matches the closed form to first order.
    assert glt_relative_gap(holdings, debt, impact, 1e-5 * direction) < 1e-3
    # The gap is second order: relative gap proportional to the shock size.
    ratio = glt_relative_gap(holdings, debt, impact, 1e-3 * direction) / glt_relative_gap(
        holdings, debt, impact, 1e-4 * direction
    )
    assert 9.0 < ratio < 11.0


def test_glt_gap_is_exactly_the_shock_for_a_uniform_shock():
    # With one asset, or the same shock on every asset, post-shock portfolio weights equal
    # pre-shock ones, so the engine sells exactly GLT's amounts and only the marking differs:
    # engine = -AV·(1 + f), i.e. gap/AV = f exactly.
    for n_assets in (1, 5):
        holdings, debt, impact, _ = glt_case(7, n_holders=12, n_assets=n_assets)
        equity = holdings.sum() - debt.sum()
        for f in (-1e-2, -1e-3, -1e-4):
            shock = np.full(n_assets, f)
            av = glt_aggregate_vulnerability(holdings, debt, impact, shock)
            r = run_fire_sale(holdings, np.zeros(12), debt, impact, shock)
            assert r.spillover_losses.sum() / equity == pytest.approx(-av * (1 + f), rel=1e-9)


def test_glt_indirect_vulnerability_per_holder():
    holdings, debt, impact, direction = glt_case(3)
    shock = 1e-5 * direction
    equity = holdings.sum(axis=1) - debt
    iv = glt_indirect_vulnerability(holdings, debt, impact, shock)
    r = run_fire_sale(holdings, np.zeros(len(debt)), debt, impact, shock)
    np.testing.assert_allclose(r.spillover_losses / equity, -iv, rtol=1e-3)
    # AV is the equity-weighted average of IV.
    assert glt_aggregate_vulnerability(holdings, debt, impact, shock) == pytest.approx(
        (iv * equity).sum() / equity.sum(), rel=1e-12
    )


def test_glt_rejects_non_positive_equity():
    with pytest.raises(ValueError, match="positive equity"):
        glt_aggregate_vulnerability([[100.0]], [100.0], [0.001], [-0.01])


# ---------------------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------------------


def test_nothing_happens_without_shock_or_needs():
    rng = np.random.default_rng(1)
    holdings = rng.uniform(0, 1e6, (50, 4))
    cash = rng.uniform(0, 1e5, 50)
    debt = holdings.sum(axis=1) * rng.uniform(0, 0.9, 50)
    for kind in KINDS:
        r = run_fire_sale(
            holdings, cash, debt, np.full(4, 1e-3), np.zeros(4), impact_kind=kind, max_rounds=5
        )
        assert r.rounds == 0
        assert not r.sales.any() and not r.buys.any() and not r.price_change.any()
        np.testing.assert_array_equal(r.holdings, holdings)
        np.testing.assert_array_equal(r.cash, cash)
        np.testing.assert_array_equal(r.debt, debt)
        assert not r.losses.any() and not r.insolvent.any()
        assert r.round_sales == () and r.round_returns == ()


def test_holder_below_leverage_limit_does_not_sell():
    # A: h 100, debt 90 (leverage 10); B: h 30, debt 20 (leverage 3). Limit 5, target 4.
    # A sells 100 - 4·10 = 60; B, below the limit, sells nothing but still loses to A's sale.
    r = run_fire_sale(
        [[100.0], [30.0]], [0.0, 0.0], [90.0, 20.0], [1e-4], leverage_limit=5.0, target_leverage=4.0
    )
    assert r.sales[0, 0] == pytest.approx(60.0)
    assert r.sales[1, 0] == 0.0
    assert r.spillover_losses[1] == pytest.approx(30.0 * 60.0 * 1e-4)
    # Without a limit both return to the target 4: B (leverage 3) is already below it.
    r = run_fire_sale([[100.0], [30.0]], [0.0, 0.0], [90.0, 20.0], [0.0], target_leverage=2.0)
    np.testing.assert_allclose(r.sales[:, 0], [80.0, 10.0])


def test_leverage_limit_infinite_disables_deleveraging():
    r = run_fire_sale([[100.0]], [0.0], [90.0], [1e-3], [-0.5], leverage_limit=np.inf)
    assert r.rounds == 0 and r.insolvent[0]


def test_insolvent_holder_sells_everything():
    # h 100, debt 95; a -10% shock leaves equity -5: sell all 90, proceeds 90·(1 - 0.009).
    r = run_fire_sale([[60.0, 40.0]], [0.0], [95.0], [1e-4, 1e-4], [-0.1, -0.1], max_rounds=3)
    assert r.insolvent[0]
    np.testing.assert_allclose(r.sales[0], [54.0, 36.0])
    assert not r.holdings.any()
    assert r.debt[0] == pytest.approx(95.0 - 54.0 * (1 - 54e-4) - 36.0 * (1 - 36e-4))
    assert r.rounds == 1


def test_waterfall_sells_rank_zero_first():
    # Holdings [50, 30, 20], ranks [2, 0, 1]: asset 1 first, then 2, then 0. Raise 40:
    # 30 from asset 1, then 10 from asset 2, nothing from asset 0.
    r = run_fire_sale(
        [[50.0, 30.0, 20.0]],
        [0.0],
        [0.0],
        np.zeros(3),
        cash_needed=[40.0],
        liquidation="waterfall",
        sale_order=[2, 0, 1],
    )
    np.testing.assert_allclose(r.sales[0], [0.0, 30.0, 10.0])
    # Per-holder ranks: the second holder sells asset 0 first.
    r = run_fire_sale(
        [[50.0, 30.0, 20.0], [50.0, 30.0, 20.0]],
        [0.0, 0.0],
        [0.0, 0.0],
        np.zeros(3),
        cash_needed=[40.0, 60.0],
        liquidation="waterfall",
        sale_order=[[2, 0, 1], [0, 2, 1]],
    )
    np.testing.assert_allclose(r.sales, [[0.0, 30.0, 10.0], [50.0, 0.0, 10.0]])


def test_pro_rata_and_waterfall_agree_on_full_liquidation():
    kw = {"cash_needed": [1e9], "max_rounds": 3}
    a = run_fire_sale([[50.0, 30.0, 20.0]], [0.0], [0.0], [1e-3] * 3, **kw)
    b = run_fire_sale(
        [[50.0, 30.0, 20.0]],
        [0.0],
        [0.0],
        [1e-3] * 3,
        liquidation="waterfall",
        sale_order=[1, 2, 0],
        **kw,
    )
    np.testing.assert_array_equal(a.sales, b.sales)
    np.testing.assert_allclose(a.proceeds, b.proceeds, rtol=1e-15)


def test_cash_needs_met_over_rounds_when_holdings_suffice():
    r = run_fire_sale([[60.0, 40.0]], [0.0], [0.0], [5e-3, 5e-3], cash_needed=[50.0], max_rounds=30)
    assert r.unmet_cash_needed[0] < 1e-10
    assert r.cash[0] == pytest.approx(50.0, rel=1e-12)
    assert 2 < r.rounds < 30  # tops up until met, then stops early


def test_cash_needs_unmet_when_holdings_do_not_suffice():
    r = run_fire_sale([[20.0, 10.0]], [0.0], [0.0], [1e-3, 1e-3], cash_needed=[50.0], max_rounds=5)
    assert not r.holdings.any()
    # Everything sold in round 1: 20·0.98 + 10·0.99 = 29.5 raised, 20.5 unmet.
    assert r.cash[0] == pytest.approx(29.5)
    assert r.unmet_cash_needed[0] == pytest.approx(20.5)
    assert r.rounds == 1


def test_cash_raised_for_needs_is_not_used_to_repay_debt():
    # h 100, debt 50 (leverage 2 = target), must raise 10; impact 0.001, no shock.
    # Round 1: sell 10 at -1%: cash 9.9, h 89.1, equity 49, gross 99 -> leverage above 2.
    # Round 2: x = 99 - 2·49 = 1. The 9.9 is earmarked, so the holder sells 1 (plus the
    # 0.1 still due) instead of paying debt with the redemption money.
    r = run_fire_sale([[100.0]], [0.0], [50.0], [1e-3], cash_needed=[10.0], max_rounds=2)
    assert r.round_sales[1][0, 0] == pytest.approx(1.1)
    factor2 = 1 - 1.1e-3
    assert r.debt[0] == pytest.approx(50.0 - 1.0 * factor2)
    assert r.cash[0] == pytest.approx(9.9 + 0.1 * factor2)


def test_buys_raise_price_and_are_capped_at_cash():
    # Buyer with cash 30 wants 50: buys 30. Linear impact 0.001: r = +0.03.
    # Bystander holding 100 gains 3; buyer's holding is worth the 30 paid.
    r = run_fire_sale([[0.0], [100.0]], [30.0, 0.0], [0.0, 0.0], [1e-3], orders=[[50.0], [0.0]])
    assert r.price_change[0] == pytest.approx(0.03)
    np.testing.assert_allclose(r.buys[:, 0], [30.0, 0.0])
    np.testing.assert_allclose(r.holdings[:, 0], [30.0, 103.0])
    np.testing.assert_allclose(r.cash, [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(r.losses, [0.0, -3.0], atol=1e-12)


def test_buys_and_sells_net_in_one_round():
    # A sells 40 (order), B buys 10: net sales 30 -> r = -0.03 for both.
    r = run_fire_sale([[100.0], [0.0]], [0.0, 10.0], [0.0, 0.0], [1e-3], orders=[[-40.0], [10.0]])
    assert r.price_change[0] == pytest.approx(-0.03)
    np.testing.assert_allclose(r.proceeds[:, 0], [38.8, 0.0])
    np.testing.assert_allclose(r.holdings[:, 0], [60 * 0.97, 10.0])
    # Order sells are capped at holdings.
    r = run_fire_sale([[10.0]], [0.0], [0.0], [0.0], orders=[[-40.0]])
    assert r.sales[0, 0] == 10.0


def test_inputs_are_not_mutated_and_outputs_are_read_only():
    holdings = np.array([[100.0, 50.0]])
    cash, debt = np.array([1.0]), np.array([90.0])
    r = run_fire_sale(holdings, cash, debt, [1e-3, 1e-3], [-0.1, 0.0], max_rounds=3)
    np.testing.assert_array_equal(holdings, [[100.0, 50.0]])
    assert cash[0] == 1.0 and debt[0] == 90.0
    with pytest.raises(ValueError):
        r.holdings[0, 0] = 1.0
    assert r.equity[0] == pytest.approx(r.holdings.sum() + r.cash[0] - r.debt[0])


def test_large_economy_runs_fast_and_conserves():
    rng = np.random.default_rng(2)
    n, k = 100_000, 7
    holdings = rng.uniform(0, 1e3, (n, k))
    cash = rng.uniform(0, 100, n)
    debt = holdings.sum(axis=1) * rng.uniform(0.2, 0.95, n)
    orders = rng.normal(0, 10, (n, k))
    r = run_fire_sale(
        holdings,
        cash,
        debt,
        np.full(k, 1e-9),
        np.full(k, -0.05),
        cash_needed=rng.uniform(0, 20, n),
        orders=orders,
        max_rounds=4,
    )
    assert r.rounds == 4
    assert_conserved(cash, debt, r)


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

GOOD = {"holdings": [[1.0, 2.0]], "cash": [0.0], "debt": [1.0], "impact": [1e-3, 1e-3]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"holdings": [1.0, 2.0]}, "2-D"),
        ({"holdings": [[-1.0, 2.0]]}, "holdings must be non-negative"),
        ({"holdings": [[np.nan, 2.0]]}, "finite"),
        ({"cash": [-1.0]}, "cash must be non-negative"),
        ({"cash": [0.0, 0.0]}, "cash must have shape"),
        ({"debt": [np.inf]}, "finite"),
        ({"debt": [-1.0]}, "debt must be non-negative"),
        ({"impact": [1e-3]}, "impact must have shape"),
        ({"impact": [-1e-3, 0.0]}, "impact must be non-negative"),
        ({"shock": [-1.0, 0.0]}, "shock must be > -1"),
        ({"shock": [0.0]}, "shock must have shape"),
        ({"impact_kind": "quadratic"}, "impact_kind"),
        ({"liquidation": "random"}, "liquidation"),
        ({"liquidation": "waterfall"}, "sale_order"),
        ({"liquidation": "waterfall", "sale_order": [0, 1, 2]}, "sale_order must have shape"),
        ({"liquidation": "waterfall", "sale_order": [0.5, 1]}, "integer ranks"),
        ({"target_leverage": 0.5}, "target_leverage must be >= 1"),
        ({"target_leverage": [2.0, 3.0]}, "target_leverage must be a scalar"),
        ({"target_leverage": np.nan}, "NaN"),
        ({"leverage_limit": 0.9}, "leverage_limit must be >= 1"),
        ({"cash_needed": [-1.0]}, "cash_needed must be non-negative"),
        ({"orders": [[1.0]]}, "orders must have shape"),
        ({"orders": [[np.inf, 0.0]]}, "finite"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"max_rounds": 1.5}, "max_rounds"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_validation(change, message):
    kwargs = {**GOOD, **change}
    with pytest.raises(ValueError, match=message):
        run_fire_sale(**kwargs)


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


@st.composite
def economies(draw, max_value: float = 1e6, max_impact: float = 1e-3):
    """Random small economies with every option of the engine switched on or off."""
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 4))
    money = st.floats(0.0, max_value, allow_nan=False, allow_infinity=False)
    kwargs = {
        "holdings": draw(hnp.arrays(np.float64, (n, k), elements=money)),
        "cash": draw(hnp.arrays(np.float64, n, elements=money)),
        "debt": draw(
            hnp.arrays(np.float64, n, elements=st.floats(0.0, 2 * k * max_value, allow_nan=False))
        ),
        "impact": draw(hnp.arrays(np.float64, k, elements=st.floats(0.0, max_impact))),
        "shock": draw(hnp.arrays(np.float64, k, elements=st.floats(-0.9, 0.5))),
        "max_rounds": draw(st.integers(1, 6)),
        "impact_kind": draw(st.sampled_from(KINDS)),
        "use_cash": draw(st.booleans()),
    }
    if draw(st.booleans()):
        kwargs["cash_needed"] = draw(hnp.arrays(np.float64, n, elements=money))
    if draw(st.booleans()):
        kwargs["orders"] = draw(
            hnp.arrays(np.float64, (n, k), elements=st.floats(-max_value, max_value))
        )
    if draw(st.booleans()):
        kwargs["target_leverage"] = draw(st.floats(1.0, 30.0))
    if draw(st.booleans()):
        kwargs["leverage_limit"] = draw(st.floats(1.0, 30.0))
    if draw(st.booleans()):
        kwargs["liquidation"] = "waterfall"
        kwargs["sale_order"] = draw(st.permutations(range(k)))
    return kwargs


@PROPERTY_SETTINGS
@given(economies())
def test_property_conservation_and_bookability(kw):
    r = run_fire_sale(**kw)
    assert_conserved(kw["cash"], kw["debt"], r)
    # Balance sheets stay valid inputs for the next call.
    assert np.all(r.holdings >= 0) and np.all(r.cash >= 0) and np.all(r.debt >= 0)
    assert np.all(np.isfinite(r.holdings)) and np.all(np.isfinite(r.cash))
    needed = np.asarray(kw.get("cash_needed", np.zeros(len(kw["cash"]))))
    assert np.all(r.unmet_cash_needed >= 0) and np.all(r.unmet_cash_needed <= needed)
    assert len(r.round_sales) == len(r.round_buys) == len(r.round_returns) == r.rounds
    # The per-round report is enough to book everything: replay it. Rounding of the replay
    # is bounded by propagating eps times the dollar amounts touched each round (a price
    # that jumps 1e7-fold and falls back leaves large intermediate values behind).
    eps = 1e-15
    h = np.asarray(kw["holdings"]) * (1 + np.asarray(kw["shock"]))
    h_err = eps * h
    proceeds, proceeds_err = np.zeros_like(h), np.zeros_like(h)
    mtm, mtm_err = np.zeros(len(h)), eps * (h.sum(axis=1) + 1.0)
    for sales, buys, ret in zip(r.round_sales, r.round_buys, r.round_returns, strict=True):
        factor = 1 + ret
        assert np.all(sales <= h + 4 * h_err + 1e-300)
        mtm += (h * ret).sum(axis=1)
        mtm_err += (h_err * np.abs(ret)).sum(axis=1) + eps * (h * (1 + np.abs(ret))).sum(axis=1)
        proceeds += sales * factor
        proceeds_err += eps * sales * (1 + factor)
        # 1 + ret carries an absolute error of eps: relative to a tiny factor that is large.
        h_err = h_err * (factor + eps) + eps * ((h + sales) * (1 + factor) + buys)
        h = np.maximum(h - sales, 0) * factor + buys
    assert np.all(np.abs(r.holdings - h) <= 4 * h_err + 1e-300)
    assert np.all(np.abs(r.proceeds - proceeds) <= 4 * proceeds_err + 1e-300)
    assert np.all(np.abs(r.sales - sum(r.round_sales, np.zeros_like(h))) <= eps * r.sales)
    scale = np.asarray(kw["holdings"]).sum(axis=1) + kw["cash"] + kw["debt"] + 1.0
    assert np.all(np.abs(r.spillover_losses + mtm) <= 1e3 * mtm_err + 1e-9 * scale)
    assert np.all(np.abs(r.losses - r.direct_losses - r.spillover_losses) <= 1e-12 * scale)


@PROPERTY_SETTINGS
@given(economies(max_value=1e12, max_impact=1e6))
def test_property_prices_stay_positive_and_finite_under_extremes(kw):
    r = run_fire_sale(**kw)
    assert np.all(np.isfinite(r.price_factor)) and np.all(r.price_factor > 0)
    assert np.all(np.isfinite(r.price_change)) and np.all(r.total_price_change >= -1)
    for ret in r.round_returns:
        assert np.all(np.isfinite(ret)) and np.all(ret >= -1)
        if kw["impact_kind"] == "linear":
            assert np.all(ret >= MIN_LINEAR_RETURN)
    assert np.all(np.isfinite(r.holdings)) and np.all(r.holdings >= 0)
    assert np.all(np.isfinite(r.losses))


@pytest.mark.parametrize("kind", KINDS)
def test_prices_positive_for_huge_sales_and_impact(kind):
    r = run_fire_sale(
        [[1e12, 1e12]],
        [0.0],
        [0.0],
        [1e6, 1e6],
        cash_needed=[1e15],
        impact_kind=kind,
        max_rounds=10,
    )
    assert np.all(r.price_factor > 0) and np.all(np.isfinite(r.price_factor))
    assert r.unmet_cash_needed[0] > 0


@PROPERTY_SETTINGS
@given(economies(), st.randoms(use_true_random=False))
def test_property_order_of_holders_does_not_matter(kw, random):
    n = len(kw["cash"])
    perm = np.array(random.sample(range(n), n))
    permuted = dict(kw)
    for name in ("holdings", "cash", "debt", "cash_needed", "orders"):
        if name in kw:
            permuted[name] = np.asarray(kw[name])[perm]
    a = run_fire_sale(**kw)
    b = run_fire_sale(**permuted)
    assert a.rounds == b.rounds
    np.testing.assert_array_equal(a.price_change, b.price_change)
    for name in (
        "sales",
        "proceeds",
        "buys",
        "holdings",
        "cash",
        "debt",
        "losses",
        "spillover_losses",
        "unmet_cash_needed",
        "insolvent",
    ):
        np.testing.assert_array_equal(getattr(a, name)[perm], getattr(b, name), err_msg=name)
    for ra, rb in zip(a.round_sales, b.round_sales, strict=True):
        np.testing.assert_array_equal(ra[perm], rb)


def test_mixed_liquidation_applies_each_holders_rule():
    # Two identical holders must each raise 30 from holdings (10, 90) in two assets.
    # Holder 0 sells by waterfall (asset 1 first): all 30 from asset 1.
    # Holder 1 sells pro rata: 3 from asset 0 and 27 from asset 1.
    holdings = np.array([[10.0, 90.0], [10.0, 90.0]])
    result = run_fire_sale(
        holdings,
        np.zeros(2),
        np.zeros(2),
        np.zeros(2),
        cash_needed=np.array([30.0, 30.0]),
        liquidation=np.array([True, False]),
        sale_order=np.array([1, 0]),
        leverage_limit=np.inf,
    )
    np.testing.assert_allclose(result.sales[0], [0.0, 30.0])
    np.testing.assert_allclose(result.sales[1], [3.0, 27.0])


def test_mixed_liquidation_with_ranks_per_holder_and_a_holder_sitting_out():
    """Each waterfall holder sells by its own ranks, whoever else sells in the round.

    Holder 0 (waterfall, asset 1 first) has nothing to raise; holder 1 sells pro rata;
    holder 2 (waterfall, asset 0 first) raises 30 from (10, 90): all 10 of asset 0,
    then 20 of asset 1. Only the holders that sell are allocated, so holder 2 must find
    its own row of ranks, the second of the waterfall holders', not the first seller's.
    """
    holdings = np.array([[10.0, 90.0]] * 3)
    kwargs = {
        "liquidation": np.array([True, False, True]),
        "sale_order": np.array([[1, 0], [0, 1], [0, 1]]),
        "leverage_limit": np.inf,
    }
    zeros = np.zeros(3)
    result = run_fire_sale(
        holdings, zeros, zeros, np.zeros(2), cash_needed=np.array([0.0, 30.0, 30.0]), **kwargs
    )
    np.testing.assert_allclose(result.sales, [[0.0, 0.0], [3.0, 27.0], [10.0, 20.0]])
    everyone = run_fire_sale(
        holdings, zeros, zeros, np.zeros(2), cash_needed=np.array([30.0, 30.0, 30.0]), **kwargs
    )
    np.testing.assert_allclose(everyone.sales, [[0.0, 30.0], [3.0, 27.0], [10.0, 20.0]])


def test_mixed_liquidation_rejects_a_bad_mask():
    with pytest.raises(ValueError, match="booleans"):
        run_fire_sale(
            np.ones((2, 2)),
            np.zeros(2),
            np.zeros(2),
            np.zeros(2),
            liquidation=np.array([1, 0]),
            sale_order=np.array([0, 1]),
        )
