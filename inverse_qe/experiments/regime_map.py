"""The regime map: where over (capex growth, initial dry powder) capex lifts or drains prices.

At every point of a grid over two parameters (default: ``capex_growth`` and
``dry_powder``; any axis a sweep accepts works), paired runs on common seeds
with the capex path as set and scaled down (default: to zero) give the capex
multiplier on risk-asset value over the run (as in
:mod:`inverse_qe.experiments.capex_multiplier`), with a bootstrap interval. The map
draws its sign and size as a heat map, the boundary where it changes sign as a
contour, and marks the points whose interval excludes zero. The grid values are
in ``regime.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inverse_qe.experiments.capex_multiplier import capex_overrides
from inverse_qe.experiments.engine import Experiment, PlannedRun, make_options, seed_list
from inverse_qe.experiments.parameters import (
    Axis,
    apply,
    initial_dry_powder,
    lookup,
    max_dry_powder,
    parse_axis,
    point_overrides,
)
from inverse_qe.experiments.runs import ScenarioSource, make_spec
from inverse_qe.experiments.stats import (
    bootstrap_interval,
    enough_seeds,
    ratio_of_means,
    sample_warnings,
)
from inverse_qe.experiments.store import ExperimentError, Results, load, write_csv


@dataclass
class RegimeMap:
    """A finished regime map: one row per grid point."""

    out: Path
    grid: pd.DataFrame
    x: str
    y: str
    scenario_point: tuple[float, float] | None
    results: Results
    warnings: list[str] = field(default_factory=list)


def scenario_growth(source: ScenarioSource, overrides: Sequence[str]) -> float:
    """The scenario's own capex growth over its first year (for marking it on the map)."""
    path = lookup(apply(source, list(overrides)), "hyperscalers.capex")
    config = source.scenario(tuple(overrides))
    from inverse_qe.model.paths import weekly

    values = weekly(path, config.run.start_date, 52)
    return float(values[52] / values[0] - 1) if values[0] > 0 else math.nan


def default_axes(source: ScenarioSource, overrides: Sequence[str]) -> tuple[str, str]:
    """Default x and y: capex growth -20% to +80% a year; dry powder 0.2x to 3x (if possible)."""
    total = sum(initial_dry_powder(source, list(overrides)).values())
    most = 0.95 * max_dry_powder(source, list(overrides))
    low, high = round(0.2 * total, -1), round(min(3.0 * total, most), -1)
    return "capex_growth=-0.2:0.8:6", f"dry_powder={low:g}:{high:g}:6"


def _own_value(axis: Axis, source: ScenarioSource, overrides: Sequence[str]) -> float:
    if axis.name == "capex_growth":
        return scenario_growth(source, overrides)
    if axis.name == "dry_powder":
        return sum(initial_dry_powder(source, list(overrides)).values())
    if axis.kind == "scale":
        return 1.0
    return float(lookup(apply(source, list(overrides)), axis.name))


def regime(
    scenario: str,
    *,
    x: str | None = None,
    y: str | None = None,
    seeds: int | Sequence[int] = 8,
    first_seed: int = 0,
    scale: float = 0.0,
    weeks: int | None = None,
    overrides: Sequence[str] = (),
    out: str | Path | None = None,
    **execution: Any,
) -> RegimeMap:
    """Map the sign and size of the capex multiplier over a grid of two parameters.

    Args:
        scenario: built-in name or ``.toml`` path.
        x: horizontal axis ``NAME=LO:HI:N`` (default ``capex_growth=-0.2:0.8:6``).
        y: vertical axis (default ``dry_powder`` from 0.2x to 3x the scenario's).
        seeds: seeds per grid point (count or list).
        first_seed: the first seed when ``seeds`` is a count.
        scale: the capex scale the full path is compared with (0: without capex).
        weeks: run length (default: the scenario's).
        overrides: ``field.path=value`` applied before the axes.
        out: output directory.
        **execution: :class:`~inverse_qe.experiments.engine.Options` fields.
    """
    seed_values = seed_list(seeds, first_seed)
    if not 0 <= scale < 1:
        raise ExperimentError(f"--scale: expected a factor in [0, 1), got {scale}")
    options = make_options(f"regime_{Path(scenario).stem}", out, **execution)
    request = {
        "scenario": str(scenario),
        "x": x,
        "y": y,
        "seeds": seed_values,
        "scale": scale,
        "weeks": weeks,
        "overrides": list(overrides),
    }
    with Experiment("regime", request, options) as experiment:
        source = experiment.sources.get(str(scenario))
        config = source.scenario(tuple(overrides))
        default_x, default_y = default_axes(source, overrides)
        x_axis = parse_axis(x or default_x, source)
        y_axis = parse_axis(y or default_y, source)
        if x_axis.label == y_axis.label:
            raise ExperimentError("regime: --x and --y must be different parameters")
        xs, ys = x_axis.grid(default=5), y_axis.grid(default=5)
        run_weeks = weeks if weeks is not None else config.run.weeks
        plan, invalid = [], []
        from inverse_qe.scenarios.loader import ScenarioError

        for xv in xs:
            for yv in ys:
                where = f"{x_axis.label}={xv:g}, {y_axis.label}={yv:g}"
                try:
                    point = point_overrides(source, [x_axis, y_axis], [xv, yv], list(overrides))
                    arms = {1.0: point, scale: capex_overrides(source, point, scale)}
                    for ov in arms.values():
                        source.scenario(tuple(ov))
                except (ScenarioError, ExperimentError) as error:
                    invalid.append(f"{where}: {str(error).splitlines()[-1].strip(' -')}")
                    continue
                for arm_scale, ov in arms.items():
                    for seed in seed_values:
                        role = {
                            x_axis.label: float(xv),
                            y_axis.label: float(yv),
                            "scale": arm_scale,
                            "seed": seed,
                        }
                        plan.append(PlannedRun(make_spec(source, ov, seed, run_weeks), role))
        if invalid:
            raise ExperimentError(
                "regime: some grid points are not valid scenarios: " + "; ".join(invalid[:5])
            )
        runner = experiment.start(
            plan,
            f"regime · {len(xs)}×{len(ys)} points × 2 capex paths × {len(seed_values)} seeds",
        )
        runner.run(p.spec for p in plan)
        experiment.require_some_runs("regime")
        experiment.release_workers()
        warned = experiment.warn(sample_warnings(len(seed_values)))
        experiment.say("analysing...", style="dim")
        results = load(options.out, timeseries=False)
        grid = regime_table(results, x_axis.label, y_axis.label, scale)
        write_csv(grid, options.out / "regime.csv", float_format="%.8g")
        written = ["regime.csv"]
        try:
            mark = (_own_value(x_axis, source, overrides), _own_value(y_axis, source, overrides))
        except (KeyError, TypeError, ValueError):
            mark = None
        if options.figures and grid["multiplier"].notna().any():
            compared = "without capex" if scale == 0 else f"capex x{scale:g}"
            experiment.draw(
                "regime_map",
                grid,
                options.out / "regime.png",
                f"{source.label}: capex multiplier on risk-asset value (full capex vs {compared};"
                f"\nmean of {len(seed_values)} common seeds, {run_weeks} weeks); blue lifts prices,"
                " red drains them",
                x_axis.label,
                y_axis.label,
                mark,
                warnings=warned,
                marked=enough_seeds(len(seed_values)),
            )
            written.append("regime.png")
        experiment.finish(written)
        experiment.report_failures()
    return RegimeMap(options.out, grid, x_axis.label, y_axis.label, mark, results, warned)


def regime_table(results: Results, x: str, y: str, scale: float) -> pd.DataFrame:
    """Per grid point: the multiplier over the run, its interval, and its parts."""
    runs = results.runs[results.runs["scale"].notna()]
    metrics = results.summaries[["run_id", "final_risk_asset_value", "ai_spending"]]
    frame = runs[["run_id", x, y, "scale", "seed"]].merge(metrics, on="run_id", how="left")
    rows = []
    for (xv, yv), group in frame.groupby([x, y], sort=True):
        full = group[group["scale"] == 1.0].set_index("seed")
        other = group[group["scale"] == scale].set_index("seed")
        paired = full.merge(other, left_index=True, right_index=True, suffixes=("", "_scaled"))
        dv = (paired["final_risk_asset_value"] - paired["final_risk_asset_value_scaled"]).to_numpy()
        dc = (paired["ai_spending"] - paired["ai_spending_scaled"]).to_numpy()
        ok = np.isfinite(dv) & np.isfinite(dc)
        dv, dc = dv[ok], dc[ok]
        row: dict[str, Any] = {x: xv, y: yv, "seeds": int(ok.sum())}
        if ok.sum() == 0 or not dc.mean() > 0:
            row |= {"multiplier": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        else:
            pair = (dv[:, None], dc[:, None])
            low, high = bootstrap_interval(ratio_of_means, *pair, n_resamples=2000)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_seed = dv / dc
            row |= {
                "multiplier": float(ratio_of_means(*pair)[0]),
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
                "delta_value": float(dv.mean()),
                "delta_capex": float(dc.mean()),
                "share_of_seeds_positive": float(np.mean(per_seed > 0)),
            }
        row["sign"] = (
            "too few seeds"
            if not enough_seeds(row["seeds"])
            else "positive"
            if row.get("ci_low", math.nan) > 0
            else "negative"
            if row.get("ci_high", math.nan) < 0
            else "unclear"
        )
        rows.append(row)
    return pd.DataFrame(rows)


def print_regime(console, result: RegimeMap) -> None:
    """The grid as a matrix of multipliers (rows: y from high to low)."""
    from inverse_qe.terminal import new_table

    grid = result.grid
    xs = sorted(grid[result.x].unique())
    ys = sorted(grid[result.y].unique(), reverse=True)
    marked = bool(len(grid)) and enough_seeds(int(grid["seeds"].min()))
    table = new_table(
        console,
        title=f"capex multiplier (US$ of risk-asset value per US$ of capex); rows {result.y},"
        f" columns {result.x}; "
        + ("bold: 95% interval excludes 0" if marked else "too few seeds to mark significance"),
        title_justify="left",
    )
    table.add_column(f"{result.y} \\ {result.x}", justify="right")
    for xv in xs:
        table.add_column(f"{xv:.3g}", justify="right")
    for yv in ys:
        cells = [f"{yv:.4g}"]
        for xv in xs:
            row = grid[(grid[result.x] == xv) & (grid[result.y] == yv)]
            if row.empty or not np.isfinite(row["multiplier"].iloc[0]):
                cells.append("–")
                continue
            value = row["multiplier"].iloc[0]
            colour = "blue" if value > 0 else "red"
            bold = "bold " if row["sign"].iloc[0] in ("positive", "negative") else ""
            cells.append(f"[{bold}{colour}]{value:+.2f}[/]")
        table.add_row(*cells)
    console.print(table)
