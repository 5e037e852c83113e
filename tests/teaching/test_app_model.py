"""The dashboard's model: every lever maps to its scenario field; defaults change nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inverse_qe.app import (
    AS_SCENARIO,
    TeachingModel,
    changes_from_scenario,
    lever_text,
    scenario_choices,
    settings_in_force,
    slider_overrides,
    weeks_per_frame,
)
from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import load
from inverse_qe.teaching import assets


def test_defaults_give_the_scenario_as_run_from_the_command_line():
    base = load("early_phase")
    assert slider_overrides(base) == []
    model = TeachingModel(scenario_name="early_phase", weeks=5)
    reference = BathtubModel(base, weeks=5)
    for _ in range(5):
        model.step()
        reference.step()
    np.testing.assert_array_equal(
        model.recorder.series("risk_asset_value"), reference.recorder.series("risk_asset_value")
    )
    assert model.config == base


def test_each_lever_moves_its_field():
    base = load("dry_powder_exhaustion")
    model = TeachingModel(
        policy="pivot",
        capex_growth=0.0,
        sovereign_dry_powder=2.0,
        leverage_limit=1.2,
        recycling=2.0,
        seed="7",
        weeks=3,
    )
    s = model.config
    assert s.central_bank.rule == "pivot"
    first = base.hyperscalers.capex[0][1]
    assert [v for _, v in s.hyperscalers.capex] == [first] * len(base.hyperscalers.capex)
    for fund, was in zip(s.sovereign_funds, base.sovereign_funds, strict=True):
        assert fund.cash == pytest.approx(2.0 * was.cash)
    for strategy, was in zip(s.hedge_funds.strategies, base.hedge_funds.strategies, strict=True):
        assert strategy.leverage_limit == pytest.approx(1.2 * was.leverage_limit)
    assert s.suppliers.recycling == pytest.approx(2.0 * base.suppliers.recycling)
    assert model.seed == 7 and not model.notes


def test_stances_and_limits_stay_valid():
    base = load("dry_powder_exhaustion")
    for stance, rule in (("warsh", "warsh"), ("neutral", "exogenous"), ("pivot", "pivot")):
        assert (
            load("dry_powder_exhaustion", slider_overrides(base, policy=stance)).central_bank.rule
            == rule
        )
    low = load("dry_powder_exhaustion", slider_overrides(base, leverage_limit=0.1))
    assert all(s.leverage_limit >= s.leverage for s in low.hedge_funds.strategies)
    high = load("early_phase", slider_overrides(load("early_phase"), recycling=10.0))
    assert high.suppliers.recycling == 1.0
    assert slider_overrides(base, policy=AS_SCENARIO) == []


def test_bad_input_never_raises_in_the_page():
    model = TeachingModel(scenario_name="nope", seed="abc", weeks=2)
    assert model.config.name == "dry_powder_exhaustion"
    assert len(model.notes) == 2
    model.step()
    assert model.datacollector.get_model_vars_dataframe().shape[0] == 2
    assert "_base" not in scenario_choices()


def test_each_lever_is_shown_with_its_value_and_unit():
    assert lever_text("capex_growth", 1.5, "dry_powder_exhaustion").startswith("×1.5: capex US$")
    assert "a week" in lever_text("capex_growth", 1.5, "dry_powder_exhaustion")
    assert "of sovereign cash" in lever_text("sovereign_dry_powder", 2.0, "early_phase")
    assert "times equity" in lever_text("leverage_limit", 1.2, "dry_powder_exhaustion")
    assert lever_text("recycling", 10.0, "early_phase").startswith("×10.0: 100%")
    assert lever_text("policy", "warsh", "dry_powder_exhaustion").startswith("Warsh")


def test_the_settings_say_what_is_in_force_not_what_the_scenario_said():
    model = TeachingModel(policy="warsh", recycling=1.5, weeks=2)
    settings = {key: value for key, _, value in settings_in_force(model)}
    assert settings["rule"].startswith("warsh")
    changed = changes_from_scenario(model)
    assert any("policy rule exogenous → warsh" in c for c in changed)
    assert any(c.startswith("×1.5") for c in changed)
    assert changes_from_scenario(TeachingModel(weeks=2)) == []


def test_play_draws_a_run_in_about_forty_frames():
    assert weeks_per_frame(104) == 3
    assert weeks_per_frame(10) == 1
    assert math.ceil(104 / weeks_per_frame(104)) <= 40


def test_asset_requirements_come_from_the_installed_solara(tmp_path, monkeypatch):
    monkeypatch.setenv("INVERSE_QE_SOLARA_CDN", str(tmp_path))
    assert assets.cache_dir() == tmp_path
    needed = dict(assets.required_packages())
    assert "requirejs" in needed and "font-awesome" in needed
    assert any("solara-vuetify" in p for p in needed)
    assert set(assets.missing(tmp_path)) == set(assets.required_packages())
    env = assets.server_environment({})
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path)
