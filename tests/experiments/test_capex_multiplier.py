"""The capex multiplier (positive early, negative once dry powder is out); the QE-equivalent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inverse_qe.experiments.capex_multiplier import capex_overrides, multiplier, qt_overrides
from inverse_qe.experiments.store import load

SIGN_SEEDS = 16


def _run_multiplier(tmp_path, scenario):
    return multiplier(
        scenario,
        seeds=SIGN_SEEDS,
        scales=(0.0,),
        qe=False,
        out=tmp_path / scenario,
        workers=2,
        quiet=True,
        figures=False,
    )


def test_multiplier_is_positive_in_the_early_phase(tmp_path):
    # DESIGN §9 fact 1: while dry powder is ample, capex lifts risk-asset value.
    row = _run_multiplier(tmp_path, "early_phase").overall.iloc[0]
    assert row["multiplier"] > 0 and row["ci_low"] > 0, row.to_dict()


def test_multiplier_is_negative_once_dry_powder_runs_out(tmp_path):
    # DESIGN §9 fact 2: once it is gone, the same capex drains it (inverse QE).
    row = _run_multiplier(tmp_path, "dry_powder_exhaustion").overall.iloc[0]
    assert row["multiplier"] < 0 and row["ci_high"] < 0, row.to_dict()


def test_the_money_part_of_the_multiplier_is_what_is_left_without_the_earnings(tmp_path):
    # The money part: each arm's value without what the earnings AI spending created
    # carry (twin.capex_effect_parts), per US$ of extra spending, from the stored series.
    result = multiplier(
        "dry_powder_exhaustion",
        seeds=4,
        scales=(0.0,),
        qe=False,
        out=tmp_path / "m",
        quiet=True,
        figures=False,
        weeks=26,
    )
    row = result.overall.iloc[0]
    series = load(tmp_path / "m").timeseries.merge(result.results.runs[["run_id", "scale"]])
    last = series[series["week"] == series["week"].max()].set_index("scale")
    income = last.loc[1.0, "ai_income_value"].mean() - last.loc[0.0, "ai_income_value"].mean()
    expected = row["multiplier"] - income / row["delta_capex"]
    assert row["money_multiplier"] == pytest.approx(expected, rel=1e-6)
    assert row["money_ci_low"] <= row["money_multiplier"] <= row["money_ci_high"]
    assert income > 0  # growing AI spending made earnings in the full arm


def test_capex_and_qt_overrides(source):
    half, whole = source.scenario(capex_overrides(source, [], 0.5)), source.scenario()
    assert [v for _, v in half.hyperscalers.capex] == pytest.approx(
        [v / 2 for _, v in whole.hyperscalers.capex]
    )
    # AI spending is capex and the sovereign funds' commitments, as for the twin
    from inverse_qe.twin import without_ai_spending

    assert half == without_ai_spending(whole, 0.5)
    assert capex_overrides(source, ["a=1"], 1.0) == ["a=1"]
    qe = source.scenario(qt_overrides(source, [], 5.0)).central_bank.qe_pace
    assert [v for _, v in qe] == pytest.approx(
        [v - 5.0 for _, v in source.scenario().central_bank.qe_pace]
    )


def test_weekly_multiplier_and_qe_equivalent(tmp_path):
    weeks = 16
    result = multiplier(
        "early_phase",
        seeds=2,
        scales=(0.5, 0.0),
        weeks=weeks,
        qe_tolerance=0.05,
        out=tmp_path / "m",
        workers=1,
        quiet=True,
        figures=True,
    )
    out = tmp_path / "m"
    for name in (
        "multiplier.csv",
        "multiplier_weekly.csv",
        "multiplier_seeds.csv",
        "qe_equivalent.csv",
        "qe_equivalent_evaluations.csv",
        "multiplier.png",
    ):
        assert (out / name).is_file(), name
    # Over the run, the weekly cumulative multiplier ends where the overall one is.
    for _, row in result.overall.iterrows():
        last = result.weekly[
            (result.weekly["scale"] == row["scale"])
            & (result.weekly["measure"] == "cumulative")
            & (result.weekly["week"] == weeks)
        ]
        assert last["multiplier"].iloc[0] == pytest.approx(row["multiplier"])
    # Each seed's root lies between two QT paces, within tolerance, whose runs end on
    # either side of the full-capex run's value; its sign is the capex effect's opposite.
    evaluations = pd.read_csv(out / "qe_equivalent_evaluations.csv")
    per_seed = result.per_seed[result.per_seed["scale"] == 0.0].set_index("seed")
    for row in result.qe_seeds.itertuples():
        assert row.converged, row
        tried = evaluations[evaluations["seed"] == row.seed].sort_values("qt_pace")
        below = tried[tried["qt_pace"] <= row.qt_pace + 1e-12]
        above = tried[tried["qt_pace"] >= row.qt_pace - 1e-12]
        near = [
            (lo, hi)
            for lo in below.itertuples()
            for hi in above.itertuples()
            if np.sign(lo.gap) != np.sign(hi.gap) and hi.qt_pace - lo.qt_pace <= 2 * 0.05 + 1e-9
        ]
        assert near or abs(tried.set_index("qt_pace").loc[row.qt_pace, "gap"]) < 1e-9
        assert np.sign(row.qt_pace) == -np.sign(per_seed.loc[row.seed, "delta_value"])
    # The root-finding runs are in the store and the manifest, each once.
    results = load(out, timeseries=False)
    assert set(evaluations["run_id"]) <= set(results.summaries["run_id"])
    assert results.summaries["run_id"].is_unique
    assert result.qe["converged"] == 2
