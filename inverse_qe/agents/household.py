"""The household / real-money sector: savers and the tub's largest holder of cash.

Households save out of the real economy (money that leaked there returns
slowly: the real economy pays it), and their deposits receive what the rest of
the economy pays out: shareholder payouts, fund redemptions, supplier recycling
and fiscal transfers. Their money funds are what moves in and out of the RRP.

Money demand: they want to keep a share of their wealth in deposits and money
funds, a share that rises with the policy rate (cash pays more) and with stress
(:class:`~inverse_qe.agents.portfolio.CashTarget`). Each week they move
``rebalance_speed`` of the gap between cash and that target into or out of their
portfolio, keeping its mix (they do not lean against price moves: the value
investors' slow arbitrage of flow distortions does that). With dry powder they
also take new issues in the primary market, pro rata to it (the clearing places
them). They are never the market's residual counterparty: a sale nobody with
dry powder buys falls on the value investors, so households do not buy back
their own sales. A retail momentum slice chases recent returns in speculative
stocks and crypto.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.portfolio import (
    CashTarget,
    current_weights,
    momentum_orders,
    rebalance_orders,
)


class Households(mesa.Agent):
    """The household sector as one agent with one balance-sheet row."""

    def __init__(self, model, row: int, spec, momentum_mask: np.ndarray):
        super().__init__(model)
        self.name = "households"
        self.row = row
        self.spec = spec
        self.momentum_mask = momentum_mask
        self.cash_target = CashTarget(model, row, spec.money_share)
        self.money_demand = 0.0

    def open_accounts(self) -> None:
        """Opening deposits and portfolio."""
        model = self.model
        model.ledger.open_account(
            self.name, self.spec.cash, model.markets.units(self.spec.holdings)
        )

    def update_money_demand(self) -> float:
        """Cash wanted: a share of wealth that rises with the policy rate and with stress."""
        self.money_demand = self.cash_target.update()
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
