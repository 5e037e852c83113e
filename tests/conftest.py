"""Shared fixtures: the default scenario, loaded once."""

from __future__ import annotations

import pytest

from inverse_qe.scenarios.loader import load


@pytest.fixture(scope="session")
def default_scenario():
    """The calibrated default scenario (dry_powder_exhaustion)."""
    return load()


def scenario_with(*overrides: str):
    """The default scenario with ``field.path=value`` overrides applied."""
    return load("dry_powder_exhaustion", list(overrides))
