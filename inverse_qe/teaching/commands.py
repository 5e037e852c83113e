"""Teaching subcommands: ``explain``, ``animate``, ``flows`` and ``app``.

Heavy libraries (matplotlib, solara) are imported inside the handlers, so
``inverse-qe --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from inverse_qe.cli import UserError, positive_number, seed_option, weeks_option, whole_number
from inverse_qe.outputs import OutputFile, inside
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
        metavar="SCENARIO|RUN_DIR",
        help="built-in scenario name, path to a .toml file, or a directory `inverse-qe run`"
        f" wrote (read, not run again) (default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument("--seed", type=seed_option, help="random seed (default: the scenario's)")
    parser.add_argument("--weeks", type=weeks_option, help="run length in weeks (1 to 5200)")
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
    explain.add_argument(
        "--no-twin",
        action="store_true",
        help="skip the twin without AI spending (then no stimulus or drain is named)",
    )
    explain.add_argument("--force", action="store_true", help="overwrite an existing --out file")
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
    flows.add_argument(
        "--out", type=Path, help="output image, .png, .svg or .pdf (default: <scenario>_flows.png)"
    )
    flows.add_argument("--force", action="store_true", help="overwrite an existing file")
    flows.set_defaults(handler=cmd_flows)

    app = commands.add_parser(
        "app",
        help="start the interactive dashboard in the browser",
        description="Serve the classroom dashboard (Solara around the Mesa model; needs the viz"
        " extra). It listens on 127.0.0.1 "
        "only, unless --host says otherwise.",
    )
    app.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    app.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)"
    )
    app.set_defaults(handler=cmd_app)


def _recorded(args: argparse.Namespace):
    """The run in ``args.scenario`` if it names a run directory (``None`` for a scenario)."""
    from inverse_qe.recorded import is_run_directory, read_run

    if hasattr(args, "recorded_run"):
        return args.recorded_run
    if not is_run_directory(args.scenario):
        return None
    given = [
        option
        for option, value in (("--seed", args.seed), ("--weeks", args.weeks), ("--set", None))
        if value is not None or (option == "--set" and args.overrides)
    ]
    if given:
        raise UserError(
            f"{args.scenario} is a run directory, read as it was written: {', '.join(given)}"
            " apply to a scenario that is run (give its name or .toml file instead)"
        )
    args.recorded_run = read_run(args.scenario)
    return args.recorded_run


def _scenario(args: argparse.Namespace):
    """The scenario to run, or the scenario a run directory recorded."""
    recorded = _recorded(args)
    return recorded.scenario if recorded is not None else load(args.scenario, args.overrides)


def _run_model(args: argparse.Namespace, scenario=None):
    """The finished model: read from a run directory, or run now (progress on stderr)."""
    recorded = _recorded(args)
    if recorded is not None:
        return recorded.model
    from inverse_qe.cli import simulate
    from inverse_qe.model.bathtub import BathtubModel

    scenario = _scenario(args) if scenario is None else scenario
    model = BathtubModel(scenario, seed=args.seed, weeks=args.weeks)
    simulate(model, f"simulating [bold]{scenario.name}[/]", quiet=getattr(args, "quiet", False))
    return model


def _default_file(scenario_name: str, what: str, suffix: str) -> Path:
    """``<scenario>_<what><suffix>`` in the working directory, from the name made safe."""
    return inside(Path(), f"{scenario_name}_{what}{suffix}")


def cmd_explain(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe explain``: the run's story, on screen or as Markdown."""
    from inverse_qe.teaching.narrative import render_markdown, render_text, tell

    target = None if args.out is None else OutputFile(args.out, force=args.force)
    model = _run_model(args)
    effect = None
    if "capex_effect" in model.recorder.index:  # a run directory written with its twin
        effect = model.recorder.series("capex_effect")
    elif not args.no_twin:
        from inverse_qe.model.bathtub import BathtubModel
        from inverse_qe.twin import capex_effect, without_ai_spending

        twin = BathtubModel(without_ai_spending(model.config), seed=model.seed, weeks=model.weeks)
        effect = capex_effect(model, twin.run())
    # A run directory's summary already holds the watch-list, measured on the full flows.
    watch = getattr(model, "summary", {}).get("watch_list")
    story = tell(model, effect, watch)
    if args.format == "markdown":
        text = render_markdown(story, detail=args.detail)
        if target is None:
            console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
            return 0
        target.write_text(text)
    elif target is None:
        render_text(story, console, detail=args.detail)
        return 0
    else:
        with target.writing() as temporary, open(temporary, "w", encoding="utf-8") as handle:
            render_text(story, Console(file=handle, width=100, no_color=True), detail=args.detail)
    console.print(f"written: {target.path}")
    return 0


def cmd_animate(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe animate``: the bathtub picture as an animation or a still."""
    scenario = _scenario(args)
    from matplotlib.animation import writers  # lazy: matplotlib, after the scenario's checks

    from inverse_qe.teaching.tub import animate, tub_figure

    out = args.out or _default_file(scenario.name, "tub", ".gif")
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4", *STILL_SUFFIXES):
        raise UserError(f"--out {out}: write a .gif or .mp4 (animation) or .png, .svg, .pdf")
    if suffix == ".mp4" and not writers.is_available("ffmpeg"):
        raise UserError("--out .mp4 needs ffmpeg on the PATH, which is missing; use a .gif")
    if args.week is not None and suffix not in STILL_SUFFIXES:
        raise UserError("--week draws a still: give a .png, .svg or .pdf --out")
    target = OutputFile(out, force=args.force)
    model = _run_model(args, scenario)
    if suffix in STILL_SUFFIXES:
        week = model.week if args.week is None else args.week
        if week > model.week:
            raise UserError(f"--week {week}: the run has weeks 0-{model.week}")
        with target.writing() as temporary:
            tub_figure(model, week=week, out=temporary, dpi=max(args.dpi, 100.0))
        console.print(f"written: {out} (week {week})")
        return 0
    with _frames_progress() as progress, target.writing() as tmp:
        animate(model, tmp, every=args.every, fps=args.fps, dpi=args.dpi, progress=progress)
    console.print(f"written: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


@contextlib.contextmanager
def _frames_progress():
    """A progress bar on stderr for the frames of an animation; yields ``update(done, total)``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from inverse_qe.terminal import status_console

    with Progress(
        TextColumn("drawing frames"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=status_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("frames", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def cmd_flows(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe flows``: who paid whom over the run."""
    scenario = _scenario(args)
    out = args.out or _default_file(scenario.name, "flows", ".png")
    target = OutputFile(out, force=args.force, suffixes=STILL_SUFFIXES)
    from inverse_qe.teaching.flows import flow_figure  # lazy: matplotlib, after the checks

    model = _run_model(args, scenario)
    with target.writing() as temporary:
        flow_figure(model, temporary)
    console.print(f"written: {out}")
    return 0


def app_command(host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the dashboard.

    The server runs under :mod:`inverse_qe.lifeline`, bound to this process: it
    stops when this process dies, however it dies.
    """
    command = [
        sys.executable,
        "-m",
        "inverse_qe.lifeline",
        str(os.getpid()),
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


def check_port(host: str, port: int) -> None:
    """Refuse a port that another program already listens on (before saying where to go)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(
                    f"--port {port}: another program already listens on {host}:{port};"
                    " choose another --port"
                ) from None
            raise UserError(
                f"--host {host} --port {port}: cannot listen there ({error.strerror})"
            ) from None


def check_dashboard_installed() -> None:
    """Refuse to start without the ``viz`` extra (Solara), saying how to install it."""
    import importlib.util

    if importlib.util.find_spec("solara") is None:
        raise UserError(
            "the dashboard needs the optional viz part of inverse-qe (Solara), which is not"
            " installed: pip install 'inverse-qe[viz]' (or make test, which installs it)"
        )


def missing_front_end() -> str | None:
    """A warning if Solara's browser code is not cached (offline, the page would stay blank)."""
    from inverse_qe.teaching import assets

    missing = assets.missing()
    if not missing:
        return None
    names = ", ".join(f"{p}@{v}" for p, v in missing)
    return (
        f"Solara's browser code is not cached in {assets.cache_dir()} (missing {names}). The"
        " browser will fetch it from a CDN the first time; without internet access the page"
        " stays blank. To cache it (needs npm): python -m inverse_qe.teaching.assets"
    )


def cmd_app(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe app``: serve the dashboard until Ctrl-C."""
    from inverse_qe.terminal import status_console

    check_dashboard_installed()
    status = status_console()
    host = args.host.strip()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise UserError(f"--host {host!r} is not an IP address or 'localhost'") from None
    check_port("127.0.0.1" if host == "localhost" else host, args.port)
    if not loopback:
        status.print(
            f"[yellow]warning:[/] listening on {host}: other machines that can reach it can "
            "use the dashboard"
        )
    warning = missing_front_end()
    if warning:
        status.print(f"[yellow]warning:[/] {warning}", highlight=False)
    command, env = app_command(host, args.port)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"the dashboard: http://{shown}:{args.port}   (Ctrl-C to stop)")
    server = subprocess.Popen(command, env=env)

    def stop(signum, frame):  # a SIGTERM stops the server too, as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        code = server.wait()
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
    if code != 0:
        Console(stderr=True).print(
            f"the dashboard's server stopped with status {code} (its messages are above)",
            style="red",
            highlight=False,
        )
        return 1
    return 0
