"""Hyperscalers: pay AI capex every week and fund it through a waterfall.

A week of the sector, in order:

* **Income.** Operating cash flow arrives from the real economy, each firm its
  share of the sector's, in a shuffled order.
* **Payments due.** Each firm owes its share of the sector's capex path. With
  ``capex_cut_enabled``, a firm whose funding cost (10-year yield + bond spread)
  passes the hurdle first cuts its capex once by ``capex_cut_fraction`` (the
  "capex plateau" channel; a ``CapexCut`` event). Funding waterfall: cash above
  its precautionary cash (``precautionary_weeks`` of operating cash flow: firms
  keep cash against bad times whatever they invest, Bates, Kahle and Stulz 2009),
  then selling the treasuries it holds, then issuing bonds at the market spread.
  What cash does not cover is raised by selling ("funding" sales: treasuries
  first, then the new bonds, then the rest); the bonds are issued now, a tenth
  more than needed because the sale's own price impact costs proceeds. Holders
  with dry powder take new bonds first (the primary market, in the clearing).
* **Settlement**, after the week's clearing: new bonds left unsold are cancelled
  and the sold ones are a ``BondIssued`` event; capex is paid to suppliers (a
  ``Default`` event for any part cash cannot pay); cash above money demand is
  paid back to shareholders (buybacks and dividends) at ``payout_rate`` a week,
  so operating cash flow that capex does not absorb returns to the tub.
* **Money demand**: the precautionary cash plus the capex due over the payments
  horizon, on next week's capex. AI capex is a rise in money demand that lasts as
  long as the build-out; without it a firm keeps only its precautionary cash and
  pays its operating cash flow out to shareholders.

Bonds sold over the spread window widen the bond spread (``recent_issuance``).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from inverse_qe.agents.members import Members
from inverse_qe.model.events import BondIssued, CapexCut, Default


@dataclass(frozen=True)
class FundingPlan:
    """How this week's capex will be paid, US$bn."""

    from_cash: float
    from_treasuries: float
    from_bonds: float

    @property
    def to_raise(self) -> float:
        """Cash to raise by selling treasuries and bonds."""
        return self.from_treasuries + self.from_bonds


def funding_plan(capex: float, cash: float, buffer: float, treasuries_value: float) -> FundingPlan:
    """The waterfall: cash above the buffer, then treasuries, then new bonds.

    ``cash`` already includes this week's operating cash flow.
    """
    from_cash = min(capex, max(cash - buffer, 0.0))
    gap = capex - from_cash
    from_treasuries = min(gap, treasuries_value)
    return FundingPlan(from_cash, from_treasuries, gap - from_treasuries)


def shareholder_payout(cash: float, money_demand: float, payout_rate: float) -> float:
    """Buybacks and dividends this week: part of the cash above money demand."""
    return payout_rate * max(cash - money_demand, 0.0)


class Hyperscaler(mesa.Agent):
    """One hyperscaler: its share of sector capex and its balance-sheet row."""

    def __init__(self, model, name: str, row: int, capex_share: float):
        super().__init__(model)
        self.name = name
        self.row = row
        self.capex_share = capex_share
        self.capex_factor = 1.0  # falls below 1 after a capex cut
        self.issued_units = 0.0  # bonds issued this week and not yet sold

    def capex_due(self, sector_capex: float) -> float:
        """This firm's capex this week, US$bn."""
        return self.capex_share * sector_capex * self.capex_factor

    def consider_cut(self, funding_cost: float, hurdle: float, fraction: float) -> bool:
        """Cut capex once if funding costs more than the hurdle; True if it cut."""
        if self.capex_factor == 1.0 and funding_cost > hurdle:
            self.capex_factor = 1.0 - fraction
            return True
        return False


class Hyperscalers(Members):
    """The hyperscaler sector: every firm's capex, its funding and what it pays out.

    Args:
        model: the model whose ledger, markets and events the firms use.
        spec: the scenario's ``hyperscalers`` table.
        paths: weekly arrays ``capex`` and ``operating_cash_flow`` (sector totals).
    """

    #: The reason recorded on the sales that fund capex.
    SALE_REASON = "funding"

    def __init__(self, model, spec, paths: dict[str, np.ndarray]) -> None:
        total_share = sum(f.capex_share for f in spec.firms)
        firms = [
            Hyperscaler(model, f.name, model.ledger.index[f.name], f.capex_share / total_share)
            for f in spec.firms
        ]
        super().__init__(model, firms)
        self.spec = spec
        self.capex = paths["capex"]
        self.operating_cash_flow = paths["operating_cash_flow"]
        self.money_demand = np.zeros(len(self.members))
        self.capex_due: list[float] = [0.0] * len(self.members)
        # Bonds sold per week, a ring over the spread window.
        self.issuance = np.zeros(model.config.markets.spread_issuance_window)
        self.bonds_offered = 0.0  # new bonds this week's plans need sold, for the primary market
        self.capex_paid = 0.0  # this week's totals, for the record
        self.bonds_issued = 0.0

    def open_accounts(self) -> None:
        """Each firm's opening cash and portfolio."""
        ledger, markets = self.model.ledger, self.model.markets
        for firm in self.spec.firms:
            ledger.open_account(firm.name, firm.cash, markets.units(firm.holdings))

    def receive_income(self) -> None:
        """Operating cash flow from the real economy, each firm its share."""
        model = self.model
        cash_flow = float(self.operating_cash_flow[model.week])
        for firm in model.random.sample(self.members, len(self.members)):
            model.real_economy.pay(firm.row, firm.capex_share * cash_flow, "operating_cash_flow")

    def update_money_demand(self) -> np.ndarray:
        """Cash wanted: precautionary cash plus capex due over the payments horizon, per firm."""
        model = self.model
        horizon = model.config.money_demand.payments_horizon
        next_week = model.week + 1
        self.money_demand = np.array(
            [
                self.precautionary_cash(firm, next_week)
                + horizon * firm.capex_due(float(self.capex[next_week]))
                for firm in self.members
            ]
        )
        return self.money_demand

    def precautionary_cash(self, firm: Hyperscaler, week: int) -> float:
        """Cash a firm keeps whatever it invests: weeks of its operating cash flow, US$bn."""
        return (
            self.spec.precautionary_weeks * firm.capex_share * float(self.operating_cash_flow[week])
        )

    def payments_due(self) -> np.ndarray:
        """This week's capex and its funding plan; returns the cash to raise per firm.

        A firm may first cut its capex; bonds the plan needs are issued now and
        sold in the week's clearing.
        """
        model, s = self.model, self.spec
        ledger, markets, price = model.ledger, model.markets, model.markets.price
        bonds, treasuries = markets.spread_asset, markets.treasury
        funding_cost = model.yield_10y() + markets.spread
        to_raise = np.zeros(len(self.members))
        self.bonds_offered = 0.0
        for j, firm in enumerate(self.members):
            if s.capex_cut_enabled and firm.consider_cut(
                funding_cost, s.capex_cut_hurdle, s.capex_cut_fraction
            ):
                model.events.add(
                    CapexCut(
                        week=model.week,
                        holder=firm.name,
                        funding_cost=funding_cost,
                        cut_fraction=s.capex_cut_fraction,
                    )
                )
            capex = self.capex_due[j] = firm.capex_due(float(self.capex[model.week]))
            held = ledger.holdings[firm.row, treasuries] * price[treasuries]
            plan = funding_plan(
                capex, float(ledger.cash[firm.row]), self.precautionary_cash(firm, model.week), held
            )
            to_raise[j] = plan.to_raise
            if plan.from_bonds > 0:
                self.bonds_offered += plan.from_bonds
                # Issue a little more than needed: the sale's own price impact costs proceeds.
                firm.issued_units = 1.1 * plan.from_bonds / price[bonds]
                ledger.issue(firm.row, bonds, firm.issued_units, price[bonds])
        return to_raise

    def sale_ranks(self) -> np.ndarray:
        """Firms x assets order of sale (0 first): treasuries, their new bonds, the rest."""
        markets = self.model.markets
        order = np.full(len(markets.names), 2)
        order[markets.treasury], order[markets.spread_asset] = 0, 1
        return np.tile(order, (len(self.members), 1))

    def settle(self) -> None:
        """After the clearing: close the bond issues, pay capex, pay shareholders."""
        model = self.model
        ledger, rows = model.ledger, model.rows
        self.capex_paid = self.bonds_issued = 0.0
        for j, firm in enumerate(self.members):
            if firm.issued_units > 0:
                self._close_issue(firm)
            capex = self.capex_due[j]
            paid = min(capex, float(ledger.cash[firm.row]))
            if paid < capex - 1e-9:
                model.events.add(
                    Default(week=model.week, holder=firm.name, shortfall=capex - paid, what="capex")
                )
            ledger.pay(firm.row, rows.suppliers, paid, "capex")
            self.capex_paid += paid
            payout = shareholder_payout(
                float(ledger.cash[firm.row]), self.money_demand[j], self.spec.payout_rate
            )
            ledger.pay(firm.row, rows.households, payout, "shareholder_payout")

    def _close_issue(self, firm: Hyperscaler) -> None:
        """New bonds left unsold are cancelled; the ones sold are the week's issuance."""
        model = self.model
        ledger, bonds, price = model.ledger, model.markets.spread_asset, model.markets.price
        unsold = min(firm.issued_units, ledger.holdings[firm.row, bonds])
        sold = firm.issued_units - unsold
        ledger.retire(firm.row, bonds, unsold, price[bonds])
        firm.issued_units = 0.0
        if sold > 0:
            amount = sold * price[bonds]
            self.issuance[model.week % self.issuance.size] += amount
            self.bonds_issued += amount
            model.events.add(
                BondIssued(
                    week=model.week, holder=firm.name, amount=amount, spread=model.markets.spread
                )
            )

    def recent_issuance(self) -> float:
        """Bonds sold over the spread window up to this week, US$bn; called once a week.

        Next week's slot of the ring is emptied first, so the sum covers the
        window's last ``spread_issuance_window - 1`` weeks.
        """
        self.issuance[(self.model.week + 1) % self.issuance.size] = 0.0
        return float(self.issuance.sum())
