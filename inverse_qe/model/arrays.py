"""Small numpy helpers for the hot path, each bit-identical to the call it replaces."""

from __future__ import annotations

import numpy as np

#: Below this many rows ``sum(axis=1)`` is as cheap (one call, no Python loop).
_MANY_ROWS = 512
#: Up to this many columns numpy adds a row left to right (pairwise summation starts
#: at eight), so adding the columns in order gives the same bits.
_FEW_COLUMNS = 7


def row_sums(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=1)`` of a holders x assets array, bit for bit, faster when tall.

    ``ufunc.reduce`` over a short row costs about five times adding its few columns
    as whole vectors (134 vs 26 microseconds at 10,025 x 7).
    """
    rows, columns = a.shape
    if rows < _MANY_ROWS or not 2 <= columns <= _FEW_COLUMNS or a.dtype != np.float64:
        return a.sum(axis=1)
    total = a[:, 0] + a[:, 1]
    for k in range(2, columns):
        total += a[:, k]
    # numpy's sum starts from +0.0, which turns a sum of negative zeros into +0.0.
    total += 0.0
    return total
