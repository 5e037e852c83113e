"""The narrated run: its numbers are the run's events and series, its phases what they show."""

from __future__ import annotations

import re

import numpy as np
import pytest
from rich.console import Console

from inverse_qe.model.events import (
    DryPowderExhausted,
    ForcedSale,
    MarginCall,
    PolicyChange,
    cascades,
)
from inverse_qe.teaching import narrative
from inverse_qe.teaching.narrative import change, moved, percent, usd
from inverse_qe.twin import capex_effect

SCENARIOS = ["early_phase", "warsh_tightening", "dry_powder_exhaustion", "fed_pivot"]


def series(model, column):
    return model.recorder.series(column)


def events(model, kind):
    return [e for e in model.events if isinstance(e, kind)]


def rendered(story, detail=True):
    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    narrative.render_text(story, console, detail=detail)
    return console.export_text()


@pytest.fixture(scope="module", params=SCENARIOS)
def told(request, run_of, twin_of):
    model = run_of(request.param)
    return model, narrative.tell(model, capex_effect(model, twin_of(request.param)))


# -- formatting -------------------------------------------------------------------------------
def test_numbers_read_as_a_student_expects():
    assert usd(1447.5) == "US$1.4tn"
    assert usd(884.2) == "US$884bn"
    assert usd(2.61) == "US$2.6bn"
    assert usd(0.04) == "US$40m"
    assert usd(-3.0) == "-US$3.0bn"
    assert usd(0.0) == "US$0"
    assert percent(0.03625) == "3.63%"  # half up, like the FOMC's range midpoint
    assert change(0.406) == "+41%" and change(-0.057) == "-5.7%"
    assert moved(-0.07) == "fell 7.0%" and moved(0.13) == "rose 13%"


# -- phases match the series ----------------------------------------------------------------
def test_exhaustion_is_named_only_from_the_events(told):
    model, story = told
    exhausted = events(model, DryPowderExhausted)
    phase = story.phase("exhaustion")
    if not exhausted:
        assert phase is None
        return
    assert phase.first_week == min(e.week for e in exhausted)
    assert phase.last_week == max(e.week for e in exhausted)
    assert phase.numbers["weeks"] == {e.holder: e.week for e in exhausted}
    # Nothing before the first event is called an exhaustion.
    for other in story.phases:
        if other.first_week < phase.first_week:
            assert "ran out" not in other.text


def test_stimulus_and_drain_are_named_from_the_gap_with_the_twin(told, twin_of):
    model, story = told
    gap = capex_effect(model, twin_of(model.config.name))
    peak = int(np.argmax(gap))
    stimulus, drain = story.phase("stimulus"), story.phase("drain")
    if peak >= 2 and gap[peak] > 0:
        assert (stimulus.first_week, stimulus.last_week) == (1, peak)
        assert stimulus.numbers["peak_gap"] == pytest.approx(gap[peak])
        assert usd(gap[peak]) in stimulus.text
    else:
        assert stimulus is None
    start = peak if stimulus else 1
    if gap[-1] < gap[start] - narrative.SMALL:
        assert drain.first_week == start and drain.last_week == model.week
        assert drain.numbers["end_gap"] == pytest.approx(gap[-1])
    else:
        assert drain is None
    # nothing here says capex was paid out of idle cash while it was draining
    if drain is not None and stimulus is None:
        assert "idle cash" not in story.summary


def test_the_story_splits_the_gap_into_earnings_and_money_as_the_twin_does(told, twin_of):
    from inverse_qe.twin import capex_effect_parts

    model, story = told
    income, money = capex_effect_parts(model, twin_of(model.config.name))
    for phase, week in (("stimulus", "peak_week"), ("drain", None)):
        found = story.phase(phase)
        if found is None:
            continue
        w = found.numbers[week] if week else model.week
        # the two parts, as the one line and the detail both say them
        assert f"the earnings it created {usd(income[w])}, moving money {usd(money[w])}" in (
            found.gist
        )
        assert usd(income[w]) in found.text and usd(money[w]) in found.text


def test_without_a_twin_no_verdict_on_ai_spending_is_given(run_of):
    model = run_of("dry_powder_exhaustion")
    story = narrative.tell(model)
    names = {p.name for p in story.phases}
    assert "stimulus" not in names and "drain" not in names
    first = story.phases[0]
    assert first.name == "before exhaustion" and "twin" in first.text


def test_scramble_starts_when_capex_must_be_raised(told):
    model, story = told
    raised = series(model, "forced_sales_funding") + series(model, "forced_sales_commitment")
    weeks = np.flatnonzero((raised >= 0.005) | (series(model, "bonds_issued") >= 0.005))
    weeks = weeks[weeks > 0]
    phase = story.phase("scramble")
    if weeks.size == 0:
        assert phase is None
        return
    assert (phase.first_week, phase.last_week) == (weeks[0], weeks[-1])
    assert phase.numbers["bonds"] == pytest.approx(series(model, "bonds_issued").sum())
    assert phase.numbers["funding"] == pytest.approx(series(model, "forced_sales_funding").sum())


def test_cascade_phase_is_the_largest_chain_of_the_event_log(told):
    model, story = told
    chains = cascades(model.events)
    phase = story.phase("cascade")
    if not chains or chains[0].depth < 2:
        assert phase is None
        return
    largest = chains[0]
    assert (phase.first_week, phase.last_week) == (largest.first_week, largest.last_week)
    assert phase.numbers["size"] == pytest.approx(largest.size)
    assert phase.numbers["sales"] == largest.sales
    assert phase.numbers["depth"] == largest.depth
    assert usd(largest.size) in phase.text


def test_policy_response_only_when_the_rule_acted(told):
    model, story = told
    acted = [e for e in events(model, PolicyChange) if e.reason != "path"]
    phase = story.phase("policy response")
    if not acted:
        assert phase is None
        return
    assert phase.first_week == acted[0].week
    rate = series(model, "policy_rate")
    assert phase.numbers["rate_end"] == pytest.approx(rate[-1])
    if rate.max() > acted[0].previous_rate + 0.0005:
        assert f"to {percent(rate[acted[0].week :].max())}" in phase.text


# -- narrated numbers are the run's numbers ---------------------------------------------------
def test_exhaustion_moments_tell_the_sales_that_followed(told):
    model, story = told
    moments = [m for m in story.moments if m.kind == "exhaustion"]
    exhausted = sorted(events(model, DryPowderExhausted), key=lambda e: (e.week, e.id))
    assert [m.week for m in moments] == [e.week for e in exhausted]
    for moment, event in zip(moments, exhausted, strict=True):
        assert usd(event.cash) in moment.text and usd(event.money_demand) in moment.text
        if "sale_week" not in moment.numbers:
            continue
        w = moment.numbers["sale_week"]
        sales = [
            e
            for e in events(model, ForcedSale)
            if e.week == w and e.holder == event.holder and e.reason == "commitment"
        ]
        by_asset: dict[str, float] = {}
        for sale in sales:
            for asset, amount in sale.by_asset.items():
                by_asset[asset] = by_asset.get(asset, 0.0) + amount
        assert moment.numbers["by_asset"] == pytest.approx(by_asset)
        top = max(by_asset, key=by_asset.get)
        assert f"{usd(by_asset[top])} of {narrative.asset_name(top)}" in moment.text
        price = series(model, f"price_{top}")
        assert f"{narrative.asset_name(top)} {moved(price[w] / price[w - 1] - 1)}" in moment.text


def test_the_worst_week_is_the_series_peak(told):
    model, story = told
    forced = series(model, "forced_sales")
    peak = [m for m in story.moments if m.kind == "peak_week"]
    if forced[1:].max() < narrative.SMALL:
        assert not peak
        return
    (moment,) = peak
    w = 1 + int(np.argmax(forced[1:]))
    assert moment.week == w
    assert f"{usd(forced[w])} (" in moment.text
    called = {e.holder for e in events(model, MarginCall) if e.week == w}
    assert moment.numbers["margin_called"] == len(called)


def test_chronology_lines_quote_the_series(told):
    model, story = told
    forced = series(model, "forced_sales")
    quoted = 0
    for line in story.chronology:
        for item in line.items:
            found = re.match(r"forced sales (US\$[\d.,]+(?:tn|bn|m)) ", item)
            if found:
                assert found.group(1) == usd(forced[line.week])
                quoted += 1
    if forced[1:].max() >= narrative.SMALL:
        assert quoted > 0


def test_ending_quotes_the_prices(told):
    model, story = told
    for asset, ret in story.returns.items():
        price = series(model, f"price_{asset}")
        assert ret == pytest.approx(price[-1] / price[0] - 1)
        assert f"{narrative.asset_name(asset)} {change(ret)}" in story.ending[1]


# -- two scenarios, two stories ----------------------------------------------------------------
def test_watch_list_lines_quote_the_measured_watch_list(told):
    from inverse_qe.watchlist import watch_list

    model, story = told
    watch = watch_list(model)
    lines = dict(story.watch)
    assert list(lines) == [
        "Capex cuts",
        "Credit spreads",
        "Sovereign funds",
        "Central bank",
        "Crypto",
    ]
    spread = watch["spread_widening"]
    assert (
        f"{spread['peak_change_bp']:+.0f}bp at the widest (week {spread['peak_week']})"
        in lines["Credit spreads"]
    )
    cuts = watch["capex_cuts"]
    assert (f"{len(cuts)} cut" in lines["Capex cuts"]) == bool(cuts)
    assert lines["Capex cuts"].startswith("None") == (not cuts)
    signals = watch["policy_signals"]
    assert (lines["Central bank"] == "Did not move.") == (not signals)
    sellers, _, buyers = lines["Sovereign funds"].lower().partition("net buyers")
    for fund, by_asset in watch["sovereign_net_selling"].items():
        net = sum(by_asset.values())
        if abs(net) >= narrative.SMALL:
            side = sellers if net > 0 else buyers
            assert f"{narrative.holder_name(fund)} {usd(abs(net))}".lower() in side
    crypto = watch["crypto_capitulation"]
    assert f"lowest in week {crypto['trough_week']}" in lines["Crypto"]
    assert "The watch-list" in rendered(story, detail=False)


def test_watch_list_lines_on_hand_made_indicators():
    lines = dict(
        narrative.watch_lines(
            {
                "capex_cuts": [
                    {"firm": "oracle", "week": 40, "funding_cost": 0.071},
                    {"firm": "oracle", "week": 60, "funding_cost": 0.08},
                ],
                "spread_widening": {"change_bp": -3.2, "peak_change_bp": 12.4, "peak_week": 7},
                "sovereign_net_selling": {
                    "gulf_fund": {"treasuries": 30.0, "gold": -10.0},
                    "softbank": {"crypto": 0.01},
                },
                "policy_signals": [
                    {
                        "week": 9,
                        "policy_rate": 0.0325,
                        "previous_rate": 0.035,
                        "qe_pace": 0.0,
                        "reason": "stress",
                    },
                    {
                        "week": 20,
                        "policy_rate": 0.03,
                        "previous_rate": 0.0325,
                        "qe_pace": 20.0,
                        "reason": "stress",
                    },
                ],
                "crypto_capitulation": {
                    "trough_week": 30,
                    "max_drawdown": 0.5,
                    "liquidity_low_week": 50,
                    "liquidity_returned": True,
                    "crypto_bottomed_first": True,
                },
            }
        )
    )
    assert (
        lines["Capex cuts"] == "2 cuts by Oracle; the first in week 40 (Oracle, funding at 7.10%)."
    )
    assert lines["Credit spreads"] == "Narrowed 3bp by the end; +12bp at the widest (week 7)."
    assert lines["Sovereign funds"] == (
        "Net sellers: the Gulf fund US$20.0bn (most of it treasuries)."
    )
    assert lines["Central bank"] == (
        "2 moves from week 9 (stress); the rate went from 3.50% to 3.00%; QE from week 20."
    )
    assert lines["Crypto"] == (
        "Down at most 50%, lowest in week 30; liquidity came back after week 50, "
        "and crypto bottomed first."
    )


def test_early_phase_and_warsh_tell_different_stories(run_of):
    early = narrative.tell(run_of("early_phase"))
    warsh = narrative.tell(run_of("warsh_tightening"))
    assert early.summary != warsh.summary
    assert early.phase("policy response") is None
    assert warsh.phase("policy response") is not None
    assert "raised its rate" in rendered(warsh) and "raised its rate" not in rendered(early)
    assert early.start.year == 2024 and warsh.start.year == 2026
    early_text, warsh_text = set(rendered(early).split()), set(rendered(warsh).split())
    overlap = len(early_text & warsh_text) / len(early_text | warsh_text)
    assert overlap < 0.6


def test_a_short_run_names_no_exhaustion(run_of):
    model = run_of("dry_powder_exhaustion", weeks=4)
    story = narrative.tell(model)
    assert not events(model, DryPowderExhausted)
    assert story.phase("exhaustion") is None
    assert "ran out" not in rendered(story)


# -- rendering ---------------------------------------------------------------------------------
def test_default_view_fits_a_screen_and_detail_adds_the_chronology(run_of):
    story = narrative.tell(run_of("warsh_tightening"))
    short, full = rendered(story, detail=False), rendered(story, detail=True)
    assert len(short.splitlines()) <= 70  # a full-height terminal at 100 columns
    assert "Week by week" in full and "Week by week" not in short
    markdown = narrative.render_markdown(story, detail=True)
    assert markdown.startswith("# What happened in `warsh_tightening`")
    assert "## Week by week" in markdown and "| asset |" not in markdown.split("## Week")[1]


def test_latest_weeks_of_a_running_model(default_scenario):
    from inverse_qe.model.bathtub import BathtubModel

    model = BathtubModel(default_scenario, weeks=20)
    for _ in range(8):
        model.step()
    lines = narrative.latest_weeks(model, 5)
    assert [line.week for line in lines] == [8, 7, 6, 5, 4]
    assert all(line.items for line in lines)
