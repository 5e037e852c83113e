"""Hyperscalers: pay AI capex every week and fund it through a waterfall.

Funding waterfall: operating cash flow (received first), then cash above a
buffer of ``cash_buffer_weeks`` of capex, then selling the treasuries they hold,
then issuing bonds at the market spread. Cash above its money demand is paid
back to shareholders (buybacks and dividends) at ``payout_rate`` a week, so
operating cash flow that capex does not absorb returns to the tub. With
``capex_cut_enabled``, a firm whose funding cost (10-year yield + spread) passes
the hurdle cuts its capex once by ``capex_cut_fraction`` (the "capex plateau"
channel).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa


@dataclass(frozen=True)
class FundingPlan:
    """How this week's capex will be paid, US$bn."""

    from_cash: float
    from_treasuries: float
    from_bonds: float

    @property
    def to_raise(self) -> float:
        """Cash to raise by selling treasuries and bonds."""
        return self.from_treasuries + self.from_bonds


def funding_plan(capex: float, cash: float, buffer: float, treasuries_value: float) -> FundingPlan:
    """The waterfall: cash above the buffer, then treasuries, then new bonds.

    ``cash`` already includes this week's operating cash flow.
    """
    from_cash = min(capex, max(cash - buffer, 0.0))
    gap = capex - from_cash
    from_treasuries = min(gap, treasuries_value)
    return FundingPlan(from_cash, from_treasuries, gap - from_treasuries)


def shareholder_payout(cash: float, money_demand: float, payout_rate: float) -> float:
    """Buybacks and dividends this week: part of the cash above money demand."""
    return payout_rate * max(cash - money_demand, 0.0)


class Hyperscaler(mesa.Agent):
    """One hyperscaler: its share of sector capex and its balance-sheet row."""

    def __init__(self, model, name: str, row: int, capex_share: float):
        super().__init__(model)
        self.name = name
        self.row = row
        self.capex_share = capex_share
        self.capex_factor = 1.0  # falls below 1 after a capex cut
        self.issued_units = 0.0  # bonds issued this week and not yet sold

    def capex_due(self, sector_capex: float) -> float:
        """This firm's capex this week, US$bn."""
        return self.capex_share * sector_capex * self.capex_factor

    def consider_cut(self, funding_cost: float, hurdle: float, fraction: float) -> bool:
        """Cut capex once if funding costs more than the hurdle; True if it cut."""
        if self.capex_factor == 1.0 and funding_cost > hurdle:
            self.capex_factor = 1.0 - fraction
            return True
        return False
