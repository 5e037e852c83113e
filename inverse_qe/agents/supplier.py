"""The AI supply chain: receives capex and commitments, and passes the money on.

A share ``memory_share`` of receipts becomes memory makers' earnings (their
fundamental rises: near-term cash flows). Of the cash, ``recycling`` returns to
the financial tub as deposits of households and suppliers' owners; the rest
leaves into the real economy (plant, wages, imports): the leak that makes capex
drain the tub the way QT does.
"""

from __future__ import annotations

import math

import mesa


def split_receipts(receipts: float, recycling: float) -> tuple[float, float]:
    """(to the tub, to the real economy) of this week's receipts."""
    back = recycling * receipts
    return back, receipts - back


class Suppliers(mesa.Agent):
    """The supplier sector as one agent, with a smoothed record of capex received."""

    def __init__(self, model, row: int, recycling: float, memory_share: float):
        super().__init__(model)
        self.name = "suppliers"
        self.row = row
        self.recycling = recycling
        self.memory_share = memory_share
        self.smoothed_receipts: float | None = None

    def memory_earnings_growth(self, receipts: float, smoothing: float = 1 / 13) -> float:
        """Log growth of memory makers' earnings: the change of smoothed capex received."""
        earnings = max(self.memory_share * receipts, 1e-9)
        if self.smoothed_receipts is None:
            self.smoothed_receipts = earnings
            return 0.0
        previous = self.smoothed_receipts
        self.smoothed_receipts = (1 - smoothing) * previous + smoothing * earnings
        return float(math.log(self.smoothed_receipts / previous))
