"""The treasury: runs a deficit financed by issuing treasuries, keeps its TGA.

Each week it spends the deficit (a ``transfer_share`` of it straight into
household deposits, the rest into the real economy) and issues enough new
treasuries to pay for it and to move its general account (TGA) part of the way
to target. A TGA rebuild pulls cash out of the tub; a TGA drawdown puts it back.
"""

from __future__ import annotations

import mesa


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

    def issuance(self, week: int, tga: float) -> float:
        """This week's issuance, US$bn."""
        return issuance_needed(
            float(self.paths["deficit"][week]),
            tga,
            float(self.paths["tga_target"][week]),
            self.spec.tga_speed,
        )
