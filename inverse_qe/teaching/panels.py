"""The dashboard's pictures: each panel a small function of the model, drawn for a classroom.

A :class:`Panel` names a drawing function ``draw(model) -> Figure`` that reads
the model's recorded series (week 0 to the current week) and draws them;
:func:`render` turns it into PNG bytes. Figures are kept per model and panel
(:func:`figure_for`), so a new week costs one drawing and one PNG encoding.
Everything is sized for a projector: charts at 72 dpi (one point is one
pixel), 520 pixels wide or more, no text smaller than 12 pixels, the week axis
fixed from 0 to the run's last week.

:data:`PANELS` lists the panels in page order. A new panel is a function and
an entry here; the page shows every entry (the ``data-panel`` attribute of its
image is the panel's ``key``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from inverse_qe.plots import ASSET_COLOURS
from inverse_qe.twin import capex_effect_parts

#: One point is one pixel: the sizes below are what a student sees on the screen.
DPI = 72
#: Text sizes in pixels: ticks and legends, axis labels, titles.
TICK, LEGEND, LABEL, TITLE = 13, 12, 14, 16
#: The bathtub: 90 dpi (a 925-pixel-wide picture), its smallest text 9.6 points (12 pixels).
TUB_DPI, TUB_TEXT = 90, 9.6
#: A chart: 520 x 300 pixels (two side by side beside the controls at 1400 pixels).
CHART_SIZE = (520 / DPI, 300 / DPI)
REASON_COLOURS = {
    "margin": "#D55E00",
    "redemption": "#CC79A7",
    "commitment": "#0072B2",
    "funding": "#56B4E9",
}


@dataclass(frozen=True)
class Panel:
    """A picture on the dashboard.

    Attributes:
        key: its name in the page (``data-panel``) and in the figure cache.
        title: what it shows, in words (the image's alternative text).
        draw: ``draw(model) -> Figure``: the picture of the model's current week.
    """

    key: str
    title: str
    draw: Callable[[object], Figure]


def figure_for(model, key: str, size: tuple[float, float] = CHART_SIZE) -> Figure:
    """An empty figure for one panel of one model (the same figure every week, cleared)."""
    cache = model.__dict__.setdefault("_panel_figures", {})
    figure = cache.get(key)
    if figure is None:
        figure = cache[key] = Figure(figsize=size, dpi=DPI, facecolor="white")
        FigureCanvasAgg(figure)
    figure.clear()
    return figure


def render(panel: Panel, model) -> bytes:
    """The panel for the model's current week, as PNG bytes."""
    figure = panel.draw(model)
    buffer = io.BytesIO()
    # Fast PNG compression: a frame is shown for half a second, not archived.
    figure.savefig(
        buffer, format="png", dpi=figure.dpi, facecolor="white", pil_kwargs={"compress_level": 1}
    )
    return buffer.getvalue()


# -- shared styling -------------------------------------------------------------------------------
def _chart(model, key: str, title: str, ylabel: str) -> Axes:
    """A chart's axes on the week axis 0..the run's last week, with large text."""
    ax = figure_for(model, key).add_axes((0.12, 0.17, 0.80, 0.71))
    ax.set_xlim(0, model.weeks)
    ax.set_xlabel("week", fontsize=LABEL)
    ax.set_ylabel(ylabel, fontsize=LABEL, parse_math=False)
    ax.set_title(title, loc="left", fontsize=TITLE, parse_math=False)
    ax.tick_params(labelsize=TICK)
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _weeks(model) -> np.ndarray:
    return model.recorder.series("week")


def _now(ax: Axes, model):
    """A faint line at the current week (moved each week)."""
    return ax.axvline(model.week, color="#999999", lw=1, ls=(0, (3, 3)), zorder=0)


def asset_label(asset: str) -> str:
    """An asset's name as the legend shows it."""
    return asset.replace("_", " ")


# -- the panels ----------------------------------------------------------------------------------
def draw_bathtub(model) -> Figure:
    """This week's bathtub: water, dry powder, taps and drains, the RRP tank, the ducks."""
    from inverse_qe.teaching.tub import TubPicture, tub_weeks

    picture = model.__dict__.get("_tub_picture")
    if picture is None:
        picture = TubPicture(
            _tub_scale(model), list(model.markets.names), dpi=TUB_DPI, panels=False, classroom=True
        )
        model.__dict__["_tub_picture"] = picture
    picture.draw(tub_weeks(model, [model.week], story=False)[0])
    for text in picture.figure.findobj(Text):  # drawn for print: enlarge for a projector
        text.set_fontsize(max(text.get_fontsize(), TUB_TEXT))
    return picture.figure


def _tub_scale(model):
    """Fixed scales for a running model, so the picture does not jump from week to week."""
    from inverse_qe.teaching.tub import TubScale

    cached = model.__dict__.get("_tub_scale")
    if cached is None:
        rec = model.recorder
        water0 = float(rec.series("water_level")[0])
        cached = TubScale(
            capacity=1.3 * water0,
            flow_cap=60.0,
            rrp_capacity=max(
                model.config.central_bank.rrp_capacity, float(rec.series("rrp_balance")[0]), 1e-9
            ),
            weeks=model.weeks,
            scenario=model.config.name,
            water=rec.data[:, rec.index["water_level"]],  # filled in week by week
            dry_powder=rec.data[:, rec.index["dry_powder"]],
        )
        model.__dict__["_tub_scale"] = cached
    return cached


def _state(model, key: str) -> dict | None:
    """What a chart drew last week (its artists, updated in place), or ``None`` the first time."""
    return model.__dict__.setdefault("_panel_state", {}).get(key)


def _keep(model, key: str, state: dict) -> dict:
    model.__dict__["_panel_state"][key] = state
    return state


def _move_now(state: dict, model) -> None:
    state["now"].set_xdata([model.week, model.week])


def draw_prices(model) -> Figure:
    """The ducks: every asset's price relative to week 0, on a log scale with readable labels."""
    weeks, names = _weeks(model), list(model.markets.names)
    prices = {
        asset: model.recorder.series(f"price_{asset}") / model.markets.initial_price[k]
        for k, asset in enumerate(names)
    }
    state = _state(model, "prices")
    if state is None:
        ax = _chart(model, "prices", "The ducks: prices", "price (start = 1, log scale)")
        lines = {
            a: ax.plot([], [], lw=2.2, color=ASSET_COLOURS.get(a), label=asset_label(a))[0]
            for a in names
        }
        ax.axhline(1.0, color="#666666", lw=1, ls=(0, (4, 3)))
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())  # no unlabelled ticks: less to draw
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=LEGEND,
            frameon=False,
            handlelength=1.2,
        )
        ax.set_position((0.12, 0.17, 0.56, 0.71))
        state = _keep(model, "prices", {"ax": ax, "lines": lines, "now": _now(ax, model)})
    for asset, line in state["lines"].items():
        line.set_data(weeks, prices[asset])
    lowest = min(1.0, *(float(p.min()) for p in prices.values()))
    highest = max(1.0, *(float(p.max()) for p in prices.values()))
    state["ax"].set_ylim(min(0.5, lowest / 1.15), max(2.0, highest * 1.15))
    _move_now(state, model)
    return state["ax"].figure


def draw_water(model) -> Figure:
    """The water level (investable cash, US$tn) and the dry powder (US$bn, amber), week by week."""
    weeks, rec = _weeks(model), model.recorder
    water, dry = rec.series("water_level") / 1000, rec.series("dry_powder")
    state = _state(model, "water")
    if state is None:
        ax = _chart(model, "water", "Water level and dry powder (amber)", "water level, US$tn")
        ax.yaxis.label.set_color("#1F4E99")
        twin = ax.twinx()
        area = twin.fill_between([0], [0], [0], color="#E3B448", alpha=0.65, lw=0)
        twin.set_ylim(0, 1.15 * max(float(dry[0]), 1.0))
        twin.set_ylabel("dry powder, US$bn", fontsize=LABEL, color="#9A6F00", parse_math=False)
        twin.tick_params(labelsize=TICK)
        twin.spines["top"].set_visible(False)
        ax.set_zorder(twin.get_zorder() + 1)  # the water line over the amber area
        ax.patch.set_visible(False)
        (line,) = ax.plot([], [], color="#1F4E99", lw=2.8)
        ax.set_position((0.12, 0.17, 0.74, 0.71))
        state = _keep(
            model,
            "water",
            {"ax": ax, "twin": twin, "area": area, "line": line, "now": _now(ax, model)},
        )
    state["line"].set_data(weeks, water)
    state["area"].set_data(weeks, np.zeros_like(dry), dry)
    top = max(float(np.nanmax(dry)), 1.0)
    if top > state["twin"].get_ylim()[1]:
        state["twin"].set_ylim(0, 1.15 * top)
    low, high = float(np.nanmin(water)), float(np.nanmax(water))
    pad = max(0.15 * (high - low), 0.05 * high)
    state["ax"].set_ylim(max(low - pad, 0.0), high + pad)
    _move_now(state, model)
    return state["ax"].figure


RATES = (
    ("policy_rate", "policy rate", "#333333"),
    ("yield_10y", "10-year yield", "#0072B2"),
    ("bond_spread", "hyperscaler bond spread", "#D55E00"),
)


def draw_rates(model) -> Figure:
    """The policy rate, the 10-year yield and the hyperscalers' bond spread, in percent."""
    weeks, rec = _weeks(model), model.recorder
    state = _state(model, "rates")
    if state is None:
        ax = _chart(model, "rates", "Rates", "percent a year")
        lines = {
            c: ax.plot([], [], lw=2.4, color=colour, label=label)[0] for c, label, colour in RATES
        }
        ax.legend(loc="upper left", fontsize=TICK, frameon=False)
        state = _keep(model, "rates", {"ax": ax, "lines": lines, "now": _now(ax, model)})
    values = []
    for column, line in state["lines"].items():
        series = 100 * rec.series(column)
        line.set_data(weeks, series)
        values.append(series)
    every = np.concatenate(values)
    state["ax"].set_ylim(
        min(0.0, float(np.nanmin(every)) - 0.5), max(6.0, float(np.nanmax(every)) + 0.5)
    )
    _move_now(state, model)
    return state["ax"].figure


def draw_forced_sales(model) -> Figure:
    """Forced sales each week by reason (US$bn), on a scale that shows small and large weeks."""
    weeks, rec = _weeks(model), model.recorder
    layers = np.cumsum([rec.series(f"forced_sales_{r}") for r in REASON_COLOURS], axis=0)
    state = _state(model, "forced_sales")
    if state is None:
        from inverse_qe.teaching.narrative import REASON_WORDS

        ax = _chart(model, "forced_sales", "Forced sales", "US$bn a week")
        areas = [
            ax.fill_between([0], [0], [0], step="mid", color=colour, lw=0, label=REASON_WORDS[r])
            for r, colour in REASON_COLOURS.items()
        ]
        ax.set_yscale("symlog", linthresh=10.0)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=LEGEND, frameon=False)
        ax.set_position((0.12, 0.17, 0.52, 0.71))
        state = _keep(model, "forced_sales", {"ax": ax, "areas": areas, "now": _now(ax, model)})
    below = np.zeros_like(weeks)
    for area, top in zip(state["areas"], layers, strict=True):
        area.set_data(weeks, below, top)
        below = top
    ax = state["ax"]
    ax.set_ylim(0, max(100.0, 1.5 * float(np.nanmax(below))))
    ticks = [t for t in (0, 10, 100, 1000, 10000) if t <= ax.get_ylim()[1]]
    ax.set_yticks(ticks, [f"{t:,}" for t in ticks])
    _move_now(state, model)
    return ax.figure


def draw_capex_effect(model) -> Figure:
    """What AI spending did: risk-asset value minus the twin's (same seed, no AI spending)."""
    weeks, rec = _weeks(model), model.recorder
    twin = getattr(model, "twin", None)
    state = _state(model, "capex_effect")
    if state is None:
        ax = _chart(model, "capex_effect", "What AI spending did, vs none", "US$bn")
        ax.axhline(0.0, color="#333333", lw=1.2)
        (line,) = ax.plot([], [], color="#222222", lw=2.8)
        (money,) = ax.plot([], [], color="#7a3b8f", lw=1.8, ls="--", label="money alone")
        gain = ax.fill_between([0], [0], [0], color="#1B9E77", alpha=0.35, lw=0, label="stimulus")
        loss = ax.fill_between([0], [0], [0], color="#D95F02", alpha=0.35, lw=0, label="drain")
        gone = ax.axvline(-1, color="#111111", lw=1.6, ls=":", label="net liquidity gone")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=LEGEND, frameon=False)
        ax.set_position((0.14, 0.17, 0.50, 0.71))
        state = _keep(
            model,
            "capex_effect",
            {
                "ax": ax,
                "line": line,
                "money": money,
                "gain": gain,
                "loss": loss,
                "gone": gone,
                "now": _now(ax, model),
            },
        )
    if twin is None:
        return state["ax"].figure
    # The gap and its money part: without the earnings AI spending created.
    income, money = capex_effect_parts(model, twin)
    gap = income + money
    n = gap.size
    w = weeks[:n]
    state["line"].set_data(w, gap)
    state["money"].set_data(w, money)
    state["gain"].set_data(w, np.zeros_like(gap), np.maximum(gap, 0.0))
    state["loss"].set_data(w, np.minimum(gap, 0.0), np.zeros_like(gap))
    net = rec.series("net_liquidity")[:n]
    hits = np.flatnonzero(net <= 0)
    state["gone"].set_xdata([hits[0], hits[0]] if hits.size else [-1, -1])
    top = max(100.0, 1.2 * float(np.nanmax(np.abs(np.concatenate([gap, money])))))
    state["ax"].set_ylim(-top, top)
    _move_now(state, model)
    return state["ax"].figure


#: The dashboard's pictures, in page order: the bathtub, then the charts two by two.
PANELS: list[Panel] = [
    Panel("bathtub", "this week's bathtub", draw_bathtub),
    Panel("prices", "the ducks: prices relative to the start", draw_prices),
    Panel("water", "the water level and the dry powder", draw_water),
    Panel("rates", "the policy rate, the 10-year yield and the bond spread", draw_rates),
    Panel("forced_sales", "forced sales by reason", draw_forced_sales),
    Panel(
        "capex_effect",
        "what AI spending did: risk assets against the same world without it",
        draw_capex_effect,
    ),
]
