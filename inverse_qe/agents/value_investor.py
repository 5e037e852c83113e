"""Value investors and dealers: the residual absorber of every market.

At the start they hold every unit of every asset class that no other holder is
given (the scenario's ``units`` less everyone else's opening holdings), with the
cash of the scenario's ``absorber`` table: pensions, insurers, foreign official
holders and dealers, the patient real money.

They are the market's residual counterparty: what the week's buyers and sellers
leave over is theirs at the round's price (``model/clearing.py``), so the sales
nobody with dry powder buys are absorbed by holders whose cash is not what they
are trying to rebuild, at a price concession (the flow's price impact). They lean
against flow distortions, which therefore decay, more slowly when investors'
money runs short (``model/markets.py``). With dry powder they take new issues in
the primary market, pro rata to it, like households and sovereign funds.

Like households they want a share of their wealth in cash, rising with the
policy rate and with stress, and they rebuild cash when short and deploy it
when flush, keeping their portfolio's mix, but slowly (``rebalance_speed``):
absorbing is their business.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.portfolio import CashTarget, current_weights, rebalance_orders
from inverse_qe.scenarios.loader import ScenarioError


class ValueInvestors(mesa.Agent):
    """Value investors and dealers as one agent with one balance-sheet row."""

    def __init__(self, model, row: int, spec):
        super().__init__(model)
        self.name = "value_investors"
        self.row = row
        self.spec = spec
        self.cash_target = CashTarget(model, row, spec.money_share)
        self.money_demand = 0.0

    def open_accounts(self) -> None:
        """Opening cash (their holdings are the rest, see :meth:`hold_the_rest`)."""
        self.model.ledger.open_account(self.name, self.spec.cash)

    def hold_the_rest(self) -> None:
        """Take every unit no one else holds; called once every other account is open.

        Raises:
            ScenarioError: the scenario gives holders more units than exist.
        """
        scenario, ledger = self.model.config, self.model.ledger
        held = ledger.holdings.sum(axis=0)
        for k, asset in enumerate(ledger.assets):
            units = scenario.assets[asset].units
            rest = units - held[k]
            if rest < -1e-9 * units:
                raise ScenarioError(
                    scenario.name,
                    [
                        f"assets.{asset}.units: {units:g} units are fewer than the "
                        f"{held[k]:g} that holders are given at the start (holdings of "
                        "households, funds and hyperscalers, and hedge funds' equity x "
                        "leverage x weight); raise units or lower those holdings"
                    ],
                )
            ledger.open_account(self.name, 0.0, {asset: max(rest, 0.0)})

    def update_money_demand(self) -> float:
        """Cash wanted: a share of wealth that rises with the policy rate and with stress."""
        self.money_demand = self.cash_target.update()
        return self.money_demand

    def orders(self) -> np.ndarray:
        """Rebuild cash when short of money demand, deploy it when flush, US$bn per asset."""
        ledger = self.model.ledger
        value = ledger.holdings[self.row] * self.model.markets.price
        return rebalance_orders(
            value,
            ledger.cash[self.row],
            self.money_demand,
            current_weights(value),
            self.spec.rebalance_speed,
        )
