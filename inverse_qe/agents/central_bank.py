"""The central bank: policy rate, reverse-repo facility, QE/QT, and its reaction function.

Rules (``rule`` in the scenario), each a function of last week's state:

* ``exogenous``: the policy-rate and QE paths of the scenario, as given.
* ``taylor``: ``i = s i_prev + (1 - s)(r* + a·gap - b·stress)``, with ``gap`` the log
  of risk-asset value over its opening level (inflation is not modelled, so
  financial conditions stand in for the output gap).
* ``warsh``: sees "too much money": hikes ``h/13`` a week plus ``a·max(gap, 0)/13``
  (tightening more while asset prices stay high), capped at ``max_rate``, and
  shrinks the balance sheet at ``qt_pace + q·max(gap, 0)`` a week.
* ``pivot``: follows the scenario's paths until stress has stayed above the
  threshold for ``recognition_lag`` weeks; then cuts ``c`` at every meeting
  (every ``meeting_interval`` weeks) down to ``min_rate`` and buys ``qe_pace`` of
  treasuries a week.

A move is announced (a ``PolicyChange`` event) once it adds up to a quarter
point since the last announcement, or when the stance changes (the rule's reason,
or QE turning into QT or back).

The RRP facility takes money-fund cash when its rate beats the market's and
gives it back to the tub when market yields rise above it (the plumbing): the
balance moves toward ``capacity x logistic((rrp rate - policy rate) / sensitivity)``,
less the Treasury bills money funds bought with RRP cash since the start (bills
and the RRP are their substitutes: :mod:`inverse_qe.agents.treasury`), so the
plumbing does not refill from deposits what bills drained. Money funds are part of
the households' row, so that is whose cash moves.

Each week the bank buys ``qe_pace`` of treasuries (QE) or, when the pace is
negative, sells up to what it holds (QT); it pays with reserves it creates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

from inverse_qe.model.events import PolicyChange

#: A policy-rate move is announced (a PolicyChange event) once it adds up to this much.
POLICY_STEP = 0.0025


@dataclass
class PolicyState:
    """What the central bank sets each week."""

    policy_rate: float
    qe_pace: float
    rrp_rate: float
    reason: str = "path"


def taylor_rate(previous, neutral, gap, stress, gap_coefficient, stress_coefficient, smoothing):
    """Taylor-type rule on financial conditions, with interest-rate smoothing."""
    target = neutral + gap_coefficient * gap - stress_coefficient * stress
    return smoothing * previous + (1.0 - smoothing) * target


def warsh_step(previous_rate, gap, spec):
    """One week of the Warsh rule: (policy rate, QE pace); QE pace < 0 is QT."""
    hike = (spec.hike_per_quarter + spec.asset_gap_coefficient * max(gap, 0.0)) / 13.0
    rate = min(previous_rate + hike, max(spec.max_rate, previous_rate))
    qt = spec.qt_pace + spec.qt_per_asset_gap * max(gap, 0.0)
    return rate, -qt


def pivot_triggered(stress_history, threshold, lag):
    """True once stress has stayed above ``threshold`` for ``lag`` + 1 consecutive weeks."""
    if len(stress_history) < lag + 1:
        return False
    return all(s > threshold for s in stress_history[-(lag + 1) :])


def rrp_target(capacity, rrp_rate, market_rate, sensitivity):
    """Balance money funds want at the RRP: more when its rate beats the market's."""
    z = (rrp_rate - market_rate) / sensitivity
    return capacity / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class CentralBank(mesa.Agent):
    """The central bank, with a pluggable policy rule; it also runs the RRP facility."""

    def __init__(self, model, row: int, spec, paths):
        super().__init__(model)
        self.name = "central_bank"
        self.row = row
        self.spec = spec
        self.paths = paths  # weekly arrays: policy_rate, rrp_rate_spread, qe_pace
        self.state = PolicyState(
            float(paths["policy_rate"][0]),
            float(paths["qe_pace"][0]),
            float(paths["policy_rate"][0] + paths["rrp_rate_spread"][0]),
        )
        self.opening_rate = self.state.policy_rate
        self.announced_rate = self.opening_rate
        self.stress_history: list[float] = []
        self.pivot_week: int | None = None

    def open_accounts(self) -> None:
        """Its treasury portfolio (reserves are created as it buys) and the RRP balance."""
        ledger, markets = self.model.ledger, self.model.markets
        treasuries = markets.names[markets.treasury]
        ledger.open_account(
            self.name, 0.0, markets.units({treasuries: self.spec.treasury_holdings})
        )
        ledger.open_account("rrp", self.spec.rrp_balance)

    @property
    def rate_gap(self) -> float:
        """Policy rate minus its opening level: what makes holding cash cheaper or dearer."""
        return self.state.policy_rate - self.opening_rate

    def policy(self, gap: float, stress: float) -> None:
        """This week's policy from last week's conditions, announced when it moved enough.

        Args:
            gap: log of risk-asset value over its opening level.
            stress: the markets' stress index.
        """
        previous = self.state
        state = self.set_policy(self.model.week, gap, stress)
        moved = abs(state.policy_rate - self.announced_rate) >= POLICY_STEP - 1e-12
        if (
            moved
            or state.reason != previous.reason
            or np.sign(state.qe_pace) != np.sign(previous.qe_pace)
        ):
            self.model.events.add(
                PolicyChange(
                    week=self.model.week,
                    holder=self.name,
                    policy_rate=state.policy_rate,
                    previous_rate=self.announced_rate,
                    qe_pace=state.qe_pace,
                    reason=state.reason,
                )
            )
            self.announced_rate = state.policy_rate

    def set_policy(self, week: int, gap: float, stress: float) -> PolicyState:
        """Decide this week's policy rate, QE pace and RRP rate from last week's state."""
        s, p = self.spec, self.paths
        self.stress_history.append(stress)
        rate, qe, reason = float(p["policy_rate"][week]), float(p["qe_pace"][week]), "path"
        if s.rule == "taylor":
            t = s.taylor
            rate = taylor_rate(
                self.state.policy_rate,
                t.neutral_rate,
                gap,
                stress,
                t.asset_gap_coefficient,
                t.stress_coefficient,
                t.smoothing,
            )
            reason = "taylor rule"
        elif s.rule == "warsh":
            rate, qe = warsh_step(self.state.policy_rate, gap, s.warsh)
            reason = "too much money: hike and shrink the balance sheet"
        elif s.rule == "pivot":
            v = s.pivot
            if self.pivot_week is None and pivot_triggered(
                self.stress_history, v.stress_threshold, v.recognition_lag
            ):
                self.pivot_week = week
            if self.pivot_week is not None:
                meetings = 1 + (week - self.pivot_week) // v.meeting_interval
                start = float(p["policy_rate"][self.pivot_week])
                rate = max(v.min_rate, start - meetings * v.cut_per_meeting)
                qe, reason = v.qe_pace, f"stress above {v.stress_threshold:.2f}: cut and restart QE"
        self.state = PolicyState(rate, qe, rate + float(p["rrp_rate_spread"][week]), reason)
        return self.state

    def rrp_flow(self, rrp_balance: float, bills_held: float = 0.0) -> float:
        """Cash moving into the RRP this week (negative: out of the RRP into the tub).

        ``bills_held``: net Treasury bills money funds bought out of the RRP since the
        start (negative: bills paid down and parked there); the balance they want at
        the RRP is lower (higher) by as much, never below zero.
        """
        s = self.spec
        target = rrp_target(
            s.rrp_capacity, self.state.rrp_rate, self.state.policy_rate, s.rrp_sensitivity
        )
        return s.rrp_speed * (max(target - bills_held, 0.0) - rrp_balance)

    def rrp_plumbing(self) -> None:
        """Money funds move cash into the RRP, or out of it into the tub, toward its target."""
        ledger, rows = self.model.ledger, self.model.rows
        flow = self.rrp_flow(float(ledger.cash[rows.rrp]), self.model.treasury.bills_held)
        if flow > 0:
            deposit = min(flow, max(ledger.cash[rows.households], 0.0))
            ledger.pay(rows.households, rows.rrp, deposit, "rrp_deposit")
        elif flow < 0:
            withdrawal = min(-flow, ledger.cash[rows.rrp])
            ledger.pay(rows.rrp, rows.households, withdrawal, "rrp_withdrawal")

    def orders(self) -> np.ndarray:
        """QE buys ``qe_pace`` of treasuries; QT sells as much, or what it still holds."""
        markets, treasuries = self.model.markets, self.model.markets.treasury
        orders = np.zeros(len(markets.names))
        held = self.model.ledger.holdings[self.row, treasuries] * markets.price[treasuries]
        pace = self.state.qe_pace
        orders[treasuries] = pace if pace > 0 else -min(-pace, held)
        return orders
