"""The run dashboard: one PNG that tells a run's story at a glance.

:func:`dashboard` draws seven panels on a shared calendar axis, read left column
then right column:

* **The tub** -- the water level (private investable cash) as water, with the
  dry powder (cash above money demand) as a distinct layer on top, the RRP
  balance on its own right-hand scale, and the weeks each sovereign fund ran
  out of dry powder.
* **Dry powder by sector** -- who still has idle cash to absorb capex.
* **Forced sales by reason** -- weekly stacked bars, margin-call counts and the
  largest cascade.
* **Ducks** -- asset prices (index, start = 1) on a log scale, so a halving and
  a doubling look equally large, labelled at the right end with total return.
* **What AI spending did** -- risk-asset value against the capex twin (the same
  scenario and seed without AI spending), the money part of it dashed.
* **Rates** -- 10y yield, policy rate and hyperscaler bond spread, in percent.
* **Stress** -- the market stress index.

The figure is built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through pyplot, so it needs no display and leaves no figure registered in
pyplot's global state. Every panel tolerates missing columns, empty or
one-week runs and a summary with missing keys: a run's outputs should never be
lost because the picture could not be drawn.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import (
    FixedFormatter,
    FixedLocator,
    Formatter,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

from inverse_qe.halves import lay_out, layers_png, render_half

__all__ = ["ASSET_COLOURS", "COLUMNS", "column_pixels", "dashboard", "dashboard_in_two", "warm_up"]

FIGSIZE = (14.0, 10.0)
DPI = 110

# The two columns of panels, each laid out on its own in its half of the picture
# (below the title block's strip): (left, bottom, width, height) in figure fractions.
# The constrained layout measures every tick label and title, most of what a
# dashboard costs before rendering; two columns laid out apart cost half each, and
# can be laid out and rendered by two processes at once (:func:`dashboard_in_two`).
# Their panels share the calendar axis through the limits and ticks each column
# sets from the same weeks.
COLUMNS: dict[str, tuple[float, float, float, float]] = {
    "left": (0.0, 0.0, 0.5, 0.925),
    "right": (0.5, 0.0, 0.5, 0.925),
}

# Okabe-Ito, the standard colour-blind-safe palette. Known assets get fixed
# colours so every dashboard of every scenario reads the same way (gold is the
# orange, crypto the black line); yellow is kept for extras because it is faint
# on white.
ASSET_COLOURS: dict[str, str] = {
    "treasuries": "#0072B2",
    "hyperscaler_bonds": "#56B4E9",
    "memory": "#009E73",
    "saas": "#CC79A7",
    "speculative": "#D55E00",
    "crypto": "#222222",
    "gold": "#E69F00",
}
# Paul Tol's "muted" palette (also colour-blind safe) for assets a scenario adds.
_EXTRA_COLOURS = [
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#CC6677",
    "#DDCC77",
    "#88CCEE",
]
_SECTOR_COLOURS: dict[str, str] = {
    "households": "#88CCEE",
    "value_investors": "#44AA99",
    "hyperscalers": "#332288",
    "sovereign_funds": "#DDCC77",
    "hedge_funds": "#CC6677",
}
_REASONS: dict[str, str] = {
    "margin": "#D55E00",
    "redemption": "#CC79A7",
    "commitment": "#0072B2",
    "funding": "#56B4E9",
}
_WATER = "#3B7DD8"
_WATER_EDGE = "#1F4E99"
_DRY_POWDER = "#E3B448"
_RRP = "#7A3E9D"
_GRID = "#E6E6E6"
_GAIN = "#1B9E77"
_LOSS = "#D95F02"
_MUTED = "#666666"

_STYLE = {
    # Labels are full of "US$": two of them in one string must not turn into mathtext.
    "text.parse_math": False,
    "font.size": 9.0,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.edgecolor": "#888888",
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
}


class _Thousands(Formatter):
    """Thousands separators, with just as many decimals as the tick step needs.

    A fixed ``{:,.0f}`` would print an axis from 0 to 1 as "0, 0, 0, 1, 1, 1".
    """

    def __init__(self, min_decimals: int = 0) -> None:
        self.min_decimals = min_decimals

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{x:,.{self.min_decimals}f}"

    def format_ticks(self, values: Any) -> list[str]:
        """Format a whole set of ticks, with the decimals their spacing calls for."""
        decimals = self.min_decimals
        values = np.asarray(values, dtype=float)
        if values.size > 1:
            step = f"{abs(values[1] - values[0]):.6g}"
            if "." in step and "e" not in step:
                decimals = max(decimals, min(len(step.split(".")[1]), 4))
        return [f"{v:,.{decimals}f}" for v in values]


def _line_marker(frame: pd.DataFrame) -> str | None:
    """A dot for each point of a one-row run, where lines and areas would be invisible."""
    return "o" if len(frame) == 1 else None


def dashboard(timeseries: pd.DataFrame, summary: Mapping[str, Any], out_path: Path) -> Path:
    """Draw the run dashboard and save it as a PNG.

    Args:
        timeseries: One row per week with the columns of
            :func:`inverse_qe.results.timeseries` (``week``, ``date``,
            ``water_level``, ``price_<asset>``, ...). Missing columns only blank
            the panels that need them.
        summary: The run's ``summary.json`` content; missing keys are
            recomputed from ``timeseries`` where possible, otherwise omitted.
        out_path: Where to write the PNG (its parent is created if needed).

    Returns:
        ``out_path`` as a :class:`~pathlib.Path`.
    """
    layers = [column_pixels(timeseries, summary, side) for side in COLUMNS]
    return _write_layers(layers, Path(out_path))


def dashboard_in_two(
    timeseries: pd.DataFrame,
    summary: Mapping[str, Any],
    out_path: Path,
    elsewhere: Callable[..., Any],
) -> Path:
    """:func:`dashboard`, its two columns drawn at once: this process and another.

    Each column is a figure of its own, laid out and rendered on its own (see
    :data:`COLUMNS`), so the two can be drawn by two processes from the moment
    the data arrives: ``elsewhere(function, *args)`` must start ``function(*args)``
    in another process and return an object whose ``result()`` gives its value
    (:class:`inverse_qe.forking.ForkedTask`). The picture is :func:`dashboard`'s,
    pixel for pixel: both lay the same two layers over white.
    """
    right = elsewhere(column_pixels, timeseries, summary, "right")
    layers = [column_pixels(timeseries, summary, "left"), right.result()]
    return _write_layers(layers, Path(out_path))


def column_pixels(timeseries: pd.DataFrame, summary: Mapping[str, Any] | None, side: str):
    """One column of the dashboard, laid out and rendered: RGBA pixels.

    ``"left"`` also has the title block. The background is transparent and the size
    that of the whole picture, so the two columns are laid over each other.
    """
    with mpl.rc_context(_STYLE):  # the dashboard's style, kept local to the call
        fig = _figure(timeseries, summary, side)
        lay_out(fig)
        return render_half(fig, side)


def _write_layers(layers: list[np.ndarray], out_path: Path) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(layers_png(layers, DPI))
    return out_path


def warm_up() -> None:
    """Pay the first drawing's one-time costs on a tiny figure, written nowhere.

    The first figure a process draws also finds and loads the fonts, builds the Agg
    renderer and loads the PNG writer: about a tenth of a second that a second
    dashboard does not pay. The figure worker of ``inverse-qe run`` calls this while
    the model is still being imported and simulated, so the dashboard itself is
    drawn warm once the results arrive.
    """
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=(2.0, 1.0), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot([0.0, 1.0], [0.0, 1.0], label="a")
        ax.fill_between([0.0, 1.0], [0.0, 1.0], alpha=0.3)
        ax.bar([0.5], [0.5])
        ax.legend(loc="upper right")
        ax.set_title("a", loc="left", fontweight="bold")
        fig.text(0.0, 0.0, "a", fontsize=8)
        fig.savefig(io.BytesIO(), format="png", dpi=DPI)


def _figure(timeseries: pd.DataFrame, summary: Mapping[str, Any] | None, side: str) -> Figure:
    """One column of the dashboard as a laid-out, whole-size :class:`Figure`.

    Call it inside ``rc_context(_STYLE)``.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    _draw(fig, _clean(timeseries), dict(summary or {}), side)
    return fig


# --------------------------------------------------------------------------- data


def _clean(timeseries: pd.DataFrame) -> pd.DataFrame:
    """A copy sorted by week with numeric columns and an ``x`` column to plot against."""
    frame = pd.DataFrame(timeseries).copy()
    weeks = pd.to_numeric(frame["week"], errors="coerce") if "week" in frame else None
    if weeks is None or weeks.isna().any():
        # Without trustworthy week numbers, row order is the best clock there is.
        frame["week"] = np.arange(len(frame), dtype=float)
    else:
        frame["week"] = weeks.astype(float)
        frame = frame.sort_values("week", kind="stable").reset_index(drop=True)
    for column in frame.columns:
        if column != "date":
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    dates = pd.to_datetime(frame["date"], errors="coerce") if "date" in frame else None
    # Calendar dates when every row has one; otherwise fall back to week numbers.
    if dates is not None and len(frame) and dates.notna().all():
        frame["x"] = dates
    else:
        frame["x"] = frame["week"]
    return frame


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    """Whether every column exists and holds at least one number."""
    return len(frame) > 0 and all(c in frame and frame[c].notna().any() for c in columns)


def _uses_dates(frame: pd.DataFrame) -> bool:
    return pd.api.types.is_datetime64_any_dtype(frame["x"])


def _week_step(frame: pd.DataFrame) -> Any:
    """One week on the x axis: a Timedelta for dates, 1 for week numbers."""
    return pd.Timedelta(days=7) if _uses_dates(frame) else 1.0


def _x_of_week(frame: pd.DataFrame, week: float | None) -> Any | None:
    """The x position of a model week, or None if the frame does not cover it.

    Marks outside the plotted weeks would only stretch the layout, so they are dropped.
    """
    if week is None or not len(frame) or not np.isfinite(week):
        return None
    weeks = frame["week"].to_numpy(dtype=float)
    if not weeks[0] <= week <= weeks[-1]:
        return None
    hits = np.flatnonzero(weeks == week)
    if hits.size:
        return frame["x"].iloc[hits[0]]
    return frame["x"].iloc[0] + _week_step(frame) * float(week - weeks[0])


def _prefixed(frame: pd.DataFrame, prefix: str) -> list[str]:
    """Names after ``prefix`` among the columns that hold data, in column order."""
    return [c[len(prefix) :] for c in frame.columns if c.startswith(prefix) and _has(frame, c)]


def _pretty(name: str) -> str:
    return name.replace("_", " ")


def _asset_colours(assets: Iterable[str]) -> dict[str, str]:
    """Fixed colours for known assets, then the extra palette in order of appearance."""
    colours, extra = {}, 0
    for asset in assets:
        if asset in ASSET_COLOURS:
            colours[asset] = ASSET_COLOURS[asset]
        else:
            colours[asset] = _EXTRA_COLOURS[extra % len(_EXTRA_COLOURS)]
            extra += 1
    return colours


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _usd(amount: float) -> str:
    """US$bn with thousands separators; one decimal for small sums so 0.4 is not "0"."""
    decimals = 1 if 0 < abs(amount) < 10 else 0
    return f"US${amount:,.{decimals}f}bn"


def _signed_pct(fraction: float) -> str:
    """``-0.79`` -> ``"−79%"`` with a true minus sign, as in print."""
    pct = round(100 * fraction)
    return f"{'−' if pct < 0 else '+'}{abs(pct):,}%" if pct else "0%"


def _signed_bp(fraction: float) -> str:
    bp = round(10_000 * fraction)
    return f"{'−' if bp < 0 else '+'}{abs(bp):,} bp" if bp else "0 bp"


# --------------------------------------------------------------------- the figure


def _draw(fig: Figure, frame: pd.DataFrame, summary: dict[str, Any], side: str) -> None:
    """Lay out one column's panels and draw each one.

    Then the title block (left column) or the line-end labels (right column).
    """
    # The top strip is left to the hand-placed two-line title block.
    fig.get_layout_engine().set(rect=COLUMNS[side], h_pad=0.05, w_pad=0.06)
    if side == "left":
        grid = fig.add_gridspec(3, 1, hspace=0.08)
    else:
        grid = fig.add_gridspec(4, 1, height_ratios=[1.6, 1.0, 0.8, 0.5], hspace=0.08)
    top = fig.add_subplot(grid[0])
    panels = (top, *(fig.add_subplot(grid[k], sharex=top) for k in range(1, grid.nrows)))
    for ax in panels[:-1]:
        ax.tick_params(labelbottom=False)
    for ax in panels:
        ax.grid(True, color=_GRID, linewidth=0.7)
        ax.set_axisbelow(True)

    end_labels = None
    if side == "left":
        tub, dry, sales = panels
        exhausted = _exhaustion_weeks(summary)
        _tub_panel(tub, frame, exhausted)
        _dry_powder_panel(dry, frame, exhausted)
        _forced_sales_panel(sales, frame, summary)
        _title_block(fig, frame, summary)
        stacked = (dry, sales)
    else:
        ducks, effect, rates, stress = panels
        end_labels = _label_line_ends(ducks, _ducks_panel(ducks, frame, summary))
        _capex_effect_panel(effect, frame, summary)
        _rates_panel(rates, frame)
        _stress_panel(stress, frame)
        stacked = (effect,)
    _format_x(frame, panels[-1:])
    # These panels' legends (six sectors; four reasons with their totals; four kinds of
    # line) leave no room for their titles beside them: stacked now, the layout below
    # makes room for them in its one pass instead of a second one.
    renderer = fig.canvas.get_renderer()
    for ax in stacked:
        _stack_title(ax, renderer)
    # Text sizes and the panels' final heights are known only after a layout pass
    # (the line-end labels already take their width in it). The layout alone measures
    # every text it needs; a whole draw without rendering would also walk every line
    # and patch for nothing (about a sixth of the dashboard's time).
    fig.get_layout_engine().execute(fig)
    lifted = _unclash_titles(fig, [ax for ax in panels if ax not in stacked])
    if end_labels is not None:
        _space_line_ends(panels[0], end_labels)
    if not lifted:
        # The layout is the costly part of a draw (every tick and label measured) and
        # nothing it depends on changed since that pass: keep its positions rather than
        # let savefig run the constrained layout again.
        fig.set_layout_engine("none")


def _unclash_titles(fig: Figure, axes: Iterable[Axes]) -> bool:
    """Lift a panel's title above its legend where the two would print over each other.

    Titles sit top-left and legends top-right; long legend entries (big totals,
    many sectors) can reach the title, and then stacking them is the tidy fix.
    Whether any title was lifted (the layout must then make room for it).
    """
    lifted = False
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        legend, label = ax.get_legend(), ax.get_title(loc="left")
        if legend is None or not label:
            continue
        # set_title hands back the title's Text (re-setting it leaves it where it is).
        title = ax.set_title(label, loc="left")
        if title.get_window_extent(renderer).x1 + 6 > legend.get_window_extent(renderer).x0:
            _stack_title(ax, renderer)
            lifted = True
    return lifted


def _stack_title(ax: Axes, renderer) -> None:
    """The panel's title on a line of its own, above its legend.

    A legend's size does not depend on where the layout puts it, so this can be done
    before the layout.
    """
    legend, label = ax.get_legend(), ax.get_title(loc="left")
    if legend is not None and label:
        points = legend.get_window_extent(renderer).height * 72.0 / ax.figure.dpi
        ax.set_title(label, loc="left", pad=points + 8)


def _placeholder(ax: Axes, title: str, frame: pd.DataFrame) -> None:
    """Keep the panel's place in the grid but say plainly that there is nothing to show."""
    what = "not recorded in this run" if len(frame) else "no weeks recorded"
    ax.set_title(title)
    ax.text(
        0.5, 0.5, what, transform=ax.transAxes, ha="center", va="center", color=_MUTED, fontsize=9
    )
    ax.set_yticks([])
    ax.grid(False)


def _legend_above(ax: Axes, handles: list, labels: list[str] | None = None, ncol: int = 4) -> None:
    """A legend above the panel's right end, where it never hides data."""
    if labels is None:
        labels = [h.get_label() for h in handles]
    ax.legend(
        handles,
        labels,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=min(ncol, len(handles)),
        borderaxespad=0.15,
        handlelength=1.4,
        handletextpad=0.4,
        columnspacing=0.9,
    )


def _exhaustion_weeks(summary: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(fund, week)`` for each fund whose dry powder ran out, earliest first."""
    raw = summary.get("dry_powder_exhausted") or {}
    if not isinstance(raw, Mapping):
        return []
    weeks = [(str(name), _number(week)) for name, week in raw.items()]
    return sorted(((n, w) for n, w in weeks if w is not None), key=lambda nw: (nw[1], nw[0]))


def _mark_exhaustion(
    ax: Axes, frame: pd.DataFrame, exhausted: list[tuple[str, float]], *, labels: bool
) -> None:
    """Vertical lines at the weeks funds ran dry; funds within a few weeks share one label."""
    if not len(frame):
        return
    weeks = frame["week"].to_numpy(dtype=float)
    first, span = weeks[0], max(weeks[-1] - weeks[0], 1.0)
    marks = [(name, week, _x_of_week(frame, week)) for name, week in exhausted]
    marks = [m for m in marks if m[2] is not None]
    # Rotated labels are about 1.5% of the axis wide: closer lines would print over each other.
    min_gap = max(1.0, 0.025 * span)
    clusters: list[list[tuple[str, float, Any]]] = []
    for mark in marks:
        if clusters and mark[1] - clusters[-1][-1][1] < min_gap:
            clusters[-1].append(mark)
        else:
            clusters.append([mark])
    for cluster in clusters:
        for _, _, x in cluster:
            ax.axvline(x, color="#333333", linestyle=(0, (3, 2)), linewidth=0.9, zorder=3)
        if not labels:
            continue
        if len(cluster) <= 2:
            text = ", ".join(_pretty(name) for name, _, _ in cluster) + ": dry powder gone"
        else:  # three names on one vertical line would run off the panel
            text = f"{len(cluster)} funds out of dry powder"
        # Labels sit left of their line, unless that would push them off the panel.
        at_left_edge = (cluster[0][1] - first) / span < 0.03
        ax.text(
            cluster[-1][2] if at_left_edge else cluster[0][2],
            0.97,
            text,
            transform=ax.get_xaxis_transform(),
            rotation=90,
            ha="left" if at_left_edge else "right",
            va="top",
            fontsize=7.5,
            color="#222222",
            zorder=6,
            clip_on=True,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
        )


def _tub_panel(ax: Axes, frame: pd.DataFrame, exhausted: list[tuple[str, float]]) -> None:
    title = "The tub: investable cash"
    if not _has(frame, "water_level"):
        _placeholder(ax, title, frame)
        _mark_exhaustion(ax, frame, exhausted, labels=True)
        return
    ax.set_title(title)
    x = frame["x"]
    water = frame["water_level"]
    has_powder = _has(frame, "dry_powder")
    powder = frame["dry_powder"].fillna(0.0).clip(lower=0.0) if has_powder else 0.0 * water
    held = water - powder
    handles = [Patch(color=_WATER, alpha=0.6, label="cash held as money demand")]
    if has_powder:
        handles.append(Patch(color=_DRY_POWDER, label="dry powder"))
    ax.fill_between(x, 0, held, color=_WATER, alpha=0.6, linewidth=0)
    ax.fill_between(x, held, water, color=_DRY_POWDER, linewidth=0)
    ax.plot(x, water, color=_WATER_EDGE, linewidth=1.3, marker=_line_marker(frame))
    handles.insert(0, Line2D([], [], color=_WATER_EDGE, linewidth=1.3, label="water level"))
    # The water level moves by a few percent of its size: an axis from zero would flatten
    # the story, so zoom in; the ticks carry the scale and the fill still reads as water.
    lo, hi = np.nanmin(held), np.nanmax(water)
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    ax.set_ylim(max(0.0, lo - 0.8 * span), hi + 0.25 * span)
    ax.yaxis.set_major_formatter(_Thousands())
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_ylabel("US$bn")
    if _has(frame, "rrp_balance"):
        # RRP is ~1/1000th of the water: it gets its own scale, from zero, on the right.
        twin = ax.twinx()
        twin.plot(
            x,
            frame["rrp_balance"],
            color=_RRP,
            linewidth=1.4,
            linestyle=(0, (4, 2)),
            marker=_line_marker(frame),
        )
        top = np.nanmax(frame["rrp_balance"].abs())
        twin.set_ylim(0, top * 1.6 if top > 0 else 1.0)
        twin.yaxis.set_major_locator(MaxNLocator(4))
        twin.yaxis.set_major_formatter(_Thousands())
        twin.set_ylabel("RRP balance, US$bn", color=_RRP)
        twin.tick_params(axis="y", colors=_RRP)
        twin.spines["right"].set_color(_RRP)
        twin.spines["top"].set_visible(False)
        handles.append(
            Line2D([], [], color=_RRP, linewidth=1.4, linestyle=(0, (4, 2)), label="RRP (right)")
        )
        _mark_exhaustion(twin, frame, exhausted, labels=True)
    else:
        _mark_exhaustion(ax, frame, exhausted, labels=True)
    _legend_above(ax, handles, ncol=2)


def _dry_powder_panel(ax: Axes, frame: pd.DataFrame, exhausted: list[tuple[str, float]]) -> None:
    title = "Dry powder by sector, and net liquidity"
    sectors = _prefixed(frame, "dry_powder_")
    _mark_exhaustion(ax, frame, exhausted, labels=False)
    if not sectors:
        _placeholder(ax, title, frame)
        return
    ax.set_title(title)
    values = [frame[f"dry_powder_{s}"].fillna(0.0).clip(lower=0.0).to_numpy() for s in sectors]
    spare = iter(_EXTRA_COLOURS)
    colours = [_SECTOR_COLOURS.get(s) or next(spare, "#BBBBBB") for s in sectors]
    ax.stackplot(frame["x"], *values, colors=colours, linewidth=0)
    if _line_marker(frame):
        ax.plot(frame["x"], np.sum(values, axis=0), "o", color=_MUTED)
    total = np.sum(values, axis=0)
    top = float(total.max())
    bottom = 0.0
    handles = [Patch(color=c, label=_pretty(s)) for s, c in zip(sectors, colours, strict=True)]
    if _has(frame, "net_liquidity"):
        # Net liquidity nets the shortfalls against the dry powder: it can go below zero,
        # and the first week it does is the tub's exhaustion.
        net = frame["net_liquidity"]
        (line,) = ax.plot(
            frame["x"], net, color="#111111", linewidth=1.4, label="net liquidity (all sectors)"
        )
        ax.axhline(0.0, color="#111111", linewidth=0.7)
        handles.append(line)
        top, bottom = max(top, float(net.max())), min(0.0, float(net.min()))
        hits = np.flatnonzero(net.to_numpy() <= 0)
        x = _x_of_week(frame, float(frame["week"].iloc[hits[0]])) if hits.size else None
        if x is not None:
            ax.axvline(x, color="#111111", linestyle=":", linewidth=1.1)
    span = top - bottom
    ax.set_ylim(bottom - 0.08 * span if bottom < 0 else 0, top * 1.08 if top > 0 else 1.0)
    ax.yaxis.set_major_formatter(_Thousands())
    ax.yaxis.set_major_locator(MaxNLocator(5) if top > 0 else FixedLocator([0.0]))
    if top <= 0 and bottom >= 0:
        ax.text(0.5, 0.5, "no dry powder", transform=ax.transAxes, ha="center", color=_MUTED)
    elif bottom >= 0:
        _note_dry_stretch(ax, frame, total, top)
    ax.set_ylabel("US$bn")
    _legend_above(ax, handles, ncol=3)


def _capex_effect_panel(ax: Axes, frame: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    """What AI spending did: risk-asset value minus the twin's (same seed, no AI spending)."""
    title = "What AI spending did: risk assets against the same world without it"
    if not _has(frame, "capex_effect"):
        _placeholder(ax, title, frame)
        return
    ax.set_title(title)
    x, gap = frame["x"], frame["capex_effect"].to_numpy(dtype=float)
    ax.fill_between(x, 0, gap, where=gap >= 0, color=_GAIN, alpha=0.35, linewidth=0)
    ax.fill_between(x, 0, gap, where=gap < 0, color=_LOSS, alpha=0.35, linewidth=0)
    ax.plot(x, gap, color="#222222", linewidth=1.3, marker=_line_marker(frame))
    ax.axhline(0.0, color="#222222", linewidth=0.7)
    handles = [
        Patch(color=_GAIN, alpha=0.5, label="a stimulus"),
        Patch(color=_LOSS, alpha=0.5, label="a drain"),
    ]
    if _has(frame, "capex_effect_money"):
        # The gap without the earnings AI spending created: what moving money did.
        money = frame["capex_effect_money"].to_numpy(dtype=float)
        ax.plot(x, money, color="#7a3b8f", linewidth=1.1, linestyle="--")
        handles.append(Line2D([], [], color="#7a3b8f", linestyle="--", label="money alone"))
        shown = np.concatenate([gap, money])
    else:
        shown = gap
    week = _number(summary.get("dry_powder_exhausted_week"))
    xw = _x_of_week(frame, week)
    if xw is not None:
        ax.axvline(xw, color="#111111", linestyle=":", linewidth=1.1)
        handles.append(
            Line2D([], [], color="#111111", linestyle=":", label="net liquidity exhausted")
        )
    lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
    pad = 0.1 * max(hi - lo, 1.0)
    ax.set_ylim(min(lo, 0.0) - pad, max(hi, 0.0) + pad)
    ax.yaxis.set_major_formatter(_Thousands())
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_ylabel("US$bn")
    _legend_above(ax, handles, ncol=len(handles))


def _note_dry_stretch(ax: Axes, frame: pd.DataFrame, total: np.ndarray, peak: float) -> None:
    """Say in words when the tub has no dry powder left for a long stretch.

    An empty panel is the point, but it looks like missing data unless labelled.
    """
    dry = total <= 1e-3 * peak
    best_start, best_len, start = 0, 0, None
    for i, is_dry in enumerate([*dry, False]):
        if is_dry and start is None:
            start = i
        elif not is_dry and start is not None:
            if i - start > best_len:
                best_start, best_len = start, i - start
            start = None
    if best_len < max(2, 0.25 * len(total)):
        return
    first, last = best_start, best_start + best_len - 1
    x = frame["x"]
    when = (lambda i: f"{x.iloc[i]:%d %b %Y}") if _uses_dates(frame) else (lambda i: f"week {i}")
    until = "end of run" if last == len(total) - 1 else when(last)
    middle = x.iloc[first] + (x.iloc[last] - x.iloc[first]) / 2
    ax.text(
        middle,
        0.5,
        f"no dry powder left anywhere\n{when(first)} → {until}",
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="center",
        fontsize=9.5,
        color=_MUTED,
        style="italic",
        clip_on=True,
    )


def _forced_sales_panel(ax: Axes, frame: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    title = "Forced sales by reason"
    reasons = [r for r in _REASONS if _has(frame, f"forced_sales_{r}")]
    if not reasons:
        _placeholder(ax, title, frame)
        return
    ax.set_title(title)
    x = frame["x"]
    # Bar centres and width in the axis' own units (days for dates).
    ax.xaxis.update_units(x)
    centres = np.asarray(ax.convert_xunits(x), dtype=float)
    width = 5.0 if _uses_dates(frame) else 0.7
    totals = summary.get("forced_sales") if isinstance(summary.get("forced_sales"), Mapping) else {}
    bottom = np.zeros(len(frame))
    handles = []
    for reason in reasons:
        amount = frame[f"forced_sales_{reason}"].fillna(0.0).clip(lower=0.0).to_numpy()
        some = amount > 0  # zero-height bars cost a patch each and show nothing
        if some.any():
            _bars(ax, centres[some], width, bottom[some], amount[some], _REASONS[reason])
        bottom += amount
        total = _number(totals.get(reason)) if totals else None
        total = float(amount.sum()) if total is None else total
        handles.append(Patch(color=_REASONS[reason], label=f"{reason} {_usd(total)}"))
    peak = float(bottom.max()) if bottom.size else 0.0
    # Headroom above the tallest bar for the cascade note.
    ax.set_ylim(0, peak * 1.25 if peak > 0 else 1.0)
    ax.yaxis.set_major_formatter(_Thousands())
    # An empty axis gets a single tick at zero rather than a made-up 0-1 scale.
    ax.yaxis.set_major_locator(MaxNLocator(5) if peak > 0 else FixedLocator([0.0]))
    if peak <= 0:
        ax.text(0.5, 0.5, "no forced sales", transform=ax.transAxes, ha="center", color=_MUTED)
    ax.set_ylabel("US$bn / week")
    top_ax = ax
    if _has(frame, "margin_calls"):
        twin = ax.twinx()
        calls = frame["margin_calls"].fillna(0.0)
        hit = calls > 0
        twin.plot(
            x[hit],
            calls[hit],
            linestyle="none",
            marker="o",
            markersize=3.6,
            color="#111111",
            markeredgecolor="white",  # keeps dots legible where they sit on bars
            markeredgewidth=0.5,
        )
        most = float(calls.max())
        twin.set_ylim(0, most * 1.25 if most > 0 else 1.0)
        twin.yaxis.set_major_locator(
            MaxNLocator(4, integer=True) if most > 0 else FixedLocator([0.0])
        )
        twin.yaxis.set_major_formatter(_Thousands())
        twin.set_ylabel("margin calls / week")
        twin.spines["top"].set_visible(False)
        handles.append(
            Line2D(
                [], [], ls="none", marker="o", ms=3.2, color="#111111", label="margin calls (right)"
            )
        )
        top_ax = twin
    _mark_cascade(top_ax, ax, frame, summary.get("largest_cascade"))
    _legend_above(ax, handles, ncol=3)


def _bars(ax: Axes, centres, width: float, bottom, height, colour: str) -> None:
    """Bars as one collection: the rectangles ``ax.bar`` would make, in one artist.

    ``ax.bar`` makes a patch per bar, each drawn (and measured at each layout pass)
    on its own: about a tenth of the dashboard's time for a few hundred bars.
    """
    left, right, top = centres - width / 2, centres + width / 2, bottom + height
    corners = np.stack(
        [
            np.column_stack(pair)
            for pair in ((left, bottom), (left, top), (right, top), (right, bottom))
        ],
        axis=1,
    )
    ax.add_collection(PolyCollection(corners, facecolors=colour, linewidths=0), autolim=True)


def _mark_cascade(top_ax: Axes, ax: Axes, frame: pd.DataFrame, cascade: Any) -> None:
    """Shade the largest cascade's weeks and label it with its size."""
    if not isinstance(cascade, Mapping) or not len(frame):
        return
    first, last = _number(cascade.get("first_week")), _number(cascade.get("last_week"))
    if first is None:
        return
    last = first if last is None else last
    label_weeks = f"week {first:.0f}" if first == last else f"weeks {first:.0f}–{last:.0f}"
    # A cascade straddling the end of the frame is shown for the weeks plotted.
    weeks_all = frame["week"].to_numpy(dtype=float)
    first, last = max(first, weeks_all[0]), min(last, weeks_all[-1])
    x0, x1 = _x_of_week(frame, first), _x_of_week(frame, last)
    if x0 is None or x1 is None:
        return
    half = _week_step(frame) / 2
    ax.axvspan(x0 - half, x1 + half, color="#F2C14E", alpha=0.35, linewidth=0, zorder=0)
    size, depth = _number(cascade.get("size")), _number(cascade.get("depth"))
    parts = [f"largest cascade: {_usd(size)}" if size is not None else "largest cascade"]
    if depth is not None:
        parts.append(f"depth {depth:,.0f}")
    parts.append(label_weeks)
    # Beside the span where there is room (the note is about half a panel wide),
    # else centred over the panel: short runs have no room on either side.
    n_weeks = weeks_all[-1] - weeks_all[0] + 1.0
    start = (first - weeks_all[0]) / n_weeks
    end = (last - weeks_all[0] + 1.0) / n_weeks
    # annotate() does not convert dates itself when given a transform, hence convert_xunits.
    if end + 0.5 <= 0.98:
        where = (top_ax.convert_xunits(x1 + half), top_ax.get_xaxis_transform())
        ha, nudge = "left", 4
    elif start - 0.5 >= 0.02:
        where = (top_ax.convert_xunits(x0 - half), top_ax.get_xaxis_transform())
        ha, nudge = "right", -4
    else:
        where, ha, nudge = (0.5, top_ax.transAxes), "center", 0
    top_ax.annotate(
        " · ".join(parts),
        xy=(where[0], 0.95),
        xycoords=where[1],
        xytext=(nudge, 0),
        textcoords="offset points",
        ha=ha,
        va="top",
        fontsize=8,
        zorder=7,
        annotation_clip=False,
        clip_on=True,
        bbox={"boxstyle": "round,pad=0.25", "fc": "#FFF6DA", "ec": "#D9A520", "lw": 0.6},
    )


def _ducks_panel(
    ax: Axes, frame: pd.DataFrame, summary: Mapping[str, Any]
) -> list[tuple[str, float, str]]:
    """Draw the price lines; return ``(text, y_end, colour)`` labels for the line ends."""
    title = "Ducks: asset prices (index, start = 1)"
    assets = _prefixed(frame, "price_")
    if not assets:
        _placeholder(ax, title, frame)
        return []
    colours = _asset_colours(assets)
    x = frame["x"]
    prices = {a: frame[f"price_{a}"] for a in assets}
    positive = all((p.dropna() > 0).all() for p in prices.values())
    # Log scale when possible: a halving and a doubling then look equally large.
    if positive:
        ax.set_yscale("log")
        ax.set_title(title.replace(")", ", log scale)"))
    else:
        ax.set_title(title)
    lo = min(float(p.min()) for p in prices.values())
    hi = max(float(p.max()) for p in prices.values())
    lo, hi = min(lo, 1.0), max(hi, 1.0)
    if positive:
        pad = (math.log(hi) - math.log(lo)) * 0.06 or 0.05
        ylim = (math.exp(math.log(lo) - pad), math.exp(math.log(hi) + pad))
    else:
        pad = (hi - lo) * 0.06 or 0.05
        ylim = (lo - pad, hi + pad)
    # Faint tints say "above water / below water" without a legend.
    ax.axhspan(1.0, ylim[1], color="#2E7D32", alpha=0.045, linewidth=0, zorder=0)
    ax.axhspan(ylim[0], 1.0, color="#C62828", alpha=0.045, linewidth=0, zorder=0)
    ax.axhline(1.0, color="#555555", linewidth=0.9, zorder=1)
    ax.set_ylim(*ylim)
    if positive:
        ax.yaxis.set_major_locator(FixedLocator(_log_ticks(*ylim)))
        ax.yaxis.set_minor_locator(LogLocator(base=10, subs="all"))
        ax.yaxis.set_major_formatter(FuncFormatter(_price_tick))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("price index")
    assets_summary = summary.get("assets") if isinstance(summary.get("assets"), Mapping) else {}
    labels = []
    for asset in assets:
        series = prices[asset]
        ax.plot(
            x, series, color=colours[asset], linewidth=1.6, zorder=3, marker=_line_marker(frame)
        )
        valid = series.dropna()
        if valid.empty:
            continue
        stats = assets_summary.get(asset) if assets_summary else None
        total = _number(stats.get("total_return")) if isinstance(stats, Mapping) else None
        if total is None:
            total = float(valid.iloc[-1] / valid.iloc[0] - 1.0) if valid.iloc[0] else 0.0
        labels.append(
            (f"{_pretty(asset)} {_signed_pct(total)}", float(valid.iloc[-1]), colours[asset])
        )
    return labels


def _price_tick(value: float, _pos: int | None = None) -> str:
    """Price index ticks: "0.15", "1", "2,000"; powers of ten only when tiny."""
    if value >= 1_000:
        return f"{value:,.0f}"
    return f"{value:.0e}" if value < 0.001 else f"{value:g}"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Round price levels for a log axis: dense enough to read off, sparse enough to breathe."""
    decades = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
    steps = ((1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8), (1, 1.5, 2, 3, 5, 7), (1, 2, 5), (1,))
    for mantissas in steps:
        ticks = [round(m * 10.0**d, 12) for d in decades for m in mantissas]
        ticks = [t for t in ticks if lo <= t <= hi]
        if len(ticks) <= 8:
            return ticks
    return ticks


def _label_line_ends(ax: Axes, labels: list[tuple[str, float, str]]) -> list[tuple]:
    """Write each line's label just right of the panel, joined to its line by a short leader.

    Returns:
        ``(leader, text, end)`` per label, for :func:`_space_line_ends` to space out
        once the panel's final height is known.
    """
    to_axes = ax.transData + ax.transAxes.inverted()
    placed = []
    for text, y, colour in labels:
        end = float(np.clip(to_axes.transform((0.0, y))[1], 0.0, 1.0))
        (leader,) = ax.plot(
            [1.0, 1.012, 1.022],
            [end, end, end],
            transform=ax.transAxes,
            color=colour,
            linewidth=0.8,
            clip_on=False,
        )
        label = ax.text(
            1.028,
            end,
            text,
            transform=ax.transAxes,
            ha="left",
            va="center",
            fontsize=8.5,
            fontweight="bold",
            color=colour,
            clip_on=False,
        )
        placed.append((leader, label, end))
    _space_line_ends(ax, placed)
    return placed


def _space_line_ends(ax: Axes, placed: list[tuple]) -> None:
    """Nudge the line-end labels apart by one text line at the panel's current height."""
    if not placed:
        return
    height = ax.get_window_extent().height or 1.0
    # One text line (8.5 pt at the figure's dpi, plus leading) as a fraction of the panel.
    gap = 1.3 * 8.5 * ax.figure.dpi / 72.0 / height
    ends = np.array([end for _, _, end in placed])
    for (leader, label, end), y in zip(placed, _spread(ends, gap), strict=True):
        leader.set_ydata([end, y, y])
        label.set_y(y)


def _spread(positions: np.ndarray, gap: float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Move positions as little as possible so neighbours are at least ``gap`` apart.

    Args:
        positions: Desired positions (axes fraction).
        gap: Minimum distance between neighbours; shrunk if they cannot all fit.
        lo: Lowest allowed position.
        hi: Highest allowed position.

    Returns:
        The adjusted positions, in the input order.
    """
    n = len(positions)
    if n == 0:
        return np.asarray(positions, dtype=float)
    if n > 1:
        gap = min(gap, (hi - lo) / (n - 1))
    order = np.argsort(positions, kind="stable")
    y = np.clip(np.asarray(positions, dtype=float)[order], lo, hi)
    for i in range(1, n):  # push up from the bottom...
        y[i] = max(y[i], y[i - 1] + gap)
    y[-1] = min(y[-1], hi)
    for i in range(n - 2, -1, -1):  # ...then down from the top, so nothing leaves the panel
        y[i] = min(y[i], y[i + 1] - gap)
    out = np.empty(n)
    out[order] = y
    return out


def _rates_panel(ax: Axes, frame: pd.DataFrame) -> None:
    title = "Rates"
    series = [
        ("yield_10y", "10y Treasury yield", "#0072B2", "-"),
        ("policy_rate", "policy rate", "#222222", "-"),
        ("bond_spread", "hyperscaler bond spread", "#D55E00", "-"),
    ]
    present = [s for s in series if _has(frame, s[0])]
    if not present:
        _placeholder(ax, title, frame)
        return
    ax.set_title(title)
    handles = []
    for column, label, colour, style in present:
        drawstyle = "steps-post" if column == "policy_rate" else "default"
        (line,) = ax.plot(
            frame["x"],
            100 * frame[column],
            color=colour,
            linestyle=style,
            linewidth=1.6,
            drawstyle=drawstyle,
            marker=_line_marker(frame),
            label=label,
        )
        handles.append(line)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_Thousands(min_decimals=1))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.set_ylabel("%")
    _legend_above(ax, handles)


def _stress_panel(ax: Axes, frame: pd.DataFrame) -> None:
    title = "Stress index"
    if not _has(frame, "stress_index"):
        _placeholder(ax, title, frame)
        return
    ax.set_title(title)
    stress = frame["stress_index"].to_numpy(dtype=float)
    x = frame["x"]
    ax.fill_between(x, 0, stress, where=stress >= 0, color="#B2182B", alpha=0.25, linewidth=0)
    ax.fill_between(x, 0, stress, where=stress < 0, color="#4393C3", alpha=0.25, linewidth=0)
    ax.plot(x, stress, color="#B2182B", linewidth=1.2, marker=_line_marker(frame))
    ax.axhline(0.0, color="#555555", linewidth=0.6)
    # A log-price gap: a fixed scale of +-0.5 compares runs honestly unless one goes beyond.
    most = float(np.nanmax(np.abs(stress))) if len(stress) else 0.0
    limit = 0.5 if most <= 0.5 else most * 1.05
    ax.set_ylim(-limit, limit)
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylabel("log gap")
    _legend_above(
        ax,
        [
            Patch(color="#B2182B", alpha=0.4, label="risk assets below their half-year trend"),
            Patch(color="#4393C3", alpha=0.4, label="above it"),
        ],
        ncol=2,
    )


def _format_x(frame: pd.DataFrame, bottoms: Iterable[Axes]) -> None:
    """Calendar ticks (or week numbers) and limits padded by half a week."""
    bottoms = list(bottoms)
    ax = bottoms[0]
    if not len(frame):
        for bottom in bottoms:
            bottom.tick_params(labelbottom=False)
        return
    half = _week_step(frame) / 2
    ax.set_xlim(frame["x"].min() - half, frame["x"].max() + half)
    if _uses_dates(frame):
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        formatter = mdates.ConciseDateFormatter(locator)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(formatter)
        # The limits are fixed now, and the date ticks depend on nothing else (not on the
        # panels' sizes), but matplotlib would recompute them (calendar rules, then every
        # label) on every panel at every layout pass and draw: about a fifth of the
        # figure's time. The same ticks and labels, computed once:
        ticks = locator()
        labels = formatter.format_ticks(ticks)
        fixed = FixedFormatter(labels)
        fixed.set_offset_string(formatter.get_offset())
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(fixed)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
        for bottom in bottoms:
            bottom.set_xlabel("week")


def _title_block(fig: Figure, frame: pd.DataFrame, summary: Mapping[str, Any]) -> None:
    """Scenario, seed and span on the first line; headline numbers on the second."""
    scenario = summary.get("scenario", "run")
    parts = [f"Inverse QE — {scenario}"]
    if summary.get("seed") is not None:
        parts.append(f"seed {summary['seed']}")
    weeks = _number(summary.get("weeks"))
    if weeks is None and len(frame):
        weeks = float(np.nanmax(frame["week"]))
    if weeks is not None:
        parts.append(f"{weeks:,.0f} week{'s' if weeks != 1 else ''}")
    if len(frame) and _uses_dates(frame):
        start, end = frame["x"].iloc[0], frame["x"].iloc[-1]
        parts.append(f"{start:%d %b %Y} → {end:%d %b %Y}")
    fig.text(0.01, 0.985, "  ·  ".join(parts), ha="left", va="top", fontsize=15, weight="bold")
    fig.text(
        0.01, 0.948, _headline(frame, summary), ha="left", va="top", fontsize=10.5, color="#333"
    )


def _headline(frame: pd.DataFrame, summary: Mapping[str, Any]) -> str:
    """The compact subtitle: the numbers a strategist asks for first."""
    bits = []
    effect = summary.get("capex_effect")
    gap = _number(effect.get("risk_asset_value_gap")) if isinstance(effect, Mapping) else None
    if gap is not None:
        bits.append(f"AI spending: {'+' if gap >= 0 else '−'}{_usd(abs(gap))} of risk assets")
    exhausted = _number(summary.get("dry_powder_exhausted_week"))
    if exhausted is not None:
        bits.append(f"net liquidity gone in week {exhausted:,.0f}")
    elif "dry_powder_exhausted_week" in summary:
        bits.append("net liquidity never gone")
    forced = summary.get("forced_sales")
    total = _number(forced.get("total")) if isinstance(forced, Mapping) else None
    if total is None and _has(frame, "forced_sales"):
        total = float(frame["forced_sales"].sum())
    if total is not None:
        bits.append(f"forced sales {_usd(total)}")
    cascade = summary.get("largest_cascade")
    size = _number(cascade.get("size")) if isinstance(cascade, Mapping) else None
    if size is not None:
        depth = _number(cascade.get("depth"))
        extra = f" (depth {depth:,.0f})" if depth is not None else ""
        bits.append(f"largest cascade {_usd(size)}{extra}")
    elif "largest_cascade" in summary:
        bits.append("no cascades")
    for key, column, name in (
        ("yield_10y_change", "yield_10y", "Δ10y"),
        ("bond_spread_change", "bond_spread", "Δspread"),
    ):
        change = _number(summary.get(key))
        if change is None and _has(frame, column):
            valid = frame[column].dropna()
            change = float(valid.iloc[-1] - valid.iloc[0])
        if change is not None:
            bits.append(f"{name} {_signed_bp(change)}")
    if not len(frame):
        bits.append("no weeks recorded")
    return "   |   ".join(bits)
