"""Smoke tests of the benchmark suite: it runs, writes its JSON, and compares results.

No timing assertions: these only check that the scripts work on a tiny configuration.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    """The benchmark modules, imported from the benchmarks/ folder."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import compare
        import configurations
        import kernel
        import run

        yield {"configurations": configurations, "kernel": kernel, "compare": compare, "run": run}
    finally:
        sys.path.remove(str(BENCHMARKS))
        for name in ("compare", "configurations", "kernel", "run"):
            sys.modules.pop(name, None)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_run_script_times_one_configuration_and_writes_json(tmp_path):
    out = tmp_path / "results" / "smoke.json"
    done = _run(
        "--config",
        "default",
        "--seeds",
        "1",
        "--replications",
        "1",
        "--warmups",
        "0",
        "--weeks",
        "3",
        "--no-scaling",
        "--no-kernel",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    default = results["configurations"]["default"]
    assert default["status"] == "ok"
    assert default["seeds"] == [1]
    assert default["configuration"]["weeks"] == 3
    assert len(default["construction"]) == len(default["run"]) == 1
    assert default["run"][0] > 0 and default["construction"][0] > 0
    assert default["peak_rss_mib"] > 0
    assert {"cpu", "python", "numpy", "mesa"} <= results["machine"].keys()
    assert "sources_sha256" in results["code"]
    assert results["headline"]["default_status"] == "ok"

    # Comparing a result with itself reports no change.
    compared = subprocess.run(
        [sys.executable, str(BENCHMARKS / "compare.py"), str(out), str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert compared.returncode == 0, compared.stderr
    rows = json.loads(compared.stdout)
    assert {r["timing"] for r in rows} == {
        "default construction",
        "default run",
        "default run, CPU time",
    }
    assert all(r["change"] == 0.0 for r in rows)
    assert all(r["verdict"] == "one value each: no interval" for r in rows)  # one seed each


def test_a_timeout_is_recorded_not_waited_for(tmp_path):
    out = tmp_path / "timeout.json"
    done = _run(
        "--config",
        "large",
        "--seeds",
        "1",
        "--weeks",
        "104",
        "--timeout",
        "0.5",
        "--no-scaling",
        "--no-kernel",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    large = json.loads(out.read_text())["configurations"]["large"]
    assert large["status"] == "timeout"
    assert large["elapsed_s"] < 30


def test_fund_scaling_keeps_the_mix_and_loads(bench):
    conf = bench["configurations"]
    assert conf.strategy_counts([25, 35, 20, 20], 1_000) == [250, 350, 200, 200]
    assert sum(conf.strategy_counts([25, 35, 20, 20], 1_234)) == 1_234
    for mode in conf.FUND_SCALINGS:
        scenario = conf.load_scenario(1_000, mode)
        strategies = scenario.hedge_funds.strategies
        assert sum(s.count for s in strategies) == 1_000
    base = conf.load_scenario()
    split = conf.load_scenario(1_000, "split")
    replicate = conf.load_scenario(1_000, "replicate")
    for b, s, r in zip(
        base.hedge_funds.strategies,
        split.hedge_funds.strategies,
        replicate.hedge_funds.strategies,
        strict=True,
    ):
        assert s.equity == b.equity
        assert r.equity == pytest.approx(10 * b.equity)


def test_replicated_funds_fit_in_the_markets(bench):
    from inverse_qe.model.bathtub import BathtubModel

    scenario = bench["configurations"].load_scenario(1_000, "replicate")
    model = BathtubModel(scenario, weeks=1)  # raises ScenarioError if holdings exceed units
    value_investors = model.ledger.holdings[model.rows.value_investors]
    assert np.all(value_investors >= 0)


def test_kernel_runs_and_mirrors_the_relever_rule(bench):
    kernel = bench["kernel"]
    scenario = bench["configurations"].load_scenario()
    drive = kernel.model_drive(scenario, 3)
    assert drive["funding_rounds"].size == 3
    state = kernel.build_state(scenario, 200, seed=1, drive=drive)
    assert state.units.shape == (200, len(scenario.assets))
    counters = kernel.run_kernel(state, 3, seed=1)
    assert counters["funding_rounds"] == drive["funding_rounds"].sum()
    assert counters["margin_rounds"] == drive["margin_rounds"].sum()
    assert np.all(np.isfinite(state.cash)) and np.all(state.cash >= 0)
    assert np.all(state.units >= 0)
    result = kernel.time_kernel(scenario, 200, 3, replications=1, drive=drive)
    assert result["run"] > 0 and result["per_fund_week_us"] > 0


def test_scaling_fit_recovers_a_known_line(bench):
    bench_run = bench["run"]
    funds = [1_000, 3_000, 10_000, 30_000]
    seconds = [0.5 + 2e-4 * n for n in funds]
    fit = bench_run.fit_scaling(funds, seconds, weeks=100)
    assert fit["slope_s_per_fund"] == pytest.approx(2e-4)
    assert fit["intercept_s"] == pytest.approx(0.5)
    assert fit["per_fund_week_us"] == pytest.approx(2.0)
    quadratic = bench_run.fit_scaling(funds, [1e-8 * n**2 for n in funds], weeks=100)
    assert quadratic["exponent"] == pytest.approx(2.0)


def test_bootstrap_interval_separates_change_from_noise(bench):
    compare = bench["compare"]
    old = [1.00, 1.02, 0.99, 1.01, 1.00]
    change, low, high = compare.bootstrap_change(old, [x * 0.5 for x in old])
    assert change == pytest.approx(-0.5)
    assert high < 0
    change, low, high = compare.bootstrap_change(old, [1.01, 0.99, 1.00, 1.02, 1.00])
    assert low < 0 < high


def test_cli_configuration_times_the_whole_command(tmp_path):
    out = tmp_path / "cli.json"
    done = _run(
        "--config",
        "cli_run",
        "--replications",
        "1",
        "--warmups",
        "0",
        "--no-scaling",
        "--no-kernel",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(out.read_text())["configurations"]["cli_run"]
    assert cli["status"] == "ok"
    assert {"timeseries.csv", "summary.json", "dashboard.png"} <= set(cli["files"])
    assert cli["wall"][0] > 0 and cli["cpu"][0] > 0


def test_fingerprint_names_each_run_and_tells_a_changed_one(tmp_path):
    """Same tree, same hashes (exit 0); a stored hash that differs is reported (exit 1)."""
    script = BENCHMARKS / "fingerprint.py"
    args = [sys.executable, str(script), "--funds", "200", "--seeds", "1", "2", "--weeks", "4"]
    first = subprocess.run(args, capture_output=True, text=True, check=True)
    prints = json.loads(first.stdout)
    assert list(prints) == ["200 funds, seed 1, 4 weeks", "200 funds, seed 2, 4 weeks"]
    assert len(set(prints.values())) == 2, "two seeds, two different runs"
    stored = tmp_path / "before.json"
    stored.write_text(first.stdout)
    same = subprocess.run([*args, "--against", str(stored)], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    stored.write_text(json.dumps({**prints, "200 funds, seed 2, 4 weeks": "0" * 16}))
    changed = subprocess.run([*args, "--against", str(stored)], capture_output=True, text=True)
    assert changed.returncode == 1
    assert "differs: 200 funds, seed 2, 4 weeks" in changed.stderr
