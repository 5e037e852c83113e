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
        # The same rows as a slice when they are consecutive (they are, as opened): a
        # slice of the ledger's holdings is a view, where an index array copies them.
        consecutive = self.rows.size > 0 and np.array_equal(
            self.rows, np.arange(self.rows[0], self.rows[0] + self.rows.size)
        )
        self.block = slice(int(self.rows[0]), int(self.rows[-1]) + 1) if consecutive else self.rows

    def __iter__(self) -> Iterator:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)
