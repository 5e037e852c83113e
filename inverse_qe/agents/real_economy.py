"""The real economy: everything outside the financial tub.

Capex that suppliers do not recycle and the treasury's deficit spending flow in
here (plant, wages, imports); it pays hyperscalers' operating cash flow and the
sovereign funds' oil revenue, and returns a fraction of its balance to
households each week as savings, so a leak from the tub is a delay, not a hole.
"""

from __future__ import annotations

import mesa


class RealEconomy(mesa.Agent):
    """The ``real_economy`` node: a cash balance that pays out with a lag."""

    def __init__(self, model, row: int, return_rate: float):
        super().__init__(model)
        self.name = "real_economy"
        self.row = row
        self.return_rate = return_rate

    def savings(self, cash: float) -> float:
        """Savings paid to households this week: a fixed fraction of the balance."""
        return self.return_rate * max(cash, 0.0)
