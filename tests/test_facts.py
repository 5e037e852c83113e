"""The stylized facts' own arithmetic, on hand-worked numbers (the facts themselves are slow)."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.facts import _aligned_on_exhaustion, zero_crossing


def test_aligned_peak_is_counted_from_each_seeds_own_exhaustion_week():
    # Seed A peaks in week 3 and runs out in week 4; seed B peaks in week 2 and runs
    # out in week 3. Averaged by calendar week the peak is week 2 or 3; set on their
    # own exhaustion weeks both peak one week before it.
    gap = np.array([[0, 1, 2, 3, 2, 1, 0, -1.0], [0, 1, 2, 1, 0, -1, -2, -3.0]])
    assert _aligned_on_exhaustion(gap, [4, 3], span=3) == -1


def test_aligned_peak_leaves_out_seeds_that_never_run_out_and_weeks_outside_the_run():
    gap = np.array([[0, 1, 2, 3, 2, 1, 0, -1.0], [0, 1, 2, 1, 0, -1, -2, -3.0]])
    assert _aligned_on_exhaustion(gap, [None, None], span=3) is None
    # A runs out in week 0 (nothing before it), B in week 7 (nothing after it):
    # offsets -2..0 are B's alone (-1, -2, -3 -> mean of -1.5 at 0 with A's 0),
    # offsets +1, +2 are A's alone (1, 2): the peak is two weeks after.
    assert _aligned_on_exhaustion(gap, [0, 7], span=2) == 2
    assert _aligned_on_exhaustion(gap, [None, 7], span=2) == -2


def test_the_turning_point_is_where_the_path_first_crosses_zero_upwards():
    # Linear between the values tried: from -0.03 at 0.5 to +0.02 at 0.65, zero is three
    # fifths of the way, at 0.59; a path going down (values tried downwards) works alike.
    assert zero_crossing([0.35, 0.5, 0.65], [-0.04, -0.03, 0.02]) == pytest.approx(0.59)
    assert zero_crossing([0.25, 0.1, 0.01], [-0.06, -0.03, 0.03]) == pytest.approx(0.055)
    assert zero_crossing([0.5, 0.75, 1.0], [-0.06, -0.04, -0.01]) is None
    assert zero_crossing([0.5, 1.0], [0.0, 0.1]) == 0.5
