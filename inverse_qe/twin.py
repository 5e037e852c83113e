"""The capex twin: the same scenario and seed, the same news, without AI spending.

A claim about what AI spending does rests on a counterfactual. The twin of a run
is the same scenario run on the same seed (so the same news draws: common random
numbers) with **AI spending** removed, and *AI spending* has one definition
everywhere (``run``, ``explain``, the stylized facts, ``multiplier`` and
``regime``): the hyperscalers' capex path and every sovereign fund's AI
commitments, scaled together (to zero for the twin). The difference between the
two runs' risk-asset value, week by week, is the **capex effect**: what AI
spending did to asset prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from inverse_qe.model.recorder import Recording
from inverse_qe.scenarios.schema import Scenario

#: What "AI spending" means, in words, for outputs and docs.
AI_SPENDING = "hyperscaler capex and sovereign funds' AI commitments"


def ai_spending_fields(sovereign_funds: Sequence[Any]) -> list[str]:
    """Scenario field paths of AI spending: the capex path, then each fund's commitments.

    Args:
        sovereign_funds: the scenario's sovereign funds (specs or raw tables with a name).
    """
    names = [f["name"] if isinstance(f, dict) else f.name for f in sovereign_funds]
    return ["hyperscalers.capex", *(f"sovereign_funds.{name}.commitments" for name in names)]


def _scaled(path, scale: float) -> list:
    return [(key, float(value) * scale) for key, value in path]


def without_ai_spending(scenario: Scenario, scale: float = 0.0) -> Scenario:
    """The scenario with AI spending scaled by ``scale`` (0: none at all: the twin).

    Everything else, the seed included, is left as it is.
    """
    if not scale >= 0.0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    hyperscalers = scenario.hyperscalers.model_copy(
        update={"capex": _scaled(scenario.hyperscalers.capex, scale)}
    )
    funds = [
        fund.model_copy(update={"commitments": _scaled(fund.commitments, scale)})
        for fund in scenario.sovereign_funds
    ]
    return scenario.model_copy(update={"hyperscalers": hyperscalers, "sovereign_funds": funds})


def run_pair(scenario: Scenario, seed: int | None = None, weeks: int | None = None, **kwargs):
    """Run the scenario and its twin on the same seed; returns ``(model, twin)``."""
    from inverse_qe.model.bathtub import BathtubModel

    model = BathtubModel(scenario, seed=seed, weeks=weeks, **kwargs).run()
    twin = BathtubModel(without_ai_spending(scenario), seed=model.seed, weeks=weeks, **kwargs)
    return model, twin.run()


@dataclass(frozen=True)
class TwinRecord:
    """What a finished twin leaves for its pair's outputs: its weekly series and calendar.

    Read as a finished model is by :func:`capex_effect`, :func:`effect_summary`
    and the results' time series (``recorder`` and ``dates``).
    """

    recorder: Recording
    dates: list[date]


def simulate_twin(scenario: Scenario, seed: int, weeks: int | None = None) -> TwinRecord:
    """Run the twin of ``scenario`` on ``seed`` and keep only what its outputs need.

    ``inverse-qe run`` calls this in a forked process while it simulates the run
    itself (:class:`inverse_qe.forking.ForkedTask`).
    """
    from inverse_qe.model.bathtub import BathtubModel

    twin = BathtubModel(without_ai_spending(scenario), seed=seed, weeks=weeks).run()
    return TwinRecord(twin.recorder.frozen(), list(twin.dates))


def capex_effect(model, twin) -> np.ndarray:
    """Per week, risk-asset value with AI spending minus without it, US$bn."""
    with_ai = model.recorder.series("risk_asset_value")
    without = twin.recorder.series("risk_asset_value")
    n = min(with_ai.size, without.size)
    return with_ai[:n] - without[:n]


def capex_effect_parts(model, twin, gap: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The capex effect split into ``(income, money)``, per week, US$bn.

    *Income* is the risk-asset value that the earnings AI spending created carry
    (memory makers' earnings and the economy's profits; the twin has none); *money*
    is the rest of the gap: what AI spending did by moving money, through flows,
    scarcity and forced sales. The two add up to :func:`capex_effect`, which a
    caller that has it already passes as ``gap``.
    """
    gap = capex_effect(model, twin) if gap is None else gap
    n = gap.size
    income = (
        model.recorder.series("ai_income_value")[:n] - twin.recorder.series("ai_income_value")[:n]
    )
    return income, gap - income


def ai_spending(model) -> np.ndarray:
    """Per week, AI spending actually paid: capex plus commitments, US$bn."""
    r = model.recorder
    return r.series("capex_paid") + r.series("commitments_paid")


def first_week(mask: np.ndarray) -> int | None:
    """The first week where ``mask`` holds, or None."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def effect_summary(model, twin) -> dict[str, Any]:
    """The ``capex_effect`` block of ``summary.json``: what AI spending did to asset prices.

    * ``risk_asset_value_gap``: the gap at the end, US$bn;
    * ``relative_gap``: the same over the twin's risk-asset value at the end;
    * ``per_dollar``: the end gap over cumulative AI spending (US$ of asset value
      per US$ spent; negative: capex drained more than it paid);
    * ``peak_gap`` and ``peak_week``: the largest gap and when;
    * ``turned_negative_week``: the first week the gap was below zero after its
      peak (None if it never was), i.e. when AI spending started costing more
      than it had added;
    * ``from_income`` and ``from_money``: the end gap split (:func:`capex_effect_parts`):
      what the earnings AI spending created carry, and what it did by moving money;
    * ``ai_spending``: cumulative AI spending paid, US$bn.
    """
    gap = capex_effect(model, twin)
    income, money = capex_effect_parts(model, twin, gap)
    spent = float(ai_spending(model).sum())
    peak = int(np.argmax(gap))
    twin_value = float(twin.recorder.series("risk_asset_value")[gap.size - 1])
    return {
        "definition": f"risk-asset value with minus without {AI_SPENDING}, same seed",
        "risk_asset_value_gap": float(gap[-1]),
        "relative_gap": float(gap[-1] / twin_value) if twin_value > 0 else None,
        "per_dollar": float(gap[-1] / spent) if spent > 0 else None,
        "peak_gap": float(gap[peak]),
        "peak_week": peak,
        "turned_negative_week": first_week((np.arange(gap.size) >= peak) & (gap < 0.0)),
        "from_income": float(income[-1]),
        "from_money": float(money[-1]),
        "ai_spending": spent,
        "twin_risk_asset_value_change": float(
            twin_value / float(twin.recorder.series("risk_asset_value")[0]) - 1.0
        ),
    }
