"""The AI supply chain: receives capex and commitments, and passes the money on.

A share ``memory_share`` of receipts becomes memory makers' earnings (their
fundamental rises: near-term cash flows). Of the cash, ``recycling`` returns to
the financial tub as deposits of households and suppliers' owners; the rest
leaves into the real economy (plant, wages, imports): the leak that makes capex
drain the tub the way QT does. They pass everything on in the week it arrives
(``settle``, after hyperscalers and sovereign funds have paid), and the growth of
memory makers' smoothed earnings feeds the week's price update.
"""

from __future__ import annotations

import mesa

from inverse_qe.model.markets import SmoothedEarnings


def split_receipts(receipts: float, recycling: float) -> tuple[float, float]:
    """(to the tub, to the real economy) of this week's receipts."""
    back = recycling * receipts
    return back, receipts - back


class Suppliers(mesa.Agent):
    """The supplier sector as one agent, with a smoothed record of memory earnings.

    Memory makers earn ``base_earnings`` a week from their other business plus
    ``memory_share`` of the AI capex suppliers receive, so more capex means more
    earnings (a level effect, not only a growth rate).
    """

    def __init__(
        self, model, row: int, recycling: float, memory_share: float, base_earnings: float
    ):
        super().__init__(model)
        self.name = "suppliers"
        self.row = row
        self.recycling = recycling
        self.memory_share = memory_share
        self.base_earnings = base_earnings
        self.memory_earnings = SmoothedEarnings()
        self.receipts = 0.0  # this week's AI spending, read by the real economy's profits
        self.earnings_growth = 0.0  # this week's, read by the price update

    def open_accounts(self) -> None:
        """No cash of their own to start with: what suppliers receive, they pass on."""
        self.model.ledger.open_account(self.name, 0.0)

    def settle(self) -> None:
        """Pass this week's receipts on: part back to the tub, the rest leaks."""
        ledger, rows = self.model.ledger, self.model.rows
        self.receipts = receipts = float(ledger.cash[self.row])
        back, leak = split_receipts(receipts, self.recycling)
        ledger.pay(self.row, rows.households, back, "supplier_recycling")
        ledger.pay(self.row, rows.real_economy, leak, "capex_leakage")
        self.earnings_growth = self.memory_earnings_growth(receipts)

    def receipts_beyond_memory(self) -> float:
        """This week's AI spending that memory makers do not earn, income elsewhere.

        Chips, servers, buildings and power: the real economy's profits grow with it.
        """
        return (1.0 - self.memory_share) * self.receipts

    def memory_earnings_growth(self, receipts: float) -> float:
        """Log growth of memory makers' smoothed weekly earnings (0 the first week)."""
        return self.memory_earnings.growth(self.base_earnings + self.memory_share * receipts)
