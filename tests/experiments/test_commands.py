"""The experiment subcommands: outputs, and exit status 2 for user mistakes."""

from __future__ import annotations

import pandas as pd
import pytest

from inverse_qe.cli import main

FAST = ["--seeds", "2", "--weeks", "8", "--workers", "1", "--quiet"]


def test_compare_command_writes_table_and_figure(tmp_path):
    out = tmp_path / "c"
    assert main(["compare", "dry_powder_exhaustion", "fed_pivot", *FAST, "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"dry_powder_exhaustion", "fed_pivot"}
    assert (out / "compare.png").stat().st_size > 0
    assert len(list((out / "runs").glob("*.parquet"))) == 4


def test_compare_prints_both_tables(tmp_path, capsys):
    args = ["compare", "dry_powder_exhaustion", "fed_pivot", "--seeds", "2", "--weeks", "8"]
    assert main([*args, "--workers", "1", "--no-figures", "--out", str(tmp_path / "c")]) == 0
    printed = capsys.readouterr().out
    assert "Mean over 2 seeds" in printed and "Paired difference" in printed


def test_sweep_multiplier_regime_commands(tmp_path):
    assert (
        main(
            [
                "sweep",
                "dry_powder_exhaustion",
                "--vary",
                "suppliers.recycling=0.2:0.6:2",
                *FAST,
                "--no-figures",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    assert (tmp_path / "s" / "sweep_points.csv").is_file()
    multiplier = ["multiplier", "early_phase", "--no-qe", "--scale", "0", *FAST, "--no-figures"]
    assert main([*multiplier, "--out", str(tmp_path / "m")]) == 0
    assert pd.read_csv(tmp_path / "m" / "multiplier.csv")["scale"].tolist() == [0.0]
    regime = ["regime", "dry_powder_exhaustion", "--x", "capex_growth=0:0.5:2"]
    regime += ["--y", "dry_powder=300:900:2", *FAST, "--no-figures"]
    assert main([*regime, "--out", str(tmp_path / "r")]) == 0
    assert len(pd.read_csv(tmp_path / "r" / "regime.csv")) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "dry_powder_exhaustion"], "at least two"),
        (["compare", "dry_powder_exhaustion", "no_such_scenario"], "no_such_scenario"),
        (["sweep", "dry_powder_exhaustion", "--vary", "nope=1:2"], "no field"),
        (["sweep", "dry_powder_exhaustion", "--vary", "x"], "expected"),
        (["multiplier", "dry_powder_exhaustion", "--set", "suppliers.recycling=3"], "recycling"),
        (["regime", "dry_powder_exhaustion", "--x", "dry_powder=1:2:2"], "different"),
    ],
)
def test_user_mistakes_exit_2(tmp_path, capsys, args, message):
    assert main([*args, *FAST, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_existing_output_and_resume_mismatch_exit_2(tmp_path, capsys):
    out = str(tmp_path / "c")
    base = ["compare", "dry_powder_exhaustion", "fed_pivot", *FAST, "--no-figures", "--out", out]
    assert main(base) == 0
    assert main(base) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*base, "--resume"]) == 0  # nothing left to run
    assert main([*base[:-2], "--first-seed", "3", "--out", out, "--resume"]) == 2
    assert "options differ" in capsys.readouterr().err
