"""The teaching commands: explain, animate, flows, app; user mistakes exit 2."""

from __future__ import annotations

import pytest

from inverse_qe.cli import EXIT_USAGE, build_parser, main
from inverse_qe.teaching import commands


def test_explain_on_screen_and_as_markdown(tmp_path, capsys):
    assert main(["explain", "warsh_tightening", "--weeks", "30"]) == 0
    screen = capsys.readouterr().out
    assert "warsh_tightening" in screen and "The phases" in screen and "Key moments" in screen
    out = tmp_path / "handout.md"
    assert (
        main(["explain", "early_phase", "--format", "markdown", "--detail", "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert text.startswith("# What happened in `early_phase`") and "## Week by week" in text


def test_animate_writes_a_still_and_a_gif(tmp_path):
    still = tmp_path / "week3.png"
    assert main(["animate", "--weeks", "6", "--week", "3", "--out", str(still)]) == 0
    assert still.stat().st_size > 10_000
    gif = tmp_path / "tub.gif"
    args = ["animate", "--weeks", "4", "--every", "2", "--dpi", "30", "--out", str(gif)]
    assert main(args) == 0
    assert gif.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    assert main(args) == EXIT_USAGE  # it exists: refused without --force
    assert main([*args, "--force"]) == 0


def test_flows_writes_the_diagram(tmp_path):
    out = tmp_path / "flows.png"
    assert main(["flows", "--weeks", "10", "--out", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "no_such_scenario"],
        ["animate", "--weeks", "4", "--out", "tub.avi"],
        ["animate", "--weeks", "4", "--week", "9", "--out", "x.png"],
        ["flows", "--weeks", "4", "--out", "/no/such/dir/flows.png"],
        ["app", "--host", "not an address"],
    ],
)
def test_user_mistakes_exit_2_without_a_traceback(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_bad_port_is_an_argument_error():
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["app", "--port", "70000"])
    assert stop.value.code == 2


def test_app_serves_on_loopback_by_default():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port) == ("127.0.0.1", commands.DEFAULT_PORT)
    command, env = commands.app_command(args.host, args.port)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "inverse_qe.app" in command and "--production" in command
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"]
