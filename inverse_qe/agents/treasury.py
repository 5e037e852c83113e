"""The treasury: runs a deficit financed by issuing treasuries, keeps its TGA.

Each week it issues enough new treasuries to pay for the deficit and to move its
general account (TGA) part of the way to target, and sells them in the week's
clearing. After the clearing it spends the deficit: a ``transfer_share`` of it
straight into household deposits, the rest into the real economy (which returns
it to the tub only slowly, as savings). A TGA rebuild pulls cash out of the tub;
a TGA drawdown puts it back.
"""

from __future__ import annotations

import mesa
import numpy as np


def issuance_needed(deficit: float, tga: float, tga_target: float, tga_speed: float) -> float:
    """New treasuries to sell this week, US$bn at market value (never negative)."""
    return max(0.0, deficit + tga_speed * (tga_target - tga))


class Treasury(mesa.Agent):
    """The treasury, whose cash balance is the TGA."""

    def __init__(self, model, row: int, spec, paths):
        super().__init__(model)
        self.name = "treasury"
        self.row = row
        self.spec = spec
        self.paths = paths  # weekly arrays: deficit, tga_target
        self.offered = 0.0  # this week's new treasuries, for the primary market

    def open_accounts(self) -> None:
        """The TGA's opening balance."""
        self.model.ledger.open_account(self.name, self.spec.tga)

    def issuance(self, week: int, tga: float) -> float:
        """This week's issuance, US$bn."""
        return issuance_needed(
            float(self.paths["deficit"][week]),
            tga,
            float(self.paths["tga_target"][week]),
            self.spec.tga_speed,
        )

    def orders(self) -> np.ndarray:
        """Issue this week's treasuries and offer them all for sale, US$bn per asset."""
        ledger, markets = self.model.ledger, self.model.markets
        treasuries, price = markets.treasury, markets.price
        orders = np.zeros(len(markets.names))
        issuance = self.offered = self.issuance(self.model.week, float(ledger.cash[self.row]))
        if issuance > 0:
            ledger.issue(self.row, treasuries, issuance / price[treasuries], price[treasuries])
            orders[treasuries] = -issuance
        return orders

    def settle(self) -> None:
        """Spend the deficit from the TGA: transfers into deposits, the rest into the economy."""
        ledger, rows = self.model.ledger, self.model.rows
        deficit = float(self.paths["deficit"][self.model.week])
        spent = min(deficit, max(float(ledger.cash[self.row]), 0.0))
        transfers = self.spec.transfer_share * spent
        ledger.pay(self.row, rows.households, transfers, "fiscal_transfers")
        ledger.pay(self.row, rows.real_economy, spent - transfers, "deficit_spending")
