"""Markets: fundamentals, flow distortion, depth, term premium, spreads and margins (DESIGN §4).

Hand-worked numbers use parameters pinned in the test (not the scenario's
calibration), so a recalibration of the default scenario does not break them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inverse_qe.model.markets import DISTORTION_BOUND, Markets
from inverse_qe.scenarios.loader import load

SCENARIO = load()


def pinned(assets: dict[str, dict] | None = None, **market_fields) -> Markets:
    """Markets of the default scenario with some asset and market parameters pinned."""
    s = SCENARIO
    specs = dict(s.assets)
    for name, fields in (assets or {}).items():
        specs[name] = specs[name].model_copy(update=fields)
    return Markets(
        s.model_copy(
            update={"assets": specs, "markets": s.markets.model_copy(update=market_fields)}
        )
    )


def k(m: Markets, name: str) -> int:
    return m.index[name]


NO_NEWS = np.zeros(len(SCENARIO.assets))

# ---------------------------------------------------------------------------------------
# Fundamentals
# ---------------------------------------------------------------------------------------


def test_a_hike_lowers_log_fundamental_by_duration_times_the_rate_change():
    m = pinned({"saas": {"duration": 22.0, "earnings_growth": 0.0}}, long_rate_passthrough=1.0)
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)  # first week: sets the opening discount rates
    before = m.log_fundamental.copy()
    m.update_fundamentals(0.04, 0.0, 0.0, NO_NEWS)  # +100bp
    # saas: -22 x 0.01 = -0.22 in log: the fundamental falls to e^-0.22 = 0.8025 of itself
    s = k(m, "saas")
    assert m.log_fundamental[s] - before[s] == pytest.approx(-0.22)


def test_a_hike_hurts_long_duration_assets_more_than_short_ones():
    m = pinned(
        {
            "saas": {"duration": 22.0, "earnings_growth": 0.0},
            "memory": {"duration": 5.0, "earnings_growth": 0.0},
        },
        long_rate_passthrough=1.0,
    )
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    before = m.log_fundamental.copy()
    m.update_fundamentals(0.035, 0.0, 0.0, NO_NEWS)
    change = m.log_fundamental - before
    # +50bp: saas -22 x 0.005 = -0.11, memory -5 x 0.005 = -0.025
    assert change[k(m, "saas")] == pytest.approx(-0.11)
    assert change[k(m, "memory")] == pytest.approx(-0.025)
    # every asset: the rate part of the change is -duration x 0.005 (the rest is earnings)
    rate_part = change - m.earnings_growth / 52
    np.testing.assert_allclose(rate_part, -m.duration * 0.005, atol=1e-15)
    order = np.argsort(m.duration)
    assert np.all(np.diff(rate_part[order]) <= 1e-15)  # the longer, the bigger the fall


def test_long_rates_expect_a_policy_move_to_last_only_in_part():
    m = pinned({"saas": {"duration": 22.0, "earnings_growth": 0.0}}, long_rate_passthrough=0.55)
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)  # the opening policy rate: 3%
    before = m.log_fundamental.copy()
    m.update_fundamentals(0.0725, 0.0, 0.0, NO_NEWS)  # 2022's +425bp
    # the expected short rate moves 0.55 x 4.25% = 2.3375%; saas -22 x 0.023375 = -0.51425
    assert m.expected_short_rate(0.0725) == pytest.approx(0.03 + 0.023375)
    assert m.log_fundamental[k(m, "saas")] - before[k(m, "saas")] == pytest.approx(-0.51425)
    # the 10y: expected short rate + term premium (no distortion yet)
    assert m.yield_10y(0.0725) == pytest.approx(0.053375 + m.term_premium)


def test_earnings_growth_adds_a_weekly_fifty_second_to_the_fundamental():
    m = pinned({"saas": {"earnings_growth": -0.052}})
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    before = m.log_fundamental[k(m, "saas")]
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    # -0.052 a year / 52 = -0.001 a week at an unchanged rate
    assert m.log_fundamental[k(m, "saas")] - before == pytest.approx(-0.001)


def test_news_only_prices_walk_by_volatility_over_root_52_plus_trend_earnings():
    m = pinned({"saas": {"volatility": 0.52, "earnings_growth": -0.052}})
    news = np.zeros((4, len(m.names)))
    news[1:, k(m, "saas")] = [1.0, -2.0, 0.5]
    path = m.news_only_log_prices(news)[:, k(m, "saas")]
    # a week: 0.52 / sqrt(52) x draw - 0.052 / 52; row 0 is the opening (log 1 = 0)
    step = 0.52 / math.sqrt(52)
    expected = np.cumsum([0.0, step - 0.001, -2 * step - 0.001, 0.5 * step - 0.001])
    np.testing.assert_allclose(path, expected)


def test_without_flows_or_rate_moves_the_fundamental_is_the_news_only_path():
    m = pinned()
    draws = np.random.default_rng(3).standard_normal((6, len(m.names)))
    for week in range(1, 6):
        m.update_fundamentals(0.03, 0.0, 0.0, draws[week])
    np.testing.assert_allclose(m.log_fundamental, m.news_only_log_prices(draws)[-1], atol=1e-12)


def test_capex_growth_lifts_memory_by_its_capex_beta():
    m = pinned({"memory": {"capex_beta": 0.6, "earnings_growth": 0.0}})
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    before = m.log_fundamental[k(m, "memory")]
    m.update_fundamentals(0.03, 0.05, 0.0, NO_NEWS)
    # 0.6 x 0.05 = 0.03
    assert m.log_fundamental[k(m, "memory")] - before == pytest.approx(0.03)


def test_profits_growth_lifts_each_asset_by_its_profits_beta_and_leaves_the_rest():
    m = pinned(
        {
            "saas": {"profits_beta": 1.0, "earnings_growth": 0.0, "capex_beta": 0.0},
            "speculative": {"profits_beta": 1.5, "earnings_growth": 0.0, "capex_beta": 0.0},
            "crypto": {"profits_beta": 0.0, "earnings_growth": 0.0, "capex_beta": 0.0},
        }
    )
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    before = m.log_fundamental.copy()
    m.update_fundamentals(0.03, 0.0, 0.02, NO_NEWS)
    change = m.log_fundamental - before
    # saas 1 x 0.02, speculative 1.5 x 0.02, crypto 0 x 0.02
    assert change[k(m, "saas")] == pytest.approx(0.02)
    assert change[k(m, "speculative")] == pytest.approx(0.03)
    assert change[k(m, "crypto")] == 0.0


def test_the_income_ai_spending_creates_is_kept_apart_and_valued():
    m = pinned(
        {
            "memory": {"capex_beta": 0.6, "profits_beta": 0.0},
            "saas": {"capex_beta": 0.0, "profits_beta": 1.0},
        }
    )
    m.update_fundamentals(0.03, 0.05, 0.02, NO_NEWS)
    m.update_fundamentals(0.03, 0.0, 0.01, NO_NEWS)
    # memory 0.6 x 0.05 = 0.03; saas 1 x (0.02 + 0.01) = 0.03; crypto none
    assert m.ai_income[k(m, "memory")] == pytest.approx(0.03)
    assert m.ai_income[k(m, "saas")] == pytest.approx(0.03)
    assert m.ai_income[k(m, "crypto")] == 0.0
    units = np.zeros(len(m.names))
    units[k(m, "memory")], units[k(m, "saas")] = 100.0, 200.0
    # each value times 1 - exp(-0.03): the part of today's price the income carries
    expected = (100.0 * m.price[k(m, "memory")] + 200.0 * m.price[k(m, "saas")]) * -math.expm1(
        -0.03
    )
    assert m.ai_income_value(units) == pytest.approx(expected)


def test_the_bond_spread_enters_only_the_hyperscaler_bond_discount_rate():
    m = pinned()
    base = m.discount_rates(0.03)
    m.spread += 0.01
    widened = m.discount_rates(0.03)
    diff = widened - base
    assert diff[k(m, "hyperscaler_bonds")] == pytest.approx(0.01)
    assert np.count_nonzero(diff) == 1


# ---------------------------------------------------------------------------------------
# Flow distortion and prices
# ---------------------------------------------------------------------------------------


def test_flow_returns_move_prices_by_exactly_the_return():
    m = pinned()
    before = m.price.copy()
    returns = np.linspace(-0.3, 0.3, len(before))
    m.apply_flow_returns(returns)
    np.testing.assert_allclose(m.price, before * (1 + returns), rtol=1e-12)


@pytest.mark.parametrize("r", [-1.0 + 1e-15, -1.0, -5.0, 1e6, 1e300])
def test_prices_stay_positive_and_finite_whatever_the_flow_return(r):
    m = pinned()
    for _ in range(3):
        m.apply_flow_returns(np.full(len(m.names), r))
    assert np.all(np.isfinite(m.price))
    assert np.all(m.price > 0)
    # bounded within e^±12 of the fundamental
    assert np.all(np.abs(m.distortion) <= DISTORTION_BOUND)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1.0, 1e9, allow_nan=False), min_size=1, max_size=10))
def test_prices_stay_positive_and_finite_for_any_sequence_of_flow_returns(returns):
    m = pinned()
    for r in returns:
        m.apply_flow_returns(np.full(len(m.names), r))
        m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    assert np.all(np.isfinite(m.price)) and np.all(m.price > 0)


def test_distortion_halves_after_one_half_life_in_a_full_tub():
    m = pinned({"crypto": {"distortion_half_life": 8.0}})
    c = k(m, "crypto")
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    m.apply_flow_returns(np.where(np.arange(len(m.names)) == c, 0.5, 0.0))
    start = m.distortion[c]  # log 1.5
    for _ in range(8):
        m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    # depth 1: decay e^(-ln2 / 8) a week, 8 weeks: half the distortion left
    assert m.distortion[c] == pytest.approx(start / 2)


def test_distortion_decays_half_as_fast_when_the_market_is_at_half_depth():
    m = pinned({"crypto": {"distortion_half_life": 8.0}}, depth_floor=0.0 + 0.01)
    c = k(m, "crypto")
    # a shortfall x: scarcity x / (1 + x), depth 1 - 0.99 x scarcity; depth 0.5 at x = 0.99/0.49 - 1
    x = 0.5 / 0.49
    m.set_depth(-x)
    assert m.depth == pytest.approx(0.5)
    m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    m.apply_flow_returns(np.where(np.arange(len(m.names)) == c, -0.4, 0.0))
    start = m.distortion[c]  # log 0.6
    for _ in range(8):
        m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    # half-life 8 / depth 0.5 = 16 weeks: after 8 weeks 2^-0.5 of it is left
    assert m.distortion[c] == pytest.approx(start * 2**-0.5)
    for _ in range(8):
        m.update_fundamentals(0.03, 0.0, 0.0, NO_NEWS)
    assert m.distortion[c] == pytest.approx(start / 2)


# ---------------------------------------------------------------------------------------
# Depth, term premium, spread
# ---------------------------------------------------------------------------------------


def test_money_is_not_scarce_while_net_liquidity_lasts_and_damage_saturates_beyond():
    m = pinned(depth_floor=0.25)
    # scarcity = x / (1 + x) of the shortfall x = -ratio; depth = 1 - 0.75 x scarcity
    cases = [  # (ratio, depth, scarcity)
        (3.0, 1.0, 0.0),  # ample dry powder: fully deep, not scarce
        (0.0, 1.0, 0.0),  # exactly enough: still nothing is scarce (idle balances absorb)
        (-0.5, 1.0 - 0.75 / 3, 1 / 3),  # a shortfall of half the reference
        (-1.0, 1.0 - 0.75 / 2, 0.5),  # of the reference: half the damage scarcity can do
        (-3.0, 1.0 - 0.75 * 0.75, 0.75),
        (-1e9, 0.25, 1.0),  # at the limit: the floor, full scarcity
    ]
    for ratio, depth, scarcity in cases:
        m.set_depth(ratio)
        assert m.depth == pytest.approx(depth)
        assert m.scarcity == pytest.approx(scarcity)


def test_the_scarcity_cost_of_each_further_dollar_of_shortfall_falls_but_never_reaches_zero():
    # x / (1 + x) is concave beyond zero: convexity of the scramble comes from where the
    # kink is (nothing before it), the damage itself is bounded.
    m = pinned()
    values = []
    for x in (0.0, 0.5, 1.0, 1.5, 2.0):
        m.set_depth(-x)
        values.append(m.scarcity)
    steps = np.diff(values)
    assert np.all(steps > 0) and np.all(np.diff(steps) < 0)


def test_term_premium_rises_per_trillion_of_extra_private_duration():
    m = pinned(term_premium=0.009, term_premium_per_trillion=0.002)
    m.set_term_premium(private_duration=11_500.0, expected_private_duration=10_000.0)
    # 0.009 + 0.002 x 1.5 = 0.012
    assert m.term_premium == pytest.approx(0.012)
    m.set_term_premium(9_000.0, 10_000.0)  # QE absorbs 1,000bn: 0.009 - 0.002 = 0.007
    assert m.term_premium == pytest.approx(0.007)


def test_bond_spread_is_linear_in_issuance_and_stress():
    m = pinned(bond_spread=0.008, spread_per_issuance=4e-6, spread_stress_beta=0.01)
    m.stress = 0.2
    m.set_spread(100.0)
    # 0.008 + 4e-6 x 100 + 0.01 x 0.2 = 0.008 + 0.0004 + 0.002 = 0.0104
    assert m.spread == pytest.approx(0.0104)
    m.set_spread(200.0)
    assert m.spread == pytest.approx(0.0108)  # another 100 issued: +0.0004
    m.stress = 0.0
    m.set_spread(0.0)
    assert m.spread == pytest.approx(0.008)


# ---------------------------------------------------------------------------------------
# Margins, impact, returns
# ---------------------------------------------------------------------------------------


def volatile(m: Markets, size: float, weeks: int = 12) -> Markets:
    """Markets that went through ``weeks`` of alternating ±size flow returns."""
    for w in range(weeks):
        m.apply_flow_returns(np.full(len(m.names), size if w % 2 == 0 else -size))
        m.close_week()
    return m


def test_calm_markets_keep_the_base_haircut():
    m = pinned()
    for _ in range(5):
        m.close_week()  # prices unchanged: no realised volatility
    np.testing.assert_allclose(m.haircuts(0.5), m.base_haircut)


def test_haircuts_rise_with_realised_volatility_beyond_the_buffer():
    m = volatile(pinned(margin_buffer=0.25), 0.02)
    ratio = np.maximum(1.0, m.realized_volatility() / m.news_volatility)
    factor = np.maximum(1.0, ratio**0.5 / 1.25)
    expected = np.minimum(0.95, m.base_haircut * np.minimum(3.0, factor))
    np.testing.assert_allclose(m.haircuts(0.5), expected)


def test_the_margin_buffer_absorbs_a_quarter_rise_in_volatility():
    m = pinned({"crypto": {"volatility": 0.3}}, margin_buffer=0.25, volatility_half_life=1.0)
    c = k(m, "crypto")
    m.close_week()
    # one weekly fall f: downside variance moves half way (half-life 1 week) from 0.09
    # to 2 f^2 x 52; pick f so the estimate is 1.25^2 x 0.09, i.e. volatility 0.375
    target = (1.25 * 0.3) ** 2
    f = math.sqrt((2 * target - 0.09) / (2 * 52))
    m.apply_flow_returns(np.where(np.arange(len(m.names)) == c, math.exp(-f) - 1, 0.0))
    m.close_week()
    assert m.realized_volatility()[c] == pytest.approx(0.375)
    # beta 1: ratio 1.25 / buffer 1.25 = 1: the base haircut still
    assert m.haircuts(1.0)[c] == pytest.approx(m.base_haircut[c])


def test_lenders_volatility_estimate_forgets_with_its_half_life():
    m = pinned({"crypto": {"volatility": 0.3}}, volatility_half_life=2.0)
    c = k(m, "crypto")
    m.close_week()
    m.apply_flow_returns(np.where(np.arange(len(m.names)) == c, math.exp(-0.1) - 1, 0.0))
    m.close_week()  # one fall of 0.1 in log
    w = 1 - 0.5**0.5
    after_fall = 0.09 + w * (2 * 0.01 * 52 - 0.09)
    assert m.realized_volatility()[c] ** 2 == pytest.approx(after_fall)
    m.close_week()
    m.close_week()  # two calm weeks: the excess halves
    assert m.realized_volatility()[c] ** 2 == pytest.approx(after_fall * 0.5)


@pytest.mark.parametrize("size", [0.0, 0.01, 0.1, 0.5])
@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0])
def test_haircuts_are_never_below_base_nor_above_cap_times_base(size, beta):
    m = volatile(pinned(), size)
    h = m.haircuts(beta, cap=3.0)
    assert np.all(h >= m.base_haircut - 1e-15)
    assert np.all(h <= 3.0 * m.base_haircut + 1e-15)
    assert np.all(h < 1.0)


def test_turbulent_markets_hit_the_haircut_cap():
    m = volatile(pinned({"treasuries": {"haircut": 0.02}}), 0.5)
    # treasuries normally 2% vol, now hundreds of %: capped at 3 x 0.02 = 0.06
    assert m.haircuts(0.5, cap=3.0)[k(m, "treasuries")] == pytest.approx(0.06)


def test_a_base_haircut_above_the_095_cap_is_a_scenario_error():
    # Haircuts are capped at 0.95 in stress, so calm markets could not keep a higher base:
    # the schema refuses it instead.
    from inverse_qe.scenarios.loader import ScenarioError, load

    with pytest.raises(ScenarioError, match=r"assets\.crypto\.haircut"):
        load("dry_powder_exhaustion", ["assets.crypto.haircut=0.97"])


def test_price_impact_per_dollar_is_one_over_elasticity_depth_and_value():
    m = pinned({"saas": {"elasticity": 0.3, "price": 1.0}}, depth_floor=0.2)
    outstanding = np.full(len(m.names), 100.0)
    outstanding[k(m, "saas")] = 2500.0
    # 1 / (0.3 x 1 x 2500 x 1.0) = 1/750: US$1bn moves saas by 0.133% in log
    assert m.impact_per_dollar(outstanding)[k(m, "saas")] == pytest.approx(1 / 750)
    m.set_depth(-0.6)  # shortfall 0.6: scarcity 0.375, depth 1 - 0.8 x 0.375 = 0.7
    assert m.depth == pytest.approx(0.7)
    assert m.impact_per_dollar(outstanding)[k(m, "saas")] == pytest.approx(1 / (0.7 * 750))
    m.set_depth(-1 / 0.6)  # shortfall 5/3: scarcity 0.625, depth 0.5: twice the impact
    assert m.impact_per_dollar(outstanding)[k(m, "saas")] == pytest.approx(2 / 750)


def test_impact_is_finite_for_an_asset_with_no_units():
    m = pinned()
    assert np.all(np.isfinite(m.impact_per_dollar(np.zeros(len(m.names)))))


def test_trailing_return_is_zero_before_any_week_closes():
    np.testing.assert_array_equal(pinned().trailing_return(4), np.zeros(len(SCENARIO.assets)))


def test_trailing_return_compares_with_the_price_weeks_ago_or_at_the_start():
    m = pinned({"crypto": {"price": 1.0}})
    c = np.arange(len(m.names)) == k(m, "crypto")
    for r in (0.10, 0.20, -0.25):  # prices 1.1, 1.32, 0.99
        m.apply_flow_returns(np.where(c, r, 0.0))
        m.close_week()
    tr = m.trailing_return
    # 1 week: 0.99 / 1.32 - 1 = -0.25; 2 weeks: 0.99 / 1.1 - 1 = -0.1
    assert tr(1)[c][0] == pytest.approx(-0.25)
    assert tr(2)[c][0] == pytest.approx(-0.10)
    # 3 or more weeks reach back before the first close: since the start 0.99 / 1 - 1
    assert tr(3)[c][0] == pytest.approx(-0.01)
    assert tr(50)[c][0] == pytest.approx(-0.01)


def test_stress_is_the_weighted_gap_of_prices_below_their_habit():
    m = pinned(stress_half_life=1.0)
    m.close_week()
    crypto = np.arange(len(m.names)) == k(m, "crypto")
    m.apply_flow_returns(np.where(crypto, math.exp(-0.4) - 1, 0.0))
    m.close_week()
    # log price -0.4; the habit (half-life one week) moves half way, to -0.2: gap 0.2
    w = m.stress_weights[k(m, "crypto")]
    assert m.stress == pytest.approx(0.2 * w)
    m.close_week()  # no further fall: the habit catches up half of what is left
    assert m.stress == pytest.approx(0.1 * w)
    for _ in range(30):
        m.close_week()
    assert m.stress == pytest.approx(0.0, abs=1e-9)  # stress decays once the falls stop


def test_stress_is_negative_in_a_boom_and_zero_on_average_in_calm():
    m = pinned(stress_half_life=4.0)
    m.close_week()
    m.apply_flow_returns(np.full(len(m.names), 0.2))
    m.close_week()
    assert m.stress < 0  # prices above their habit: risk appetite up


def test_a_bond_bid_above_fundamental_yields_less():
    m = pinned({"treasuries": {"duration": 6.0}})
    t = k(m, "treasuries")
    m.apply_flow_returns(np.where(np.arange(len(m.names)) == t, math.exp(0.03) - 1, 0.0))
    # distortion +0.03 in log, duration 6: yield 0.045 - 0.03 / 6 = 0.040
    assert m.yield_of(t, 0.045) == pytest.approx(0.040)


def test_scheduled_runoff_is_priced_only_as_far_as_the_bank_holds_bonds():
    m = pinned()
    deficit = np.array([0.0, 10.0, 10.0, 10.0, 10.0, 10.0])
    qe_pace = np.array([0.0, -30.0, -30.0, -30.0, -30.0, -30.0])
    # The bank holds US$100bn: it can run off 30, 30, 30, then only the last 10, then none.
    expected = m.scheduled_private_duration(1_000.0, deficit, qe_pace, bank_holds=100.0)
    # Cumulated: deficit 10 a week plus runoff 30 a week until 100 is sold.
    private_supply = np.array([0.0, 40.0, 80.0, 120.0, 140.0, 150.0])
    assert expected == pytest.approx(1_000.0 + m.benchmark_duration_of(m.treasury, private_supply))
    # Holding enough, the whole schedule is priced in.
    ample = m.scheduled_private_duration(1_000.0, deficit, qe_pace, bank_holds=1_000.0)
    scheduled = np.cumsum(deficit - qe_pace)
    assert ample == pytest.approx(1_000.0 + m.benchmark_duration_of(m.treasury, scheduled))
