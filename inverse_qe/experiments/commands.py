"""The experiment subcommands: ``compare``, ``sweep``, ``multiplier``, ``regime``.

Registered in :data:`inverse_qe.cli.COMMAND_MODULES`. Heavy imports happen in
the handlers so ``inverse-qe --help`` stays fast.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from rich.console import Console

from inverse_qe.cli import seed_option, weeks_option, whole_number
from inverse_qe.experiments import pool
from inverse_qe.terminal import print_json, status_console


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a capex scale in [0, 1), got {value}")
    return value


def _common(parser: argparse.ArgumentParser, seeds: int) -> None:
    runs = parser.add_argument_group("runs")
    runs.add_argument(
        "--seeds",
        type=whole_number(1),
        metavar="N",
        default=seeds,
        help=f"seeds per scenario or design point (default {seeds}); all share them",
    )
    runs.add_argument(
        "--first-seed", type=seed_option, default=0, metavar="K", help="first seed (default 0)"
    )
    runs.add_argument(
        "--weeks",
        type=weeks_option,
        metavar="N",
        help="run length, 1 to 5200 (default: the scenario's)",
    )
    runs.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD.PATH=VALUE",
        help="override a scenario field in every run (repeatable)",
    )
    execution = parser.add_argument_group("execution and results")
    execution.add_argument(
        "--workers",
        type=whole_number(1),
        metavar="N",
        help="processes (default: all cores; 1 runs in this process)",
    )
    execution.add_argument(
        "--scheduler",
        metavar="local|tcp://HOST:PORT",
        help="run on Dask: 'local' starts a LocalCluster of --workers processes;"
        " an address connects to a running cluster",
    )
    execution.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output directory (default: a new one under experiments/)",
    )
    execution.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted experiment in --out (runs already stored are kept)",
    )
    execution.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier experiment in --out (it is deleted) instead of refusing",
    )
    execution.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    execution.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON on stdout (and nothing else there)",
    )
    execution.add_argument(
        "--quiet",
        action="store_true",
        help="no progress, status or tables: print only where the results are",
    )


def register(commands) -> None:
    """Add the experiment subcommands to the ``inverse-qe`` parser."""
    compare = commands.add_parser(
        "compare",
        help="Monte Carlo comparison of scenarios on common seeds",
        description="Run each scenario on the same seeds and compare headline metrics: the mean"
        " and 95% interval per scenario, and the paired difference to the first scenario with"
        " its interval and p-value. Writes comparison.csv and compare.png (fan charts).",
    )
    compare.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="built-in names or .toml paths (2 or more)"
    )
    _common(compare, seeds=20)
    compare.set_defaults(handler=_pool_first(cmd_compare))

    sweep = commands.add_parser(
        "sweep",
        help="sweep parameters (grid, Latin hypercube, Sobol') with sensitivity indices",
        description="Vary scenario fields over a design and measure the outputs' response."
        " An axis is field.path=LO:HI[:N] (set a number), field.path*=LO:HI[:N] (scale a"
        " number or every point of a time path) or a derived parameter: capex_growth=LO:HI"
        " (annual growth of capex) or dry_powder=LO:HI (investors' initial dry powder, US$bn)."
        " Writes sweep.csv, sweep_points.csv, sweep.png and, with --sample sobol,"
        " sensitivity.csv and sensitivity.png (first- and total-order Sobol' indices).",
    )
    sweep.add_argument("scenario", metavar="SCENARIO", help="built-in name or .toml path")
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="FIELD.PATH=LO:HI[:N]",
        help="a parameter and its range (repeatable); N = grid points (default 5)",
    )
    sweep.add_argument(
        "--sample", choices=["grid", "lhs", "sobol"], default="grid", help="design (default grid)"
    )
    sweep.add_argument(
        "--runs",
        type=whole_number(1),
        metavar="K",
        help="design size: lhs points, or the Sobol' base sample (a power of two: N(d+2)"
        " points); default 32",
    )
    sweep.add_argument(
        "--output",
        dest="outputs",
        action="append",
        metavar="METRIC",
        help="metric to analyse (repeatable), e.g. max_drawdown.crypto, forced_sales.total,"
        " risk_asset_value_change, min_water_level, peak_yield_10y (the default set)",
    )
    sweep.add_argument(
        "--design-seed", type=seed_option, default=0, metavar="SEED", help="seed of the design"
    )
    _common(sweep, seeds=4)
    sweep.set_defaults(handler=_pool_first(cmd_sweep))

    multiplier = commands.add_parser(
        "multiplier",
        help="the capex multiplier on asset prices and the QE-equivalent of capex",
        description="Paired runs on common seeds with the scenario's capex and with capex"
        " scaled down (and to zero): the change in aggregate risk-asset value per dollar of"
        " capex, over the run and week by week, with bootstrap intervals; and the constant QT"
        " pace (US$bn/week) that, added to the run without the extra capex, gives the same"
        " final risk-asset value (root-finding per seed). Writes multiplier*.csv,"
        " qe_equivalent*.csv and multiplier.png.",
    )
    multiplier.add_argument("scenario", metavar="SCENARIO", help="built-in name or .toml path")
    multiplier.add_argument(
        "--scale",
        dest="scales",
        action="append",
        type=_fraction,
        metavar="FACTOR",
        help="capex scale compared with the full path (repeatable; default 0.5 and 0)",
    )
    multiplier.add_argument(
        "--qe-scale",
        type=_fraction,
        metavar="FACTOR",
        help="the scaled-down run the QT pace is added to (default: the smallest --scale)",
    )
    multiplier.add_argument(
        "--no-qe", action="store_true", help="skip the QE-equivalent (no root-finding)"
    )
    multiplier.add_argument(
        "--qe-tolerance",
        type=float,
        metavar="BN",
        default=0.05,
        help="root-finding tolerance, US$bn/week (default 0.05)",
    )
    _common(multiplier, seeds=20)
    multiplier.set_defaults(handler=_pool_first(cmd_multiplier))

    regime = commands.add_parser(
        "regime",
        help="the regime map: where the capex multiplier changes sign",
        description="Over a grid of two parameters (default: capex growth and initial dry"
        " powder), the capex multiplier on risk-asset value (full capex vs --scale) as a heat"
        " map with the boundary where it changes sign. Writes regime.csv and regime.png.",
    )
    regime.add_argument("scenario", metavar="SCENARIO", help="built-in name or .toml path")
    regime.add_argument(
        "--x",
        metavar="FIELD=LO:HI:N",
        help="horizontal axis (default capex_growth=-0.2:0.8:6)",
    )
    regime.add_argument(
        "--y",
        metavar="FIELD=LO:HI:N",
        help="vertical axis (default dry_powder from 0.2x to 3x the scenario's, 6 points)",
    )
    regime.add_argument(
        "--scale",
        type=_fraction,
        metavar="FACTOR",
        default=0.0,
        help="capex scale the full path is compared with (default 0: without capex)",
    )
    _common(regime, seeds=8)
    regime.set_defaults(handler=_pool_first(cmd_regime))


def _pool_first(command):
    """Start the workers' forkserver before the command imports its own modules.

    The forkserver imports the model for the workers (about 0.8 s; with Dask's modules
    for a local Dask cluster, 1.5 s); started first, it does so on another core while
    the command imports pandas and validates its plan, instead of afterwards with every
    other core idle. Not for one local worker (in-process) or a remote Dask scheduler,
    and only in the console script (see :data:`~inverse_qe.experiments.pool.START_EARLY`).
    """

    @functools.wraps(command)
    def handler(args: argparse.Namespace, console: Console) -> int:
        if pool.START_EARLY and (not args.scheduler or args.scheduler == "local"):
            pool.start_forkserver(args.workers, dask=args.scheduler == "local")
        return command(args, console)

    return handler


def _execution(args: argparse.Namespace) -> dict:
    """The engine's options; its progress, status and warnings go to stderr."""
    return {
        "out": args.out,
        "resume": args.resume,
        "force": args.force,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "console": status_console(),
        "quiet": args.quiet,
        "figures": not args.no_figures,
        "command": ["inverse-qe", *sys.argv[1:]],
    }


def _guard(function):
    """Run an experiment; after Ctrl-C or SIGTERM, say how to continue (then stop as asked)."""
    try:
        return function()
    except KeyboardInterrupt:
        status_console().print(
            "[yellow]interrupted:[/] every finished run is stored; continue with the same"
            " command and --resume"
        )
        raise


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe compare A B [C ...]``."""
    from inverse_qe.experiments.comparison import compare, print_comparison

    result = _guard(
        lambda: compare(
            args.scenarios,
            seeds=args.seeds,
            first_seed=args.first_seed,
            weeks=args.weeks,
            overrides=args.overrides,
            **_execution(args),
        )
    )
    if _machine_output(args, console, result, "compare", table=result.table):
        return 0
    print_comparison(console, result.table, args.seeds)
    console.print(f"results: {result.out} (comparison.csv, compare.png, runs/)")
    return 0


def cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe sweep SCENARIO --vary ...``."""
    from inverse_qe.experiments import metrics
    from inverse_qe.experiments.sweeps import print_sweep, sweep

    result = _guard(
        lambda: sweep(
            args.scenario,
            args.vary,
            sample=args.sample,
            runs=args.runs,
            seeds=args.seeds,
            first_seed=args.first_seed,
            weeks=args.weeks,
            overrides=args.overrides,
            outputs=args.outputs,
            design_seed=args.design_seed,
            **_execution(args),
        )
    )
    if _machine_output(
        args, console, result, "sweep", points=result.points, sensitivity=result.sensitivity
    ):
        return 0
    parameters = [c for c in result.points.columns if c not in {"point", "block", "runs"}]
    outputs = args.outputs or metrics.SWEEP_OUTPUTS
    parameters = [
        p for p in parameters if p not in outputs and not p.endswith(("_ci_low", "_ci_high"))
    ]
    print_sweep(console, result, outputs, parameters)
    console.print(f"results: {result.out}")
    return 0


def cmd_multiplier(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe multiplier SCENARIO``."""
    from inverse_qe.experiments.capex_multiplier import multiplier, print_multiplier

    result = _guard(
        lambda: multiplier(
            args.scenario,
            seeds=args.seeds,
            first_seed=args.first_seed,
            scales=args.scales or (0.5, 0.0),
            weeks=args.weeks,
            overrides=args.overrides,
            qe=not args.no_qe,
            qe_scale=args.qe_scale,
            qe_tolerance=args.qe_tolerance,
            **_execution(args),
        )
    )
    if _machine_output(
        args, console, result, "multiplier", overall=result.overall, qe_equivalent=result.qe
    ):
        return 0
    print_multiplier(console, result)
    console.print(f"results: {result.out}")
    return 0


def cmd_regime(args: argparse.Namespace, console: Console) -> int:
    """``inverse-qe regime SCENARIO``."""
    from inverse_qe.experiments.regime_map import print_regime, regime

    result = _guard(
        lambda: regime(
            args.scenario,
            x=args.x,
            y=args.y,
            seeds=args.seeds,
            first_seed=args.first_seed,
            scale=args.scale,
            weeks=args.weeks,
            overrides=args.overrides,
            **_execution(args),
        )
    )
    if _machine_output(args, console, result, "regime", grid=result.grid):
        return 0
    print_regime(console, result)
    console.print(f"results: {result.out}")
    return 0


def _machine_output(args: argparse.Namespace, console: Console, result, command: str, **data):
    """``--json`` (the results as JSON) or ``--quiet`` (the directory alone); True if printed."""
    if args.json:
        print_json(
            console,
            {
                "command": command,
                "results": str(result.out),
                "warnings": list(getattr(result, "warnings", [])),
                **data,
            },
        )
        return True
    if args.quiet:
        console.print(str(result.out), markup=False, highlight=False)
        return True
    return False
