"""The ``inverse-qe`` command line (also ``python -m inverse_qe``).

Every command runs behind one front door (:func:`inverse_qe.errors.run_guarded`):
user mistakes (a bad scenario, a bad ``--set``, an output path in the way)
print one clear paragraph and exit with status 2, without a traceback; a bug
prints where its traceback was saved and exits with status 1.

Results go to stdout and everything else (progress, status, warnings, errors)
to stderr (:mod:`inverse_qe.terminal`): piped, tables are plain and never cut;
``--json`` prints a machine-readable summary instead of the tables.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from inverse_qe import __version__
from inverse_qe.errors import EXIT_USAGE, UserError, run_guarded
from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, load
from inverse_qe.scenarios.schema import MAX_SEED, MAX_WEEKS
from inverse_qe.terminal import new_table, print_json, results_console, status_console
from inverse_qe.threads import pin_blas_threads

__all__ = ["EXIT_USAGE", "UserError", "build_parser", "main", "positive_number", "whole_number"]
#: Modules that add subcommands: each has ``register(commands)`` taking the subparsers
#: and setting ``handler=function(args, console) -> int`` on each parser it adds.
COMMAND_MODULES: list[str] = [
    "inverse_qe.scenarios.commands",
    "inverse_qe.experiments.commands",
    "inverse_qe.teaching.commands",
]


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number in ``[minimum, maximum]`` (clear message otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"expected a number <= {maximum}, got {value}")
        return value

    return parse


#: ``--weeks``: at most the schema's longest run.
weeks_option = whole_number(1, MAX_WEEKS)
#: ``--seed``: what the results tables store.
seed_option = whole_number(0, MAX_SEED)


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

    run = commands.add_parser(
        "run",
        help="run one scenario and write its results",
        description="Run one scenario for one seed and write every result file (timeseries.csv,"
        " flows.csv, balances.csv, events.jsonl, summary.json, manifest.json, network.json,"
        " dashboard.png) into a new directory. The summary is printed on stdout (with --json,"
        " as JSON); progress goes to stderr.",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"built-in scenario name or path to a .toml file (default: {DEFAULT_SCENARIO})",
    )
    run.add_argument("--seed", type=seed_option, help="random seed (default: the scenario's)")
    run.add_argument("--weeks", type=weeks_option, help=f"run length in weeks (1 to {MAX_WEEKS})")
    run.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD.PATH=VALUE",
        help="override a scenario field, e.g. --set suppliers.recycling=0.5 (repeatable)",
    )
    run.add_argument("--out", type=Path, help="output directory (default: a new one under runs/)")
    run.add_argument(
        "--force", action="store_true", help="replace an existing --out directory of results"
    )
    run.add_argument(
        "--no-twin",
        action="store_true",
        help="skip the capex twin (the same scenario and seed without AI spending)",
    )
    run.add_argument("--no-figure", action="store_true", help="skip dashboard.png")
    run.add_argument(
        "--flows",
        choices=("full", "sector"),
        default="full",
        help="flows.csv with every flow (full, the default) or with the hedge funds' flows"
        " summed per sector into 'hedge_funds' rows (sector: for large populations, where"
        " full has tens of millions of rows)",
    )
    add_output_options(run, "the summary")
    run.set_defaults(handler=cmd_run)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


def add_output_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json`` and ``--quiet``, as every command that writes results has them."""
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as JSON on stdout (and nothing else there)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress, status or tables: print only where the results are",
    )


def run_output(args: argparse.Namespace, scenario_name: str, seed: int):
    """The run's output directory, checked now, before anything is simulated.

    Without ``--out``: ``runs/<scenario>_seed<seed>`` (the scenario's name made
    safe for a file name), or the next free ``_2``, ``_3``... when the results
    are written, so runs started together never collide.
    """
    from inverse_qe.outputs import OutputDir, inside

    if args.out is not None:
        return OutputDir(args.out, force=args.force)
    return OutputDir(inside(Path("runs"), f"{scenario_name}_seed{seed}"), unique=True)


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe run``: one scenario, one seed, every output file.

    The steps: load, check the output, simulate (progress on stderr), write,
    report on stdout. The dashboard's worker is forked once the input is
    checked and before the model is imported, so matplotlib loads on the other
    core while this one imports the model and simulates.
    """
    from inverse_qe.forking import FigureWorker, can_fork

    scenario = load(args.scenario, args.overrides)
    seed = scenario.run.seed if args.seed is None else args.seed
    target = run_output(args, scenario.name, seed)
    drawer = FigureWorker() if not args.no_figure and can_fork() else None
    try:
        out, headline, elapsed = _simulate_and_write(args, scenario, seed, target, drawer)
    except BaseException:
        if drawer is not None:
            drawer.close()
        raise
    report_run(args, console, headline, elapsed, out)
    return 0


def _simulate_and_write(args, scenario, seed: int, target, drawer):
    """The run and its twin simulated, their files written; (directory, summary, seconds)."""
    from inverse_qe.forking import ForkedTask, can_fork
    from inverse_qe.model.bathtub import BathtubModel
    from inverse_qe.results import summary, write_run
    from inverse_qe.twin import simulate_twin, without_ai_spending

    started = time.perf_counter()
    # The same scenario and seed without AI spending: what AI spending did is the gap.
    # It shares nothing with the run, so it is simulated on the other core meanwhile.
    alongside = (
        ForkedTask(simulate_twin, scenario, seed, args.weeks)
        if (not args.no_twin and can_fork())
        else None
    )
    try:
        model = BathtubModel(scenario, seed=seed, weeks=args.weeks)
        label = f"[bold]{scenario.name}[/] seed {seed}"
        simulate(model, label + (" (and its twin)" if alongside else ""), quiet=args.quiet)
        twin = None
        if alongside is not None:
            twin = alongside.result()
        elif not args.no_twin:
            twin = BathtubModel(without_ai_spending(scenario), seed=seed, weeks=args.weeks)
            simulate(twin, f"{label}, twin", quiet=args.quiet)
    except BaseException:
        if alongside is not None:
            alongside.cancel()
        raise
    elapsed = time.perf_counter() - started
    headline = summary(model, twin)
    out = write_run(
        model,
        target,
        twin=twin,
        extra_manifest={
            "overrides": args.overrides,
            "command": sys.argv,
            "twin": twin is not None,
            "flows": args.flows,
        },
        figure=not args.no_figure,
        figure_in_background=drawer if drawer is not None else True,
        headline=headline,
        flow_detail=args.flows,
    )
    return out, headline, elapsed


def simulate(model, label: str, *, quiet: bool = False) -> None:
    """Step ``model`` to its end with a progress bar on stderr (none when ``quiet``)."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("week {task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=status_console(),
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task("run", total=model.weeks)
        while model.running:
            model.step()
            progress.advance(task)


def report_run(args: argparse.Namespace, console: Console, s: dict, elapsed: float, out) -> None:
    """The run's results on stdout: JSON, the path alone (``--quiet``) or the summary."""
    if args.json:
        print_json(console, {"command": "run", "results": str(out), "summary": s})
    elif args.quiet:
        console.print(str(out), markup=False, highlight=False)
    else:
        _print_summary(console, s, elapsed, out)


def _print_summary(console: Console, s: dict, elapsed: float, out: Path) -> None:
    table = new_table(
        console,
        title=f"{s['scenario']} · seed {s['seed']} · {s['weeks']} weeks",
        title_justify="left",
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
        f"net liquidity: US${s['net_liquidity']['start']:+,.0f}bn at the start, lowest"
        f" US${s['net_liquidity']['min']:+,.0f}bn (week {s['net_liquidity']['min_week']});"
        f" exhausted: week {s['dry_powder_exhausted_week']}"
        if s["dry_powder_exhausted_week"] is not None
        else f"net liquidity: US${s['net_liquidity']['start']:+,.0f}bn at the start, lowest"
        f" US${s['net_liquidity']['min']:+,.0f}bn; never exhausted",
        *_capex_effect_lines(s.get("capex_effect")),
        f"conservation error: {s['conservation_error']:.1e}   simulated in {elapsed:.2f}s",
        f"results: {out}",
    ]
    for line in lines:
        console.print(line)


def _capex_effect_lines(effect: dict | None) -> list[str]:
    """What AI spending did, against the twin (nothing without one)."""
    if effect is None:
        return ["what AI spending did: not measured (--no-twin)"]
    turned = effect["turned_negative_week"]
    per_dollar = effect["per_dollar"]
    return [
        "what AI spending did (against the same seed without it): risk assets"
        f" US${effect['risk_asset_value_gap']:+,.0f}bn at the end"
        + (f", US${per_dollar:+.2f} per US$ spent" if per_dollar is not None else "")
        + f" (the earnings it created US${effect['from_income']:+,.0f}bn,"
        f" moving money US${effect['from_money']:+,.0f}bn)"
        + (
            f"; largest gain US${effect['peak_gap']:+,.0f}bn (week {effect['peak_week']})"
            if effect["peak_gap"] > 0
            else "; never above the world without it"
        )
        + (f"; below zero from week {turned}" if turned is not None else "")
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    console = results_console()
    errors = status_console()
    parser = build_parser()
    args = parser.parse_args(argv)
    pin_blas_threads()

    def report(message: str) -> None:
        errors.print(message, highlight=False, markup=False, style="red")

    return run_guarded(lambda: args.handler(args, console), report)


def console_main() -> None:
    """The ``inverse-qe`` console script: :func:`main`, then a quick exit."""
    from inverse_qe.errors import leave
    from inverse_qe.experiments import pool

    pool.START_EARLY = True  # this process ends with the command (see there)

    leave(main())


if __name__ == "__main__":
    console_main()
