"""Parameter sweeps: grid or quasi-random designs, response curves, Sobol' indices.

A design is a set of points in the space of the varied parameters (see
:mod:`inverse_qe.experiments.parameters` for what can be varied); every point
runs on the same seeds (common random numbers), so differences between points
are the parameters' doing. Designs:

* ``grid``: every combination of each axis's ``N`` values (default 5);
* ``lhs``: a Latin hypercube of ``runs`` points (scipy.stats.qmc);
* ``sobol``: Saltelli's design for Sobol' indices: two scrambled Sobol'
  matrices A and B of ``runs`` points (a power of two) and, per parameter, A
  with that parameter's column taken from B: ``runs × (d + 2)`` points. First
  and total-order indices of each output (its mean over seeds at a point) come
  from :func:`scipy.stats.sobol_indices`, with bootstrap intervals.

Outputs: ``sweep.csv`` (one row per run: parameters, seed, every metric),
``sweep_points.csv`` (per point: parameters and each output's mean and 95%
interval over seeds), ``sweep.png`` (response curves) and, for ``sobol``,
``sensitivity.csv`` and ``sensitivity.png`` (tornado chart).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inverse_qe.experiments import metrics as mx
from inverse_qe.experiments.engine import Experiment, PlannedRun, make_options, seed_list
from inverse_qe.experiments.parameters import Axis, parse_axis, point_overrides
from inverse_qe.experiments.runs import ScenarioSource, execute_run, make_spec
from inverse_qe.experiments.stats import mean_interval, sample_warnings
from inverse_qe.experiments.store import ExperimentError, Results, load, write_csv

SAMPLES = ("grid", "lhs", "sobol")


@dataclass
class Sweep:
    """A finished sweep: per-run table, per-point table, Sobol' indices (or ``None``)."""

    out: Path
    table: pd.DataFrame
    points: pd.DataFrame
    sensitivity: pd.DataFrame | None
    results: Results
    warnings: list[str] = field(default_factory=list)


@dataclass
class Design:
    """Points of a design: values ``(P, d)``, each point's block (``grid``, ``A``, ``AB1``...)."""

    values: np.ndarray
    blocks: list[str]
    index: list[int]
    n: int  # base sample size (Sobol': the size of A and B)


def make_design(axes: list[Axis], sample: str, runs: int | None, seed: int = 0) -> Design:
    """The design's points, in plan order."""
    from scipy.stats import qmc

    d = len(axes)
    if sample == "grid":
        grids = [a.grid(default=runs or 5) for a in axes]
        values = np.array(list(itertools.product(*grids)), dtype=float).reshape(-1, d)
        return Design(values, ["grid"] * len(values), list(range(len(values))), len(values))
    if sample == "lhs":
        n = runs or 32
        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
        values = np.column_stack([a.at(unit[:, i]) for i, a in enumerate(axes)])
        return Design(values, ["lhs"] * n, list(range(n)), n)
    if sample == "sobol":
        n = runs or 32
        if n & (n - 1):
            raise ExperimentError(f"--runs {n}: a Sobol' design needs a power of two (e.g. 32, 64)")
        # As scipy.stats.sobol_indices does: one Sobol' sequence of 2d columns gives A and B.
        unit = qmc.Sobol(d=2 * d, rng=np.random.default_rng(seed), bits=64).random(n)
        a_unit, b_unit = unit[:, :d], unit[:, d:]
        blocks, index, rows = [], [], []
        for name, matrix in (("A", a_unit), ("B", b_unit)):
            rows.append(matrix)
            blocks += [name] * n
            index += list(range(n))
        for i in range(d):
            ab = a_unit.copy()
            ab[:, i] = b_unit[:, i]
            rows.append(ab)
            blocks += [f"AB{i}"] * n
            index += list(range(n))
        unit = np.vstack(rows)
        values = np.column_stack([a.at(unit[:, i]) for i, a in enumerate(axes)])
        return Design(values, blocks, index, n)
    raise ExperimentError(f"--sample {sample!r}: expected one of {', '.join(SAMPLES)}")


def known_metrics(source: ScenarioSource, overrides: Sequence[str]) -> list[str]:
    """Metric names a run of this scenario reports (from a one-week run)."""
    from inverse_qe.experiments.runs import make_spec as spec_of

    outcome = execute_run(spec_of(source, overrides, 0, 1))
    if not outcome.ok:
        raise ExperimentError(f"{source.label}: cannot run: {outcome.error}")
    return list(outcome.metrics)


def sweep(
    scenario: str,
    vary: Sequence[str | Axis],
    *,
    sample: str = "grid",
    runs: int | None = None,
    seeds: int | Sequence[int] = 4,
    first_seed: int = 0,
    weeks: int | None = None,
    overrides: Sequence[str] = (),
    outputs: Sequence[str] | None = None,
    design_seed: int = 0,
    out: str | Path | None = None,
    **execution: Any,
) -> Sweep:
    """Sweep a scenario's parameters and measure the outputs' response.

    Args:
        scenario: built-in name or ``.toml`` path.
        vary: axes, ``field.path=LO:HI[:N]``, ``field.path*=LO:HI[:N]``,
            ``capex_growth=LO:HI[:N]`` or ``dry_powder=LO:HI[:N]``.
        sample: ``grid``, ``lhs`` or ``sobol``.
        runs: design size: ``lhs`` points, ``sobol`` base sample (power of two),
            or the default points per axis of a ``grid``.
        seeds: seeds per design point (count or list), shared by every point.
        first_seed: the first seed when ``seeds`` is a count.
        weeks: run length (default: the scenario's).
        overrides: ``field.path=value`` applied before the axes.
        outputs: metrics to analyse (default: ``metrics.SWEEP_OUTPUTS``).
        design_seed: seed of the quasi-random design and the bootstrap.
        out: output directory.
        **execution: :class:`~inverse_qe.experiments.engine.Options` fields.
    """
    if not vary:
        raise ExperimentError("sweep: give at least one --vary field.path=LO:HI[:N]")
    if sample not in SAMPLES:
        raise ExperimentError(f"--sample {sample!r}: expected one of {', '.join(SAMPLES)}")
    seed_values = seed_list(seeds, first_seed)
    stem = f"sweep_{Path(scenario).stem}_{sample}"
    options = make_options(stem, out, **execution)
    request = {
        "scenario": str(scenario),
        "vary": [a if isinstance(a, str) else a.describe() for a in vary],
        "sample": sample,
        "runs": runs,
        "seeds": seed_values,
        "weeks": weeks,
        "overrides": list(overrides),
        "outputs": list(outputs) if outputs else None,
        "design_seed": design_seed,
    }
    with Experiment("sweep", request, options) as experiment:
        source = experiment.sources.get(str(scenario))
        source.scenario(tuple(overrides))
        axes = [a if isinstance(a, Axis) else parse_axis(a, source) for a in vary]
        names = [a.label for a in axes]
        if len(set(names)) != len(names):
            raise ExperimentError("sweep: an axis is given twice")
        chosen = list(outputs) if outputs else list(mx.SWEEP_OUTPUTS)
        available = known_metrics(source, overrides)
        unknown = [o for o in chosen if o not in available]
        if unknown:
            raise ExperimentError(
                f"--output {', '.join(unknown)}: no such metric; choose from {', '.join(available)}"
            )
        design = make_design(axes, sample, runs, design_seed)
        plan, invalid = _plan(source, axes, design, seed_values, weeks, list(overrides))
        if invalid:
            shown = "; ".join(invalid[:5]) + (
                f"; and {len(invalid) - 5} more" if len(invalid) > 5 else ""
            )
            raise ExperimentError(f"sweep: some design points are not valid scenarios: {shown}")
        points = len(design.values)
        runner = experiment.start(
            plan, f"sweep · {points} points × {len(seed_values)} seeds ({sample})"
        )
        runner.run(p.spec for p in plan)
        experiment.require_some_runs("sweep")
        experiment.release_workers()
        warned = experiment.warn(
            sample_warnings(len(seed_values), sobol_n=design.n if sample == "sobol" else None)
        )
        experiment.say("analysing...", style="dim")
        results = load(options.out, timeseries=False)
        table = sweep_table(results, names)
        write_csv(table, options.out / "sweep.csv", float_format="%.10g")
        point_table = points_table(table, names, chosen)
        write_csv(point_table, options.out / "sweep_points.csv", float_format="%.10g")
        written = ["sweep.csv", "sweep_points.csv"]
        sensitivity = None
        if sample == "sobol":
            sensitivity = sobol_table(table, names, chosen, design.n, design_seed)
            write_csv(sensitivity, options.out / "sensitivity.csv", float_format="%.6g")
            written.append("sensitivity.csv")
        if options.figures and len(table.dropna(subset=[chosen[0]])):
            title = (
                f"{source.label}: response of the outputs to {', '.join(names)}"
                f" ({sample}, {points} points × {len(seed_values)} seeds)"
            )
            experiment.draw(
                "response_curves",
                table,
                names,
                chosen,
                options.out / "sweep.png",
                title,
                warned,
                design=sample,
            )
            written.append("sweep.png")
            if sensitivity is not None and sensitivity["total_order"].notna().any():
                experiment.draw(
                    "tornado",
                    sensitivity,
                    options.out / "sensitivity.png",
                    f"{source.label}: Sobol' sensitivity indices"
                    f" (n = {design.n}, {points} points × {len(seed_values)} seeds)",
                    warned,
                )
                written.append("sensitivity.png")
        experiment.finish(written)
        experiment.report_failures()
    return Sweep(options.out, table, point_table, sensitivity, results, warned)


def _plan(
    source: ScenarioSource,
    axes: list[Axis],
    design: Design,
    seeds: list[int],
    weeks: int | None,
    overrides: list[str],
) -> tuple[list[PlannedRun], list[str]]:
    from inverse_qe.scenarios.loader import ScenarioError

    plan, invalid = [], []
    for point, values in enumerate(design.values):
        described = ", ".join(f"{a.label}={v:g}" for a, v in zip(axes, values, strict=True))
        try:
            point_ov = point_overrides(source, axes, list(values), overrides)
            run_weeks = weeks if weeks is not None else source.scenario(point_ov).run.weeks
        except (ScenarioError, ExperimentError) as error:
            invalid.append(f"{described}: {str(error).splitlines()[-1].strip(' -')}")
            continue
        role = {
            "point": point,
            "block": design.blocks[point],
            "index": design.index[point],
            **{a.label: float(v) for a, v in zip(axes, values, strict=True)},
        }
        for seed in seeds:
            plan.append(
                PlannedRun(make_spec(source, point_ov, seed, run_weeks), {**role, "seed": seed})
            )
    return plan, invalid


def sweep_table(results: Results, parameters: list[str]) -> pd.DataFrame:
    """One row per planned run: point, block, parameters, seed, status and every metric."""
    runs = results.runs[results.runs["point"].notna()]
    keep = ["run_id", "point", "block", "index", *parameters, "seed", "status"]
    planned = runs[keep].copy()
    planned["point"] = planned["point"].astype(int)
    metrics = results.summaries.drop(
        columns=["seed", "scenario", "weeks", "overrides"], errors="ignore"
    )
    if "run_id" not in metrics:
        metrics = pd.DataFrame({"run_id": pd.Series(dtype=str)})
    return planned.merge(metrics, on="run_id", how="left")


def points_table(table: pd.DataFrame, parameters: list[str], outputs: list[str]) -> pd.DataFrame:
    """Per design point: the parameters and each output's mean and 95% interval over seeds."""
    rows = []
    for point, group in table.groupby("point", sort=True):
        row: dict[str, Any] = {"point": point, "block": group["block"].iloc[0]}
        row |= {p: group[p].iloc[0] for p in parameters}
        row["runs"] = int((group["status"] == "done").sum())
        for output in outputs:
            s = mean_interval(group[output].to_numpy())
            row |= {
                f"{output}": s["mean"],
                f"{output}_ci_low": s["ci_low"],
                f"{output}_ci_high": s["ci_high"],
            }
        rows.append(row)
    return pd.DataFrame(rows)


@contextlib.contextmanager
def _global_generator_seeded(seed: int) -> Iterator[None]:
    """Seed numpy's global generator with ``seed`` for a while, then put it back.

    :meth:`scipy.stats._sensitivity_analysis.SobolResult.bootstrap` takes no generator:
    it resamples with numpy's global one, which nothing seeds. Unseeded, two analyses
    of the same runs gave different intervals (found comparing a sweep on one worker
    with the same sweep on two).
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def sobol_table(
    table: pd.DataFrame, parameters: list[str], outputs: list[str], n: int, seed: int = 0
) -> pd.DataFrame:
    """First- and total-order Sobol' indices with 95% bootstrap intervals, per output.

    The same runs give the same table: the bootstrap is seeded with ``seed`` (see
    :func:`_global_generator_seeded`).
    """
    from scipy.stats import sobol_indices

    means = table.groupby(["block", "index"])[outputs].mean()
    d = len(parameters)
    rows = []
    for output in outputs:

        def block(name: str, output: str = output) -> np.ndarray:
            return means.loc[name][output].reindex(range(n)).to_numpy(dtype=float)

        f_a, f_b = block("A"), block("B")
        f_ab = np.stack([block(f"AB{i}") for i in range(d)])
        result: dict[str, np.ndarray] = {}
        problem = None
        if not (np.isfinite(f_a).all() and np.isfinite(f_b).all() and np.isfinite(f_ab).all()):
            problem = "missing runs"
        elif np.var(np.concatenate([f_a, f_b])) == 0:
            problem = "the output does not vary"
        if problem is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                indices = sobol_indices(
                    func={"f_A": f_a[None, :], "f_B": f_b[None, :], "f_AB": f_ab[:, None, :]},
                    n=n,
                    rng=np.random.default_rng(seed),
                )
                with _global_generator_seeded(seed):
                    boot = indices.bootstrap(confidence_level=0.95, n_resamples=999)
            result = {
                "first_order": np.ravel(indices.first_order),
                "total_order": np.ravel(indices.total_order),
                "first_low": np.ravel(boot.first_order.confidence_interval.low),
                "first_high": np.ravel(boot.first_order.confidence_interval.high),
                "total_low": np.ravel(boot.total_order.confidence_interval.low),
                "total_high": np.ravel(boot.total_order.confidence_interval.high),
            }
        for i, parameter in enumerate(parameters):
            row = {"output": output, "parameter": parameter}
            for key in (
                "first_order",
                "first_low",
                "first_high",
                "total_order",
                "total_low",
                "total_high",
            ):
                row[key] = float(result[key][i]) if result else math.nan
            row["note"] = problem or _noise_note(row)
            rows.append(row)
    return pd.DataFrame(rows)


def _noise_note(row: dict) -> str:
    """Say when an index is impossible as a share of variance: estimation noise, not a finding."""
    first, total = row["first_order"], row["total_order"]
    if min(first, total) < 0:
        return "negative index: estimation noise (more runs needed)"
    if first > total:
        return "first order above total order: estimation noise (more runs needed)"
    return ""


def print_sweep(console, result: Sweep, outputs: list[str], parameters: list[str]) -> None:
    """The per-point table (first 25 points) and the Sobol' indices, if any."""
    from inverse_qe.terminal import new_table

    points = result.points
    view = new_table(
        console, title=f"{len(points)} design points (mean over seeds)", title_justify="left"
    )
    for p in parameters:
        view.add_column(p, justify="right")
    for o in outputs:
        view.add_column(mx.label(o), justify="right")
    for _, row in points.head(25).iterrows():
        view.add_row(*[f"{row[p]:.4g}" for p in parameters], *[mx.fmt(o, row[o]) for o in outputs])
    console.print(view)
    if len(points) > 25:
        console.print(f"... {len(points) - 25} more in sweep_points.csv")
    if result.sensitivity is not None:
        sens = new_table(
            console,
            title="Sobol' indices: share of each output's variance (95% bootstrap interval)",
            title_justify="left",
        )
        sens.add_column("output")
        sens.add_column("parameter")
        sens.add_column("first order", justify="right")
        sens.add_column("total order", justify="right")
        for _, row in result.sensitivity.iterrows():
            sens.add_row(
                mx.label(row["output"]),
                row["parameter"],
                f"{row['first_order']:.2f} [{row['first_low']:.2f}, {row['first_high']:.2f}]",
                f"{row['total_order']:.2f} [{row['total_low']:.2f}, {row['total_high']:.2f}]",
            )
        console.print(sens)
