"""Piecewise-linear time paths: ``[[week-or-date, value], ...]`` to one value per week."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np


def week_of(key: int | dt.date, start: dt.date) -> float:
    """The (fractional) week number of a path point: weeks since ``start`` for a date."""
    if isinstance(key, dt.date):
        return (key - start).days / 7.0
    return float(key)


def weekly(points: Sequence[tuple[int | dt.date, float]], start: dt.date, weeks: int) -> np.ndarray:
    """Values at weeks 0..weeks, interpolated linearly and held flat past the ends."""
    xs = np.array([week_of(k, start) for k, _ in points])
    ys = np.array([v for _, v in points], dtype=float)
    return np.interp(np.arange(weeks + 1, dtype=float), xs, ys)


def week_dates(start: dt.date, weeks: int) -> list[dt.date]:
    """The calendar date of each week 0..weeks."""
    return [start + dt.timedelta(weeks=w) for w in range(weeks + 1)]
