"""A run: its id, the pure function that performs it, its metrics; failures as data."""

from __future__ import annotations

import io
import math

import pyarrow.parquet as pq
import pytest

from inverse_qe.experiments.runs import (
    RunSpec,
    ScenarioSource,
    execute_run,
    headline_metrics,
    make_spec,
)
from inverse_qe.scenarios.loader import ScenarioError, load
from tests.experiments.conftest import WEEKS


def test_source_round_trips_to_the_same_scenario(source):
    assert source.scenario() == load("dry_powder_exhaustion")
    overridden = source.scenario(["suppliers.recycling=0.5"])
    assert overridden == load("dry_powder_exhaustion", ["suppliers.recycling=0.5"])


def test_run_id_is_a_hash_of_what_the_run_computes(source):
    spec = make_spec(source, [], 1, WEEKS)
    assert spec.run_id == make_spec(source, [], 1, WEEKS).run_id
    assert spec.run_id != make_spec(source, [], 2, WEEKS).run_id
    assert spec.run_id != make_spec(source, [], 1, WEEKS + 1).run_id
    assert spec.run_id != make_spec(source, ["suppliers.recycling=0.5"], 1, WEEKS).run_id
    # Setting a field to the value it already has is the same run.
    recycling = source.scenario().suppliers.recycling
    same = make_spec(source, [f"suppliers.recycling={recycling!r}"], 1, WEEKS)
    assert same.run_id == spec.run_id


def test_make_spec_refuses_an_invalid_scenario(source):
    with pytest.raises(ScenarioError, match="recycling"):
        make_spec(source, ["suppliers.recycling=7"], 1, WEEKS)


def test_weeks_default_to_the_scenarios(source):
    assert make_spec(source, [], 1, None).weeks == source.scenario().run.weeks


def test_execute_run_returns_the_run_file(source):
    spec = make_spec(source, [], 3, WEEKS)
    outcome = execute_run(spec)
    assert outcome.ok, outcome.traceback
    table = pq.read_table(io.BytesIO(outcome.parquet))
    assert table.num_rows == WEEKS + 1
    assert set(table.column("run_id").to_pylist()) == {spec.run_id}
    assert {"week", "water_level", "risk_asset_value", "price_crypto"} <= set(table.column_names)
    assert outcome.metrics["final_risk_asset_value"] == pytest.approx(
        table.column("risk_asset_value").to_pylist()[-1]
    )
    assert outcome.metrics["capex_paid"] == pytest.approx(
        sum(table.column("capex_paid").to_pylist())
    )


def test_a_failing_run_is_returned_not_raised(source):
    bad = RunSpec(source, ("suppliers.recycling=7",), 1, WEEKS, "not-validated")
    outcome = execute_run(bad)
    assert not outcome.ok
    assert outcome.error_type == "ScenarioError"
    assert "recycling" in outcome.error
    assert "Traceback" in outcome.traceback
    record = outcome.failure()
    assert record["overrides"] == ["suppliers.recycling=7"] and record["seed"] == 1


def test_headline_metrics_flatten_the_summary():
    summary = {
        "assets": {"crypto": {"total_return": -0.5, "max_drawdown": 0.6}},
        "dry_powder_exhausted": {"gulf": 19, "softbank": None},
        "largest_cascade": None,
        "forced_sales": {"margin": 1.0, "total": 1.0},
        "peak_yield_10y": 0.05,
        "scenario": "x",
    }
    final = {"price_crypto": 0.5, "risk_asset_value": 10.0, "water_level": 5.0, "dry_powder": 0.0}
    metrics = headline_metrics(summary, final)
    assert metrics["max_drawdown.crypto"] == 0.6
    assert metrics["final_price.crypto"] == 0.5
    assert metrics["dry_powder_exhausted.gulf"] == 19
    assert math.isnan(metrics["dry_powder_exhausted.softbank"])
    assert metrics["dry_powder_exhausted.first"] == 19
    assert metrics["largest_cascade.size"] == 0.0
    assert metrics["forced_sales.total"] == 1.0
    assert "scenario" not in metrics


def test_source_of_a_file_is_self_contained(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'extends = "dry_powder_exhaustion"\nname = "mine"\n[suppliers]\nrecycling = 0.5\n'
    )
    source = ScenarioSource.resolve(str(path))
    path.unlink()  # a worker elsewhere never needs the file
    assert source.scenario().suppliers.recycling == 0.5
