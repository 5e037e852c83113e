"""The command line: outputs of `inverse-qe run`, and exit status 2 for user mistakes."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from inverse_qe.cli import main

EXPECTED_FILES = {
    "timeseries.csv",
    "flows.csv",
    "balances.csv",
    "events.jsonl",
    "summary.json",
    "manifest.json",
    "dashboard.png",
}


def test_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--weeks", "12", "--seed", "3", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= EXPECTED_FILES
    series = pd.read_csv(out / "timeseries.csv")
    assert len(series) == 13
    for column in (
        "week",
        "date",
        "water_level",
        "rrp_balance",
        "policy_rate",
        "yield_10y",
        "bond_spread",
        "cb_balance_sheet",
        "capex_paid",
        "bonds_issued",
        "forced_sales",
        "margin_calls",
        "redemptions",
        "stress_index",
        "dry_powder_sovereign_funds",
        "price_crypto",
    ):
        assert column in series.columns
    flows = pd.read_csv(out / "flows.csv")
    assert list(flows.columns[:6]) == ["week", "source", "target", "instrument", "kind", "amount"]
    balances = pd.read_csv(out / "balances.csv")
    assert set(balances["week"]) == {0, 12}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["scenario"]["name"] == "dry_powder_exhaustion"
    assert {"inverse_qe_version", "mesa_version", "python_version"} <= set(manifest)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["conservation_error"] < 1e-9
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert all("type" in e and "week" in e for e in events)
    assert "crypto" in capsys.readouterr().out


def test_run_applies_set_overrides_and_records_them(tmp_path):
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--weeks",
            "3",
            "--out",
            str(out),
            "--no-figure",
            "--quiet",
            "--set",
            "suppliers.recycling=0.9",
        ]
    )
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["suppliers"]["recycling"] == 0.9
    assert manifest["overrides"] == ["suppliers.recycling=0.9"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no_such_scenario"], "no such scenario"),
        (["run", "--set", "suppliers.recycling=2.0"], "suppliers.recycling"),
        (["run", "--set", "suppliers.recyclng=0.2"], "did you mean 'recycling'"),
        (["run", "--set", "nonsense"], "field.path=value"),
        (["run", "--set", "assets.crypto.units=1.0"], "assets.crypto.units"),
    ],
)
def test_user_mistakes_exit_2_with_a_message_and_no_traceback(tmp_path, args, message):
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", *args, "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_bad_numbers_on_the_command_line_exit_2(tmp_path):
    for args in (["run", "--weeks", "0"], ["run", "--seed", "-1"], ["run", "--weeks", "x"]):
        result = subprocess.run(
            [sys.executable, "-m", "inverse_qe.cli", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_a_bad_scenario_file_exits_2_naming_file_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "dry_powder_exhaustion"\n[assets.crypto]\nelasticity = 0\n')
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", "run", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and "assets.crypto.elasticity" in result.stderr


def test_an_existing_non_empty_output_directory_is_never_overwritten(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", "run", "--weeks", "2", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["precious.txt"]
    assert (out / "precious.txt").read_text() == "keep me"


def test_default_output_directories_are_never_reused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["run", "--weeks", "2", "--no-figure", "--quiet"]) == 0
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(runs) == 2 and runs[0] != runs[1]
