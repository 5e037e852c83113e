"""The ``inverse-qe`` command line.

User mistakes (a bad scenario, a bad ``--set``, an output directory in the way)
print one clear paragraph and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from inverse_qe import __version__
from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, ScenarioError, load

EXIT_USAGE = 2
#: Modules that add subcommands: each has ``register(commands)`` taking the subparsers
#: and setting ``handler=function(args, console) -> int`` on each parser it adds.
COMMAND_MODULES: list[str] = [
    "inverse_qe.scenarios.commands",
    "inverse_qe.experiments.commands",
    "inverse_qe.teaching.commands",
]


class UserError(Exception):
    """A mistake in what the user asked for: reported in one paragraph, exit status 2."""


def whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum`` (clear message otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


def positive_number(text: str) -> float:
    """An argparse type: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="inverse-qe",
        description="An agent-based model of liquidity: AI capex as QE in reverse.",
    )
    parser.add_argument("--version", action="version", version=f"inverse-qe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and write its results")
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"built-in scenario name or path to a .toml file (default: {DEFAULT_SCENARIO})",
    )
    run.add_argument("--seed", type=whole_number(0), help="random seed (default: the scenario's)")
    run.add_argument("--weeks", type=whole_number(1), help="run length in weeks")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD.PATH=VALUE",
        help="override a scenario field, e.g. --set suppliers.recycling=0.5 (repeatable)",
    )
    run.add_argument("--out", type=Path, help="output directory (default: a new one under runs/)")
    run.add_argument("--no-figure", action="store_true", help="skip dashboard.png")
    run.add_argument("--quiet", action="store_true", help="no progress bar or table")
    run.set_defaults(handler=cmd_run)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def _default_out(name: str, seed: int) -> Path:
    base = Path("runs") / f"{name}_seed{seed}"
    out, n = base, 1
    while out.exists() and (not out.is_dir() or any(out.iterdir())):
        n += 1
        out = base.with_name(f"{base.name}_{n}")
    return out


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe run``: one scenario, one seed, every output file."""
    from inverse_qe.model.bathtub import BathtubModel
    from inverse_qe.results import check_output_dir, summary, write_run

    scenario = load(args.scenario, args.overrides)
    seed = scenario.run.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else _default_out(scenario.name, seed)
    try:
        check_output_dir(out)
    except FileExistsError as error:
        raise UserError(str(error)) from None
    started = time.perf_counter()
    model = BathtubModel(scenario, seed=seed, weeks=args.weeks)
    with Progress(
        TextColumn(f"[bold]{scenario.name}[/] seed {seed}"),
        BarColumn(),
        TextColumn("week {task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("run", total=model.weeks)
        while model.running:
            model.step()
            progress.advance(task)
    elapsed = time.perf_counter() - started
    write_run(
        model,
        out,
        extra_manifest={"overrides": args.overrides, "command": sys.argv},
        figure=not args.no_figure,
    )
    if not args.quiet:
        _print_summary(console, summary(model), elapsed, out)
    return 0


def _print_summary(console: Console, s: dict, elapsed: float, out: Path) -> None:
    table = Table(
        title=f"{s['scenario']} · seed {s['seed']} · {s['weeks']} weeks", title_justify="left"
    )
    table.add_column("asset")
    table.add_column("total return", justify="right")
    table.add_column("max drawdown", justify="right")
    for asset, metrics in sorted(s["assets"].items(), key=lambda kv: kv[1]["total_return"]):
        ret = metrics["total_return"]
        style = "red" if ret < 0 else "green"
        table.add_row(asset, f"[{style}]{ret:+.1%}[/]", f"{metrics['max_drawdown']:.1%}")
    console.print(table)
    exhausted = ", ".join(
        f"{name} week {week}" if week is not None else f"{name} never"
        for name, week in s["dry_powder_exhausted"].items()
    )
    cascade = s["largest_cascade"]
    lines = [
        f"dry powder exhausted: {exhausted}",
        f"water level: min US${s['min_water_level']:,.0f}bn (week {s['min_water_level_week']}),"
        f" change US${s['water_level_change']:+,.0f}bn",
        f"forced sales: US${s['forced_sales']['total']:,.0f}bn "
        + ", ".join(f"{k} {v:,.0f}" for k, v in s["forced_sales"].items() if k != "total"),
        "largest cascade: "
        + (
            "none"
            if cascade is None
            else f"US${cascade['size']:,.1f}bn, {cascade['sales']} sales, depth {cascade['depth']},"
            f" weeks {cascade['first_week']}-{cascade['last_week']}"
        ),
        f"10y yield: peak {s['peak_yield_10y']:.2%} (change {s['yield_10y_change'] * 1e4:+.0f}bp);"
        f" bond spread: peak {s['peak_bond_spread']:.2%}"
        f" (change {s['bond_spread_change'] * 1e4:+.0f}bp)",
        f"conservation error: {s['conservation_error']:.1e}   simulated in {elapsed:.2f}s",
        f"results: {out}",
    ]
    for line in lines:
        console.print(line)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    console = Console(stderr=False, soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args, console)
    except ScenarioError as error:
        errors.print(f"error: {error}", highlight=False, markup=False, style="red")
    except UserError as error:
        errors.print(f"error: {error}", highlight=False, markup=False, style="red")
    except KeyboardInterrupt:
        errors.print("interrupted: nothing was written")
        return 130
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
