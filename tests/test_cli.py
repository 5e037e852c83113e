"""The command line: outputs of `inverse-qe run`, and exit status 2 for user mistakes."""

from __future__ import annotations

import json
import os
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


BAD_FILES = [
    ("[suppliers]\nrecyclng = 0.3\n", "suppliers.recyclng"),
    ("[assets.crypto]\nelasticity = 0.0\n", "assets.crypto.elasticity"),
    ("[households]\ncash = -5.0\n", "households.cash"),
    ("[hyperscalers]\ncapex = []\n", "hyperscalers.capex"),
    ("[hyperscalers]\ncapex = [[10, 1.0], [5, 2.0]]\n", "hyperscalers.capex"),
    ("[treasury]\ndeficit = [[2020-01-01, 1.0]]\n", "treasury.deficit"),
    (
        "[[hedge_funds.strategies]]\nname='x'\ncount=1\nequity=1.0\nleverage=0.5\n"
        "leverage_limit=2.0\nweights={crypto=1.0}\n",
        "hedge_funds.strategies.0.leverage",
    ),
]


@pytest.mark.parametrize(("text", "field"), BAD_FILES)
@pytest.mark.parametrize("command", ["validate", "run", "show"])
def test_every_bad_scenario_file_exits_2_naming_file_and_field(tmp_path, text, field, command):
    path = tmp_path / "bad.toml"
    path.write_text('extends = "dry_powder_exhaustion"\n' + text)
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", command, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert str(path) in output and field in output
    assert "Traceback" not in output


def test_an_extends_cycle_exits_2(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", "validate", str(tmp_path / "a.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "cycle" in result.stdout + result.stderr


def test_list_shows_the_eight_builtin_scenarios():
    result = subprocess.run(
        [sys.executable, "-m", "inverse_qe.cli", "list"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0
    for name in (
        "early_phase",
        "dry_powder_exhaustion",
        "warsh_tightening",
        "fed_pivot",
        "capex_plateau",
        "new_capital",
        "plumbing",
        "fiscal_stimulus",
    ):
        assert name in result.stdout
    assert "_base" not in result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "early_phase",
        "dry_powder_exhaustion",
        "warsh_tightening",
        "fed_pivot",
        "capex_plateau",
        "new_capital",
        "plumbing",
        "fiscal_stimulus",
    ],
)
def test_every_builtin_scenario_runs(tmp_path, name):
    assert (
        main(["run", name, "--weeks", "6", "--quiet", "--no-figure", "--out", str(tmp_path / name)])
        == 0
    )


def test_show_prints_the_resolved_scenario_with_its_sources(capsys):
    assert main(["show", "warsh_tightening"]) == 0
    text = capsys.readouterr().out
    assert 'rule = "warsh"' in text and "[sources]" in text and "FOMC" in text


def test_show_round_trips_every_builtin():
    from inverse_qe.scenarios.commands import roundtrip
    from inverse_qe.scenarios.loader import load

    for name in ("early_phase", "warsh_tightening", "fiscal_stimulus"):
        assert roundtrip(load(name))


def test_schema_is_valid_json_schema_with_every_table(capsys):
    import json

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"assets", "central_bank", "hedge_funds", "extends"} <= set(schema["properties"])


def test_force_replaces_earlier_results_of_a_run(tmp_path):
    out = tmp_path / "run"
    args = ["run", "--weeks", "2", "--no-figure", "--quiet", "--out", str(out)]
    assert main([*args, "--seed", "1"]) == 0
    assert main([*args, "--seed", "2"]) == 2  # refused: it exists
    assert main([*args, "--seed", "2", "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing staged left


def test_the_output_is_checked_before_the_simulation(tmp_path, monkeypatch):
    from inverse_qe.model import bathtub

    def never(*args, **kwargs):
        raise AssertionError("simulated although the output was in the way")

    monkeypatch.setattr(bathtub.BathtubModel, "step", never)
    (tmp_path / "afile").write_text("x")
    assert main(["run", "--weeks", "2", "--out", str(tmp_path / "afile" / "o")]) == 2


def test_a_failed_figure_stops_the_run_and_leaves_no_directory(tmp_path, monkeypatch, capsys):
    """The dashboard is drawn in a worker process: its failure must still reach the user."""
    from inverse_qe import plots

    def broken(*args, **kwargs):
        raise ValueError("no ink")

    monkeypatch.setattr(plots, "dashboard", broken)
    monkeypatch.setattr(plots, "dashboard_in_two", broken)
    monkeypatch.setenv("INVERSE_QE_CRASH_DIR", str(tmp_path / "crashes"))
    runs = tmp_path / "runs"
    runs.mkdir()
    assert main(["run", "--weeks", "4", "--no-twin", "--out", str(runs / "run")]) == 1
    assert not list(runs.iterdir())  # neither the run nor its staging directory
    assert "drawing dashboard.png failed" in capsys.readouterr().err
    (saved,) = (tmp_path / "crashes").iterdir()
    assert "ValueError: no ink" in saved.read_text()


def test_a_failure_in_the_figure_workers_helper_stops_the_run(tmp_path, monkeypatch, capsys):
    """The right column of the dashboard is rendered by a child of the figure's worker:
    its failure travels two processes up and is reported like any other."""
    from inverse_qe import plots

    render = plots.render_half  # as the dashboard calls it

    def no_right_column(fig, side):
        if side == "right":
            raise ValueError("no ink on the right")
        return render(fig, side)

    monkeypatch.setattr(plots, "render_half", no_right_column)
    monkeypatch.setenv("INVERSE_QE_CRASH_DIR", str(tmp_path / "crashes"))
    runs = tmp_path / "runs"
    runs.mkdir()
    assert main(["run", "--weeks", "4", "--no-twin", "--out", str(runs / "run")]) == 1
    assert not list(runs.iterdir())
    assert "drawing dashboard.png failed" in capsys.readouterr().err
    (saved,) = (tmp_path / "crashes").iterdir()
    assert "ValueError: no ink on the right" in saved.read_text()


def test_a_mistake_found_while_simulating_ends_the_run_and_its_forked_children(
    tmp_path, monkeypatch, capsys
):
    """The figure's worker and the twin are forked before the model is built: a user
    mistake found then is still exit 2, and neither child outlives the run."""
    import psutil

    from inverse_qe.model import bathtub
    from inverse_qe.scenarios.loader import ScenarioError

    here, build = os.getpid(), bathtub.BathtubModel.__init__

    def refuse_here(self, *args, **kwargs):
        # Only in this process: the forked twin goes on simulating (5,000 weeks, several
        # seconds) unless the run stops it.
        if os.getpid() == here:
            raise ScenarioError("my.toml", ["hedge_funds.equity: more than the market holds"])
        build(self, *args, **kwargs)

    monkeypatch.setattr(bathtub.BathtubModel, "__init__", refuse_here)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    assert main(["run", "--weeks", "5000", "--out", str(tmp_path / "o")]) == 2
    assert "hedge_funds.equity" in capsys.readouterr().err
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    _, alive = psutil.wait_procs(left, timeout=3)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert not (tmp_path / "o").exists()


def test_flows_per_sector_keep_the_totals_and_the_watch_list(tmp_path):
    """--flows sector sums the hedge funds' rows; totals and sovereign selling are unchanged."""
    from inverse_qe.recorded import read_run
    from inverse_qe.watchlist import sovereign_net_selling

    written = {}
    for detail in ("full", "sector"):
        out = tmp_path / detail
        command = ["run", "--weeks", "30", "--no-twin", "--no-figure", "--out", str(out)]
        assert main([*command, "--flows", detail]) == 0
        written[detail] = out
    full = pd.read_csv(written["full"] / "flows.csv")
    sector = pd.read_csv(written["sector"] / "flows.csv")
    assert len(sector) < len(full)
    assert "hedge_funds" in set(sector["source"]) | set(sector["target"])
    assert not sector["source"].str.match(r".*_\d{3}$").any()  # no single fund left
    by_kind = ["kind", "instrument"]
    pd.testing.assert_frame_equal(
        full.groupby(by_kind)[["amount", "units"]].sum(),
        sector.groupby(by_kind)[["amount", "units"]].sum(),
        rtol=1e-9,
    )
    manifest = json.loads((written["sector"] / "manifest.json").read_text())
    assert manifest["flows"] == "sector"
    selling = {d: sovereign_net_selling(read_run(out).model) for d, out in written.items()}
    assert selling["full"].keys() == selling["sector"].keys()
    for fund, by_asset in selling["full"].items():
        assert selling["sector"][fund] == pytest.approx(by_asset, rel=1e-9, abs=1e-9)


def test_the_printed_capex_effect_says_a_gain_only_when_there_was_one():
    """A run whose AI spending never lifted prices above its twin's says so, rather
    than naming a "largest gain" of zero in week 0."""
    from inverse_qe.cli import _capex_effect_lines

    effect = {
        "risk_asset_value_gap": -1650.0,
        "per_dollar": -0.78,
        "from_income": 289.0,
        "from_money": -1939.0,
        "peak_gap": 0.0,
        "peak_week": 0,
        "turned_negative_week": 1,
    }
    (line,) = _capex_effect_lines(effect)
    assert "never above the world without it" in line and "largest gain" not in line
    assert "below zero from week 1" in line
    (line,) = _capex_effect_lines({**effect, "peak_gap": 463.0, "peak_week": 68})
    assert "largest gain US$+463bn (week 68)" in line
    assert _capex_effect_lines(None) == ["what AI spending did: not measured (--no-twin)"]
