"""The treasury: runs a deficit financed by issuing treasuries, keeps its TGA.

Each week it issues enough new treasuries to pay for the deficit and to move its
general account (TGA) part of the way to target, and sells them in the week's
clearing. After the clearing it spends the deficit: a ``transfer_share`` of it
straight into household deposits, the rest into the real economy (which returns
it to the tub only slowly, as savings). A TGA rebuild pulls cash out of the tub;
a TGA drawdown puts it back.

**Bills and the reverse repo.** Part of the deficit may be financed with Treasury
bills (``bills``: net new bills sold to the public a week, a recorded path; zero in
the base). Money funds buy them with the cash they hold at the RRP: SEC rule 2a-7
keeps them to short paper, and bills and the RRP are their two nearest substitutes,
so new bill supply drains the facility and bill paydowns fill it (Afonso, Cipriani
and La Spada, "Treasury Bill Supply and ON RRP Investment", Federal Reserve Bank of
New York Liberty Street Economics, Nov 2023; 2023's US$2tn of net bills went with an
RRP that fell from US$2.2tn to US$0.7tn, FRED RRPONTSYD and Fed Z.1 F.210). Bills
carry no duration and nobody in the tub pays for them, so the coupons offered to the
tub are the deficit *less* the bills sold: idle money from the RRP finances that
part of the deficit, and enters the tub when the deficit is spent. Money funds buy
only what the RRP holds (the rest of the deficit is coupons); a paydown is repaid
from the TGA and parked at the RRP. The central bank's RRP target falls by the
bills money funds hold instead (:meth:`CentralBank.rrp_flow`).
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
        self.paths = paths  # weekly arrays: deficit, tga_target, bills (none: no bills)
        self.bills = paths.get("bills", np.zeros_like(paths["deficit"]))
        self.offered = 0.0  # this week's new treasuries, for the primary market
        self.bills_held = 0.0  # net bills money funds bought out of the RRP since the start

    def open_accounts(self) -> None:
        """The TGA's opening balance."""
        self.model.ledger.open_account(self.name, self.spec.tga)

    def issuance(self, week: int, tga: float, bills_sold: float = 0.0) -> float:
        """This week's issuance of coupons, US$bn: what the deficit needs beyond the bills sold."""
        return issuance_needed(
            float(self.paths["deficit"][week]) - bills_sold,
            tga,
            float(self.paths["tga_target"][week]),
            self.spec.tga_speed,
        )

    def sell_bills(self, wanted: float) -> float:
        """Sell ``wanted`` US$bn of bills to money funds out of the RRP (negative: pay down).

        Money funds pay with what they hold at the RRP, at most all of it; a paydown
        is repaid from the TGA, at most what it holds, and parked at the RRP.
        Returns the bills sold (negative: paid down), US$bn.
        """
        ledger, rows = self.model.ledger, self.model.rows
        if wanted > 0:
            sold = min(wanted, max(float(ledger.cash[rows.rrp]), 0.0))
            ledger.pay(rows.rrp, self.row, sold, "bill_sale")
        elif wanted < 0:
            sold = -min(-wanted, max(float(ledger.cash[self.row]), 0.0))
            ledger.pay(self.row, rows.rrp, -sold, "bill_paydown")
        else:
            return 0.0
        self.bills_held += sold
        return sold

    def orders(self) -> np.ndarray:
        """Sell this week's bills, then issue the coupons still needed and offer them all."""
        ledger, markets = self.model.ledger, self.model.markets
        treasuries, price = markets.treasury, markets.price
        orders = np.zeros(len(markets.names))
        week = self.model.week
        tga = float(ledger.cash[self.row])  # before the bills: they pay for part of the deficit
        bills_sold = self.sell_bills(float(self.bills[week]))
        issuance = self.offered = self.issuance(week, tga, bills_sold)
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
