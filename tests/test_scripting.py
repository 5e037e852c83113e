"""The command line in scripts: results on stdout, the rest on stderr, JSON, whole cells."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from inverse_qe.cli import build_parser, main
from inverse_qe.scenarios.loader import load

README = Path(__file__).resolve().parent.parent / "README.md"


def test_run_json_is_the_only_thing_on_stdout(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--weeks", "6", "--json", "--out", str(out), "--no-figure"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["command"] == "run" and Path(data["results"]) == out
    saved = json.loads((out / "summary.json").read_text())
    assert data["summary"] == json.loads(json.dumps(saved))
    assert "{" not in captured.err


def test_quiet_prints_only_where_the_results_are(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--weeks", "3", "--quiet", "--out", str(out), "--no-figure"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert captured.err == ""


def test_progress_goes_to_stderr_when_piped(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inverse_qe",
            "run",
            "--weeks",
            "4",
            "--no-figure",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "results:" in done.stdout and "\x1b[" not in done.stdout  # no colours in a pipe
    assert "week" not in done.stderr or "results" not in done.stderr


def _compare(tmp_path, *scenarios: str, weeks: str, extra=()) -> int:
    """``inverse-qe compare`` of two seeds, in this process, without figures."""
    return main(
        [
            "compare",
            *scenarios,
            "--seeds",
            "2",
            "--weeks",
            weeks,
            "--workers",
            "1",
            "--no-figures",
            "--out",
            str(tmp_path / "c"),
            *extra,
        ]
    )


def test_piped_tables_are_never_cut(tmp_path, capsys):
    code = _compare(tmp_path, "dry_powder_exhaustion", "fed_pivot", weeks="4")
    assert code == 0
    out = capsys.readouterr().out
    assert "…" not in out  # rich's ellipsis for a cut cell
    assert "dry powder out: abu_dhabi_funds (week)" in out
    assert "fed_pivot" in out and "dry_powder_exhaustion" in out


def test_experiment_json_and_the_small_sample_warning(tmp_path, capsys):
    code = _compare(tmp_path, "early_phase", "fed_pivot", weeks="3", extra=["--json"])
    assert code == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["command"] == "compare" and data["table"]
    assert data["warnings"] and "fewer than 10" in data["warnings"][0]
    assert "fewer than 10" in captured.err


def test_too_few_seeds_mark_nothing_significant(tmp_path, capsys):
    code = _compare(tmp_path, "early_phase", "fed_pivot", weeks="3")
    assert code == 0
    out = capsys.readouterr().out
    assert "p=" not in out and "p<" not in out and "t-test" not in out
    assert "too few seeds" in out


def test_every_command_has_a_description_and_clean_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        assert sub.description, f"{name} has no description"
        text = sub.format_help()
        assert "%%" not in text, f"{name} --help shows a doubled percent sign"
    assert "95% interval" in commands["compare"].format_help()


def test_an_unknown_scenario_lists_only_runnable_ones(capsys):
    assert main(["run", "no_such_scenario", "--weeks", "1"]) == 2
    err = capsys.readouterr().err
    assert "dry_powder_exhaustion" in err and "_base" not in err


def _readme_scenario_examples() -> list[str]:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return [b for b in blocks if "extends" in b]


def test_the_readme_scenario_example_loads(tmp_path):
    examples = _readme_scenario_examples()
    assert examples
    for n, text in enumerate(examples):
        tomllib.loads(text)
        path = tmp_path / f"example{n}.toml"
        path.write_text(text)
        load(str(path))


def test_the_readme_links_stay_inside_the_repository():
    root = README.parent
    text = README.read_text(encoding="utf-8")
    assert not re.findall(r"`\.\./[^`]*`", text), "README names a path outside the repository"
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        resolved = (root / target).resolve()
        assert resolved.is_relative_to(root), f"README links outside the repository: {target}"
        assert resolved.exists(), f"README links to a missing file: {target}"


# -- teaching commands read a run directory -------------------------------------------------------
@pytest.fixture(scope="module")
def run_directory(tmp_path_factory):
    out = tmp_path_factory.mktemp("recorded") / "run"
    assert main(["run", "--seed", "4", "--weeks", "30", "--out", str(out), "--quiet"]) == 0
    return out


def test_explain_reads_a_run_directory_as_it_was_run(run_directory, capsys):
    assert main(["explain", str(run_directory), "--detail", "--format", "markdown"]) == 0
    from_directory = capsys.readouterr().out
    assert (
        main(["explain", "--seed", "4", "--weeks", "30", "--detail", "--format", "markdown"]) == 0
    )
    assert capsys.readouterr().out == from_directory


def test_explain_measures_the_watch_list_from_the_flows_when_the_summary_is_gone(
    run_directory, tmp_path, capsys
):
    import shutil

    older = tmp_path / "run"
    shutil.copytree(run_directory, older)
    (older / "summary.json").unlink()
    assert main(["explain", str(run_directory), "--format", "markdown"]) == 0
    with_summary = capsys.readouterr().out
    assert main(["explain", str(older), "--format", "markdown"]) == 0
    assert capsys.readouterr().out == with_summary
    assert "## The watch-list" in with_summary


def test_options_that_change_a_run_are_refused_for_a_run_directory(run_directory, capsys):
    assert main(["explain", str(run_directory), "--seed", "5"]) == 2
    assert "run directory" in capsys.readouterr().err


def test_flows_and_animate_draw_a_run_directory(run_directory, tmp_path):
    assert main(["flows", str(run_directory), "--out", str(tmp_path / "f.png")]) == 0
    assert (
        main(["animate", str(run_directory), "--week", "12", "--out", str(tmp_path / "t.png")]) == 0
    )
    assert (tmp_path / "f.png").stat().st_size and (tmp_path / "t.png").stat().st_size


def test_animate_reports_its_progress(run_directory, tmp_path):
    from inverse_qe.recorded import read_run
    from inverse_qe.teaching.tub import animate

    seen = []
    animate(
        read_run(run_directory).model,
        tmp_path / "a.gif",
        every=10,
        hold=0,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen and seen[-1][0] == seen[-1][1] == 4


# -- the dashboard's command ---------------------------------------------------------------
def test_app_without_the_viz_extra_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a)
    )
    assert main(["app", "--port", "1"]) == 2
    assert "inverse-qe[viz]" in capsys.readouterr().err


def test_app_warns_when_the_front_end_is_not_cached(tmp_path, monkeypatch):
    from inverse_qe.teaching.commands import missing_front_end

    monkeypatch.setenv("INVERSE_QE_SOLARA_CDN", str(tmp_path))
    warning = missing_front_end()
    assert warning and "blank" in warning and "inverse_qe.teaching.assets" in warning
