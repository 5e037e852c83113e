"""Sovereign and strategic investors: dry powder, AI commitments and what they sell.

A week of the sector, in order:

* **Income.** External inflows (oil revenue) arrive from the real economy, fund
  by fund in a shuffled order.
* **Payments due.** Each fund owes its commitment (a capital call paid to AI
  builders) and pays it from cash above its buffer. The first call that leaves
  its cash at or below its money demand means it has *exhausted its dry powder*
  (a ``DryPowderExhausted`` event): an outcome of prices and policy as much as of
  the schedule, because the money demand rises with the policy rate and with
  stress. What cash above the buffer cannot pay is raised by selling
  ("commitment" sales), worst performers first (so crypto and SaaS go first once
  they have fallen), or pro rata if its ``liquidation`` says so.
* **Orders.** Cash above money demand is deployed into its portfolio, at
  ``deploy_rate`` of the dry powder a week; it sells only when a call forces it.
  With dry powder it also takes new issues in the primary market, pro rata to it.
* **Settlement**, after the week's clearing: the call is paid from cash above the
  buffer; if sales fell short it draws a margin loan against its holdings (up
  to ``margin_loan_limit`` of their value, as far as prime brokers have cash),
  and only then misses the call (a ``MissedCommitment`` event).
* **Money demand**: the buffer, plus the calls due over the payments horizon,
  plus a liquidity reserve of ``money_share`` of its wealth that rises with the
  policy rate and with stress, like every investor's
  (:class:`~inverse_qe.agents.portfolio.CashTarget`). Commitments raise it the
  way capex raises the hyperscalers'.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.members import Members
from inverse_qe.agents.portfolio import CashTarget, rebalance_orders, weights_from
from inverse_qe.model.events import DryPowderExhausted, MissedCommitment


def sale_ranks(trailing_return: np.ndarray, liquidation: str) -> np.ndarray:
    """Order in which to sell assets: 0 first. Worst performers first, or all at once."""
    if liquidation == "pro_rata":
        return np.zeros(trailing_return.size, dtype=int)
    order = np.argsort(trailing_return, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size)
    return ranks


def cash_to_raise(commitment: float, cash: float, buffer: float) -> float:
    """Part of a commitment that cash above the buffer cannot pay."""
    return max(0.0, commitment - max(cash - buffer, 0.0))


class SovereignFund(mesa.Agent):
    """One sovereign or strategic fund."""

    def __init__(self, model, row: int, spec, paths):
        super().__init__(model)
        self.name = spec.name
        self.row = row
        self.spec = spec
        self.paths = paths  # weekly arrays: commitments, inflows
        self.reserve = CashTarget(model, row, spec.money_share)
        self.exhausted_week: int | None = None

    def commitment_due(self, week: int) -> float:
        """This week's capital call, US$bn."""
        return float(self.paths["commitments"][week])

    def commitments_ahead(self, week: int, horizon: int) -> float:
        """Calls due over the next ``horizon`` weeks (part of its money demand)."""
        c = self.paths["commitments"]
        return float(c[week + 1 : week + 1 + horizon].sum())

    def margin_loan_room(self, holdings_value: float, debt: float) -> float:
        """What it can still borrow against its holdings."""
        return max(0.0, self.spec.margin_loan_limit * holdings_value - max(debt, 0.0))


class SovereignFunds(Members):
    """The sovereign funds together: their calls, what they sell, what they deploy.

    Args:
        model: the model whose ledger, markets and events the funds use.
        specs: the scenario's ``sovereign_funds`` list.
        paths: per fund, weekly arrays ``commitments`` and ``inflows``.
    """

    #: The reason recorded on the sales that meet capital calls.
    SALE_REASON = "commitment"

    def __init__(self, model, specs, paths: list[dict[str, np.ndarray]]) -> None:
        funds = [
            SovereignFund(model, model.ledger.index[spec.name], spec, fund_paths)
            for spec, fund_paths in zip(specs, paths, strict=True)
        ]
        super().__init__(model, funds)
        # Each fund deploys dry powder into the mix of its opening portfolio.
        self.target_weights = [
            weights_from(fund.spec.holdings, model.markets.names) for fund in self.members
        ]
        self.money_demand = np.zeros(len(self.members))
        self.commitments_due: list[float] = [0.0] * len(self.members)
        self.commitments_paid = 0.0  # this week's totals, for the record
        self.missed = 0.0

    def open_accounts(self) -> None:
        """Each fund's opening cash (its dry powder) and portfolio."""
        ledger, markets = self.model.ledger, self.model.markets
        for fund in self.members:
            ledger.open_account(fund.name, fund.spec.cash, markets.units(fund.spec.holdings))

    def receive_income(self) -> None:
        """External inflows (oil revenue) from the real economy."""
        model = self.model
        for fund in model.random.sample(self.members, len(self.members)):
            inflow = float(fund.paths["inflows"][model.week])
            model.real_economy.pay(fund.row, inflow, "oil_revenue")

    def update_money_demand(self) -> np.ndarray:
        """Cash wanted: buffer, calls due over the payments horizon and reserve, per fund."""
        week, horizon = self.model.week, self.model.config.money_demand.payments_horizon
        self.money_demand = np.array(
            [
                fund.spec.cash_buffer
                + fund.commitments_ahead(week, horizon)
                + fund.reserve.update()
                for fund in self.members
            ]
        )
        return self.money_demand

    def payments_due(self) -> np.ndarray:
        """This week's calls; returns the part cash above the buffer cannot pay, per fund."""
        model = self.model
        week = model.week
        to_raise = np.zeros(len(self.members))
        for j, fund in enumerate(self.members):
            due = self.commitments_due[j] = fund.commitment_due(week)
            cash, wanted = float(model.ledger.cash[fund.row]), float(self.money_demand[j])
            if fund.exhausted_week is None and due > 0 and cash - due <= wanted:
                fund.exhausted_week = week
                model.events.add(
                    DryPowderExhausted(week=week, holder=fund.name, cash=cash, money_demand=wanted)
                )
            to_raise[j] = cash_to_raise(due, cash, fund.spec.cash_buffer)
        return to_raise

    def orders(self) -> np.ndarray:
        """Funds x assets buy orders that deploy dry powder (they sell only when forced)."""
        model = self.model
        ledger, price = model.ledger, model.markets.price
        deploy_rate = model.config.money_demand.deploy_rate
        orders = np.zeros((len(self.members), len(price)))
        for j, fund in enumerate(self.members):
            orders[j] = rebalance_orders(
                ledger.holdings[fund.row] * price,
                ledger.cash[fund.row],
                self.money_demand[j],
                self.target_weights[j],
                deploy_rate,
                sell=False,
            )
        return orders

    def sale_ranks(self) -> np.ndarray:
        """Funds x assets order of sale (0 first), by performance since the start."""
        markets = self.model.markets
        trailing = markets.trailing_return(self.model.week)
        ranks = np.zeros((len(self.members), len(markets.names)), dtype=int)
        for j, fund in enumerate(self.members):
            ranks[j] = sale_ranks(trailing, fund.spec.liquidation)
        return ranks

    def settle(self) -> None:
        """Pay this week's calls, borrowing against holdings where sales fell short."""
        self.commitments_paid = self.missed = 0.0
        for fund, commitment in zip(self.members, self.commitments_due, strict=True):
            if commitment > 0:
                self._pay_commitment(fund, commitment)

    def _pay_commitment(self, fund: SovereignFund, commitment: float) -> None:
        model = self.model
        ledger, banks = model.ledger, model.rows.banks
        available = max(float(ledger.cash[fund.row]) - fund.spec.cash_buffer, 0.0)
        if available < commitment:
            value = float((ledger.holdings[fund.row] * model.markets.price).sum())
            loan = min(
                commitment - available,
                fund.margin_loan_room(value, ledger.debt[fund.row]),
                max(float(ledger.cash[banks]), 0.0),
            )
            if loan > 1e-9:
                ledger.lend(banks, fund.row, loan, "margin_loan")
                available += loan
        paid = min(commitment, available, float(ledger.cash[fund.row]))
        ledger.pay(fund.row, model.rows.suppliers, paid, "commitment")
        self.commitments_paid += paid
        if paid < commitment - 1e-9:
            self.missed += commitment - paid
            model.events.add(
                MissedCommitment(week=model.week, holder=fund.name, due=commitment, paid=paid)
            )
