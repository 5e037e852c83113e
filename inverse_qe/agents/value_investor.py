"""Value investors and dealers: the residual absorber of every market.

At the start they hold every unit of every asset class that no other holder is
given (the scenario's ``units`` less everyone else's opening holdings), with the
cash of the scenario's ``absorber`` table. Like households they want a share of
their wealth in cash, rising with the policy rate and with stress, and they
rebuild cash when short and deploy it when flush, slowly (at the households'
``rebalance_speed``), keeping their portfolio's mix.

Two more parts of their behaviour are market mechanics and live with the
markets: with households they take the net of every clearing round at the
round's price (``model/clearing.py``), and they lean against flow distortions,
which therefore decay, more slowly when the tub is low (``model/markets.py``).
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.portfolio import current_weights, rebalance_orders, wealth_money_demand
from inverse_qe.scenarios.loader import ScenarioError


class ValueInvestors(mesa.Agent):
    """Value investors and dealers as one agent with one balance-sheet row."""

    def __init__(self, model, row: int, spec, rebalance_speed: float):
        super().__init__(model)
        self.name = "value_investors"
        self.row = row
        self.spec = spec
        self.rebalance_speed = rebalance_speed
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
        self.money_demand = wealth_money_demand(self.model, self.row, self.spec.money_share)
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
            self.rebalance_speed,
        )
