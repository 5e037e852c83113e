"""A run's seed, from ``seed=``, Mesa's ``rng=`` keyword or the scenario."""

from __future__ import annotations

import numpy as np

from inverse_qe.scenarios.schema import Scenario


def run_seed(scenario: Scenario, seed: int | None, rng: int | np.random.Generator | None) -> int:
    """The run's seed: ``seed``, or Mesa's ``rng`` keyword, or the scenario's ``run.seed``.

    ``rng`` may be an int (the same as ``seed``) or a ``numpy.random.Generator``, from
    which one integer below 2**31 - 1 is drawn, as Mesa draws its own, so the run is
    repeatable from ``model.seed``. Both at once is a ValueError; another type of
    ``rng`` is a TypeError.
    """
    if rng is None:
        return scenario.run.seed if seed is None else int(seed)
    if seed is not None:
        raise ValueError("pass either seed or rng, not both")
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(np.iinfo(np.int32).max))
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return int(rng)
    raise TypeError(
        f"rng must be an int seed, a numpy.random.Generator or None, not {type(rng).__name__}"
    )
