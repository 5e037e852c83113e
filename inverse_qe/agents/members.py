"""What the sectors of many members share: their agents, in order, and their ledger rows."""

from __future__ import annotations

from collections.abc import Iterator

import mesa
import numpy as np


class Members:
    """A sector of several agents (firms or funds), each with its row in the ledger.

    Iterating over the sector gives its members in ledger order; ``rows`` are their
    rows, so a rule can work on all of them at once with numpy.
    """

    def __init__(self, model, members: list[mesa.Agent]) -> None:
        self.model = model
        self.members = members
        self.rows = np.array([member.row for member in members], dtype=int)

    def __iter__(self) -> Iterator:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)
