"""The bathtub picture: the metaphor drawn literally, one week at a time, and animated.

* The **tub** holds the water: investable cash (every private financial holder's
  cash). The top layer of the water, in amber, is the *dry powder*: cash above
  what its holders need to keep. The **RRP** is a side tank joined to the tub by
  a pipe.
* **Taps** pour in and **drains** let out, each as wide as its flow that week
  (square-root scale, so a trickle is still visible next to a flood): QE,
  fiscal transfers and savings, hyperscaler earnings, new capital (oil revenue),
  supplier recycling and new credit in; AI capex, QT, the Treasury (issuance
  sold into the tub, which fills its account, the TGA) and deleveraging out.
* The **ducks** are the assets. A duck sits on the surface when its price is
  where it started, rides a wave above it when its price has risen and sinks
  below it when its price has fallen (height = ``DUCK_LIFT`` x log price);
  the surface itself falls when the tub drains.

The taps and drains come from the ledger's cash flows across the tub's edge
(:func:`tub_flows`), and they add up: taps minus drains is the week's change in
the water level, to rounding. :func:`draw_tub` draws one week on a figure,
:func:`tub_figure` makes a still, :func:`animate` writes a GIF (or MP4 where
ffmpeg exists). Figures use matplotlib's object API and the Agg canvas, never
pyplot, so nothing lingers in global state.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch, Polygon, Rectangle

from inverse_qe.model.ledger import CASH
from inverse_qe.teaching.narrative import asset_name, usd

#: Taps (into the tub) and drains (out of it), in drawing order.
TAPS = ("QE", "fiscal & savings", "hyperscaler earnings", "new capital", "recycling", "new credit")
DRAINS = ("AI capex", "QT", "Treasury & TGA", "deleveraging")
#: Vertical lift of a duck per unit of log price (picture units; the tub is 5.4 deep).
DUCK_LIFT = 1.3
FIGSIZE = (12.0, 7.6)

_WATER = "#3B7DD8"
_WATER_EDGE = "#1F4E99"
_DRY_POWDER = "#E3B448"  # the run dashboard's dry-powder colour
_TUB = "#F4F1EA"
_TUB_EDGE = "#5B5B5B"
_PIPE = "#8C8C8C"
_TAP_ON = "#2E8B57"
_DRAIN_ON = "#B03A2E"
_OFF = "#C8C8C8"
_RRP = "#7A3E9D"
_MUTED = "#555555"
_FALLBACK_COLOURS = ["#332288", "#117733", "#882255", "#44AA99", "#999933", "#AA4499"]

# Picture geometry (data units of the main axes).
_X0, _X1 = 2.9, 15.7  # tub walls
_FLOOR, _RIM = 2.2, 7.6
_DEPTH = _RIM - _FLOOR
_TANK = (17.0, 19.0, _FLOOR, 5.6)  # RRP side tank: x0, x1, y0, y1
_WIDTH, _HEIGHT = 22.4, 10.0
_TAP_LABELS = {
    "fiscal & savings": "fiscal &\nsavings",
    "hyperscaler earnings": "hyperscaler\nearnings",
    "new capital": "new capital\n(oil)",
    "new credit": "new\ncredit",
}
#: The classroom picture's tap names: one short word each, so large text fits.
_SHORT_TAP_LABELS = {
    "fiscal & savings": "fiscal",
    "hyperscaler earnings": "earnings",
    "new capital": "oil",
    "new credit": "credit",
}
#: Width of the picture without its key (the classroom dashboard shows the key as text).
CLASSROOM_WIDTH = 19.2
_DUCK_LABELS = {
    "hyperscaler_bonds": "hyperscaler\nbonds",
    "memory": "memory\nmakers",
    "speculative": "speculative\nstocks",
}


# -- the flows ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TubFlows:
    """Weekly flows across the tub's edge, US$bn: rows are weeks 0..model.week."""

    taps: np.ndarray  # weeks x len(TAPS)
    drains: np.ndarray  # weeks x len(DRAINS)
    rrp_in: np.ndarray  # weeks: money leaving the tub for the RRP
    rrp_out: np.ndarray  # weeks: money coming back from the RRP
    other: np.ndarray  # weeks: anything else crossing the edge (net in; zero in practice)

    def net(self) -> np.ndarray:
        """Net inflow per week: taps - drains - RRP deposits + RRP releases + other."""
        return (
            self.taps.sum(axis=1)
            - self.drains.sum(axis=1)
            - self.rrp_in
            + self.rrp_out
            + self.other
        )


def tub_flows(model) -> TubFlows:
    """Classify every cash flow across the tub's edge into taps and drains, week by week.

    Trades go through a clearing account per market, which nets to zero: what the
    tub pays a market beyond what it receives is what the central bank and the
    treasury took out of it (QT, issuance) or put in (QE). So those two channels
    are read on the outside of the markets, and the tub's own trades are not.
    """
    ledger, log = model.ledger, model.ledger.flows
    weeks = model.week + 1
    cash = log.column("instrument") == CASH
    source = log.column("source")[cash].astype(np.int64)
    target = log.column("target")[cash].astype(np.int64)
    week = log.column("week")[cash].astype(np.int64)
    amount = log.column("amount")[cash]
    kind_names = np.array(log.kinds, dtype=object)
    kind = kind_names[log.column("kind")[cash]] if kind_names.size else np.array([], object)

    n = len(ledger.holders)
    water = np.zeros(n, dtype=bool)
    water[model.water_rows] = True
    kinds = np.asarray(model.kinds)
    market = kinds == "market"
    rows = model.rows
    into, out_of = ~water[source] & water[target], water[source] & ~water[target]

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(week[mask], weights=amount[mask], minlength=weeks)[:weeks]

    def is_kind(*names: str) -> np.ndarray:
        return np.isin(kind, names)

    def row(index: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        mask[index] = True
        return mask

    central_bank, treasury = row(rows.central_bank), row(rows.treasury)
    real_economy, suppliers, banks = row(rows.real_economy), row(rows.suppliers), row(rows.banks)
    lenders = banks | central_bank
    cb_net = total(central_bank[source] & market[target]) - total(
        market[source] & central_bank[target]
    )
    issuance = total(market[source] & treasury[target]) - total(treasury[source] & market[target])
    taps = np.column_stack(
        [
            np.maximum(cb_net, 0.0),
            total(into & (treasury[source] | (real_economy[source] & is_kind("savings")))),
            total(into & real_economy[source] & is_kind("operating_cash_flow")),
            total(into & real_economy[source] & is_kind("oil_revenue")),
            total(into & suppliers[source]),
            total(into & lenders[source]),
        ]
    )
    drains = np.column_stack(
        [
            total(out_of & suppliers[target]),
            np.maximum(-cb_net, 0.0),
            issuance + total(out_of & treasury[target]),
            total(out_of & lenders[target]),
        ]
    )
    rrp_in = total(out_of & (target == rows.rrp))
    rrp_out = total(into & (source == rows.rrp))
    # Anything else that crosses the edge (an outside trader other than the central bank and
    # the treasury, a repayment to the central bank, ...) keeps the books whole.
    crossing = total(into) - total(out_of)
    other = crossing - (taps.sum(axis=1) - drains.sum(axis=1) - rrp_in + rrp_out)
    return TubFlows(taps, drains, rrp_in, rrp_out, other)


# -- one week's picture -------------------------------------------------------------------------
@dataclass(frozen=True)
class TubWeek:
    """Everything the picture of one week shows."""

    week: int
    date: dt.date
    water: float
    dry_powder: float
    rrp: float
    prices: dict[str, float]  # relative to the start
    taps: dict[str, float]
    drains: dict[str, float]
    rrp_flow: float  # > 0: into the RRP
    forced_sales: float
    phases: tuple[str, ...] = ()
    story: tuple[str, ...] = ()


@dataclass(frozen=True)
class TubScale:
    """What stays fixed across the frames of one picture series."""

    capacity: float  # water that fills the tub to the rim, US$bn
    flow_cap: float  # a flow this large (US$bn/week) gets the widest pipe
    rrp_capacity: float
    weeks: int
    scenario: str
    water: np.ndarray  # the water-level series for the strip chart (NaN = not yet)
    dry_powder: np.ndarray


def _scale(model, flows: TubFlows, *, full_run: bool) -> TubScale:
    rec = model.recorder
    water = np.full(model.weeks + 1, np.nan)
    dry = np.full(model.weeks + 1, np.nan)
    water[: model.week + 1] = rec.series("water_level")
    dry[: model.week + 1] = rec.series("dry_powder")
    seen = np.nanmax(water)
    capacity = 1.15 * seen if full_run else max(1.3 * water[0], 1.1 * seen)
    every = np.concatenate([flows.taps.ravel(), flows.drains.ravel()])
    every = every[every > 1e-9]
    # The largest flow of the run gets the widest pipe, so every pipe is drawn to one scale
    # (a running model cannot know its largest flow yet: bigger ones are drawn at the widest,
    # as the key says).
    flow_cap = float(every.max()) if every.size else 1.0
    if not full_run:
        flow_cap = max(flow_cap, 40.0)
    rrp_capacity = max(
        float(model.config.central_bank.rrp_capacity),
        float(np.nanmax(rec.series("rrp_balance"))),
        1e-9,
    )
    return TubScale(
        capacity=float(capacity),
        flow_cap=max(flow_cap, 1e-6),
        rrp_capacity=rrp_capacity,
        weeks=model.weeks,
        scenario=model.config.name,
        water=water,
        dry_powder=dry,
    )


def tub_weeks(model, weeks: list[int] | None = None, *, story: bool = True) -> list[TubWeek]:
    """The picture's contents for ``weeks`` (default: every week so far)."""
    from inverse_qe.teaching import narrative

    flows = tub_flows(model)
    rec = model.recorder
    names = model.markets.names
    prices = {a: rec.series(f"price_{a}") for a in names}
    run = narrative._Run(model) if story else None
    spans = [(p.name, p.first_week, p.last_week) for p in narrative._phases(run)] if run else []
    out = []
    for w in range(model.week + 1) if weeks is None else weeks:
        items = tuple(narrative.week_items(run, w)) if run is not None and w >= 1 else ()
        out.append(
            TubWeek(
                week=w,
                date=model.dates[w],
                water=float(rec.series("water_level")[w]),
                dry_powder=float(rec.series("dry_powder")[w]),
                rrp=float(rec.series("rrp_balance")[w]),
                prices={a: float(p[w] / p[0]) for a, p in prices.items()},
                taps=dict(zip(TAPS, map(float, flows.taps[w]), strict=True)),
                drains=dict(zip(DRAINS, map(float, flows.drains[w]), strict=True)),
                rrp_flow=float(flows.rrp_in[w] - flows.rrp_out[w]),
                forced_sales=float(rec.series("forced_sales")[w]),
                phases=tuple(n for n, a, b in spans if a <= w <= b),
                story=items,
            )
        )
    return out


# -- drawing ------------------------------------------------------------------------------------
def _asset_colours(names: list[str]) -> dict[str, str]:
    from inverse_qe.plots import ASSET_COLOURS

    extra = iter(_FALLBACK_COLOURS * 4)
    return {a: ASSET_COLOURS.get(a) or next(extra) for a in names}


def _pipe_width(flow: float, scale: TubScale, widest: float = 1.0) -> float:
    """A pipe's width: its area (width squared) in proportion to the flow, up to the widest."""
    if flow <= 1e-9:
        return 0.0
    return max(widest * math.sqrt(min(flow, scale.flow_cap) / scale.flow_cap), 0.03)


def pipe_key(scale: TubScale) -> str:
    """What the pipes' widths mean, for the key."""
    return (
        "pipes: the cross-section\nis the flow this week;\n"
        f"the widest: US${scale.flow_cap:,.0f}bn\na week or more"
    )


def _surface(week: TubWeek, scale: TubScale) -> float:
    return _FLOOR + _DEPTH * min(week.water / scale.capacity, 1.02)


def duck_height(price: float, surface: float) -> float:
    """Where a duck floats: on the surface at its starting price, ``DUCK_LIFT`` per log unit."""
    y = surface + DUCK_LIFT * math.log(max(price, 1e-9))
    return min(max(y, _FLOOR + 0.35), 8.25)


def _draw_duck(ax, x: float, y: float, colour: str, *, sunk: bool, size: float = 0.95) -> None:
    alpha = 0.55 if sunk else 1.0
    edge = "#222222" if colour != "#222222" else "#777777"
    body = Ellipse(
        (x, y),
        1.0 * size,
        0.56 * size,
        facecolor=colour,
        edgecolor=edge,
        linewidth=0.8,
        alpha=alpha,
        zorder=6,
    )
    tail = Polygon(
        [
            (x - 0.5 * size, y + 0.05 * size),
            (x - 0.66 * size, y + 0.28 * size),
            (x - 0.36 * size, y + 0.16 * size),
        ],
        closed=True,
        facecolor=colour,
        edgecolor=edge,
        linewidth=0.8,
        alpha=alpha,
        zorder=6,
    )
    head = Circle(
        (x + 0.3 * size, y + 0.36 * size),
        0.2 * size,
        facecolor=colour,
        edgecolor=edge,
        linewidth=0.8,
        alpha=alpha,
        zorder=7,
    )
    beak = Polygon(
        [
            (x + 0.47 * size, y + 0.39 * size),
            (x + 0.68 * size, y + 0.33 * size),
            (x + 0.47 * size, y + 0.29 * size),
        ],
        closed=True,
        facecolor="#F39C12",
        edgecolor="#A0620A",
        linewidth=0.6,
        alpha=alpha,
        zorder=7,
    )
    eye = Circle(
        (x + 0.35 * size, y + 0.42 * size),
        0.035 * size,
        facecolor="white" if colour == "#222222" else "#111111",
        alpha=alpha,
        zorder=8,
    )
    for patch in (tail, body, head, beak, eye):
        _add(ax, patch)
    if sunk:
        for dx, dy, r in ((0.55, 0.55, 0.05), (0.65, 0.78, 0.035), (0.5, 0.95, 0.025)):
            _add(
                ax,
                Circle(
                    (x + dx * size, y + dy * size),
                    r * size * 2,
                    facecolor="none",
                    edgecolor="white",
                    linewidth=0.7,
                    zorder=8,
                ),
            )


def _water_surface(xs: np.ndarray, level: float, bumps: list[tuple[float, float]]) -> np.ndarray:
    y = np.full_like(xs, level)
    for x0, height in bumps:
        if height > 0:
            y += height * np.exp(-0.5 * ((xs - x0) / 0.32) ** 2)
    return y


def _add(ax, patch) -> None:
    """Add a patch without updating the data limits (fixed here; a real cost per frame)."""
    ax.add_artist(patch)


def _label(ax, x, y, text, **kw) -> None:
    style = {"ha": "center", "va": "center", "fontsize": 8, "zorder": 9, "parse_math": False}
    style.update(kw)
    ax.text(x, y, text, **style)


def _draw_taps(
    ax, week: TubWeek, scale: TubScale, surface: float, *, classroom: bool = False
) -> None:
    _add(
        ax,
        Rectangle(
            (_X0 - 0.2, 9.05), _X1 - _X0 + 0.4, 0.2, facecolor=_PIPE, edgecolor="none", zorder=3
        ),
    )
    xs = np.linspace(_X0 + 1.0, _X1 - 1.4, len(TAPS))
    for x, name in zip(xs, TAPS, strict=True):
        flow = week.taps[name]
        on = flow > 1e-9
        colour = _TAP_ON if on else _OFF
        _add(
            ax,
            Rectangle((x - 0.13, 8.45), 0.26, 0.62, facecolor=colour, edgecolor="none", zorder=4),
        )
        _add(
            ax,
            FancyBboxPatch(
                (x - 0.32, 8.3),
                0.64,
                0.2,
                boxstyle="round,pad=0.02",
                facecolor=colour,
                edgecolor="none",
                zorder=4,
            ),
        )
        width = _pipe_width(flow, scale, 0.9)
        if on:
            _add(
                ax,
                Rectangle(
                    (x - width / 2, surface),
                    width,
                    8.3 - surface,
                    facecolor=_WATER,
                    edgecolor="none",
                    alpha=0.85,
                    zorder=2,
                ),
            )
        _label(
            ax,
            x,
            9.72,
            (_SHORT_TAP_LABELS if classroom else _TAP_LABELS).get(name, name),
            fontsize=7.8,
            linespacing=0.95,
            color=_MUTED if not on else "#1b1b1b",
            fontweight="bold" if on else "normal",
        )
        if classroom:  # the amount under the name, in US$bn (the key says so)
            _label(
                ax,
                x,
                9.38,
                f"+{flow:,.1f}" if on else "shut",
                fontsize=7.5,
                color=_TAP_ON if on else _MUTED,
            )
        else:
            _label(
                ax,
                x + 0.2,
                8.62,
                f"+{usd(flow)}" if on else "shut",
                fontsize=7.5,
                ha="left",
                color=_TAP_ON if on else _MUTED,
            )


def _draw_drains(ax, week: TubWeek, scale: TubScale) -> None:
    xs = np.linspace(_X0 + 1.4, _X1 - 1.4, len(DRAINS))
    for x, name in zip(xs, DRAINS, strict=True):
        flow = week.drains[name]
        on = flow > 1e-9
        width = max(_pipe_width(flow, scale, 1.0), 0.3)
        _add(
            ax,
            Rectangle(
                (x - width / 2 - 0.06, 1.45),
                width + 0.12,
                _FLOOR - 1.45 + 0.05,
                facecolor=_DRAIN_ON if on else _OFF,
                edgecolor="none",
                zorder=4,
            ),
        )
        if on:
            stream = _pipe_width(flow, scale, 1.0)
            _add(
                ax,
                Rectangle(
                    (x - stream / 2, 1.0),
                    stream,
                    0.5,
                    facecolor=_WATER,
                    edgecolor="none",
                    alpha=0.85,
                    zorder=3,
                ),
            )
        _label(
            ax,
            x,
            0.68,
            name,
            fontweight="bold" if on else "normal",
            color="#1b1b1b" if on else _MUTED,
        )
        _label(
            ax,
            x,
            0.36,
            f"-{usd(flow)}" if on else "closed",
            fontsize=7.5,
            color=_DRAIN_ON if on else _MUTED,
        )


def _draw_rrp(ax, week: TubWeek, scale: TubScale) -> None:
    x0, x1, y0, y1 = _TANK
    _add(
        ax, Rectangle((_X1, y0 + 0.25), x0 - _X1, 0.3, facecolor=_PIPE, edgecolor="none", zorder=1)
    )
    level = y0 + (y1 - y0) * min(week.rrp / scale.rrp_capacity, 1.0)
    _add(
        ax,
        Rectangle(
            (x0, y0), x1 - x0, level - y0, facecolor=_RRP, alpha=0.55, edgecolor="none", zorder=2
        ),
    )
    _add(
        ax,
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            facecolor="none",
            edgecolor=_TUB_EDGE,
            linewidth=1.6,
            zorder=3,
        ),
    )
    mid = (x0 + x1) / 2
    _label(ax, mid, y1 + 0.55, "RRP side tank", fontweight="bold")
    _label(ax, mid, y1 + 0.22, f"{usd(week.rrp)} parked", fontsize=7.5, color=_RRP)
    if abs(week.rrp_flow) >= 0.05:
        into = week.rrp_flow > 0
        ax.annotate(
            "",
            xy=(x0 if into else _X1, y0 + 0.4),
            xytext=(_X1 if into else x0, y0 + 0.4),
            arrowprops={"arrowstyle": "-|>", "color": _RRP, "lw": 1.4},
            zorder=5,
        )
        _label(
            ax,
            (x0 + _X1) / 2,
            y0 - 0.05,
            f"{'-' if into else '+'}{usd(abs(week.rrp_flow))}",
            fontsize=7,
            color=_RRP,
        )


def draw_tub(
    ax, week: TubWeek, scale: TubScale, colours: dict[str, str], *, classroom: bool = False
) -> None:
    """Draw one week of the bathtub on ``ax`` (cleared first).

    ``classroom``: for the dashboard, where the key and the week's net flow are
    shown as text beside the picture: without them, short tap names, amounts
    in US$bn under each tap (room for large text).
    """
    ax.clear()
    ax.set_xlim(0, CLASSROOM_WIDTH if classroom else _WIDTH)
    ax.set_ylim(0, _HEIGHT)
    ax.set_aspect("equal")
    ax.axis("off")
    surface = _surface(week, scale)
    demand_level = _FLOOR + _DEPTH * min(
        max(week.water - week.dry_powder, 0) / scale.capacity, 1.02
    )
    names = list(week.prices)
    duck_xs = np.linspace(_X0 + 0.9, _X1 - 0.9, len(names)) if names else np.array([])
    ducks = [(x, duck_height(week.prices[a], surface)) for x, a in zip(duck_xs, names, strict=True)]

    # The tub, then the water (a wave under each duck that prices have lifted), then dry powder.
    _add(
        ax, Rectangle((_X0, _FLOOR), _X1 - _X0, _DEPTH, facecolor=_TUB, edgecolor="none", zorder=0)
    )
    xs = np.linspace(_X0, _X1, 160)
    top = _water_surface(xs, surface, [(x, y - 0.12 - surface) for x, y in ducks])
    ax.fill_between(xs, _FLOOR, np.minimum(top, demand_level), color=_WATER, zorder=1, lw=0)
    ax.fill_between(xs, np.minimum(top, demand_level), top, color=_DRY_POWDER, zorder=1, lw=0)
    ax.plot(xs, top, color=_WATER_EDGE, lw=1.0, zorder=1)
    ax.plot(
        [_X0, _X0, _X1, _X1],
        [_RIM + 0.3, _FLOOR, _FLOOR, _RIM + 0.3],
        color=_TUB_EDGE,
        lw=3.0,
        solid_capstyle="round",
        zorder=5,
    )

    start = _FLOOR + _DEPTH * min(scale.water[0] / scale.capacity, 1.02)
    ax.plot(
        [_X1 - 0.05, _X1 + 0.45],
        [start, start],
        color="#333333",
        lw=1.0,
        ls=(0, (2, 1.5)),
        zorder=6,
    )
    ax.text(_X1 + 0.5, start, "start", fontsize=7, va="center", color=_MUTED)
    _draw_taps(ax, week, scale, surface, classroom=classroom)
    _draw_drains(ax, week, scale)
    _draw_rrp(ax, week, scale)

    for (x, y), asset in zip(ducks, names, strict=True):
        price = week.prices[asset]
        _draw_duck(ax, x, y, colours[asset], sunk=y < surface - 0.2)
        change = price - 1.0
        sign = "+" if change >= 0 else "-"
        text = f"{_DUCK_LABELS.get(asset, asset_name(asset))}\n{sign}{abs(change):.0%}"
        _label(
            ax,
            x,
            y - 0.55,
            text,
            fontsize=7.2,
            linespacing=0.95,
            color="#B03A2E" if change < -0.005 else "#1E6B3A" if change > 0.005 else "#333333",
            bbox={
                "boxstyle": "round,pad=0.15",
                "facecolor": "white",
                "alpha": 0.8,
                "edgecolor": "none",
            },
        )

    # The water's own labels, at the left wall.
    _label(
        ax,
        _X0 - 0.15,
        (_FLOOR + demand_level) / 2,
        f"water\n{usd(week.water)}",
        ha="right",
        fontsize=8.5,
        color=_WATER_EDGE,
        fontweight="bold",
    )
    band = surface - demand_level
    _label(
        ax,
        _X0 - 0.15,
        demand_level + band / 2 + 0.45,
        f"dry powder\n{usd(week.dry_powder)}",
        ha="right",
        fontsize=8,
        color="#9A6F00",
        fontweight="bold",
    )
    ax.plot(
        [_X0 - 0.1, _X0],
        [demand_level + band / 2, demand_level + band / 2],
        color="#9A6F00",
        lw=1.0,
        zorder=5,
    )

    # The week, the phase, and the key.
    ax.text(
        0.15,
        9.55,
        f"Week {week.week}",
        fontsize=17,
        fontweight="bold",
        va="center",
        parse_math=False,
    )
    ax.text(
        0.15,
        8.95,
        f"{week.date.day} {week.date:%b %Y}",
        fontsize=10.5,
        va="center",
        color=_MUTED,
        parse_math=False,
    )
    phase = " + ".join(week.phases) if week.phases else ""
    ax.text(0.15, 8.45, scale.scenario, fontsize=9, va="center", color=_MUTED, parse_math=False)
    if phase:
        ax.text(
            0.15,
            7.95,
            phase,
            fontsize=10,
            va="center",
            fontweight="bold",
            color="#7A1F1F",
            parse_math=False,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "#FBE9E7", "edgecolor": "none"},
        )
    if classroom:
        return
    net = sum(week.taps.values()) - sum(week.drains.values()) - week.rrp_flow
    ax.text(19.5, 9.75, "Net flow this week", fontsize=8.5, va="top", fontweight="bold")
    ax.text(
        19.5,
        9.3,
        f"{'+' if net >= 0 else '-'}{usd(abs(net))}",
        fontsize=12,
        va="top",
        fontweight="bold",
        color=_TAP_ON if net >= 0 else _DRAIN_ON,
        parse_math=False,
    )
    key = (
        "blue: investable cash\n(the water level)\n\n"
        "amber: dry powder,\ncash nobody needs\n\n"
        "duck on the surface:\nprice as at the start;\nabove: up; below: down\n\n"
        f"{pipe_key(scale)}\n\n"
        "dashes: water level\nat the start"
    )
    ax.text(
        19.5,
        8.3,
        key,
        fontsize=7.4,
        va="top",
        ha="left",
        color=_MUTED,
        linespacing=1.2,
        parse_math=False,
    )


def _draw_strip(ax, week: TubWeek, scale: TubScale) -> None:
    ax.clear()
    weeks = np.arange(scale.weeks + 1)
    shown = weeks <= week.week
    water = np.where(shown, scale.water, np.nan)
    dry = np.where(shown, scale.dry_powder, np.nan)
    ax.plot(weeks, water / 1000, color=_WATER_EDGE, lw=1.6)
    ax.set_xlim(0, scale.weeks)
    lo, hi = np.nanmin(scale.water), np.nanmax(scale.water)
    pad = max(0.05 * (hi - lo), 0.01 * hi)
    ax.set_ylim((lo - pad) / 1000, (hi + pad) / 1000)
    ax.set_ylabel("water, US$tn", color=_WATER_EDGE, fontsize=8, parse_math=False)
    ax.tick_params(labelsize=7.5)
    ax.axvline(week.week, color="#333333", lw=0.8)
    ax.set_xlabel("week", fontsize=8)
    for side in ("top",):
        ax.spines[side].set_visible(False)
    twin = ax.twinx()
    twin.fill_between(weeks, 0, dry, color=_DRY_POWDER, alpha=0.55, lw=0)
    twin.set_ylim(0, 1.1 * max(np.nanmax(scale.dry_powder), 1e-6))
    twin.set_ylabel("dry powder, US$bn", color="#9A6F00", fontsize=8, parse_math=False)
    twin.tick_params(labelsize=7.5)
    twin.spines["top"].set_visible(False)
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)


def _draw_story(ax, week: TubWeek) -> None:
    ax.clear()
    ax.axis("off")
    ax.text(0.0, 1.0, "This week", fontsize=9.5, fontweight="bold", va="top")
    items = week.story or ("nothing forced anyone to sell",)
    lines = []
    for item in items[:4]:
        lines += textwrap.wrap(item, 58, initial_indent="\u2022 ", subsequent_indent="  ")
    ax.text(
        0.0,
        0.82,
        "\n".join(lines[:7]),
        fontsize=8,
        va="top",
        linespacing=1.3,
        color="#222222",
        parse_math=False,
    )


class TubPicture:
    """A figure with the tub (and, with ``panels``, the water-level strip and the week's story).

    The dashboard draws the tub alone (it has its own panels for the rest, and every
    axis costs time per frame); stills and animations draw all three.
    """

    def __init__(
        self,
        scale: TubScale,
        assets: list[str],
        dpi: float = 100.0,
        *,
        panels: bool = True,
        classroom: bool = False,
    ) -> None:
        self.scale = scale
        self.colours = _asset_colours(assets)
        self.panels = panels
        self.classroom = classroom
        width = FIGSIZE[0] * (CLASSROOM_WIDTH / _WIDTH if classroom else 1.0)
        size = FIGSIZE if panels else (width, FIGSIZE[1] * 0.74)
        self.figure = Figure(figsize=size, dpi=dpi, facecolor="white")
        FigureCanvasAgg(self.figure)
        if panels:
            self.tub = self.figure.add_axes((0.005, 0.25, 0.99, 0.74))
            self.strip = self.figure.add_axes((0.06, 0.06, 0.48, 0.15))
            self.story = self.figure.add_axes((0.62, 0.03, 0.37, 0.19))
        else:
            self.tub = self.figure.add_axes((0.005, 0.0, 0.99, 1.0))

    def draw(self, week: TubWeek) -> list:
        """Draw ``week``; returns the artists (for FuncAnimation)."""
        # No rc_context here: rcParams are global, and the dashboard draws from threads.
        # Every text sets parse_math=False itself ("US$" twice must not become maths).
        draw_tub(self.tub, week, self.scale, self.colours, classroom=self.classroom)
        if self.panels:
            for extra in self.figure.axes[3:]:
                extra.remove()  # the strip's twin axis from the last frame
            _draw_strip(self.strip, week, self.scale)
            _draw_story(self.story, week)
        return []


def tub_figure(model, week: int | None = None, out: Path | None = None, dpi: float = 100.0):
    """The bathtub picture of one week (default: the last) of a model; saved if ``out``."""
    flows = tub_flows(model)
    scale = _scale(model, flows, full_run=not model.running)
    chosen = model.week if week is None else int(week)
    picture = TubPicture(scale, list(model.markets.names), dpi=dpi)
    picture.draw(tub_weeks(model, [chosen])[0])
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        picture.figure.savefig(out, dpi=dpi, facecolor="white")
    return picture.figure


def animate(
    model,
    out: Path,
    *,
    every: int = 2,
    fps: float = 6.0,
    dpi: float = 64.0,
    hold: int = 6,
    progress=None,
) -> Path:
    """Animate a finished run week by week into ``out`` (.gif, or .mp4 where ffmpeg exists).

    Args:
        model: a run :class:`~inverse_qe.model.bathtub.BathtubModel`.
        out: the file to write; its suffix picks the format.
        every: draw every ``every``-th week (the last week is always drawn).
        fps: frames per second.
        dpi: resolution (64 gives 768 x 486 pixels).
        hold: extra copies of the last frame, so the end stays on screen.
        progress: called as ``progress(frame, frames)`` after each frame is drawn.
    """
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter, writers

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"{out}: the animation is written as .gif or .mp4, not {suffix!r}")
    if suffix == ".mp4" and not writers.is_available("ffmpeg"):
        raise RuntimeError("writing .mp4 needs ffmpeg on the PATH; write a .gif instead")
    weeks = list(range(0, model.week + 1, max(int(every), 1)))
    if weeks[-1] != model.week:
        weeks.append(model.week)
    frames = tub_weeks(model, weeks)
    frames += [frames[-1]] * max(int(hold), 0)
    scale = _scale(model, tub_flows(model), full_run=True)
    picture = TubPicture(scale, list(model.markets.names), dpi=dpi)
    animation = FuncAnimation(
        picture.figure,
        lambda i: picture.draw(frames[i]),
        frames=len(frames),
        blit=False,
        repeat=False,
    )
    writer = PillowWriter(fps=fps) if suffix == ".gif" else FFMpegWriter(fps=fps, bitrate=1800)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial{out.suffix}")
    try:
        animation.save(
            partial,
            writer=writer,
            dpi=dpi,
            progress_callback=None if progress is None else lambda i, n: progress(i + 1, n),
        )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out
