"""Runs shared by the teaching tests: each scenario is run once per session."""

from __future__ import annotations

import pytest

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import load


@pytest.fixture(scope="session")
def run_of():
    """``run_of(name, **kw)``: a finished run of a built-in scenario, cached."""
    cache = {}

    def run(name: str, seed: int | None = None, weeks: int | None = None, overrides=()):
        key = (name, seed, weeks, tuple(overrides))
        if key not in cache:
            cache[key] = BathtubModel(load(name, list(overrides)), seed=seed, weeks=weeks).run()
        return cache[key]

    return run


@pytest.fixture(scope="session")
def twin_of(run_of):
    """``twin_of(name, **kw)``: the same run without AI spending, cached."""
    from inverse_qe.twin import without_ai_spending

    cache = {}

    def run(name: str, seed: int | None = None, weeks: int | None = None):
        key = (name, seed, weeks)
        if key not in cache:
            scenario = without_ai_spending(load(name))
            cache[key] = BathtubModel(scenario, seed=seed, weeks=weeks).run()
        return cache[key]

    return run
