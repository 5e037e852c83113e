"""The Python API: iq.run, iq.load_scenario, iq.read_run, and the model as Mesa runs it."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref

import mesa
import numpy as np
import pandas as pd
import pytest

import inverse_qe as iq
from inverse_qe.cli import main
from inverse_qe.scenarios.loader import ScenarioError


@pytest.fixture(scope="module")
def short_run():
    return iq.run("dry_powder_exhaustion", seed=3, weeks=20)


def test_run_returns_every_table_as_a_dataframe(short_run):
    assert short_run.timeseries.shape[0] == 21
    assert {"week", "date", "water_level", "price_crypto"} <= set(short_run.timeseries)
    for table in (short_run.flows, short_run.balances, short_run.events):
        assert isinstance(table, pd.DataFrame) and len(table)
    assert list(short_run.events.columns[:5]) == ["type", "week", "holder", "id", "causes"]
    assert short_run.summary["weeks"] == 20 and short_run.summary["seed"] == 3
    json.dumps(short_run.summary)  # plain JSON, as summary.json


def test_the_same_seed_gives_the_same_run_from_every_door(short_run, tmp_path):
    again = iq.run(iq.load_scenario("dry_powder_exhaustion"), seed=3, weeks=20)
    pd.testing.assert_frame_equal(short_run.timeseries, again.timeseries)
    assert main(["run", "--seed", "3", "--weeks", "20", "--out", str(tmp_path / "r")]) == 0
    written = pd.read_csv(tmp_path / "r" / "timeseries.csv")
    np.testing.assert_allclose(
        written["water_level"], short_run.timeseries["water_level"], rtol=1e-9
    )


def test_overrides_as_a_mapping_or_as_assignments():
    by_mapping = iq.load_scenario("early_phase", overrides={"suppliers.recycling": 0.5})
    by_text = iq.load_scenario("early_phase", ["suppliers.recycling=0.5"])
    assert by_mapping == by_text and by_mapping.suppliers.recycling == 0.5
    assert iq.run("early_phase", weeks=2, overrides={"suppliers.recycling": 0.5}).summary
    with pytest.raises(ScenarioError, match="recycling"):
        iq.load_scenario("early_phase", {"suppliers.recycling": 7})


def test_importing_the_package_stays_light():
    code = (
        "import sys, inverse_qe; "
        "print(sorted(m for m in ('numpy', 'pandas', 'mesa', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m_is_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "inverse_qe", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("inverse-qe ")


# -- Mesa -----------------------------------------------------------------------------------------
def test_batch_run_returns_the_model_series():
    rows = mesa.batch_run(
        iq.BathtubModel,
        parameters={"scenario": ["dry_powder_exhaustion", "fed_pivot"], "weeks": 12},
        rng=[1, 2],
        max_steps=10,
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    assert len(frame) == 4
    assert (frame["Step"] == 10).all()
    assert {"water_level", "dry_powder", "yield_10y", "price_crypto"} <= set(frame)
    direct = iq.run("fed_pivot", seed=2, weeks=12).timeseries
    row = frame[(frame["scenario"] == "fed_pivot") & (frame["seed"] == 2)].iloc[0]
    assert row["water_level"] == pytest.approx(direct["water_level"].iloc[10], rel=1e-12)


def test_batch_run_every_week_with_iterations():
    with pytest.warns(DeprecationWarning):  # Mesa's own: rng= replaces iterations=
        rows = mesa.batch_run(
            iq.BathtubModel,
            parameters={"scenario": "early_phase"},
            iterations=2,
            max_steps=10,
            data_collection_period=1,
            display_progress=False,
        )
    frame = pd.DataFrame(rows)
    assert sorted(frame["Step"].unique()) == list(range(11))
    assert len(frame) == 22


def test_the_datacollector_is_the_recorder():
    model = iq.BathtubModel(iq.load_scenario(), rng=5, weeks=6)
    model.run_for(3)
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.index) == [0, 1, 2, 3]
    np.testing.assert_array_equal(frame["water_level"], model.recorder.series("water_level"))
    assert model.datacollector.model_vars["week"] == [0, 1, 2, 3]


def test_run_for_past_the_end_stops_at_the_end():
    model = iq.BathtubModel("early_phase", rng=1, weeks=5)
    model.run_for(9)
    assert model.week == 5 and not model.running
    model.step()
    assert model.week == 5
    assert len(model.datacollector.get_model_vars_dataframe()) == 6


def test_a_scenario_is_a_scenario_a_name_or_a_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "early_phase"\nname = "mine"\n')
    assert iq.BathtubModel(str(path), weeks=1).config.name == "mine"
    assert iq.BathtubModel(path, weeks=1).config.name == "mine"
    with pytest.raises(TypeError, match="scenario must be"):
        iq.BathtubModel(42, weeks=1)


def test_a_dropped_model_is_freed():
    model = iq.BathtubModel("early_phase", weeks=3)
    model.run_for(3)
    model.datacollector.get_model_vars_dataframe()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


# -- a run directory read back ---------------------------------------------------------------
def test_read_run_gives_back_the_tables(short_run, tmp_path):
    out = short_run.write(tmp_path / "run")
    read = iq.read_run(out)
    assert read.seed == 3 and read.scenario == short_run.scenario
    for name in ("timeseries", "flows", "balances"):
        a, b = getattr(read, name), getattr(short_run, name)
        assert a.shape == b.shape and list(a.columns) == list(b.columns)
    np.testing.assert_allclose(read.timeseries["water_level"], short_run.timeseries["water_level"])
    assert read.events.shape == short_run.events.shape
    assert read.summary == short_run.summary


def test_read_run_refuses_what_is_not_a_run(tmp_path):
    from inverse_qe.errors import UserError

    with pytest.raises(UserError, match="missing"):
        iq.read_run(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    for name in ("timeseries.csv", "flows.csv", "balances.csv", "events.jsonl"):
        (tmp_path / name).write_text("")
    with pytest.raises(UserError, match="manifest"):
        iq.read_run(tmp_path)


def test_a_run_comes_with_its_twin_and_says_what_ai_spending_did():
    import inverse_qe as iq

    result = iq.run("dry_powder_exhaustion", seed=3, weeks=12)
    assert result.twin is not None and result.twin.seed == 3
    gap = result.timeseries["capex_effect"].to_numpy()
    twin_value = result.twin.recorder.series("risk_asset_value")
    assert gap == pytest.approx(result.timeseries["risk_asset_value"].to_numpy() - twin_value)
    assert result.summary["capex_effect"]["risk_asset_value_gap"] == pytest.approx(gap[-1])
    alone = iq.run("dry_powder_exhaustion", seed=3, weeks=12, twin=False)
    assert alone.twin is None and "capex_effect" not in alone.timeseries
    assert "capex_effect" not in alone.summary
