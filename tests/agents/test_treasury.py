"""The treasury: issuance finances the deficit and moves the TGA toward its target."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from inverse_qe.agents.treasury import Treasury, issuance_needed
from inverse_qe.scenarios.loader import load


def test_issuance_pays_the_deficit_and_rebuilds_the_tga():
    # deficit 30 + 0.1 x (850 - 800) = 30 + 5 = 35
    assert issuance_needed(30.0, 800.0, 850.0, 0.1) == pytest.approx(35.0)


def test_a_tga_above_target_is_drawn_down_instead_of_issuing():
    # 30 + 0.1 x (850 - 1000) = 30 - 15 = 15
    assert issuance_needed(30.0, 1000.0, 850.0, 0.1) == pytest.approx(15.0)


def test_issuance_is_never_negative():
    # 30 + 0.1 x (850 - 2000) = -85: the treasury does not buy back
    assert issuance_needed(30.0, 2000.0, 850.0, 0.1) == 0.0


def test_treasury_agent_reads_this_weeks_deficit_and_target():
    spec = load().treasury.model_copy(update={"tga_speed": 0.5})
    paths = {"deficit": np.array([10.0, 20.0]), "tga_target": np.array([100.0, 200.0])}
    treasury = Treasury(mesa.Model(), 0, spec, paths)
    # week 1: 20 + 0.5 x (200 - 150) = 45
    assert treasury.issuance(1, 150.0) == pytest.approx(45.0)
