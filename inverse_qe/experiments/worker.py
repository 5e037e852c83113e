"""Warm start of an experiment worker: the imports a run needs, once per process.

Preloaded by the process pool's forkserver (so every worker forked from it starts
with them) and by Dask workers (``preload``); a run then pays only for its
simulation, not for importing pandas, pyarrow, Mesa and the model again. Also pins
BLAS to one thread (see :mod:`inverse_qe.threads`), and leaves Ctrl-C to the
command: it reaches the terminal's whole process group, and the command answers it
(it stops its pool or cluster and says how to resume), so a worker answering too
would only print a traceback of its own.
"""

import pyarrow
import pyarrow.parquet  # noqa: F401

import inverse_qe.model.bathtub
import inverse_qe.results  # noqa: F401
from inverse_qe.experiments import runs  # noqa: F401
from inverse_qe.experiments.pool import leave_ctrl_c_to_the_command
from inverse_qe.threads import pin_blas_threads

pin_blas_threads()


def dask_setup(worker) -> None:
    """Dask's hook for a preloaded module, in each worker process: no Ctrl-C there either.

    And no tracebacks from Dask's event loop while the command stops its cluster: the
    cluster's ``silence_logs`` quiets Dask's own loggers, this quiets tornado's (its
    callbacks log a closed connection as an error with a traceback). Runs that fail are
    recorded with their error by the command, not logged here.
    """
    import logging

    leave_ctrl_c_to_the_command()
    for name in ("tornado", "tornado.application", "tornado.general"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
