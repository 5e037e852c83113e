"""Teaching subcommands: ``explain``, ``animate``, ``flows`` and ``app``.

Heavy libraries (matplotlib, solara) are imported inside the handlers, so
``inverse-qe --help`` stays fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from inverse_qe.cli import UserError, positive_number, whole_number
from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, load

DEFAULT_PORT = 8765
STILL_SUFFIXES = (".png", ".svg", ".pdf")


def _port(text: str) -> int:
    value = whole_number(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def _scenario_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"built-in scenario name or path to a .toml file (default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument(
        "--seed", type=whole_number(0), help="random seed (default: the scenario's)"
    )
    parser.add_argument("--weeks", type=whole_number(1), help="run length in weeks")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD.PATH=VALUE",
        help="override a scenario field, e.g. --set suppliers.recycling=0.5 (repeatable)",
    )


def register(commands) -> None:
    """Add the teaching subcommands to the CLI."""
    explain = commands.add_parser(
        "explain",
        help="tell what happened in a run, in plain words",
        description="A narrated chronology of one run, written from its events and series: "
        "the phases, the key moments with their numbers, and why each step happened.",
    )
    _scenario_arguments(explain)
    explain.add_argument(
        "--detail", action="store_true", help="every moment and the week-by-week chronology"
    )
    explain.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="text (default) or markdown"
    )
    explain.add_argument("--out", type=Path, help="write to this file instead of the screen")
    explain.set_defaults(handler=cmd_explain)

    animate = commands.add_parser(
        "animate",
        help="the bathtub picture, week by week, as a GIF (or MP4, or a still PNG)",
        description="Draw the bathtub: water (investable cash) and dry powder, the RRP side "
        "tank, taps and drains sized by their flows, and the assets as ducks. A .gif or .mp4 "
        "--out animates the run; a .png, .svg or .pdf draws one week (--week, default the last).",
    )
    _scenario_arguments(animate)
    animate.add_argument("--out", type=Path, help="output file (default: <scenario>_tub.gif)")
    animate.add_argument("--every", type=whole_number(1), default=2, help="draw every Nth week (2)")
    animate.add_argument("--fps", type=positive_number, default=6.0, help="frames per second (6)")
    animate.add_argument("--dpi", type=positive_number, default=64.0, help="resolution (64)")
    animate.add_argument("--week", type=whole_number(0), help="for a still: the week to draw")
    animate.add_argument("--force", action="store_true", help="overwrite an existing file")
    animate.set_defaults(handler=cmd_animate)

    flows = commands.add_parser(
        "flows",
        help="who paid whom over a run, as a diagram",
        description="The bathtub network over a whole run: cash paid between sectors, arrow "
        "widths by amount.",
    )
    _scenario_arguments(flows)
    flows.add_argument("--out", type=Path, help="output image (default: <scenario>_flows.png)")
    flows.add_argument("--force", action="store_true", help="overwrite an existing file")
    flows.set_defaults(handler=cmd_flows)

    app = commands.add_parser(
        "app",
        help="start the interactive dashboard in the browser",
        description="Serve the teaching dashboard (Mesa SolaraViz). It listens on 127.0.0.1 "
        "only, unless --host says otherwise.",
    )
    app.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    app.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    app.set_defaults(handler=cmd_app)


def _run_model(args: argparse.Namespace):
    from inverse_qe.model.bathtub import BathtubModel

    scenario = load(args.scenario, args.overrides)
    return BathtubModel(scenario, seed=args.seed, weeks=args.weeks).run()


def _check_out(out: Path, force: bool) -> Path:
    if out.exists() and (out.is_dir() or not force):
        what = "is a directory" if out.is_dir() else "already exists (add --force to replace it)"
        raise UserError(f"{out} {what}; choose another --out")
    if not out.parent.exists():
        raise UserError(f"{out.parent} does not exist; create it or choose another --out")
    return out


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe explain``: the run's story, on screen or as Markdown."""
    from inverse_qe.teaching.narrative import render_markdown, render_text, tell

    story = tell(_run_model(args))
    if args.format == "markdown":
        text = render_markdown(story, detail=args.detail)
        if args.out is None:
            console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
            return 0
        _check_out(args.out, force=True).write_text(text, encoding="utf-8")
    elif args.out is None:
        render_text(story, console, detail=args.detail)
        return 0
    else:
        with open(_check_out(args.out, force=True), "w", encoding="utf-8") as handle:
            render_text(story, Console(file=handle, width=100, no_color=True), detail=args.detail)
    console.print(f"written: {args.out}")
    return 0


def cmd_animate(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe animate``: the bathtub picture as an animation or a still."""
    from matplotlib.animation import writers

    from inverse_qe.teaching.tub import animate, tub_figure

    model = _run_model(args)
    out = args.out or Path(f"{model.config.name}_tub.gif")
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4", *STILL_SUFFIXES):
        raise UserError(f"--out {out}: write a .gif or .mp4 (animation) or .png, .svg, .pdf")
    if suffix == ".mp4" and not writers.is_available("ffmpeg"):
        raise UserError("--out .mp4 needs ffmpeg on the PATH, which is missing; use a .gif")
    _check_out(out, args.force)
    if suffix in STILL_SUFFIXES:
        week = model.week if args.week is None else args.week
        if week > model.week:
            raise UserError(f"--week {week}: the run has weeks 0-{model.week}")
        tub_figure(model, week=week, out=out, dpi=max(args.dpi, 100.0))
        console.print(f"written: {out} (week {week})")
        return 0
    if args.week is not None:
        raise UserError("--week draws a still: give a .png, .svg or .pdf --out")
    with console.status(f"drawing {model.week // args.every + 1} frames"):
        animate(model, out, every=args.every, fps=args.fps, dpi=args.dpi)
    console.print(f"written: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_flows(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe flows``: who paid whom over the run."""
    from inverse_qe.teaching.flows import flow_figure

    model = _run_model(args)
    out = _check_out(args.out or Path(f"{model.config.name}_flows.png"), args.force)
    flow_figure(model, out)
    console.print(f"written: {out}")
    return 0


def app_command(host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the dashboard."""
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "inverse_qe.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
    ]
    from inverse_qe.teaching.assets import server_environment

    return command, server_environment()


def cmd_app(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe app``: serve the dashboard until Ctrl-C."""
    host = args.host.strip()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise UserError(f"--host {host!r} is not an IP address or 'localhost'") from None
    if not loopback:
        console.print(
            f"[yellow]warning:[/] listening on {host}: other machines that can reach it can "
            "use the dashboard"
        )
    command, env = app_command(host, args.port)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"the dashboard: http://{shown}:{args.port}   (Ctrl-C to stop)")
    server = subprocess.Popen(command, env=env)

    def stop(signum, frame):  # a SIGTERM stops the server too, as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        console.print("stopped")
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
