"""The hot path's helpers give exactly the bits of the numpy calls they replace."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.model.arrays import row_sums


@pytest.mark.parametrize("columns", [1, 2, 3, 5, 7, 8, 12])
@pytest.mark.parametrize("rows", [3, 600, 5000])
def test_row_sums_are_sum_axis_1_bit_for_bit(rows, columns):
    rng = np.random.default_rng(rows * 100 + columns)
    a = rng.standard_normal((rows, columns)) * 10.0 ** rng.integers(-9, 9, (rows, columns))
    a[rng.random(a.shape) < 0.3] = 0.0
    a[rng.random(a.shape) < 0.3] = -0.0  # whole rows of negative zeros sum to +0.0
    a[-1] = -0.0
    for array in (a, np.asfortranarray(a), a[:, ::-1]):
        expected = array.sum(axis=1)
        np.testing.assert_array_equal(row_sums(array).view(np.int64), expected.view(np.int64))
