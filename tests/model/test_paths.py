"""Piecewise-linear time paths from scenario points to one value per week."""

from __future__ import annotations

import datetime as dt

import numpy as np

from inverse_qe.model.paths import week_dates, week_of, weekly

START = dt.date(2026, 1, 5)


def test_weekly_interpolates_linearly_between_points():
    # capex 13.5 at week 0, 16.5 at week 52: +3 / 52 a week; week 26 -> 15.0
    path = weekly([(0, 13.5), (52, 16.5)], START, 52)
    assert path.shape == (53,)
    assert path[26] == 15.0
    np.testing.assert_allclose(np.diff(path), 3.0 / 52)


def test_weekly_holds_flat_before_the_first_and_after_the_last_point():
    path = weekly([(4, 1.0), (6, 3.0)], START, 10)
    np.testing.assert_allclose(path, [1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3])


def test_a_single_point_is_a_constant_path():
    np.testing.assert_allclose(weekly([(0, 0.03625)], START, 5), [0.03625] * 6)


def test_dated_points_are_placed_at_days_since_start_over_seven():
    # 14 days = week 2; 21 days later = week 5
    points = [(START + dt.timedelta(days=14), 0.0), (START + dt.timedelta(days=35), 3.0)]
    np.testing.assert_allclose(weekly(points, START, 6), [0, 0, 0, 1, 2, 3, 3])


def test_a_date_between_weeks_gives_a_fractional_week():
    # 10 days = 10 / 7 weeks; value 0 at week 0, 10 at 10/7: week 1 -> 7
    assert week_of(START + dt.timedelta(days=10), START) == 10 / 7
    path = weekly([(START, 0.0), (START + dt.timedelta(days=10), 10.0)], START, 2)
    np.testing.assert_allclose(path, [0.0, 7.0, 10.0])


def test_week_numbers_pass_through_week_of():
    assert week_of(3, START) == 3.0


def test_week_dates_are_seven_days_apart_from_the_start():
    dates = week_dates(START, 3)
    assert dates == [START + dt.timedelta(days=7 * w) for w in range(4)]
