"""Warm start of an experiment worker: the imports a run needs, once per process.

Preloaded by the process pool's forkserver (so every worker forked from it starts
with them) and by Dask workers (``preload``); a run then pays only for its
simulation, not for importing pandas, pyarrow, Mesa and the model again. Also pins
BLAS to one thread (see :mod:`inverse_qe.threads`).
"""

import pyarrow
import pyarrow.parquet  # noqa: F401

import inverse_qe.model.bathtub
import inverse_qe.results  # noqa: F401
from inverse_qe.experiments import runs  # noqa: F401
from inverse_qe.threads import pin_blas_threads

pin_blas_threads()


def start(parent: int) -> None:
    """A pool worker's initializer: die with the command, one BLAS thread."""
    from inverse_qe.lifeline import bind_to

    bind_to(parent)
    pin_blas_threads()
