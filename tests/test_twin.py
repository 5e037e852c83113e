"""The capex twin: one definition of AI spending, the same seed, the gap between the two."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.scenarios.loader import load
from inverse_qe.twin import (
    ai_spending_fields,
    capex_effect,
    effect_summary,
    run_pair,
    without_ai_spending,
)

WEEKS = 30


def test_the_twin_has_no_capex_and_no_commitments_and_nothing_else_changed():
    scenario = load("dry_powder_exhaustion")
    twin = without_ai_spending(scenario)
    assert all(v == 0.0 for _, v in twin.hyperscalers.capex)
    assert all(v == 0.0 for f in twin.sovereign_funds for _, v in f.commitments)
    assert twin.hyperscalers.operating_cash_flow == scenario.hyperscalers.operating_cash_flow
    assert twin.run == scenario.run and twin.markets == scenario.markets
    assert [f.cash for f in twin.sovereign_funds] == [f.cash for f in scenario.sovereign_funds]


def test_scaling_ai_spending_scales_both_paths_point_by_point():
    scenario = load("dry_powder_exhaustion")
    half = without_ai_spending(scenario, 0.5)
    assert [v for _, v in half.hyperscalers.capex] == pytest.approx(
        [0.5 * v for _, v in scenario.hyperscalers.capex]
    )
    for a, b in zip(half.sovereign_funds, scenario.sovereign_funds, strict=True):
        assert [v for _, v in a.commitments] == pytest.approx([0.5 * v for _, v in b.commitments])
    with pytest.raises(ValueError):
        without_ai_spending(scenario, -1.0)


def test_ai_spending_fields_name_the_capex_path_and_every_funds_commitments():
    funds = load("dry_powder_exhaustion").sovereign_funds
    assert ai_spending_fields(funds) == [
        "hyperscalers.capex",
        *(f"sovereign_funds.{f.name}.commitments" for f in funds),
    ]
    assert ai_spending_fields([{"name": "x"}]) == [
        "hyperscalers.capex",
        "sovereign_funds.x.commitments",
    ]


def test_a_world_without_ai_spending_is_its_own_twin_exactly():
    scenario = without_ai_spending(load("dry_powder_exhaustion"))
    model, twin = run_pair(scenario, seed=4, weeks=WEEKS)
    assert twin.seed == model.seed == 4
    np.testing.assert_array_equal(capex_effect(model, twin), np.zeros(WEEKS + 1))
    summary = effect_summary(model, twin)
    assert summary["risk_asset_value_gap"] == 0.0 and summary["per_dollar"] is None
    assert summary["turned_negative_week"] is None


def test_the_effect_is_the_weekly_gap_and_its_summary_reads_it():
    model, twin = run_pair(load("dry_powder_exhaustion"), seed=2, weeks=WEEKS)
    gap = capex_effect(model, twin)
    ours = model.recorder.series("risk_asset_value") - twin.recorder.series("risk_asset_value")
    np.testing.assert_array_equal(gap, ours)
    assert gap[0] == 0.0  # the same opening
    summary = effect_summary(model, twin)
    spent = (
        model.recorder.series("capex_paid").sum() + model.recorder.series("commitments_paid").sum()
    )
    assert summary["ai_spending"] == pytest.approx(spent)
    assert summary["per_dollar"] == pytest.approx(gap[-1] / spent)
    assert summary["peak_gap"] == gap.max() and gap[summary["peak_week"]] == gap.max()
    negative = summary["turned_negative_week"]
    if negative is not None:
        assert gap[negative] < 0 and np.all(gap[summary["peak_week"] : negative] >= 0)


def test_the_profits_ai_spending_makes_lift_equities_in_the_run_and_leave_the_twin_alone():
    # Kalecki's channel, paired: the same seed with and without profits passed through.
    # The twin has no AI spending, so no profits from it: bit for bit the same twin.
    # With it, growing AI spending raises software's fundamental above the run without.
    runs = {
        share: run_pair(
            load("dry_powder_exhaustion", [f"real_economy.profit_pass_through={share}"]),
            seed=3,
            weeks=WEEKS,
        )
        for share in (0.0, 0.5)
    }
    (model_without, twin_without), (model_with, twin_with) = runs[0.0], runs[0.5]
    np.testing.assert_array_equal(twin_with.markets.price, twin_without.markets.price)
    saas = model_with.markets.index["saas"]
    crypto = model_with.markets.index["crypto"]
    lift = model_with.markets.log_fundamental - model_without.markets.log_fundamental
    assert lift[saas] > 0.0
    # crypto has no earnings: it moves only as the policy rate answers the higher prices
    assert abs(lift[crypto]) < lift[saas] / 100


def test_the_capex_effect_splits_into_the_income_ai_spending_made_and_the_money_it_moved():
    from inverse_qe.twin import capex_effect_parts

    model, twin = run_pair(load("dry_powder_exhaustion"), seed=4, weeks=WEEKS)
    income, money = capex_effect_parts(model, twin)
    np.testing.assert_allclose(income + money, capex_effect(model, twin), atol=1e-9)
    # No AI spending, no income from it (to rounding: a steady record is smoothed too)
    assert np.abs(twin.recorder.series("ai_income_value")).max() < 1e-6
    assert income[-1] != 0.0
    summary = effect_summary(model, twin)
    assert summary["from_income"] + summary["from_money"] == pytest.approx(
        summary["risk_asset_value_gap"]
    )


def test_without_earnings_channels_the_whole_capex_effect_is_money():
    from inverse_qe.twin import capex_effect_parts

    no_income = load(
        "dry_powder_exhaustion",
        ["real_economy.profit_pass_through=0.0", "assets.memory.capex_beta=0.0"],
    )
    model, twin = run_pair(no_income, seed=4, weeks=WEEKS)
    income, money = capex_effect_parts(model, twin)
    assert np.abs(income).max() < 1e-6
    np.testing.assert_allclose(money, capex_effect(model, twin), atol=1e-6)
