"""Monte Carlo comparison of scenarios on common random numbers.

Each scenario runs on the same seeds, so seed *s* of every scenario sees the
same news: the difference between two scenarios on one seed is the effect of
the scenario, not of luck. Per headline metric the comparison reports, for
each scenario, the mean over seeds with its 95% interval (and the 5/50/95%
quantiles of single runs), and for each scenario after the first the paired
difference to the first, with its interval and a paired t-test's p-value (and
the Wilcoxon signed-rank test's, which does not assume normal differences).

Outputs: ``comparison.csv`` (tidy: one row per metric and scenario) and
``compare.png`` (fan charts: median and 5-95% band over seeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inverse_qe.experiments import metrics as mx
from inverse_qe.experiments.engine import (
    FIGURES,
    Experiment,
    PlannedRun,
    make_options,
    seed_list,
)
from inverse_qe.experiments.runs import make_spec
from inverse_qe.experiments.stats import mean_interval, paired_difference, sample_warnings
from inverse_qe.experiments.store import ExperimentError, Results, load, write_csv

FAN_COLUMNS = [
    "water_level",
    "dry_powder",
    "risk_asset_value",
    "yield_10y",
    "bond_spread",
    "stress_index",
]


@dataclass
class Comparison:
    """A finished comparison: its table, figure and everything stored."""

    out: Path
    table: pd.DataFrame
    results: Results
    figure: Path | None
    warnings: list[str] = field(default_factory=list)


def arm_names(scenarios: Sequence[str]) -> list[str]:
    """Scenario labels, made unique (``a``, ``a (2)``) when a scenario is repeated."""
    names: list[str] = []
    for name in scenarios:
        label, n = str(name), 1
        while label in names:
            n += 1
            label = f"{name} ({n})"
        names.append(label)
    return names


def compare(
    scenarios: Sequence[str],
    *,
    seeds: int | Sequence[int] = 20,
    first_seed: int = 0,
    weeks: int | None = None,
    overrides: Sequence[str] = (),
    out: str | Path | None = None,
    **execution: Any,
) -> Comparison:
    """Run scenarios on common seeds and compare them to the first.

    Args:
        scenarios: built-in names or ``.toml`` paths; the first is the baseline.
        seeds: number of seeds (``first_seed, first_seed + 1, ...``) or the seeds.
        first_seed: the first seed when ``seeds`` is a count.
        weeks: run length (default: each scenario's).
        overrides: ``field.path=value`` applied to every scenario.
        out: output directory (default: a new one under ``experiments/``).
        **execution: :class:`~inverse_qe.experiments.engine.Options` fields:
            ``resume``, ``workers``, ``scheduler``, ``executor``, ``console``,
            ``quiet``, ``figures``, ``command``.
    """
    if len(scenarios) < 2:
        raise ExperimentError("compare: give at least two scenarios (the first is the baseline)")
    seed_values = seed_list(seeds, first_seed)
    arms = arm_names(scenarios)
    stem = "compare_" + "_vs_".join(Path(s).stem for s in scenarios) + f"_{len(seed_values)}seeds"
    options = make_options(stem, out, **execution)
    request = {
        "scenarios": [str(s) for s in scenarios],
        "seeds": seed_values,
        "weeks": weeks,
        "overrides": list(overrides),
    }
    with Experiment("compare", request, options) as experiment:
        plan = []
        for index, (name, arm) in enumerate(zip(scenarios, arms, strict=True)):
            source = experiment.sources.get(str(name))
            source.scenario(tuple(overrides))  # a bad scenario fails here, before any run
            for seed in seed_values:
                spec = make_spec(source, overrides, seed, weeks)
                plan.append(PlannedRun(spec, {"arm": arm, "arm_index": index, "seed": seed}))
        # With a figure worker, the fan chart is drawn there: this process needs no
        # matplotlib, and imports the statistics for its table while the worker draws
        # (the workers leave no core idle for it while they run; the drawing does).
        runner = experiment.start(
            plan,
            f"compare · {len(arms)} scenarios × {len(seed_values)} seeds",
            analysis_modules=() if experiment.figure_worker else ("scipy.stats",),
        )
        runner.run(p.spec for p in plan)
        experiment.release_workers()
        experiment.require_some_runs("compare")
        warned = experiment.warn(sample_warnings(len(seed_values)))
        experiment.say("analysing...", style="dim")
        results = load(options.out, timeseries=_fan_columns(options.out))
        drawing = options.figures and len(results.timeseries) > 0
        drawer = experiment.figure_worker if drawing else None
        if drawer is not None:  # it draws while this process makes the table
            data = fan_data(results)
            drawer.submit(FIGURES, "fan_chart_png", data, warned)
        table = comparison_table(results)
        write_csv(table, options.out / "comparison.csv", float_format="%.10g")
        outputs = ["comparison.csv"]
        figure = None
        if drawing:
            figure = _fan_chart(results, options.out / "compare.png", warned, drawer)
            outputs.append("compare.png")
        experiment.finish(outputs)
        experiment.report_failures()
    return Comparison(options.out, table, results, figure, warned)


# -- the fan chart: its bands here, its drawing in figures.py ------------------------------------
#: Series of the fan chart besides the prices, and their scale (rates in per cent).
FAN_SERIES: list[tuple[str, float]] = [
    ("water_level", 1.0),
    ("dry_powder", 1.0),
    ("yield_10y", 100.0),
    ("bond_spread", 100.0),
    ("risk_asset_value", 1.0),
]


@dataclass(frozen=True)
class FanData:
    """What a fan chart draws, small enough to send to a worker.

    ``panels``: (column, log axis, wide) in order, prices on a log axis, ``wide`` when
    the series spans more than a factor of three (a log scale helps only then);
    ``bands[column][arm]``: the weeks, and the 5% quantile, the median and the 95%
    quantile over seeds, scaled.
    """

    arms: list[str]
    seeds: int
    panels: list[tuple[str, bool, bool]]
    bands: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]


def fan_data(results: Results) -> FanData:
    """The median and 5-95% band over seeds, per scenario and series, of a comparison."""
    runs = results.runs[results.runs["arm"].notna()][["run_id", "arm", "arm_index"]]
    # A repeated scenario shares its runs with the first copy: attach every arm.
    series = results.timeseries.merge(runs, on="run_id")
    arms = runs.drop_duplicates("arm").sort_values("arm_index")["arm"].tolist()
    seeds = int(results.runs[results.runs["arm"] == arms[0]]["seed"].nunique())
    prices = [c for c in series.columns if c.startswith("price_")]
    chosen = [(c, scale, False) for c, scale in FAN_SERIES if c in series.columns]
    chosen += [(c, 1.0, True) for c in prices]
    weekly = {arm: series[series["arm"] == arm].groupby("week") for arm in arms}
    bands: dict[str, dict[str, tuple]] = {}
    for column, scale, _ in chosen:
        bands[column] = {}
        for arm in arms:
            grouped = weekly[arm][column]
            quantiles = [grouped.quantile(0.05), grouped.median(), grouped.quantile(0.95)]
            weeks = quantiles[1].index.to_numpy()
            bands[column][arm] = (weeks, *(q.to_numpy() * scale for q in quantiles))
    panels = [(c, log, log and _wide(series[c])) for c, _, log in chosen]
    return FanData(arms, seeds, panels, bands)


def _wide(values: pd.Series) -> bool:
    """A log axis helps only when prices move by more than a factor of three."""
    positive = values[values > 0]
    return bool(len(positive)) and float(positive.max() / positive.min()) > 3.0


def _fan_chart(results: Results, path: Path, warned: list[str], drawer) -> Path:
    """``compare.png``: drawn by the experiment's figure worker, or here without one.

    An error of the drawing is raised (as :class:`~inverse_qe.forking.FigureError`
    from the worker), and nothing is written.
    """
    if drawer is None:
        from inverse_qe.experiments.figures import fan_chart

        return fan_chart(results, path, warned)
    from inverse_qe.outputs import write_atomically

    write_atomically(path, drawer.result())
    return path


def _fan_columns(out: Path) -> list[str]:
    import pyarrow.parquet as pq

    from inverse_qe.experiments.store import Store

    store = Store(out)
    ids = sorted(store.stored_ids())
    if not ids:
        return FAN_COLUMNS
    names = pq.read_schema(store.run_path(ids[0])).names
    return [c for c in FAN_COLUMNS if c in names] + [c for c in names if c.startswith("price_")]


def arms_frame(results: Results) -> pd.DataFrame:
    """Planned runs joined with their metrics: one row per (arm, seed)."""
    runs = results.runs
    if "arm" not in runs:
        raise ExperimentError(f"{results.directory} is not a comparison")
    planned = runs[runs["arm"].notna()][["run_id", "arm", "arm_index", "seed", "status"]]
    metrics = results.summaries.drop(
        columns=["seed", "scenario", "weeks", "overrides"], errors="ignore"
    )
    if "run_id" not in metrics:
        metrics = pd.DataFrame({"run_id": pd.Series(dtype=str)})
    return planned.merge(metrics, on="run_id", how="left")


def comparison_table(results: Results) -> pd.DataFrame:
    """Tidy comparison: one row per (metric, scenario), with paired differences to the first."""
    frame = arms_frame(results)
    order = frame.drop_duplicates("arm").sort_values("arm_index")["arm"].tolist()
    names = mx.headline(frame.columns)
    # Each scenario's runs by seed, and paired with the baseline's on common seeds, once
    # (not once per metric: the table is made while the figures wait for the machine).
    by_arm = {arm: frame[frame["arm"] == arm].set_index("seed")[names] for arm in order}
    baseline = by_arm[order[0]]
    paired = {
        arm: by_arm[arm].merge(
            baseline, left_index=True, right_index=True, suffixes=("", "_baseline")
        )
        for arm in order[1:]
    }
    rows = []
    for name in names:
        for arm in order:
            row = {"metric": name, "label": mx.label(name), "scenario": arm}
            row |= mean_interval(by_arm[arm][name].to_numpy())
            if arm != order[0]:
                pairs = paired[arm]
                row |= paired_difference(
                    pairs[name].to_numpy(), pairs[f"{name}_baseline"].to_numpy()
                )
            rows.append(row)
    table = pd.DataFrame(rows)
    for column in ("n_pairs", "diff", "diff_ci_low", "diff_ci_high", "p_value", "p_wilcoxon"):
        if column not in table:
            table[column] = np.nan
    return table


def print_comparison(console, table: pd.DataFrame, seeds: int) -> None:
    """Two rich tables: each scenario's mean ± 95% interval; paired differences to the first."""
    from inverse_qe.experiments.stats import enough_seeds, format_p
    from inverse_qe.terminal import new_table

    marked = enough_seeds(seeds)
    arms = list(dict.fromkeys(table["scenario"]))
    means = new_table(
        console, title=f"Mean over {seeds} seeds ± 95% interval", title_justify="left"
    )
    test = ", paired t-test" if marked else ""
    diffs = new_table(
        console,
        title=f"Paired difference to {arms[0]} (same seeds) ± 95% interval{test}",
        title_justify="left",
    )
    for table_ in (means, diffs):
        table_.add_column("metric", no_wrap=True)
    for arm in arms:
        means.add_column(arm, justify="right", no_wrap=True)
    for arm in arms[1:]:
        diffs.add_column(arm, justify="right", no_wrap=True)
    for metric, group in table.groupby("metric", sort=False):
        label = group["label"].iloc[0]
        cells, deltas = [label], [label]
        for i, arm in enumerate(arms):
            row = group[group["scenario"] == arm].iloc[0]
            half = (row["ci_high"] - row["ci_low"]) / 2
            n_note = f" (n={row['n']})" if row["n"] < seeds else ""
            cells.append(f"{mx.fmt(metric, row['mean'])} ±{mx.fmt_half(metric, half)}{n_note}")
            if i:
                half = (row["diff_ci_high"] - row["diff_ci_low"]) / 2
                covers = row["diff_ci_low"] <= 0 <= row["diff_ci_high"]
                shown = f"{mx.fmt_diff(metric, row['diff'])} ±{mx.fmt_half(metric, half)}"
                if marked:
                    style = "dim" if covers or not np.isfinite(row["diff"]) else "bold"
                    shown = f"[{style}]{shown} {format_p(row['p_value'])}[/]"
                deltas.append(shown)
        means.add_row(*cells)
        diffs.add_row(*deltas)
    console.print(means)
    console.print(diffs)
    if marked:
        console.print("[dim]bold: the interval excludes zero[/]")
    else:
        console.print(f"too few seeds ({seeds}) to mark any difference as significant")
