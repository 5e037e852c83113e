"""The teaching dashboard: Mesa's SolaraViz around the bathtub model.

Start it with ``inverse-qe app`` (it binds 127.0.0.1 unless told otherwise) or
``solara run inverse_qe.app``. The sidebar picks a scenario and moves five
levers; **Reset** builds the model with them, **Step** and **Play** run it a
week at a time. The panels: the bathtub picture of this week, the ducks
(prices), the water level and the dry powder, forced sales, what happened in
the latest weeks in words, and the settings in force.

:class:`TeachingModel` is the thin Mesa-compatible layer: it takes the slider
values, turns them into ``field.path=value`` overrides of the chosen scenario
(:func:`slider_overrides`), loads it with :func:`inverse_qe.scenarios.loader.load`
and builds the :class:`~inverse_qe.model.bathtub.BathtubModel`. Every slider at
its default gives the scenario exactly as ``inverse-qe run`` runs it; each
numeric slider is a multiple of the scenario's own value (x1 = unchanged), and
the settings panel shows the values in force. A
setting the scenario cannot take never raises in the page: the model falls
back to the scenario and says why in the settings panel.
"""

from __future__ import annotations

import time
from collections import deque
from html import escape

import mesa
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.plots import ASSET_COLOURS
from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, ScenarioError, builtin_names, load
from inverse_qe.teaching import narrative
from inverse_qe.teaching.tub import TubPicture, TubScale, tub_weeks

#: Policy stance -> ``central_bank.rule`` ("as in scenario" keeps the scenario's own rule).
POLICY_RULES = {"warsh": "warsh", "neutral": "exogenous", "pivot": "pivot"}
AS_SCENARIO = "as in scenario"
APP_DPI = 72.0


def scenario_choices() -> list[str]:
    """Built-in scenarios a student can run (the calibrated base is only extended)."""
    return [name for name in builtin_names() if not name.startswith("_")]


def slider_overrides(
    scenario,
    *,
    policy: str = AS_SCENARIO,
    capex_growth: float = 1.0,
    sovereign_dry_powder: float = 1.0,
    leverage_limit: float = 1.0,
    recycling: float = 1.0,
) -> list[str]:
    """The ``--set`` overrides that apply the dashboard's levers to a loaded scenario.

    Args:
        scenario: the scenario the levers act on.
        policy: ``warsh``, ``neutral`` (the scenario's rate and QE paths, rule
            ``exogenous``), ``pivot``, or ``as in scenario``.
        capex_growth: scales the growth of the capex path: each later point becomes
            ``first + capex_growth x (point - first)``, so 0 holds capex flat at its
            starting level and 2 doubles every increase.
        sovereign_dry_powder: multiplies every sovereign fund's starting cash.
        leverage_limit: multiplies every hedge-fund strategy's leverage limit (never
            below the strategy's own leverage, which the scenario requires).
        recycling: multiplies the share of supplier receipts that returns to the tub
            (capped at 1).
    """
    overrides = []
    if policy in POLICY_RULES:
        overrides.append(f"central_bank.rule={_toml(POLICY_RULES[policy])}")
    elif policy != AS_SCENARIO:
        raise ValueError(f"unknown policy stance {policy!r}")
    if capex_growth != 1.0:
        points = scenario.hyperscalers.capex
        first = points[0][1]
        path = [
            [key, max(first + capex_growth * (value - first), 0.0) if i else value]
            for i, (key, value) in enumerate(points)
        ]
        overrides.append(f"hyperscalers.capex={_toml(path)}")
    if sovereign_dry_powder != 1.0:
        for fund in scenario.sovereign_funds:
            cash = max(fund.cash * sovereign_dry_powder, 0.0)
            overrides.append(f"sovereign_funds.{fund.name}.cash={cash!r}")
    if leverage_limit != 1.0:
        for strategy in scenario.hedge_funds.strategies:
            limit = max(strategy.leverage_limit * leverage_limit, strategy.leverage)
            overrides.append(f"hedge_funds.strategies.{strategy.name}.leverage_limit={limit!r}")
    if recycling != 1.0:
        share = min(max(scenario.suppliers.recycling * recycling, 0.0), 1.0)
        overrides.append(f"suppliers.recycling={share!r}")
    return overrides


def _toml(value) -> str:
    """A value as TOML text for an override (dates as TOML dates)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(float(value)) if isinstance(value, float) else str(value)


class TeachingModel(BathtubModel):
    """The bathtub model built from the dashboard's levers.

    Args:
        scenario_name: a built-in scenario.
        policy: policy stance (see :func:`slider_overrides`).
        capex_growth: growth of the capex path, x the scenario's.
        sovereign_dry_powder: sovereign funds' starting cash, x the scenario's.
        leverage_limit: hedge funds' leverage limits, x the scenario's.
        recycling: supplier recycling, x the scenario's.
        seed: the run's seed as text (blank: the scenario's own).
        weeks: run length (0: the scenario's own).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        policy: str = AS_SCENARIO,
        capex_growth: float = 1.0,
        sovereign_dry_powder: float = 1.0,
        leverage_limit: float = 1.0,
        recycling: float = 1.0,
        seed: str = "",
        weeks: int = 0,
    ) -> None:
        self.notes: list[str] = []
        if scenario_name not in scenario_choices():
            self.notes.append(f"unknown scenario {scenario_name!r}: showing {DEFAULT_SCENARIO}")
            scenario_name = DEFAULT_SCENARIO
        base = load(scenario_name)
        self.levers = {
            "policy": policy,
            "capex_growth": float(capex_growth),
            "sovereign_dry_powder": float(sovereign_dry_powder),
            "leverage_limit": float(leverage_limit),
            "recycling": float(recycling),
        }
        try:
            self.overrides = slider_overrides(base, **self.levers)
            scenario = load(scenario_name, self.overrides)
        except (ScenarioError, ValueError) as error:
            self.notes.append(f"the levers could not be applied ({error}); showing the scenario")
            self.overrides, scenario = [], base
        text = str(seed).strip()
        run_seed = None
        if text:
            try:
                run_seed = int(text)
                if run_seed < 0:
                    raise ValueError
            except ValueError:
                self.notes.append(f"seed {text!r} is not a whole number >= 0: using the scenario's")
                run_seed = None
        super().__init__(scenario, seed=run_seed, weeks=int(weeks) or None)
        self.datacollector = mesa.DataCollector(model_reporters=_reporters(self.markets.names))
        self.datacollector.collect(self)
        self.step_seconds: deque[float] = deque(maxlen=200)

    def step(self) -> None:
        """One week, timed (the settings panel reports the time per step)."""
        started = time.perf_counter()
        super().step()
        self.datacollector.collect(self)
        self.step_seconds.append(time.perf_counter() - started)


def _reporters(assets: list[str]) -> dict:
    """What the DataCollector keeps each week: prices (start = 1), for the ducks' plot.

    Every asset with a fixed colour has a column (NaN if the scenario lacks it), so the
    plot component built once for the page works for every scenario.
    """

    def price(asset: str):
        if asset not in assets:
            return lambda m: float("nan")
        k = assets.index(asset)
        return lambda m: float(m.markets.price[k] / m.markets.initial_price[k])

    names = list(dict.fromkeys([*ASSET_COLOURS, *assets]))
    return {narrative.asset_name(a): price(a) for a in names}


# -- panels -------------------------------------------------------------------------------------
def _scale(model: TeachingModel) -> TubScale:
    """Fixed scales for a running model, so the picture does not jump from week to week."""
    cached = getattr(model, "_tub_scale", None)
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
        model._tub_scale = cached
    return cached


def _png(fig, model: TeachingModel) -> None:
    # Explicit dependencies: the bathtub redraws one cached figure, which must not be memoised.
    solara.FigureMatplotlib(
        fig, dependencies=[id(model), model.week, update_counter.value], format="png", dpi=APP_DPI
    )


@solara.component
def BathtubPanel(model: TeachingModel):  # noqa: N802 (a Solara component)
    """This week's bathtub picture."""
    update_counter.get()
    picture = getattr(model, "_tub_picture", None)
    if picture is None:
        picture = model._tub_picture = TubPicture(
            _scale(model), list(model.markets.names), dpi=APP_DPI, panels=False
        )
    picture.draw(tub_weeks(model, [model.week])[0])
    _png(picture.figure, model)


@solara.component
def WaterPanel(model: TeachingModel):  # noqa: N802 (a Solara component)
    """Water level (investable cash) and dry powder, week by week."""
    update_counter.get()
    rec = model.recorder
    weeks = rec.series("week")
    fig = Figure(figsize=(6.2, 3.4), dpi=APP_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(weeks, rec.series("water_level") / 1000, color="#1F4E99", lw=2, label="water level")
    ax.set_ylabel("water level, US$tn", color="#1F4E99", parse_math=False)
    ax.set_xlim(0, model.weeks)
    ax.set_xlabel("week")
    twin = ax.twinx()
    twin.fill_between(weeks, 0, rec.series("dry_powder"), color="#E3B448", alpha=0.6, lw=0)
    twin.set_ylabel("dry powder, US$bn", color="#9A6F00", parse_math=False)
    twin.set_ylim(0, 1.1 * max(float(rec.data[0, rec.index["dry_powder"]]), 1.0))
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set_title("The water level and the dry powder (amber)", loc="left", fontsize=10)
    fig.subplots_adjust(left=0.11, right=0.88, bottom=0.15, top=0.9)
    _png(fig, model)


@solara.component
def ForcedSalesPanel(model: TeachingModel):  # noqa: N802 (a Solara component)
    """Forced sales each week, by reason."""
    update_counter.get()
    rec = model.recorder
    weeks = rec.series("week")
    fig = Figure(figsize=(6.2, 3.4), dpi=APP_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = {
        "margin": "#D55E00",
        "redemption": "#CC79A7",
        "commitment": "#0072B2",
        "funding": "#56B4E9",
    }
    ax.stackplot(
        weeks,
        [rec.series(f"forced_sales_{reason}") for reason in colours],
        colors=list(colours.values()),
        labels=[narrative.REASON_WORDS[reason] for reason in colours],
        step="mid",
        lw=0,
    )
    ax.set_yscale("symlog", linthresh=10.0)
    ax.set_ylabel("US$bn a week (log scale above 10)", parse_math=False)
    ax.set_xlim(0, model.weeks)
    ax.set_xlabel("week")
    ax.legend(loc="upper right", fontsize=7.5, frameon=False)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title("Forced sales", loc="left", fontsize=10)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.15, top=0.9)
    _png(fig, model)


def _html(parts: list[str]) -> None:
    # HTML, not Markdown: Solara's Markdown renders text between two "$" as maths.
    solara.HTML(tag="div", unsafe_innerHTML="".join(parts), style={"font-size": "14px"})


@solara.component
def EventsPanel(model: TeachingModel):  # noqa: N802 (a Solara component)
    """The latest weeks in words, newest first."""
    update_counter.get()
    parts = ["<h3 style='margin:0 0 6px 0'>What happened</h3>"]
    if model.week == 0:
        parts.append("<p>Nothing yet: press <b>Step</b> or <b>&#9654;</b> (play).</p>")
    for line in narrative.latest_weeks(model, 6) if model.week else []:
        parts.append(
            f"<p style='margin:4px 0'><b>Week {line.week}</b> ({narrative.day(line.date)}): "
            + escape("; ".join(line.items))
            + ".</p>"
        )
    _html(parts)


@solara.component
def SettingsPanel(model: TeachingModel):  # noqa: N802 (a Solara component)
    """The scenario and the settings in force, and the time per step."""
    update_counter.get()
    s = model.config
    times = list(model.step_seconds)
    capex = ", ".join(f"week {k}: {v:g}" for k, v in s.hyperscalers.capex)
    limits = ", ".join(f"{h.name} {h.leverage_limit:.2f}" for h in s.hedge_funds.strategies)
    items = [
        ("rule", "policy rule", s.central_bank.rule),
        ("capex", "capex path (US$bn a week)", capex),
        (
            "sovereign-cash",
            "sovereign dry powder at the start",
            narrative.usd(sum(f.cash for f in s.sovereign_funds)),
        ),
        ("leverage-limits", "hedge-fund leverage limits", limits),
        ("recycling", "recycling", f"{s.suppliers.recycling:.2f}"),
        ("week", "week", f"{model.week} of {model.weeks}"),
    ]
    if times:
        items.append(
            (
                "step-time",
                "model time per step",
                f"{times[-1] * 1000:.1f} ms (mean of {len(times)}: "
                f"{sum(times) / len(times) * 1000:.1f} ms)",
            )
        )
    parts = [
        f"<h3 style='margin:0 0 4px 0'>{escape(s.name)}, seed {model.seed}</h3>",
        f"<p style='margin:0 0 6px 0;color:#555'>{escape(s.description)}</p><ul>",
        *(
            f"<li>{escape(label)}: <b data-setting='{key}'>{escape(value)}</b></li>"
            for key, label, value in items
        ),
        *(f"<li>note: {escape(note)}</li>" for note in model.notes),
        "</ul>",
    ]
    _html(parts)


def _ducks_post_process(ax) -> None:
    # Mesa's plot component makes a default-sized figure; a smaller one renders much faster.
    ax.figure.set_size_inches(6.2, 3.4)
    ax.figure.set_dpi(APP_DPI)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.set_ylabel("price (start = 1, log scale)")
    ax.set_title("The ducks: prices", loc="left", fontsize=10)
    ax.legend(loc="lower left", fontsize=7, ncol=2, frameon=False)


MODEL_PARAMS = {
    "scenario_name": {
        "type": "Select",
        "value": DEFAULT_SCENARIO,
        "values": scenario_choices(),
        "label": "Scenario",
    },
    "policy": {
        "type": "Select",
        "value": AS_SCENARIO,
        "values": [AS_SCENARIO, *POLICY_RULES],
        "label": "Policy stance",
    },
    "capex_growth": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.0,
        "max": 3.0,
        "step": 0.1,
        "label": "Capex growth ×",
    },
    "sovereign_dry_powder": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.0,
        "max": 5.0,
        "step": 0.1,
        "label": "Sovereign cash ×",
    },
    "leverage_limit": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.7,
        "max": 2.0,
        "step": 0.05,
        "label": "Leverage limits ×",
    },
    "recycling": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.0,
        "max": 2.5,
        "step": 0.1,
        "label": "Recycling ×",
    },
    "seed": {"type": "InputText", "value": "", "label": "Seed (blank: scenario's)"},
}

DUCKS = make_plot_component(
    {narrative.asset_name(a): c for a, c in ASSET_COLOURS.items()},
    post_process=_ducks_post_process,
)[0]


@solara.component
def Panels(model: TeachingModel):  # noqa: N802 (a Solara component)
    """The panels, laid out in fixed rows: the bathtub first, then plots, then words."""
    with solara.Column(style={"padding": "8px", "gap": "8px"}):
        with solara.Card(style={"padding": "4px"}):
            BathtubPanel(model)
        with solara.Columns([1, 1, 1]):
            with solara.Card():
                DUCKS(model)
            with solara.Card():
                WaterPanel(model)
            with solara.Card():
                ForcedSalesPanel(model)
        with solara.Columns([3, 2]):
            with solara.Card():
                EventsPanel(model)
            with solara.Card():
                SettingsPanel(model)


@solara.component
def Page():  # noqa: N802 (a Solara component)
    """The dashboard: SolaraViz's controls and levers in the sidebar, the panels beside them.

    The panels are laid out here rather than in SolaraViz's draggable grid: with ipyvue 3
    (which mesa[viz] installs) Solara loads a Vue 2 build of the grid, which fails in the
    browser and leaves the page empty.
    """
    model = solara.use_reactive(solara.use_memo(TeachingModel, []))
    SolaraViz(
        model,
        components=[],
        model_params=MODEL_PARAMS,
        name="inverse-QE: the liquidity bathtub",
        play_interval=150,
    )
    Panels(model.value)
