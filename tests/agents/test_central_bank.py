"""The central bank's reaction functions and the RRP plumbing, on hand-worked numbers."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest

from inverse_qe.agents.central_bank import (
    CentralBank,
    pivot_triggered,
    rrp_target,
    taylor_rate,
    warsh_step,
)
from inverse_qe.scenarios.loader import load
from inverse_qe.scenarios.schema import PivotSpec, TaylorSpec, WarshSpec
from tests.agents.world import World

WARSH = WarshSpec(
    hike_per_quarter=0.0025,
    max_rate=0.05,
    qt_pace=15.0,
    asset_gap_coefficient=0.005,
    qt_per_asset_gap=20.0,
)
PIVOT = PivotSpec(
    stress_threshold=0.12,
    recognition_lag=3,
    cut_per_meeting=0.0025,
    meeting_interval=6,
    min_rate=0.01,
    qe_pace=20.0,
)
TAYLOR = TaylorSpec(
    neutral_rate=0.03, stress_coefficient=0.05, asset_gap_coefficient=0.02, smoothing=0.9
)


def central_bank(rule: str, *, rate=0.04, spread=-0.001, qe=9.0, weeks=40) -> CentralBank:
    """A central bank on flat paths, with pinned rule parameters, in a stub model."""
    spec = load().central_bank.model_copy(
        update={
            "rule": rule,
            "warsh": WARSH,
            "pivot": PIVOT,
            "taylor": TAYLOR,
            "rrp_capacity": 16.0,
            "rrp_sensitivity": 0.0025,
            "rrp_speed": 0.2,
        }
    )
    paths = {
        "policy_rate": np.full(weeks, rate),
        "rrp_rate_spread": np.full(weeks, spread),
        "qe_pace": np.full(weeks, qe),
    }
    return CentralBank(mesa.Model(), 0, spec, paths)


# ---------------------------------------------------------------------------------------
# taylor_rate
# ---------------------------------------------------------------------------------------


def test_taylor_rate_smooths_toward_neutral_plus_gap_minus_stress():
    # target = 0.03 + 0.02 x 0.10 - 0.05 x 0.20 = 0.022
    # rate = 0.9 x 0.04 + 0.1 x 0.022 = 0.036 + 0.0022 = 0.0382
    assert taylor_rate(0.04, 0.03, 0.10, 0.20, 0.02, 0.05, 0.9) == pytest.approx(0.0382)


def test_taylor_rate_without_smoothing_is_the_target():
    assert taylor_rate(0.04, 0.03, 0.10, 0.0, 0.02, 0.05, 0.0) == pytest.approx(0.032)


def test_taylor_rule_cuts_under_stress_and_hikes_on_asset_boom():
    base = taylor_rate(0.03, 0.03, 0.0, 0.0, 0.02, 0.05, 0.9)
    assert taylor_rate(0.03, 0.03, 0.0, 0.3, 0.02, 0.05, 0.9) < base
    assert taylor_rate(0.03, 0.03, 0.3, 0.0, 0.02, 0.05, 0.9) > base


# ---------------------------------------------------------------------------------------
# warsh_step
# ---------------------------------------------------------------------------------------


def test_warsh_hikes_a_thirteenth_of_the_quarterly_pace_each_week():
    # no asset gap: hike 0.0025 / 13 a week, QT at the base pace 15
    rate, qe = warsh_step(0.03, 0.0, WARSH)
    assert rate == pytest.approx(0.03 + 0.0025 / 13)
    assert qe == pytest.approx(-15.0)


def test_warsh_tightens_more_while_asset_prices_stay_high():
    # gap 0.2: hike (0.0025 + 0.005 x 0.2) / 13 = 0.0035 / 13; QT 15 + 20 x 0.2 = 19
    rate, qe = warsh_step(0.03, 0.2, WARSH)
    assert rate == pytest.approx(0.03 + 0.0035 / 13)
    assert qe == pytest.approx(-19.0)


def test_warsh_ignores_a_negative_asset_gap():
    # max(gap, 0): falling asset prices do not slow the hikes or the QT
    assert warsh_step(0.03, -0.3, WARSH) == pytest.approx(warsh_step(0.03, 0.0, WARSH))


def test_warsh_rate_is_capped_at_max_rate():
    rate, _ = warsh_step(0.0499, 0.5, WARSH)
    assert rate == pytest.approx(0.05)


def test_warsh_never_cuts_a_rate_already_above_max_rate():
    rate, _ = warsh_step(0.06, 0.0, WARSH)
    assert rate == pytest.approx(0.06)


# ---------------------------------------------------------------------------------------
# pivot_triggered
# ---------------------------------------------------------------------------------------


def test_pivot_needs_lag_plus_one_consecutive_weeks_above_threshold():
    # lag 3: four weeks above 0.12 are needed
    assert not pivot_triggered([0.2, 0.2, 0.2], 0.12, 3)
    assert pivot_triggered([0.2, 0.2, 0.2, 0.2], 0.12, 3)


def test_pivot_is_not_triggered_when_a_recent_week_dipped_below_threshold():
    assert not pivot_triggered([0.2, 0.2, 0.1, 0.2, 0.2, 0.2], 0.12, 3)
    assert pivot_triggered([0.1, 0.2, 0.2, 0.2, 0.2], 0.12, 3)


def test_pivot_needs_stress_strictly_above_threshold():
    assert not pivot_triggered([0.12] * 10, 0.12, 3)


def test_pivot_with_no_lag_reacts_to_one_week():
    assert pivot_triggered([0.0, 0.13], 0.12, 0)
    assert not pivot_triggered([], 0.12, 0)


# ---------------------------------------------------------------------------------------
# rrp_target
# ---------------------------------------------------------------------------------------


def test_rrp_holds_half_its_capacity_when_its_rate_equals_the_market_rate():
    assert rrp_target(16.0, 0.04, 0.04, 0.0025) == pytest.approx(8.0)


def test_rrp_balance_one_sensitivity_above_market():
    # z = 0.0025 / 0.0025 = 1: 16 / (1 + e^-1) = 11.6953...
    assert rrp_target(16.0, 0.0425, 0.04, 0.0025) == pytest.approx(16.0 / (1 + math.exp(-1)))


def test_rrp_target_rises_with_its_rate_and_falls_as_market_yields_rise():
    rates = np.linspace(0.0, 0.08, 41)
    by_rrp_rate = [rrp_target(16.0, r, 0.04, 0.0025) for r in rates]
    by_market_rate = [rrp_target(16.0, 0.04, r, 0.0025) for r in rates]
    assert np.all(np.diff(by_rrp_rate) >= 0)
    assert np.all(np.diff(by_market_rate) <= 0)
    assert all(0.0 <= b <= 16.0 for b in by_rrp_rate + by_market_rate)


def test_rrp_target_is_finite_for_extreme_rate_gaps():
    assert rrp_target(16.0, 10.0, 0.0, 1e-6) == pytest.approx(16.0)
    assert rrp_target(16.0, 0.0, 10.0, 1e-6) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------------------
# CentralBank.set_policy and rrp_flow
# ---------------------------------------------------------------------------------------


def test_exogenous_central_bank_follows_its_paths_and_sets_rrp_below_policy():
    cb = central_bank("exogenous", rate=0.04, spread=-0.001, qe=9.0)
    state = cb.set_policy(week=1, gap=0.5, stress=0.5)
    # rrp rate = 0.04 + (-0.001) = 0.039
    assert (state.policy_rate, state.qe_pace) == pytest.approx((0.04, 9.0))
    assert state.rrp_rate == pytest.approx(0.039)
    assert state.reason == "path"


def test_warsh_central_bank_hikes_from_last_weeks_rate_and_runs_qt():
    cb = central_bank("warsh", rate=0.04, spread=0.0)
    # week 1: 0.04 + (0.0025 + 0.005 x 0.2) / 13; QT 15 + 20 x 0.2 = 19
    first = cb.set_policy(week=1, gap=0.2, stress=0.0)
    assert first.policy_rate == pytest.approx(0.04 + 0.0035 / 13)
    assert first.qe_pace == pytest.approx(-19.0)
    # week 2, no gap: another 0.0025 / 13 on top of last week's rate
    second = cb.set_policy(week=2, gap=0.0, stress=0.0)
    assert second.policy_rate == pytest.approx(0.04 + 0.0035 / 13 + 0.0025 / 13)
    assert second.rrp_rate == pytest.approx(second.policy_rate)


def test_taylor_central_bank_smooths_from_its_opening_rate():
    cb = central_bank("taylor", rate=0.04)
    # 0.9 x 0.04 + 0.1 x (0.03 + 0.02 x 0.1 - 0.05 x 0.2) = 0.0382
    assert cb.set_policy(week=1, gap=0.1, stress=0.2).policy_rate == pytest.approx(0.0382)


def test_pivot_central_bank_cuts_at_each_meeting_after_recognising_stress():
    cb = central_bank("pivot", rate=0.04, qe=9.0)
    rates = [cb.set_policy(week=w, gap=0.0, stress=0.2).policy_rate for w in range(3)]
    # weeks 0-2: three weeks above 0.12, lag 3 needs four: still on the path
    assert rates == pytest.approx([0.04] * 3)
    # week 3: pivot; first meeting cut 0.04 - 0.0025 = 0.0375 and QE 20
    state = cb.set_policy(week=3, gap=0.0, stress=0.2)
    assert cb.pivot_week == 3
    assert (state.policy_rate, state.qe_pace) == pytest.approx((0.0375, 20.0))
    # weeks 4-8 (still the first meeting window of 6 weeks): no further cut,
    # even if stress falls back: the pivot is not undone
    for w in range(4, 9):
        assert cb.set_policy(week=w, gap=0.0, stress=0.0).policy_rate == pytest.approx(0.0375)
    # week 9 = 3 + 6: second meeting, 0.04 - 2 x 0.0025 = 0.035
    assert cb.set_policy(week=9, gap=0.0, stress=0.0).policy_rate == pytest.approx(0.035)


def test_pivot_cuts_stop_at_the_minimum_rate():
    cb = central_bank("pivot", rate=0.015)
    for w in range(40):
        state = cb.set_policy(week=w, gap=0.0, stress=0.5)
    # 0.015 - 7 meetings x 0.0025 would be -0.0025: floored at 0.01
    assert state.policy_rate == pytest.approx(0.01)


def test_rrp_drains_into_the_tub_when_above_its_target():
    cb = central_bank("exogenous", rate=0.04, spread=0.0)
    cb.set_policy(week=0, gap=0.0, stress=0.0)
    # rrp rate = market rate: target 16 / 2 = 8; balance 10: flow 0.2 x (8 - 10) = -0.4
    assert cb.rrp_flow(10.0) == pytest.approx(-0.4)
    # balance 3: 0.2 x (8 - 3) = 1.0 into the RRP
    assert cb.rrp_flow(3.0) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------
# The bank's week in a small economy: announcing, the RRP plumbing, QE and QT
# ---------------------------------------------------------------------------------------


def bank_in_world(rates, qe, *, spread=0.0, **accounts) -> tuple[World, CentralBank]:
    """A central bank on exogenous weekly ``rates`` and ``qe`` paths in a small economy."""
    world = World(weeks=len(rates) - 1)
    spec = load().central_bank.model_copy(
        update={
            "rule": "exogenous",
            "rrp_capacity": 16.0,
            "rrp_sensitivity": 0.0025,
            "rrp_speed": 0.2,
            "treasury_holdings": 30.0,
            "rrp_balance": accounts.get("rrp", 0.0),
        }
    )
    paths = {
        "policy_rate": np.array(rates, dtype=float),
        "rrp_rate_spread": np.full(len(rates), spread),
        "qe_pace": np.array(qe, dtype=float),
    }
    bank = CentralBank(world, world.rows.central_bank, spec, paths)
    return world, bank


def test_a_move_is_announced_once_it_adds_up_to_a_quarter_point():
    world, bank = bank_in_world([0.04, 0.041, 0.0425, 0.043, 0.045], [9.0] * 5)
    for week in range(1, 5):
        world.week = week
        bank.policy(gap=0.0, stress=0.0)
    # week 1: +0.10 pt, not yet; week 2: +0.25 pt since 4.00%: announced;
    # week 3: +0.05 pt since 4.25%, not yet; week 4: +0.25 pt since 4.25%: announced
    moves = world.events_of("PolicyChange")
    assert [e.week for e in moves] == [2, 4]
    assert (moves[0].previous_rate, moves[0].policy_rate) == pytest.approx((0.04, 0.0425))
    assert (moves[1].previous_rate, moves[1].policy_rate) == pytest.approx((0.0425, 0.045))
    assert bank.rate_gap == pytest.approx(0.005)


def test_turning_from_qe_to_qt_is_announced_without_a_rate_move():
    world, bank = bank_in_world([0.04] * 3, [9.0, 9.0, -5.0])
    for week in (1, 2):
        world.week = week
        bank.policy(gap=0.0, stress=0.0)
    (turn,) = world.events_of("PolicyChange")
    assert (turn.week, turn.qe_pace, turn.policy_rate) == (2, -5.0, 0.04)


def test_the_bank_opens_its_treasuries_in_units_and_the_rrp_balance():
    world, bank = bank_in_world([0.04] * 2, [0.0] * 2, rrp=12.0)
    world.markets.price[:] = [2.0, 1.0, 1.0]
    bank.open_accounts()
    # US$30bn of treasuries at a price of 2: 15 units
    np.testing.assert_allclose(world.units("central_bank"), [15.0, 0.0, 0.0])
    assert world.cash("rrp") == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("rrp", "deposits", "rrp_after", "deposits_after", "flow"),
    [
        # RRP rate = policy rate: target 16 / 2 = 8; 0.2 x (8 - 10) = -0.4 back into deposits
        (10.0, 100.0, 9.6, 100.4, "rrp_withdrawal"),
        # 0.2 x (8 - 3) = 1.0 wanted in, but money funds have only 0.5
        (3.0, 0.5, 3.5, 0.0, "rrp_deposit"),
    ],
)
def test_rrp_plumbing_moves_money_fund_cash_toward_the_target(
    rrp, deposits, rrp_after, deposits_after, flow
):
    world, bank = bank_in_world([0.04] * 2, [0.0] * 2)
    world.open("rrp", rrp)
    world.open("households", deposits)
    bank.set_policy(1, 0.0, 0.0)
    bank.rrp_plumbing()
    assert world.cash("rrp") == pytest.approx(rrp_after)
    assert world.cash("households") == pytest.approx(deposits_after)
    (moved,) = world.flows(flow)
    assert moved[2] == pytest.approx(abs(rrp_after - rrp))


@pytest.mark.parametrize(
    ("bills_held", "flow"),
    [
        (5.0, -1.4),  # target 8 - 5 = 3: 0.2 x (3 - 10) = -1.4, out into the tub
        (-4.0, 0.4),  # paid-down bills parked there: target 12, 0.2 x (12 - 10) = 0.4
        (20.0, -2.0),  # more bills than the target: it wants nothing, 0.2 x (0 - 10) = -2
    ],
)
def test_the_rrp_target_falls_by_the_bills_money_funds_hold_instead(bills_held, flow):
    cb = central_bank("exogenous", rate=0.04, spread=0.0)  # RRP rate = policy: target 16 / 2
    cb.set_policy(week=0, gap=0.0, stress=0.0)
    assert cb.rrp_flow(10.0, bills_held) == pytest.approx(flow)


def test_rrp_plumbing_reads_the_bills_money_funds_bought():
    world, bank = bank_in_world([0.04] * 2, [0.0] * 2)
    world.open("rrp", 10.0)
    world.open("households", 100.0)
    world.treasury.bills_held = 5.0
    bank.set_policy(1, 0.0, 0.0)
    bank.rrp_plumbing()
    # target 8 - 5 = 3: 0.2 x (3 - 10) = -1.4 back into deposits
    assert world.cash("rrp") == pytest.approx(8.6)
    assert world.cash("households") == pytest.approx(101.4)


def test_qe_buys_its_pace_and_qt_sells_at_most_what_the_bank_holds():
    world, bank = bank_in_world([0.04] * 2, [9.0] * 2)
    world.markets.price[:] = [2.5, 1.0, 1.0]
    world.open("central_bank", treasuries=4.0)  # worth 4 x 2.5 = 10
    bank.set_policy(1, 0.0, 0.0)
    np.testing.assert_allclose(bank.orders(), [9.0, 0.0, 0.0])
    bank.state.qe_pace = -15.0
    np.testing.assert_allclose(bank.orders(), [-10.0, 0.0, 0.0])
    bank.state.qe_pace = -5.0
    np.testing.assert_allclose(bank.orders(), [-5.0, 0.0, 0.0])
