"""Figures of experiments: fan charts, response curves, tornado, multiplier, regime map.

Drawn on :class:`matplotlib.figure.Figure` with the Agg canvas (never pyplot),
so they need no display and leave no global state behind.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from inverse_qe.experiments import metrics as mx

DPI = 110
#: Okabe-Ito (colour-blind safe); the first scenario (the baseline) is dark grey.
PALETTE = ["#333333", "#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
POSITIVE, NEGATIVE = "#0072B2", "#D55E00"


def _new(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    from inverse_qe.outputs import write_figure

    return write_figure(fig, path, dpi=DPI)


def _wrap(title: str, fig: Figure, fontsize: float) -> str:
    """Wrap a title to the figure's width (about 0.55 em per character)."""
    import textwrap

    width = int(fig.get_figwidth() * 72 / (0.55 * fontsize))
    return "\n".join(textwrap.fill(line, width) for line in title.split("\n"))


#: The colour of a warning printed on a figure.
WARNING_COLOUR = "#B00020"


def _suptitle(fig: Figure, title: str, fontsize: float, warnings: list[str] | None = None) -> None:
    """The figure's title, top left, with the sample's warnings in red on the lines below it.

    The suptitle holds blank lines where the warnings go (so constrained layout
    makes room for them) and a red text is laid over those lines.
    """
    title = _wrap(title, fig, fontsize)
    small = 0.85 * fontsize  # fits in the suptitle's blank lines, bold included
    warned = _wrap(_safe("\n".join(f"WARNING: {w}" for w in warnings or [])), fig, 1.1 * small)
    heading = fig.suptitle(title, fontsize=fontsize, x=0.01, ha="left", linespacing=1.2)
    if not warned:
        return
    # Points from the heading's top to the first warning line (the title's own height);
    # anchored to the heading, the warnings follow it wherever the layout puts it.
    below = heading.get_window_extent(fig.canvas.get_renderer()).height * 72 / fig.dpi + 3
    heading.set_text(title + "\n " * (warned.count("\n") + 1))
    fig.add_artist(
        Annotation(
            warned,
            xy=(0, 1),
            xycoords=heading,
            xytext=(0, -below),
            textcoords="offset points",
            fontsize=small,
            ha="left",
            va="top",
            color=WARNING_COLOUR,
            fontweight="bold",
            linespacing=1.2,
        )
    )


def _style(ax: Axes) -> None:
    ax.grid(True, color="#e6e6e6", linewidth=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8.5)


def _pretty(name: str) -> str:
    return _safe(name.replace("_", " "))


def _safe(text: str) -> str:
    """Literal dollar signs (matplotlib reads $...$ as mathematics)."""
    return text.replace("\\$", "$").replace("$", "\\$")


# -- compare: fan charts --------------------------------------------------------------------
#: The titles of the fan chart's panels (prices get theirs from the asset's name).
_FAN_TITLES = {
    "water_level": "water level (US\\$bn)",
    "dry_powder": "dry powder (US\\$bn)",
    "yield_10y": "10y yield (%)",
    "bond_spread": "hyperscaler bond spread (%)",
    "risk_asset_value": "risk-asset value (US\\$bn)",
}


def _fan_title(column: str) -> str:
    if column.startswith("price_"):
        return f"{_pretty(column[6:])} (price, start = 1)"
    return _FAN_TITLES[column]


def fan_chart(results, path: Path, warnings: list[str] | None = None) -> Path:
    """Median and 5-95% band over seeds, per scenario, of the tub, rates and prices."""
    from inverse_qe.experiments.comparison import fan_data

    return _save(fan_figure(fan_data(results), warnings), path)


def fan_chart_png(data, warnings: list[str] | None = None) -> bytes:
    """The fan chart as PNG bytes, its two halves rendered at once by two processes.

    For a comparison run on workers, whose figure worker
    (:class:`inverse_qe.forking.FigureWorker`) draws it while the command makes its
    table. The figure is laid out once, here; a child forked after that renders the
    right half of the same figure while this process renders the left, and
    :func:`inverse_qe.halves.layers_png` lays the two over white.
    """
    from inverse_qe.forking import ForkedTask
    from inverse_qe.halves import lay_out, layers_png, render_half

    fig = fan_figure(data, warnings)
    lay_out(fig)
    right = ForkedTask(render_half, fig, "right")
    try:
        left = render_half(fig, "left")
    except BaseException:
        right.cancel()
        raise
    return layers_png([left, right.result()], DPI)


def fan_figure(data, warnings: list[str] | None = None) -> Figure:
    """The fan chart of a :class:`~inverse_qe.experiments.comparison.FanData`, not laid out."""
    ncols = 4
    nrows = math.ceil(len(data.panels) / ncols)
    fig = _new(15, 3.0 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    colours = {arm: PALETTE[i % len(PALETTE)] for i, arm in enumerate(data.arms)}
    for ax, (column, log, wide) in zip(axes, data.panels, strict=False):
        _style(ax)
        for arm in data.arms:
            weeks, q05, median, q95 = data.bands[column][arm]
            ax.fill_between(weeks, q05, q95, color=colours[arm], alpha=0.16, lw=0)
            ax.plot(weeks, median, color=colours[arm], lw=1.7)
        ax.set_title(_fan_title(column), fontsize=10, loc="left")
        if wide:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        if log:
            ax.axhline(1.0, color="#999999", lw=0.8, ls=(0, (3, 2)))
        elif column in ("water_level", "dry_powder", "risk_asset_value"):
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    for ax in axes[len(data.panels) :]:
        ax.set_visible(False)
    for ax in axes[-ncols:]:
        ax.set_xlabel("week", fontsize=9)
    handles = [Line2D([], [], color=colours[a], lw=2.2) for a in data.arms]
    handles.append(Patch(color="#999999", alpha=0.3))
    fig.legend(
        handles,
        [*data.arms, "5–95% of seeds"],
        loc="outside lower center",
        ncol=len(data.arms) + 1,
        frameon=False,
        fontsize=10,
    )
    title = f"Scenario comparison: median and 5–95% band over {data.seeds} common seeds"
    _suptitle(fig, title, 13, warnings)
    return fig


# -- sweep: response curves and tornado -----------------------------------------------------
def smooth(x: np.ndarray, y: np.ndarray, at: np.ndarray, bandwidth: float) -> np.ndarray:
    """A local-linear (Gaussian kernel) regression of ``y`` on ``x``, evaluated ``at``.

    For quasi-random designs the other parameters vary from point to point, so a
    line through the points (or through bins of them) zigzags with them; the
    smoother shows the average response to this parameter, the others averaged
    over their ranges (a main effect).
    """
    out = np.full(at.shape, np.nan)
    for i, x0 in enumerate(at):
        w = np.exp(-0.5 * ((x - x0) / bandwidth) ** 2)
        if w.sum() < 1e-12:
            continue
        mx_, my_ = np.average(x, weights=w), np.average(y, weights=w)
        vx = np.average((x - mx_) ** 2, weights=w)
        slope = np.average((x - mx_) * (y - my_), weights=w) / vx if vx > 1e-300 else 0.0
        out[i] = my_ + slope * (x0 - mx_)
    return out


def response_curves(
    frame: pd.DataFrame,
    parameters: list[str],
    outputs: list[str],
    path: Path,
    title: str,
    warnings: list[str] | None = None,
    design: str = "grid",
) -> Path:
    """Each output against each parameter: the runs as dots, and the response.

    A grid design: the median and 5-95% band of the runs at each grid value. A
    quasi-random design (LHS, Sobol'): a kernel smoother through the runs, no
    line joining points (their other parameters differ).
    """
    fig = _new(3.3 * len(parameters) + 0.6, 2.6 * len(outputs) + 1.0)
    axes = fig.subplots(len(outputs), len(parameters), squeeze=False)
    grid = True
    for i, output in enumerate(outputs):
        for j, parameter in enumerate(parameters):
            ax = axes[i, j]
            _style(ax)
            x = frame[parameter].to_numpy(dtype=float)
            y = frame[output].to_numpy(dtype=float)
            ok = np.isfinite(x) & np.isfinite(y)
            x, y = x[ok], y[ok]
            scale = 100.0 if mx.kind(output) in ("fraction", "rate") else 1.0
            dense = design == "grid"
            ax.scatter(
                x,
                y * scale,
                s=7 if dense else 12,
                color="#0072B2",
                alpha=0.25 if dense else 0.55,
                lw=0,
            )
            values = np.unique(x)
            if design == "grid":  # median and 5-95% band at each grid value
                q = np.array([np.quantile(y[x == v], [0.05, 0.5, 0.95]) for v in values])
                ax.fill_between(
                    values, q[:, 0] * scale, q[:, 2] * scale, color="#0072B2", alpha=0.12, lw=0
                )
                ax.plot(values, q[:, 1] * scale, color="#D55E00", lw=2.0)
            elif x.size >= 3:
                grid = False
                at = np.linspace(values[0], values[-1], 60)
                bandwidth = 0.15 * (values[-1] - values[0])
                ax.plot(at, smooth(x, y, at, bandwidth) * scale, color="#D55E00", lw=2.0)
            if i == len(outputs) - 1:
                ax.set_xlabel(_axis_label(parameter), fontsize=9)
            if j == 0:
                unit = " (%)" if scale == 100.0 else ""
                ax.set_ylabel(_safe(mx.label(output)) + unit, fontsize=9)
    dots = Line2D([], [], color="#0072B2", marker="o", ls="", alpha=0.5, markersize=4)
    if grid:
        handles = [dots, Line2D([], [], color="#D55E00", lw=2), Patch(color="#0072B2", alpha=0.2)]
        labels = ["one run", "median at each value", "5–95% of runs"]
    else:
        handles = [dots, Line2D([], [], color="#D55E00", lw=2)]
        labels = [
            "one run (the other parameters vary)",
            "average response, smoothed (kernel regression)",
        ]
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=len(labels) if len(parameters) > 2 else 1,
        frameon=False,
        fontsize=9,
    )
    _suptitle(fig, title, 12, warnings)
    return _save(fig, path)


def tornado(table: pd.DataFrame, path: Path, title: str, warnings: list[str] | None = None) -> Path:
    """Sobol' first- and total-order indices per parameter, one panel per output.

    Every estimate is drawn as it came out, negative ones included (an index is
    a share of variance, so a negative estimate is estimation noise: its
    interval shows how much), each with its 95% bootstrap interval.
    """
    outputs = list(dict.fromkeys(table["output"]))
    parameters = list(dict.fromkeys(table["parameter"]))
    fig = _new(
        4.2 * min(len(outputs), 3) + 0.6,
        (0.55 * len(parameters) + 1.3) * math.ceil(len(outputs) / 3) + 1.0,
    )
    ncols = min(len(outputs), 3)
    axes = fig.subplots(math.ceil(len(outputs) / ncols), ncols, squeeze=False).ravel()
    values = table[["first_order", "total_order", "first_low", "total_low"]].to_numpy(float)
    highs = table[["first_order", "total_order", "first_high", "total_high"]].to_numpy(float)
    lowest = min(float(np.nanmin(values, initial=0.0)), 0.0)
    highest = max(float(np.nanmax(highs, initial=1.0)), 1.0)
    for ax, output in zip(axes, outputs, strict=False):
        _style(ax)
        rows = table[table["output"] == output].sort_values("total_order")
        y = np.arange(len(rows))
        for column, offset, colour in (("total", 0.17, "#56B4E9"), ("first", -0.17, "#0072B2")):
            value = rows[f"{column}_order"].to_numpy(dtype=float)
            low = rows[f"{column}_low"].to_numpy(dtype=float)
            high = rows[f"{column}_high"].to_numpy(dtype=float)
            ax.barh(y + offset, value, height=0.32, color=colour)
            ok = np.isfinite(low) & np.isfinite(high) & np.isfinite(value)
            ax.errorbar(
                value[ok],
                y[ok] + offset,
                xerr=[np.maximum(value[ok] - low[ok], 0), np.maximum(high[ok] - value[ok], 0)],
                fmt="none",
                ecolor="#333333",
                elinewidth=1,
                capsize=2,
            )
        ax.axvline(0, color="#333333", lw=0.9)
        ax.set_yticks(y, [_pretty(p) for p in rows["parameter"]], fontsize=9)
        ax.set_xlim(lowest - 0.05, highest + 0.05)
        ax.set_title(_safe(mx.label(output)), fontsize=10, loc="left")
        ax.set_xlabel("share of the output's variance", fontsize=8.5)
        first, total = rows["first_order"].to_numpy(float), rows["total_order"].to_numpy(float)
        if np.any(first > total + 1e-9) or np.any(np.minimum(first, total) < 0):
            ax.set_xlabel(
                "share of the output's variance\n(an index below 0, or first above total:"
                " estimation noise)",
                fontsize=8.5,
                color=WARNING_COLOUR,
            )
    for ax in axes[len(outputs) :]:
        ax.set_visible(False)
    handles = [Patch(color="#56B4E9"), Patch(color="#0072B2"), Line2D([], [], color="#333333")]
    fig.legend(
        handles,
        ["total order (with interactions)", "first order (alone)", "95% bootstrap interval"],
        loc="outside lower center",
        ncol=3,
        frameon=False,
        fontsize=9,
    )
    _suptitle(fig, title, 12, warnings)
    return _save(fig, path)


# -- multiplier -----------------------------------------------------------------------------
def _usd_formatter() -> FuncFormatter:
    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def multiplier_figure(
    weekly: pd.DataFrame,
    overall: pd.DataFrame,
    per_seed: pd.DataFrame,
    values: pd.DataFrame,
    qe: dict[str, Any] | None,
    qe_seeds: pd.DataFrame | None,
    path: Path,
    title: str,
    exhaustion_week: float | None,
    warnings: list[str] | None = None,
) -> Path:
    """Capex multiplier week by week and over the run; the QE-equivalent of capex."""
    fig = _new(14, 8.6)
    grid = fig.add_gridspec(2, 3, width_ratios=[1.55, 1.0, 1.0])
    ax_week = fig.add_subplot(grid[0, 0])
    ax_marginal = fig.add_subplot(grid[1, 0], sharex=ax_week)
    ax_run = fig.add_subplot(grid[0, 1])
    ax_value = fig.add_subplot(grid[0, 2])
    ax_qe = fig.add_subplot(grid[1, 1:])
    scales = sorted(weekly["scale"].unique(), reverse=True)
    colours = {s: PALETTE[1 + i % (len(PALETTE) - 1)] for i, s in enumerate(scales)}

    def _scale_label(scale: float) -> str:
        return "AI spending vs none" if scale == 0 else f"AI spending vs ×{scale:g}"

    for ax, kind, heading in (
        (ax_week, "cumulative", "Per dollar of AI spending so far: change in risk-asset value"),
        (ax_marginal, "marginal", "Per dollar over the last 13 weeks (the flip shows here)"),
    ):
        _style(ax)
        ax.axhline(0, color="#333333", lw=0.9)
        for scale in scales:
            rows = weekly[(weekly["scale"] == scale) & (weekly["measure"] == kind)]
            ax.fill_between(
                rows["week"], rows["ci_low"], rows["ci_high"], color=colours[scale], alpha=0.2, lw=0
            )
            ax.plot(
                rows["week"],
                rows["multiplier"],
                color=colours[scale],
                lw=1.8,
                label=_scale_label(scale),
            )
        if exhaustion_week is not None and math.isfinite(exhaustion_week):
            ax.axvline(exhaustion_week, color="#666666", lw=1, ls=(0, (4, 2)))
            ax.annotate(
                "first fund out of\ndry powder (median)",
                (exhaustion_week, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                fontsize=8,
                va="top",
                color="#444444",
            )
        ax.set_title(heading, fontsize=10, loc="left")
        ax.set_ylabel("US\\$ of value per US\\$ of AI spending", fontsize=9)
        _clip_to_bands(ax, weekly[weekly["measure"] == kind])
    ax_marginal.set_xlabel("week", fontsize=9)
    ax_week.legend(fontsize=8.5, frameon=False, loc="lower left")

    _style(ax_run)
    ax_run.axvline(0, color="#333333", lw=0.9)
    rng = np.random.default_rng(0)
    for i, scale in enumerate(scales):
        seeds = per_seed[per_seed["scale"] == scale]["multiplier"].to_numpy()
        jitter = rng.uniform(-0.18, 0.18, seeds.size)
        ax_run.scatter(seeds, i + jitter, s=12, color=colours[scale], alpha=0.45, lw=0)
        row = overall[overall["scale"] == scale].iloc[0]
        ax_run.errorbar(
            row["multiplier"],
            i,
            xerr=[[row["multiplier"] - row["ci_low"]], [row["ci_high"] - row["multiplier"]]],
            fmt="D",
            color="#111111",
            capsize=4,
            markersize=6,
        )
        ax_run.annotate(
            f"{row['multiplier']:+.2f} [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]",
            (row["multiplier"], i + 0.3),
            ha="center",
            fontsize=8.5,
        )
    ax_run.set_yticks(range(len(scales)), [_scale_label(s) for s in scales], fontsize=9)
    ax_run.set_ylim(-0.6, len(scales) - 0.3)
    ax_run.set_title("Over the run: seeds (dots), mean and 95% interval", fontsize=10, loc="left")
    ax_run.set_xlabel("US\\$ of risk-asset value per US\\$ of AI spending", fontsize=9)

    _style(ax_value)
    ax_value.axhline(0, color="#333333", lw=1.2, label="full AI spending (same seed)")
    if len(values):
        for label, colour in values[["label", "colour"]].drop_duplicates().itertuples(index=False):
            rows = values[values["label"] == label]
            ax_value.fill_between(
                rows["week"], rows["q05"], rows["q95"], color=colour, alpha=0.13, lw=0
            )
            ax_value.plot(rows["week"], rows["median"], color=colour, lw=1.6, label=label)
    ax_value.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.0f}"))
    ax_value.set_title(
        "Risk-asset value minus the full run's\n(US\\$bn, same seed): median, 5–95%",
        fontsize=10,
        loc="left",
    )
    ax_value.set_xlabel("week", fontsize=9)
    ax_value.legend(fontsize=8, frameon=False)

    _style(ax_qe)
    if qe is None or qe_seeds is None or not len(qe_seeds):
        ax_qe.text(
            0.5,
            0.5,
            "QE-equivalent not computed",
            ha="center",
            va="center",
            transform=ax_qe.transAxes,
        )
        ax_qe.set_axis_off()
    else:
        found = qe_seeds[qe_seeds["converged"]]
        ax_qe.axvline(0, color="#333333", lw=0.9)
        jitter = rng.uniform(-0.15, 0.15, len(found))
        ax_qe.scatter(
            -found["qt_pace"], jitter, s=18, color="#009E73", alpha=0.6, lw=0, label="one seed"
        )
        if math.isfinite(qe["mean"]):
            ax_qe.errorbar(
                qe["mean"],
                0,
                xerr=[[qe["mean"] - qe["ci_low"]], [qe["ci_high"] - qe["mean"]]],
                fmt="D",
                color="#111111",
                capsize=5,
                markersize=7,
                label="mean, 95% bootstrap interval",
            )
        ax_qe.set_ylim(-0.6, 0.6)
        ax_qe.set_yticks([])
        ax_qe.set_xlabel(
            "QE-equivalent: constant QE pace, US\\$bn per week"
            " (positive: AI spending acts like QE; negative: like QT)",
            fontsize=9,
        )
        ax_qe.set_title(
            f"QE-equivalent of AI spending: {qe['mean']:+.1f} US\\$bn a week"
            f" (95% interval {qe['ci_low']:+.1f} to {qe['ci_high']:+.1f};"
            f" {qe['converged']}/{qe['seeds']} seeds solved)\nthe constant QE pace which, added to"
            f" the run {qe['reduced']}, matches the full run's end value",
            fontsize=10,
            loc="left",
        )
        ax_qe.legend(fontsize=8.5, frameon=False, loc="upper right")
    _suptitle(fig, title, 13, warnings)
    return _save(fig, path)


def _clip_to_bands(ax: Axes, rows: pd.DataFrame) -> None:
    """Keep the y-axis on the bulk of the estimates (early weeks divide by little capex)."""
    values = rows[["multiplier"]].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values)]
    if values.size < 4:
        return
    low, high = np.quantile(values, [0.03, 0.97])
    span = max(high - low, 1e-6)
    ax.set_ylim(min(low - 0.35 * span, -0.05 * span), max(high + 0.35 * span, 0.05 * span))


# -- regime map -----------------------------------------------------------------------------
def regime_map(
    grid: pd.DataFrame,
    path: Path,
    title: str,
    x: str,
    y: str,
    mark: tuple[float, float] | None,
    *,
    warnings: list[str] | None = None,
    marked: bool = True,
) -> Path:
    """Heat map of the capex multiplier over the grid, with its zero contour.

    With ``marked``, dots mark the points whose interval excludes zero and crosses
    the others; without (too few seeds), nothing is marked.
    """
    from matplotlib.colors import TwoSlopeNorm

    xs = np.sort(grid[x].unique())
    ys = np.sort(grid[y].unique())
    table = grid.pivot_table(index=y, columns=x, values="multiplier").reindex(index=ys, columns=xs)
    z = table.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    bound = float(np.quantile(np.abs(finite), 0.95)) if finite.size else 1.0
    bound = bound if bound > 0 else 1.0
    fig = _new(9.5, 7.2)
    ax = fig.add_subplot()
    norm = TwoSlopeNorm(vmin=-bound, vcenter=0.0, vmax=bound)
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), z, cmap="RdBu", norm=norm, shading="flat")
    bar = fig.colorbar(mesh, ax=ax, extend="both")
    bar.set_label(
        "capex multiplier: US\\$ of risk-asset value per US\\$ of AI spending", fontsize=9
    )
    if xs.size > 1 and ys.size > 1 and np.nanmin(z) < 0 < np.nanmax(z):
        ax.contour(xs, ys, z, levels=[0.0], colors="#111111", linewidths=2.2)
    significant = grid[(grid["ci_low"] > 0) | (grid["ci_high"] < 0)]
    unclear = grid[~grid.index.isin(significant.index)]
    for frame, marker in ((significant, "."), (unclear, "x")) if marked else ():
        if len(frame):
            ax.scatter(
                frame[x],
                frame[y],
                marker=marker,
                s=30 if marker == "." else 22,
                color="#222222",
                lw=0.8,
            )
    for row in grid.itertuples():
        value = row.multiplier
        if math.isfinite(value):
            ax.annotate(
                f"{value:+.2f}",
                (getattr(row, x), getattr(row, y)),
                xytext=(0, -10),
                textcoords="offset points",
                ha="center",
                fontsize=7.5,
                color="white" if abs(value) > 0.6 * bound else "#222222",
            )
    if mark is not None:
        ax.scatter(*mark, marker="*", s=260, color="#F0E442", edgecolor="#111111", lw=1.0, zorder=5)
    ax.set_xlabel(_axis_label(x), fontsize=10)
    ax.set_ylabel(_axis_label(y), fontsize=10)
    handles = [Line2D([], [], color="#111111", lw=2)]
    crosses = bool(finite.size) and finite.min() < 0 < finite.max()
    boundary = "regime boundary (multiplier = 0)" if crosses else "no sign change on this grid"
    labels = [boundary]
    if marked:
        handles += [
            Line2D([], [], marker=".", ls="", color="#222222", markersize=8),
            Line2D([], [], marker="x", ls="", color="#222222", markersize=6),
        ]
        labels += ["95% interval excludes 0", "interval covers 0"]
    if mark is not None:
        handles.append(
            Line2D(
                [], [], marker="*", ls="", color="#F0E442", markeredgecolor="#111111", markersize=13
            )
        )
        labels.append("the scenario as calibrated")
    ax.legend(
        handles,
        labels,
        fontsize=8.5,
        loc="upper left",
        bbox_to_anchor=(0, -0.1),
        ncol=2,
        frameon=False,
    )
    ax.set_title(title, fontsize=11.5, loc="left")
    if warnings:
        _suptitle(fig, "", 11.5, warnings)
    return _save(fig, path)


def _edges(values: np.ndarray) -> np.ndarray:
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    mids = (values[:-1] + values[1:]) / 2
    return np.concatenate(
        [[values[0] - (mids[0] - values[0])], mids, [values[-1] + (values[-1] - mids[-1])]]
    )


def _axis_label(name: str) -> str:
    return {
        "capex_growth": "capex growth (a year, from its week-0 level)",
        "dry_powder": "investors' initial dry powder (US\\$bn)",
    }.get(name, _pretty(name))
