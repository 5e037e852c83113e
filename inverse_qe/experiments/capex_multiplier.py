"""The capex multiplier on asset prices, and the QE-equivalent of capex.

**Multiplier.** Paired runs on the same seeds: the scenario with its AI
spending, and with every point of its paths scaled by a factor (0.5, 0: the
twin without AI spending). AI spending is what :mod:`inverse_qe.twin` defines
for every run: the hyperscalers' capex and the sovereign funds' commitments.
Per dollar of AI spending:

    multiplier(t) = mean_seeds[V_full(t) - V_scaled(t)] / mean_seeds[C_full(t) - C_scaled(t)]

where ``V`` is aggregate risk-asset value (the ``risk_asset_value`` column,
US$bn) and ``C`` cumulative AI spending paid (the ``capex_paid`` and
``commitments_paid`` columns summed). A
positive multiplier: capex lifts asset prices (a stimulus); negative: it
drains them (inverse QE). Reported over the run (``t`` = last week) and week by
week, both *cumulative* (per dollar so far) and *marginal* (per dollar over the
last 13 weeks), where the flip from stimulus to drain shows as a sign change.
Intervals: percentile bootstrap over seeds (pairs resampled together).

**QE-equivalent.** Per seed, the constant QT pace ``q`` (US$bn per week, added
to the central bank's QE path with a minus sign) that gives the run with capex
scaled down (default: without capex) the same final risk-asset value as the
full-capex run, found with :func:`scipy.optimize.brentq` (after bracketing by
doubling). A positive ``q``: capex does the damage of QT at ``q`` a week; a
negative one: capex acts like QE of ``-q``. Reported as the mean over seeds
with a bootstrap interval. Needs a central bank that follows its QE path
(rules ``exogenous``, ``taylor``; ``pivot`` until it pivots; not ``warsh``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inverse_qe.experiments.engine import Experiment, PlannedRun, Runner, make_options, seed_list
from inverse_qe.experiments.parameters import apply, format_value, lookup, scaled, shifted
from inverse_qe.experiments.runs import RunSpec, ScenarioSource, make_spec
from inverse_qe.experiments.stats import (
    bootstrap_interval,
    enough_seeds,
    mean_over_seeds,
    paired_difference,
    ratio_of_means,
    sample_warnings,
)
from inverse_qe.experiments.store import ExperimentError, Results, load, write_csv
from inverse_qe.twin import ai_spending_fields

QE_PACE = "central_bank.qe_pace"
WINDOW = 13  # weeks of the marginal multiplier


@dataclass
class Multiplier:
    """A finished multiplier experiment."""

    out: Path
    overall: pd.DataFrame  # per scale: multiplier over the run, interval, p-value
    weekly: pd.DataFrame  # per scale, week and measure (cumulative, marginal)
    per_seed: pd.DataFrame  # per scale and seed
    qe: dict[str, Any] | None  # QE-equivalent: mean, interval, seeds solved
    qe_seeds: pd.DataFrame | None
    results: Results
    warnings: list[str] = field(default_factory=list)


def capex_overrides(source: ScenarioSource, overrides: Sequence[str], scale: float) -> list[str]:
    """``overrides`` plus AI spending scaled by ``scale`` (nothing added for 1).

    AI spending as :mod:`inverse_qe.twin` defines it for every run: the
    hyperscalers' capex path and each sovereign fund's commitments, every point
    of each path scaled (0: the twin).
    """
    overrides = list(overrides)
    if scale == 1.0:
        return overrides
    data = apply(source, overrides)
    return [
        *overrides,
        *(
            f"{field}={format_value(scaled(lookup(data, field), scale))}"
            for field in ai_spending_fields(data.get("sovereign_funds", []))
        ),
    ]


def qt_overrides(source: ScenarioSource, overrides: Sequence[str], qt_pace: float) -> list[str]:
    """``overrides`` plus a constant QT pace subtracted from the QE path (nothing for 0)."""
    overrides = list(overrides)
    if qt_pace == 0.0:
        return overrides
    path = lookup(apply(source, overrides), QE_PACE)
    return [*overrides, f"{QE_PACE}={format_value(shifted(path, -qt_pace))}"]


def multiplier(
    scenario: str,
    *,
    seeds: int | Sequence[int] = 20,
    first_seed: int = 0,
    scales: Sequence[float] = (0.5, 0.0),
    weeks: int | None = None,
    overrides: Sequence[str] = (),
    qe: bool = True,
    qe_scale: float | None = None,
    qe_tolerance: float = 0.05,
    qe_limit: float = 400.0,
    out: str | Path | None = None,
    **execution: Any,
) -> Multiplier:
    """Measure the capex multiplier on risk-asset value and the QE-equivalent of capex.

    Args:
        scenario: built-in name or ``.toml`` path.
        seeds: seeds (count or list); every arm runs on all of them.
        first_seed: the first seed when ``seeds`` is a count.
        scales: capex scale factors compared with the full path (each in [0, 1)).
        weeks: run length (default: the scenario's).
        overrides: ``field.path=value`` applied to every run.
        qe: also find the QE-equivalent.
        qe_scale: the scaled-down run the QT is added to (default: the smallest scale).
        qe_tolerance: root-finding tolerance, US$bn per week.
        qe_limit: largest QT (or QE) pace tried, US$bn per week.
        out: output directory.
        **execution: :class:`~inverse_qe.experiments.engine.Options` fields.
    """
    seed_values = seed_list(seeds, first_seed)
    scales = sorted({float(s) for s in scales}, reverse=True)
    if not scales or any(not 0 <= s < 1 for s in scales):
        raise ExperimentError(f"--scale: expected factors in [0, 1), got {scales}")
    qe_scale = min(scales) if qe_scale is None else float(qe_scale)
    if qe and qe_scale not in scales:
        raise ExperimentError(f"--qe-scale {qe_scale}: must be one of the scales {scales}")
    options = make_options(
        f"multiplier_{Path(scenario).stem}_{len(seed_values)}seeds", out, **execution
    )
    request = {
        "scenario": str(scenario),
        "seeds": seed_values,
        "scales": scales,
        "weeks": weeks,
        "overrides": list(overrides),
        "qe": qe,
        "qe_scale": qe_scale,
        "qe_tolerance": qe_tolerance,
        "qe_limit": qe_limit,
    }
    with Experiment("multiplier", request, options) as experiment:
        source = experiment.sources.get(str(scenario))
        config = source.scenario(tuple(overrides))
        if qe and config.central_bank.rule == "warsh":
            experiment.say(
                "[yellow]note:[/] the warsh rule sets its own QT pace, so no QT added to the path"
                " can match capex: skipping the QE-equivalent"
            )
            qe = False
        run_weeks = weeks if weeks is not None else config.run.weeks
        arms = {s: capex_overrides(source, overrides, s) for s in [1.0, *scales]}
        plan = [
            PlannedRun(make_spec(source, arms[s], seed, run_weeks), {"scale": s, "seed": seed})
            for s in arms
            for seed in seed_values
        ]
        runner = experiment.start(
            plan, f"multiplier · {len(arms)} capex paths × {len(seed_values)} seeds"
        )
        runner.run(p.spec for p in plan)
        experiment.require_some_runs("multiplier")
        qe_summary, qe_seeds, evaluations = None, None, None
        if qe:
            qe_seeds, evaluations = qe_equivalent(
                experiment,
                runner,
                source,
                arms,
                seed_values,
                run_weeks,
                qe_scale,
                qe_tolerance,
                qe_limit,
            )
        experiment.checkpoint()
        warned = experiment.warn(sample_warnings(len(seed_values)))
        experiment.say("analysing...", style="dim")
        results = load(
            options.out,
            timeseries=[
                "risk_asset_value",
                "ai_income_value",
                "capex_paid",
                "commitments_paid",
                "dry_powder",
            ],
        )
        overall, weekly, per_seed = analyse(results, seed_values, scales)
        written = ["multiplier.csv", "multiplier_weekly.csv", "multiplier_seeds.csv"]
        write_csv(overall, options.out / "multiplier.csv", float_format="%.8g")
        write_csv(weekly, options.out / "multiplier_weekly.csv", float_format="%.8g")
        write_csv(per_seed, options.out / "multiplier_seeds.csv", float_format="%.8g")
        if qe_seeds is not None:
            qe_summary = summarise_qe(qe_seeds, per_seed, qe_scale, run_weeks)
            # Full precision: a root is the exact QT pace of a stored run.
            write_csv(qe_seeds, options.out / "qe_equivalent.csv")
            write_csv(evaluations, options.out / "qe_equivalent_evaluations.csv")
            written += ["qe_equivalent.csv", "qe_equivalent_evaluations.csv"]
        if options.figures:
            values = value_paths(results, qe_seeds, qe_scale)
            exhaustion = _first_exhaustion(results)
            experiment.draw(
                "multiplier_figure",
                weekly,
                overall,
                per_seed,
                values,
                qe_summary,
                qe_seeds,
                options.out / "multiplier.png",
                f"{source.label}: the capex multiplier on risk-asset value"
                f" ({len(seed_values)} common seeds, {run_weeks} weeks)",
                exhaustion,
                warned,
            )
            written.append("multiplier.png")
        experiment.finish(
            written, {"result": {"overall": overall.to_dict("records"), "qe": qe_summary}}
        )
        experiment.report_failures()
    return Multiplier(options.out, overall, weekly, per_seed, qe_summary, qe_seeds, results, warned)


def _arms(runs: pd.DataFrame) -> pd.DataFrame:
    """The planned runs of the capex arms (not the QE root-finding's)."""
    arms = runs[runs["scale"].notna()]
    if "qe_search" in arms:
        arms = arms[arms["qe_search"].isna()]
    return arms


def _paths(
    results: Results, seeds: list[int], scales: list[float]
) -> dict[float, dict[str, np.ndarray]]:
    """Per scale: ``value`` and cumulative ``capex`` arrays of shape (seeds, weeks + 1)."""
    series = results.timeseries.merge(_arms(results.runs)[["run_id", "scale", "seed"]], on="run_id")
    out = {}
    for scale in [1.0, *scales]:
        rows = series[series["scale"] == scale]
        value = rows.pivot_table(index="seed", columns="week", values="risk_asset_value")
        # AI spending paid: capex and commitments (the twin's definition).
        rows = rows.assign(ai_spending=rows["capex_paid"] + rows["commitments_paid"])
        capex = rows.pivot_table(index="seed", columns="week", values="ai_spending")
        value = value.reindex(seeds)
        capex = capex.reindex(seeds)
        out[scale] = {
            "value": value.to_numpy(dtype=float),
            "capex": np.cumsum(capex.to_numpy(dtype=float), axis=1),
        }
        # The part of the value that the earnings AI spending created carry: what is left
        # of a difference without it is what moving the money did (twin.capex_effect_parts).
        # Runs stored before the series existed have none: their money part is unknown.
        if "ai_income_value" in rows:
            income = rows.pivot_table(index="seed", columns="week", values="ai_income_value")
            out[scale]["income"] = income.reindex(seeds).to_numpy(dtype=float)
    return out


def analyse(
    results: Results, seeds: list[int], scales: list[float]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Overall, weekly and per-seed multipliers from the stored runs."""
    paths = _paths(results, seeds, scales)
    full = paths[1.0]
    overall_rows, weekly_rows, seed_rows = [], [], []
    for scale in scales:
        other = paths[scale]
        dv = full["value"] - other["value"]  # (S, T)
        dc = full["capex"] - other["capex"]
        ok = np.isfinite(dv[:, -1]) & np.isfinite(dc[:, -1])
        dv, dc = dv[ok], dc[ok]
        money = (
            dv[:, -1:] - (full["income"] - other["income"])[ok][:, -1:]
            if "income" in full and "income" in other
            else None
        )
        used = [s for s, k in zip(seeds, ok, strict=True) if k]
        with np.errstate(invalid="ignore", divide="ignore"):
            per_seed = dv[:, -1] / dc[:, -1]
        for seed, m, v, c in zip(used, per_seed, dv[:, -1], dc[:, -1], strict=True):
            seed_rows.append(
                {"scale": scale, "seed": seed, "delta_value": v, "delta_capex": c, "multiplier": m}
            )
        if not len(used):
            overall_rows.append({"scale": scale, "seeds": 0})
            continue
        last = (dv[:, -1:], dc[:, -1:])
        point = float(ratio_of_means(*last)[0])
        low, high = bootstrap_interval(ratio_of_means, *last, n_resamples=5000)
        test = paired_difference(dv[:, -1], np.zeros(len(used)))
        money_point = money_low = money_high = math.nan
        if money is not None and np.isfinite(money).all():
            money_point = float(ratio_of_means(money, last[1])[0])
            m_low, m_high = bootstrap_interval(ratio_of_means, money, last[1], n_resamples=5000)
            money_low, money_high = float(m_low[0]), float(m_high[0])
        overall_rows.append(
            {
                "scale": scale,
                "comparison": "full capex vs none" if scale == 0 else f"full capex vs x{scale:g}",
                "seeds": len(used),
                "delta_capex": float(dc[:, -1].mean()),
                "delta_value": float(dv[:, -1].mean()),
                "delta_value_ci_low": test["diff_ci_low"],
                "delta_value_ci_high": test["diff_ci_high"],
                "multiplier": point,
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
                "p_value": test["p_value"],
                "p_wilcoxon": test["p_wilcoxon"],
                "share_of_seeds_positive": float(np.mean(per_seed > 0)),
                "money_multiplier": money_point,
                "money_ci_low": money_low,
                "money_ci_high": money_high,
            }
        )
        weeks = np.arange(dv.shape[1])
        lag = min(WINDOW, dv.shape[1] - 1)
        lagged_v, lagged_c = np.zeros_like(dv), np.zeros_like(dc)
        lagged_v[:, lag:], lagged_c[:, lag:] = dv[:, :-lag], dc[:, :-lag]
        for measure, num, den in (
            ("cumulative", dv, dc),
            ("marginal", dv - lagged_v, dc - lagged_c),
        ):
            point = ratio_of_means(num, den)
            low, high = bootstrap_interval(ratio_of_means, num, den, n_resamples=2000)
            for w in weeks[1:]:
                if not np.mean(den[:, w]) > 0:
                    continue
                weekly_rows.append(
                    {
                        "scale": scale,
                        "measure": measure,
                        "week": int(w),
                        "multiplier": float(point[w]),
                        "ci_low": float(low[w]),
                        "ci_high": float(high[w]),
                        "delta_value": float(num[:, w].mean()),
                        "delta_capex": float(den[:, w].mean()),
                    }
                )
    return pd.DataFrame(overall_rows), pd.DataFrame(weekly_rows), pd.DataFrame(seed_rows)


def qe_equivalent(
    experiment: Experiment,
    runner: Runner,
    source: ScenarioSource,
    arms: dict[float, list[str]],
    seeds: list[int],
    weeks: int,
    scale: float,
    tolerance: float,
    limit: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per seed, the QT pace that matches the full-capex run's final risk-asset value."""
    from scipy.optimize import brentq

    evaluations: list[dict[str, Any]] = []
    lock = threading.Lock()
    experiment.say(
        f"QE-equivalent: root-finding per seed (tolerance US${tolerance:g}bn/week)...", style="dim"
    )

    def spec_for(seed: int, pace: float) -> RunSpec:
        return make_spec(source, qt_overrides(source, arms[scale], pace), seed, weeks)

    def solve(seed: int) -> dict[str, Any]:
        full = runner.metrics(make_spec(source, arms[1.0], seed, weeks))
        if full is None:
            return {
                "seed": seed,
                "qt_pace": math.nan,
                "converged": False,
                "note": "full-capex run failed",
            }
        target = full["final_risk_asset_value"]
        cache: dict[float, float] = {}

        def gap(pace: float) -> float:
            pace = float(pace)
            if pace not in cache:
                spec = spec_for(seed, pace)
                experiment.note_dynamic(
                    PlannedRun(
                        spec, {"qe_search": True, "seed": seed, "scale": scale, "qt_pace": pace}
                    )
                )
                metrics = runner.metrics(spec)
                value = math.nan if metrics is None else metrics["final_risk_asset_value"]
                cache[pace] = value - target
                with lock:
                    evaluations.append(
                        {
                            "seed": seed,
                            "qt_pace": pace,
                            "run_id": spec.run_id,
                            "final_risk_asset_value": value,
                            "gap": value - target,
                        }
                    )
            if not math.isfinite(cache[pace]):
                raise RuntimeError(f"the run at QT pace {pace:g} failed")
            return cache[pace]

        try:
            low = 0.0
            f_low = gap(low)
            if f_low == 0:
                return {
                    "seed": seed,
                    "qt_pace": 0.0,
                    "converged": True,
                    "note": "",
                    "evaluations": 1,
                }
            direction = 1.0 if f_low > 0 else -1.0  # ends higher without capex: QT needed
            step = 2.0
            while True:
                high = direction * step
                f_high = gap(high)
                if np.sign(f_high) != np.sign(f_low):
                    break
                low, f_low = high, f_high
                step *= 2
                if step > limit:
                    kind = "QT" if direction > 0 else "QE"
                    return {
                        "seed": seed,
                        "qt_pace": math.nan,
                        "converged": False,
                        "note": f"no {kind} pace up to US${limit:g}bn/week matches",
                        "evaluations": len(cache),
                    }
            root = brentq(
                gap, min(low, high), max(low, high), xtol=tolerance, rtol=1e-8, maxiter=100
            )
            gap(root)  # the matching run itself, for the figure and the store
            return {
                "seed": seed,
                "qt_pace": float(root),
                "converged": True,
                "note": "",
                "evaluations": len(cache),
            }
        except RuntimeError as error:
            return {
                "seed": seed,
                "qt_pace": math.nan,
                "converged": False,
                "note": str(error),
                "evaluations": len(cache),
            }

    threads = (
        1
        if runner.info.kind == "inprocess"
        else min(len(seeds), max(2, 2 * runner.info.parallelism))
    )
    progress = runner.progress
    task = None
    if progress is not None:
        task = progress.add_task(
            "QE-equivalent (root-finding)", total=len(seeds), failed=0, unit="seeds"
        )

    def solve_and_count(seed: int) -> dict[str, Any]:
        row = solve(seed)
        if progress is not None:
            progress.update(
                task,
                advance=1,
                failed=progress.tasks[task].fields["failed"] + (not row["converged"]),
            )
        return row

    with ThreadPoolExecutor(max_workers=threads) as pool:
        rows = list(pool.map(solve_and_count, seeds))
    table = pd.DataFrame(rows)
    table["reduced_scale"] = scale
    evaluated = pd.DataFrame(evaluations)
    if len(evaluated):
        evaluated = evaluated.sort_values(["seed", "qt_pace"]).reset_index(drop=True)
    return table, evaluated


def summarise_qe(
    table: pd.DataFrame, per_seed: pd.DataFrame, scale: float, weeks: int
) -> dict[str, Any]:
    """Mean QE-equivalent over the seeds solved, with a bootstrap interval.

    One sign convention throughout: the QE-equivalent is a QE pace, positive
    when capex acts like QE (it lifts risk-asset value as buying that much a
    week would), negative when it acts like QT. It is minus the QT pace the
    root-finding adds to the central bank's path (``qt_pace`` per seed).
    """
    table["qe_equivalent"] = -table["qt_pace"]
    solved = table[table["converged"]]["qe_equivalent"].to_numpy(dtype=float)
    summary: dict[str, Any] = {
        "reduced": "without AI spending" if scale == 0 else f"with AI spending x{scale:g}",
        "reduced_scale": scale,
        "seeds": len(table),
        "converged": len(solved),
        "sign": "QE pace in US$bn a week: positive, capex acts like QE; negative, like QT",
        "mean": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "weeks": weeks,
    }
    if len(solved):
        summary["mean"] = float(solved.mean())
        if len(solved) > 1:
            low, high = bootstrap_interval(mean_over_seeds, solved[:, None], n_resamples=5000)
            summary["ci_low"], summary["ci_high"] = float(low[0]), float(high[0])
        else:
            summary["ci_low"] = summary["ci_high"] = summary["mean"]
        capex = per_seed[per_seed["scale"] == scale]["delta_capex"].mean()
        summary["qe_total"] = summary["mean"] * weeks
        summary["qe_dollars_per_capex_dollar"] = summary["qe_total"] / capex if capex else math.nan
    return summary


def value_paths(results: Results, qe_seeds: pd.DataFrame | None, qe_scale: float) -> pd.DataFrame:
    """Risk-asset value relative to the full-capex run on the same seed: median and 5-95%.

    One line per scaled arm and one for the runs with the matching QT (which
    end, by construction, at zero).
    """
    from inverse_qe.experiments.figures import PALETTE

    runs = results.runs
    series = results.timeseries[["run_id", "week", "risk_asset_value"]]
    arms = _arms(runs)
    full = series.merge(arms[arms["scale"] == 1.0][["run_id", "seed"]], on="run_id")
    full = full.pivot_table(index="seed", columns="week", values="risk_asset_value")
    groups = []
    scales = sorted(arms["scale"].unique(), reverse=True)
    for i, scale in enumerate(scales):
        if scale == 1.0:
            continue
        label = "no AI spending" if scale == 0 else f"AI spending x{scale:g}"
        ids = arms[arms["scale"] == scale][["run_id", "seed"]]
        groups.append((label, PALETTE[i % len(PALETTE)], ids))
    if qe_seeds is not None and "qe_search" in runs:
        search = runs[runs["qe_search"].notna()]
        chosen = []
        for row in qe_seeds[qe_seeds["converged"]].itertuples():
            match = search[
                (search["seed"] == row.seed) & np.isclose(search["qt_pace"], row.qt_pace)
            ]
            chosen.append(match[["run_id", "seed"]].head(1))
        if chosen:
            reduced = "no AI spending" if qe_scale == 0 else f"AI spending x{qe_scale:g}"
            groups.append((f"{reduced} + matching QT", "#009E73", pd.concat(chosen)))
    rows = []
    for label, colour, ids in groups:
        values = series.merge(ids, on="run_id").pivot_table(
            index="seed", columns="week", values="risk_asset_value"
        )
        difference = values - full.reindex(values.index)
        rows.append(
            pd.DataFrame(
                {
                    "week": difference.columns.to_numpy(),
                    "median": difference.median().to_numpy(),
                    "q05": difference.quantile(0.05).to_numpy(),
                    "q95": difference.quantile(0.95).to_numpy(),
                    "label": label,
                    "colour": colour,
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _first_exhaustion(results: Results) -> float | None:
    full = _arms(results.runs)
    full = full[full["scale"] == 1.0]["run_id"]
    weeks = results.summaries[results.summaries["run_id"].isin(full)].get(
        "dry_powder_exhausted.first"
    )
    if weeks is None or weeks.dropna().empty:
        return None
    return float(weeks.median())


def print_multiplier(console, result: Multiplier) -> None:
    """The multiplier over the run per scale, and the QE-equivalent."""
    from inverse_qe.experiments.stats import format_p
    from inverse_qe.terminal import new_table

    marked = all(enough_seeds(int(n)) for n in result.overall.get("seeds", [0]) if n)
    table = new_table(
        console,
        title="Capex multiplier on risk-asset value over the run (US$ per US$ of capex)",
        title_justify="left",
    )
    for column in (
        "comparison",
        "seeds",
        "extra AI spending (US$bn)",
        "change in value (US$bn)",
        "multiplier [95%]",
        "of it, money [95%]",
        "p",
        "seeds > 0",
    ):
        table.add_column(column, justify="right" if column != "comparison" else "left")
    for _, row in result.overall.iterrows():
        if not row.get("seeds"):
            continue
        table.add_row(
            row["comparison"],
            str(int(row["seeds"])),
            f"{row['delta_capex']:,.0f}",
            f"{row['delta_value']:+,.0f} [{row['delta_value_ci_low']:+,.0f},"
            f" {row['delta_value_ci_high']:+,.0f}]",
            f"{row['multiplier']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]",
            "–"
            if not np.isfinite(row.get("money_multiplier", math.nan))
            else f"{row['money_multiplier']:+.3f} [{row['money_ci_low']:+.3f},"
            f" {row['money_ci_high']:+.3f}]",
            format_p(row["p_value"]) if marked else "–",
            f"{row['share_of_seeds_positive']:.0%}",
        )
    console.print(table)
    flips = _sign_changes(result.weekly) if marked else []
    if flips:
        console.print(
            "marginal multiplier (13-week window), 95% interval: " + "; ".join(flips),
            highlight=False,
        )
    qe = result.qe
    if qe is not None:
        if qe["converged"] == 0:
            console.print(f"QE-equivalent: no seed solved ({qe['seeds']} tried)")
        else:
            like = "like QE" if qe["mean"] > 0 else "like QT"
            console.print(
                f"QE-equivalent of AI spending: {qe['mean']:+.2f} US$bn a week"
                f" [95% {qe['ci_low']:+.2f}, {qe['ci_high']:+.2f}] (positive: AI spending acts like"
                f" QE; negative: like QT): on average it acts {like}. That QE pace, added to the"
                f" run {qe['reduced']}, matches the full run's final risk-asset value"
                f" ({qe['converged']}/{qe['seeds']} seeds solved;"
                f" {qe.get('qe_dollars_per_capex_dollar', math.nan):+.2f} US$ of QE per US$ of"
                " AI spending)"
                + (
                    ""
                    if qe["converged"] == qe["seeds"]
                    else "; the mean is over the solved seeds only: in the others no QT pace"
                    " tried did as much harm as AI spending (qe_equivalent.csv says why per seed)"
                ),
                highlight=False,
            )


def _sign_changes(weekly: pd.DataFrame) -> list[str]:
    """Stretches (2+ weeks) where the marginal multiplier's 95% interval is above or below 0."""
    out = []
    for scale, rows in weekly[weekly["measure"] == "marginal"].groupby("scale"):
        weeks = rows["week"].to_numpy()
        sign = np.where(rows["ci_low"] > 0, 1, np.where(rows["ci_high"] < 0, -1, 0))
        stretches, start = [], 0
        for i in range(1, len(sign) + 1):
            if i == len(sign) or sign[i] != sign[start]:
                if sign[start] != 0 and i - start >= 2:
                    kind = "above" if sign[start] > 0 else "below"
                    stretches.append(f"{kind} 0 in weeks {weeks[start]}-{weeks[i - 1]}")
                start = i
        if stretches:
            label = "no AI spending" if scale == 0 else f"x{scale:g}"
            out.append(f"vs {label}: " + ", ".join(stretches))
    return out
