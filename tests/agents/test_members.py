"""A sector's rows, as an index array and as a slice of the ledger when consecutive."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from inverse_qe.agents.members import Members


def _sector(rows):
    return Members(model=None, members=[SimpleNamespace(row=r) for r in rows])


def test_consecutive_rows_are_a_slice_that_selects_the_same_rows():
    holdings = np.arange(40.0).reshape(10, 4)
    sector = _sector([3, 4, 5, 6])
    assert sector.block == slice(3, 7)
    np.testing.assert_array_equal(holdings[sector.block], holdings[sector.rows])


def test_scattered_or_no_rows_stay_an_index_array():
    holdings = np.arange(40.0).reshape(10, 4)
    scattered = _sector([2, 5, 6])
    assert isinstance(scattered.block, np.ndarray)
    np.testing.assert_array_equal(holdings[scattered.block], holdings[[2, 5, 6]])
    assert _sector([]).block.size == 0
