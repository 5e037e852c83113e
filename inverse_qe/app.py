"""The classroom dashboard: the bathtub model, played week by week in the browser.

Start it with ``inverse-qe app`` (it binds 127.0.0.1 unless told otherwise) or
``solara run inverse_qe.app``; it needs the ``viz`` extra
(``pip install 'inverse-qe[viz]'``). The sidebar picks a scenario and moves
five levers, each shown with its value and what it means in the scenario's
units; **Reset** builds the model with them, **Step** runs one week and
**Play** runs to the end, redrawing the pictures a few weeks at a time (about
three frames a second, a two-year run in under 20 seconds). The settings in
force are listed under the levers.

The pictures are :data:`inverse_qe.teaching.panels.PANELS`, each a small
function of the model, drawn for a projector; the page shows them in order,
then what happened in the latest weeks in words.

:class:`TeachingModel` is the thin layer over the Mesa model: it takes the
lever values, turns them into ``field.path=value`` overrides of the chosen
scenario (:func:`slider_overrides`), loads it and builds the
:class:`~inverse_qe.model.bathtub.BathtubModel`. Every lever at its default
gives the scenario exactly as ``inverse-qe run`` runs it. A setting the
scenario cannot take never raises in the page: the model falls back to the
scenario and says why under the levers.
"""

from __future__ import annotations

import base64
import functools
import math
import time
from collections import deque
from html import escape

import solara

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import DEFAULT_SCENARIO, ScenarioError, builtin_names, load
from inverse_qe.teaching import narrative
from inverse_qe.teaching.panels import PANELS, render
from inverse_qe.twin import without_ai_spending

#: Policy stance -> ``central_bank.rule`` ("as in scenario" keeps the scenario's own rule).
POLICY_RULES = {"warsh": "warsh", "neutral": "exogenous", "pivot": "pivot"}
AS_SCENARIO = "as in scenario"
#: Frames a full run is drawn in when played: a 104-week run steps 3 weeks a frame.
FRAMES_PER_RUN = 40
#: Text size of the page (pixels): readable from the back of a classroom.
TEXT = "16px"


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


# -- the model ----------------------------------------------------------------------------------
#: The levers and their defaults (every one at its default: the scenario as written).
DEFAULT_LEVERS = {
    "scenario_name": DEFAULT_SCENARIO,
    "policy": AS_SCENARIO,
    "capex_growth": 1.0,
    "sovereign_dry_powder": 1.0,
    "leverage_limit": 1.0,
    "recycling": 1.0,
    "seed": "",
}


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
        self.base = base
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
        # The same world without AI spending, stepped alongside: "what AI spending did".
        self.twin = BathtubModel(without_ai_spending(scenario), seed=self.seed, weeks=self.weeks)
        self.step_seconds: deque[float] = deque(maxlen=200)
        self.frame_times: deque[float] = deque(maxlen=400)
        self.draw_seconds: deque[float] = deque(maxlen=400)

    def step(self) -> None:
        """One week, timed (the page reports the time per step)."""
        started = time.perf_counter()
        super().step()
        if self.twin.running:
            self.twin.step()
        self.step_seconds.append(time.perf_counter() - started)


def weeks_per_frame(weeks: int) -> int:
    """Weeks stepped between two drawings when playing: a whole run in about 40 frames."""
    return max(1, math.ceil(weeks / FRAMES_PER_RUN))


# -- what the levers mean -------------------------------------------------------------------------
RULE_WORDS = {
    "exogenous": "follows the scenario's paths for the policy rate and QE",
    "taylor": "a Taylor-type rule: cuts as prices fall and stress rises",
    "warsh": "Warsh: hikes and runs QT, more while asset prices stay high",
    "pivot": "pivot: once stress bites, cuts at every meeting and restarts QE",
}
STANCE_LABELS = {
    AS_SCENARIO: "as in the scenario",
    "warsh": "Warsh (hawkish)",
    "neutral": "neutral (the paths)",
    "pivot": "pivot (dovish)",
}


@functools.cache
def _base(name: str):
    return load(name if name in scenario_choices() else DEFAULT_SCENARIO)


def lever_text(name: str, value, scenario_name: str) -> str:
    """A lever's value with what it means in the scenario's units, e.g. ``×1.5: US$600bn``."""
    s = _base(scenario_name)
    if name == "policy":
        rule = s.central_bank.rule if value == AS_SCENARIO else POLICY_RULES[value]
        return RULE_WORDS[rule]
    if name == "capex_growth":
        first, last = s.hyperscalers.capex[0][1], s.hyperscalers.capex[-1][1]
        end = max(first + value * (last - first), 0.0)
        return f"×{value:.1f}: capex US${first:,.0f}bn → US${end:,.0f}bn a week"
    if name == "sovereign_dry_powder":
        total = sum(f.cash for f in s.sovereign_funds) * value
        return f"×{value:.1f}: {narrative.usd(total)} of sovereign cash at the start"
    if name == "leverage_limit":
        limits = [max(h.leverage_limit * value, h.leverage) for h in s.hedge_funds.strategies] or [
            0.0
        ]
        return f"×{value:.2f}: limits {min(limits):.1f} to {max(limits):.1f} times equity"
    if name == "recycling":
        share = min(max(s.suppliers.recycling * value, 0.0), 1.0)
        return f"×{value:.1f}: {share:.0%} of what suppliers receive comes back to the tub"
    raise ValueError(f"no lever {name!r}")


def settings_in_force(model: TeachingModel) -> list[tuple[str, str, str]]:
    """(key, label, value) of every setting the run uses, read from its resolved scenario."""
    s = model.config
    first, last = s.hyperscalers.capex[0][1], s.hyperscalers.capex[-1][1]
    limits = [h.leverage_limit for h in s.hedge_funds.strategies] or [0.0]
    return [
        ("rule", "policy rule", f"{s.central_bank.rule}: {RULE_WORDS[s.central_bank.rule]}"),
        ("capex", "capex", f"US${first:,.0f}bn → US${last:,.0f}bn a week"),
        (
            "sovereign-cash",
            "sovereign cash at the start",
            narrative.usd(sum(f.cash for f in s.sovereign_funds)),
        ),
        (
            "leverage-limits",
            "hedge-fund leverage limits",
            f"{min(limits):.2f} to {max(limits):.2f}",
        ),
        ("recycling", "recycling", f"{s.suppliers.recycling:.2f}"),
        ("seed", "seed", str(model.seed)),
        ("week", "week", f"{model.week} of {model.weeks}"),
    ]


def changes_from_scenario(model: TeachingModel) -> list[str]:
    """What the levers changed, in words (empty: the scenario as written)."""
    changed = []
    if model.config.central_bank.rule != model.base.central_bank.rule:
        changed.append(
            f"policy rule {model.base.central_bank.rule} → {model.config.central_bank.rule}"
        )
    for name in ("capex_growth", "sovereign_dry_powder", "leverage_limit", "recycling"):
        if model.levers[name] != 1.0:
            changed.append(lever_text(name, model.levers[name], model.base.name))
    return changed


# -- the page -----------------------------------------------------------------------------------
def _html(parts: list[str], **attributes) -> None:
    # HTML, not Markdown: Solara's Markdown renders text between two "$" as maths.
    solara.HTML(
        tag="div",
        unsafe_innerHTML="".join(parts),
        style=f"font-size: {TEXT}; line-height: 1.4",
        attributes=attributes or None,
    )


@solara.component
def PanelImage(panel, model: TeachingModel, frame: int):  # noqa: N802 (a Solara component)
    """One picture, redrawn only when the model or its week changes."""
    data = solara.use_memo(lambda: render(panel, model), dependencies=[id(model), model.week])
    encoded = base64.b64encode(data).decode("ascii")
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<img data-panel='{panel.key}' alt='{escape(panel.title)}'"
            f" src='data:image/png;base64,{encoded}' style='max-width: 100%; display: block'>"
        ),
    )


@solara.component
def Key(model: TeachingModel, frame: int):  # noqa: N802 (a Solara component)
    """How to read the bathtub (the picture carries no key, to leave room for large text)."""
    from inverse_qe.teaching.panels import _tub_scale
    from inverse_qe.teaching.tub import pipe_key

    rec = model.recorder
    now = model.week
    taps_minus_drains = (
        float(rec.series("water_level")[now] - rec.series("water_level")[now - 1]) if now else 0.0
    )
    _html(
        [
            "<b>Reading the tub.</b> Blue: investable cash (the water level). Amber: dry powder,"
            " cash nobody needs yet. A duck on the surface is priced as at the start; above it,"
            " up; below it, down. Taps and drains: US$bn this week; "
            + escape(pipe_key(_tub_scale(model)).replace("\n", " "))
            + f". Change in the water this week: <b>{escape(narrative.usd(taps_minus_drains))}</b>."
        ]
    )


@solara.component
def EventsPanel(model: TeachingModel, frame: int):  # noqa: N802 (a Solara component)
    """The latest weeks in words, newest first (``frame``: redrawn when it changes)."""
    parts = ["<h3 style='margin:0 0 6px 0'>What happened</h3>"]
    if model.week == 0:
        parts.append("<p>Nothing yet: press <b>Step</b> or <b>Play</b>.</p>")
    for line in narrative.latest_weeks(model, 6) if model.week else []:
        parts.append(
            f"<p style='margin:4px 0'><b>Week {line.week}</b> ({narrative.day(line.date)}): "
            + escape("; ".join(line.items))
            + ".</p>"
        )
    _html(parts)


@solara.component
def SettingsCard(model: TeachingModel, frame: int):  # noqa: N802 (a Solara component)
    """The scenario and the settings in force: what the run really uses."""
    s = model.config
    changed = changes_from_scenario(model)
    if changed:
        about = (
            f"<p style='margin:0 0 6px 0'><b>{escape(s.name)}</b>, changed by the levers: "
            + escape("; ".join(changed))
            + ".</p>"
        )
    else:
        about = (
            f"<p style='margin:0 0 6px 0'><b>{escape(s.name)}</b> as written:"
            f" {escape(s.description)}</p>"
        )
    times = list(model.step_seconds)
    frames = list(model.frame_times)
    items = settings_in_force(model)
    timing = []
    if times:
        timing.append(f"model time per week: {sum(times) / len(times) * 1000:.1f} ms")
    if len(frames) > 2:
        span = frames[-1] - frames[0]
        if span > 0:
            timing.append(f"pictures: {(len(frames) - 1) / span:.1f} a second")
    drawing = list(model.draw_seconds)
    if drawing:
        timing.append(f"drawing: {sum(drawing) / len(drawing) * 1000:.0f} ms a frame")
    _html(
        [
            "<h3 style='margin:0 0 4px 0'>Settings in force</h3>",
            about,
            "<ul style='margin:0; padding-left:18px'>",
            *(
                f"<li>{escape(label)}: <b data-setting='{key}'>{escape(value)}</b></li>"
                for key, label, value in items
            ),
            *(f"<li>note: {escape(note)}</li>" for note in model.notes),
            "</ul>",
            *(f"<p style='margin:4px 0; color:#555'>{escape(t)}</p>" for t in timing),
        ]
    )


@solara.component
def Lever(name: str, label: str, levers: solara.Reactive, low: float, high: float, step: float):  # noqa: N802
    """A slider with its value and what it means, in words above it."""
    value = levers.value[name]

    def set_value(new: float) -> None:
        levers.set({**levers.value, name: new})

    text = lever_text(name, value, levers.value["scenario_name"])
    with solara.Column(classes=[f"lever-{name}"], style={"gap": "0"}):
        _html([f"<b>{escape(label)}</b><br><span data-lever='{name}'>{escape(text)}</span>"])
        solara.SliderFloat(
            label="",
            value=value,
            min=low,
            max=high,
            step=step,
            on_value=set_value,
            thumb_label=True,
        )


@solara.component
def Controls(  # noqa: N802 (a Solara component)
    levers: solara.Reactive, model: TeachingModel, frame: int, playing: solara.Reactive, actions
):
    """Scenario, stance and levers; Reset, Step and Play; the settings in force."""
    with solara.Card("Scenario and levers", style={"font-size": TEXT}):
        solara.Select(
            label="Scenario",
            value=levers.value["scenario_name"],
            values=scenario_choices(),
            on_value=lambda v: levers.set({**levers.value, "scenario_name": v}),
        )
        solara.Select(
            label="Policy stance",
            value=levers.value["policy"],
            values=[AS_SCENARIO, *POLICY_RULES],
            on_value=lambda v: levers.set({**levers.value, "policy": v}),
        )
        stance = lever_text("policy", levers.value["policy"], levers.value["scenario_name"])
        _html([f"<span data-lever='policy'>{escape(stance)}</span>"])
        Lever("capex_growth", "Capex growth", levers, 0.0, 3.0, 0.1)
        Lever("sovereign_dry_powder", "Sovereign cash", levers, 0.0, 5.0, 0.1)
        Lever("leverage_limit", "Hedge-fund leverage limits", levers, 0.7, 2.0, 0.05)
        Lever("recycling", "Recycling", levers, 0.0, 2.5, 0.1)
        solara.InputText(
            label="Seed (blank: the scenario's)",
            value=levers.value["seed"],
            on_value=lambda v: levers.set({**levers.value, "seed": v}),
        )
        pending = _pending(levers.value, model)
        with solara.Row(justify="space-between"):
            solara.Button("Reset", color="primary", on_click=actions["reset"])
            solara.Button(
                "Step",
                color="primary",
                on_click=actions["step"],
                disabled=playing.value or not model.running,
            )
            solara.Button(
                "Pause" if playing.value else "Play",
                color="primary",
                on_click=actions["play"],
                disabled=not model.running,
            )
        if pending:
            _html(["<p style='color:#9A3412; margin:4px 0'>Press <b>Reset</b> to apply.</p>"])
    with solara.Card(style={"font-size": TEXT}):
        SettingsCard(model, frame)


def _pending(levers: dict, model: TeachingModel) -> bool:
    """Whether the levers differ from those the model was built with."""
    built = {**model.levers, "scenario_name": model.base.name}
    return any(levers[k] != built[k] for k in built) or str(levers["seed"]).strip() not in (
        "",
        str(model.seed),
    )


@solara.component
def Pictures(model: TeachingModel, frame: int):  # noqa: N802 (a Solara component)
    """The panels in order: the bathtub and its key, then the charts two by two, then words."""
    bathtub, *charts = PANELS
    PanelImage(bathtub, model, frame)
    Key(model, frame)
    for first in range(0, len(charts), 2):
        with solara.Row(style={"gap": "12px", "flex-wrap": "wrap"}):
            for panel in charts[first : first + 2]:
                PanelImage(panel, model, frame)
    with solara.Card(style={"font-size": TEXT}):
        EventsPanel(model, frame)


@solara.component
def Page():  # noqa: N802 (a Solara component)
    """The dashboard: controls on the left, pictures on the right."""
    levers = solara.use_reactive(dict(DEFAULT_LEVERS))
    model = solara.use_reactive(solara.use_memo(TeachingModel, []))
    # Bumped whenever the pictures must be redrawn (a new week, a new model).
    frame = solara.use_reactive(0)
    playing = solara.use_reactive(False)

    def redraw() -> None:
        started = time.perf_counter()
        model.value.frame_times.append(started)
        frame.set(frame.value + 1)
        model.value.draw_seconds.append(time.perf_counter() - started)

    def reset() -> None:
        playing.set(False)
        model.set(TeachingModel(**levers.value))
        frame.set(frame.value + 1)

    def step() -> None:
        if model.value.running:
            model.value.step()
            redraw()

    def play_or_pause() -> None:
        playing.set(not playing.value)

    def play() -> None:
        current = model.value
        per_frame = weeks_per_frame(current.weeks)
        while playing.value and current.running and model.value is current:
            for _ in range(per_frame):
                current.step()
            redraw()
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    solara.Title("inverse-QE: the liquidity bathtub")
    with solara.Row(style={"align-items": "flex-start", "gap": "12px", "padding": "8px"}):
        with solara.Column(style={"width": "300px", "min-width": "300px", "flex": "0 0 300px"}):
            _html(["<h2 style='margin:4px 0'>inverse-QE: the liquidity bathtub</h2>"])
            Controls(
                levers,
                model.value,
                frame.value,
                playing,
                {"reset": reset, "step": step, "play": play_or_pause},
            )
        with solara.Column(style={"flex": "1 1 auto", "min-width": "0", "gap": "8px"}):
            Pictures(model.value, frame.value)
