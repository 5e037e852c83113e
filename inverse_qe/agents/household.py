"""The household / real-money sector: the large, slow absorber of the tub.

Households save out of the real economy (money that leaked there returns
slowly), keep a share of wealth in deposits and money funds that rises with the
policy rate and with stress, and move money between cash and their portfolio
toward that share, keeping their portfolio's mix (they do not lean against price
moves: the value investors' slow arbitrage of flow distortions does that). With
the value investors they take the other side of net order flow, so they absorb
the duration the treasury and hyperscalers issue. A retail momentum slice chases
recent returns in speculative stocks and crypto.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.portfolio import current_weights, momentum_orders, rebalance_orders


class Household(mesa.Agent):
    """The household sector as one agent with one balance-sheet row."""

    def __init__(self, model, row: int, spec, momentum_mask: np.ndarray):
        super().__init__(model)
        self.name = "households"
        self.row = row
        self.spec = spec
        self.momentum_mask = momentum_mask

    def orders(self, holdings_value, cash, money_demand, trailing_return) -> np.ndarray:
        """This week's rebalancing plus momentum orders, US$bn per asset."""
        s = self.spec
        orders = rebalance_orders(
            holdings_value, cash, money_demand, current_weights(holdings_value), s.rebalance_speed
        )
        orders += momentum_orders(
            holdings_value,
            trailing_return,
            self.momentum_mask,
            s.momentum_share,
            s.momentum_sensitivity,
        )
        return orders
