"""The ledger's layout: rows of the single-agent sectors and nodes, in ledger order."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Rows:
    """Ledger rows of the single-agent sectors and nodes, and of the first market."""

    central_bank: int
    treasury: int
    rrp: int
    real_economy: int
    banks: int
    suppliers: int
    households: int
    value_investors: int
    markets: int  # first market clearing account; asset k is at markets + k


#: The single-agent sectors and nodes, in ledger order; each holder is named after its kind.
NODES = tuple(f.name for f in fields(Rows))[:-1]
