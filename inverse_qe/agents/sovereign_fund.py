"""Sovereign and strategic investors: dry powder, AI commitments and what they sell.

Each week a fund receives its external inflows (oil revenue) and owes its
commitment (a capital call paid to AI builders). It pays from cash above its
buffer. When cash has fallen to the buffer it has *exhausted its dry powder*
and meets each call by selling, worst performers first (so crypto and SaaS go
first once they have fallen), then by drawing a margin loan against its
holdings, and only then misses the call. Cash above its money demand (the
buffer plus calls due soon) is deployed into its portfolio.
"""

from __future__ import annotations

import mesa
import numpy as np


def sale_ranks(trailing_return: np.ndarray, liquidation: str) -> np.ndarray:
    """Order in which to sell assets: 0 first. Worst performers first, or all at once."""
    if liquidation == "pro_rata":
        return np.zeros(trailing_return.size, dtype=int)
    order = np.argsort(trailing_return, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(order.size)
    return ranks


def cash_to_raise(commitment: float, cash: float, buffer: float) -> float:
    """Part of a commitment that cash above the buffer cannot pay."""
    return max(0.0, commitment - max(cash - buffer, 0.0))


class SovereignFund(mesa.Agent):
    """One sovereign or strategic fund."""

    def __init__(self, model, row: int, spec, paths):
        super().__init__(model)
        self.name = spec.name
        self.row = row
        self.spec = spec
        self.paths = paths  # weekly arrays: commitments, inflows
        self.exhausted_week: int | None = None

    def commitment_due(self, week: int) -> float:
        """This week's capital call, US$bn."""
        return float(self.paths["commitments"][week])

    def commitments_ahead(self, week: int, horizon: int) -> float:
        """Calls due over the next ``horizon`` weeks (part of its money demand)."""
        c = self.paths["commitments"]
        return float(c[week + 1 : week + 1 + horizon].sum())

    def margin_loan_room(self, holdings_value: float, debt: float) -> float:
        """What it can still borrow against its holdings."""
        return max(0.0, self.spec.margin_loan_limit * holdings_value - max(debt, 0.0))
