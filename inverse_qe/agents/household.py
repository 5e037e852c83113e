"""The household / real-money sector: the large, slow absorber of the tub.

Households save out of the real economy (money that leaked there returns
slowly: the real economy pays it), and their deposits receive what the rest of
the economy pays out: shareholder payouts, fund redemptions, supplier recycling
and fiscal transfers. Their money funds are what moves in and out of the RRP.

Money demand: they want to keep a share of their wealth in deposits and money
funds, a share that rises with the policy rate (cash pays more) and with stress.
Each week they move money between cash and their portfolio toward that share,
keeping their portfolio's mix (they do not lean against price moves: the value
investors' slow arbitrage of flow distortions does that). With the value
investors they take the other side of net order flow in every clearing round,
so they absorb the duration the treasury and hyperscalers issue. A retail
momentum slice chases recent returns in speculative stocks and crypto.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.portfolio import (
    current_weights,
    momentum_orders,
    rebalance_orders,
    wealth_money_demand,
)


class Households(mesa.Agent):
    """The household sector as one agent with one balance-sheet row."""

    def __init__(self, model, row: int, spec, momentum_mask: np.ndarray):
        super().__init__(model)
        self.name = "households"
        self.row = row
        self.spec = spec
        self.momentum_mask = momentum_mask
        self.money_demand = 0.0

    def open_accounts(self) -> None:
        """Opening deposits and portfolio."""
        model = self.model
        model.ledger.open_account(
            self.name, self.spec.cash, model.markets.units(self.spec.holdings)
        )

    def update_money_demand(self) -> float:
        """Cash wanted: a share of wealth that rises with the policy rate and with stress."""
        self.money_demand = wealth_money_demand(self.model, self.row, self.spec.money_share)
        return self.money_demand

    def orders(self) -> np.ndarray:
        """This week's rebalancing plus momentum orders, US$bn per asset."""
        model, s = self.model, self.spec
        value = model.ledger.holdings[self.row] * model.markets.price
        cash = model.ledger.cash[self.row]
        trailing = model.markets.trailing_return(s.momentum_lookback)
        orders = rebalance_orders(
            value, cash, self.money_demand, current_weights(value), s.rebalance_speed
        )
        orders += momentum_orders(
            value, trailing, self.momentum_mask, s.momentum_share, s.momentum_sensitivity
        )
        return orders
