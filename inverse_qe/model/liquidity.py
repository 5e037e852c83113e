"""The water in the tub (DESIGN §3a): the water level, dry powder and net liquidity.

The water is the cash of private financial holders: households (deposits and
money funds), value investors, hyperscalers, sovereign funds and hedge funds.
Every other balance (the central bank, the treasury's account, the RRP facility,
the real economy, prime brokers, suppliers passing money on, market clearing
accounts) is outside the tub. Each sector says how much cash it wants to keep
(its ``update_money_demand``; the model gathers them per holder as
``model.money_demand``): dry powder is cash above that, net liquidity is cash
minus it, signed, so a shortfall shows as negative. Total net liquidity sets
the markets' depth and the scarcity of money (``Markets.set_depth``).
"""

from __future__ import annotations

import numpy as np

#: Holder kinds whose cash is investable liquidity: the water in the tub.
WATER_KINDS = ("households", "value_investors", "hyperscaler", "sovereign_fund", "hedge_fund")
#: The sector each kind of water holder belongs to, as the outputs name it.
SECTOR_OF_KIND = {
    "households": "households",
    "value_investors": "value_investors",
    "hyperscaler": "hyperscalers",
    "sovereign_fund": "sovereign_funds",
    "hedge_fund": "hedge_funds",
}


def water_rows(kinds: np.ndarray) -> np.ndarray:
    """Ledger rows whose cash is water, given every row's holder kind."""
    return np.flatnonzero(np.isin(kinds, WATER_KINDS))


def water_sectors(kinds: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Each sector's holders as positions among the water rows ``rows``.

    Found once (a holder's kind never changes): comparing thousands of kind names every
    week cost more than the sums themselves.
    """
    water_kinds = kinds[rows]
    return {sector: np.flatnonzero(water_kinds == kind) for kind, sector in SECTOR_OF_KIND.items()}


def water_level(model) -> float:
    """Cash held by private financial holders: the water in the tub, US$bn."""
    return float(model.ledger.cash[model.water_rows].sum())


def dry_powder_by_sector(model) -> dict[str, float]:
    """Cash above money demand, summed by sector, US$bn."""
    rows = model.water_rows
    dry = np.maximum(model.ledger.cash[rows] - model.money_demand[rows], 0.0)
    return {sector: float(dry[at].sum()) for sector, at in model.water_sectors.items()}


def net_liquidity_by_sector(model) -> dict[str, float]:
    """Cash minus money demand, signed, summed by sector, US$bn (negative: a shortfall)."""
    rows = model.water_rows
    net = model.ledger.cash[rows] - model.money_demand[rows]
    return {sector: float(net[at].sum()) for sector, at in model.water_sectors.items()}


def net_liquidity(model) -> float:
    """Every water holder's cash minus its money demand, summed: dry powder, or a shortfall.

    The funders count too: a hyperscaler's cash above what its capex and its
    precautionary needs call for is idle money that can pay capex without anyone
    selling. The first week this turns non-positive is the tub's exhaustion.
    """
    rows = model.water_rows
    return float((model.ledger.cash[rows] - model.money_demand[rows]).sum())
