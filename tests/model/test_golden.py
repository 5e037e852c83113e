"""Every built-in scenario writes the files pinned in ``tests/golden/hashes.json``.

A failure after a change that should not alter behaviour is a regression; after a
deliberate change to the mechanism, record the hashes again with
``python -m tests.golden --record`` (see :mod:`tests.golden`).
"""

from __future__ import annotations

import pytest

from tests.golden import SEEDS, differences, scenarios


@pytest.mark.parametrize("scenario", scenarios())
def test_runs_write_the_recorded_files(scenario):
    problems = [line for seed in SEEDS for line in differences(scenario, seed)]
    assert not problems, "\n".join(problems)
