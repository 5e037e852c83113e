"""The local process pool's forkserver: what it preloads, and starting it early.

The pool's workers are forked from a forkserver that has imported what a run needs
(:mod:`inverse_qe.experiments.worker`: pandas, pyarrow, Mesa and the model, about
0.8 s). Started when the first run is submitted, that import holds up every worker
while the command waits. An experiment command starts it first thing instead
(:func:`start_forkserver`), so the forkserver imports on the other core while the
command imports its own modules and validates its plan.

This module imports nothing heavy: it runs before the command's own imports.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

#: Whether an experiment command may start the forkserver before it has checked its
#: inputs (:func:`inverse_qe.experiments.commands._pool_first`). Set by the console
#: script only: its process ends with the command, and with it the forkserver and the
#: forkserver's socket in the temporary directory, even when the command turns out to
#: be a mistake. A Python session that calls ``cli.main`` lives on, so a command that
#: fails there starts nothing.
START_EARLY = False

#: Imported by the forkserver before it forks workers (``__main__`` is the default);
#: ``worker`` makes them warm: a run's imports are done once, in the forkserver.
FORKSERVER_PRELOAD = [
    "__main__",
    "inverse_qe.experiments._forkserver",
    "inverse_qe.experiments.worker",
]


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def start_method() -> str:
    """``forkserver`` where the platform has it, else ``spawn``."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def forkserver_context(*, dask: bool = False):
    """The pool's multiprocessing context, its forkserver set to preload the run's imports.

    ``dask``: Dask's own modules too, for the workers of a local Dask cluster, which
    are forked from the same server (see :func:`start_forkserver`).
    """
    context = multiprocessing.get_context(start_method())
    if start_method() == "forkserver":
        context.set_forkserver_preload(FORKSERVER_PRELOAD + (["distributed"] if dask else []))
    return context


def start_forkserver(workers: int | None, *, dask: bool = False) -> bool:
    """Start the forkserver now if a pool of ``workers`` (default: all cores) will need it.

    Returns whether it is running. Nothing is started for a pool of one worker (runs
    are in-process then) or without ``forkserver``; a bad ``workers`` is left to the
    executor, which reports it. ``dask``: for a local Dask cluster (of any size),
    whose workers are forked from this server too, Dask's modules preloaded: started
    from scratch, each of its worker processes imports Dask and the model itself
    (about 1.5 s, two at a time on two cores).
    """
    n = default_workers() if workers is None else workers
    if n < (1 if dask else 2) or start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    forkserver_context(dask=dask)
    forkserver.ensure_running()  # returns at once: the server imports in its own process
    return True


def start_worker(parent: int) -> None:
    """A pool worker's initializer: die with the command, one BLAS thread, no Ctrl-C.

    It lives here, not in :mod:`~inverse_qe.experiments.worker`, so that the command can
    name it without importing the model itself (0.6 s): only the workers need that.
    """
    from inverse_qe.lifeline import bind_to
    from inverse_qe.threads import pin_blas_threads

    bind_to(parent)
    pin_blas_threads()
    leave_ctrl_c_to_the_command()


def leave_ctrl_c_to_the_command() -> None:
    """Ignore Ctrl-C in a worker: the command answers it.

    Ctrl-C reaches the terminal's whole process group; the command stops its workers
    and says how to resume, so a worker answering too would only print a traceback.
    """
    if threading.current_thread() is threading.main_thread():  # only there can it be set
        signal.signal(signal.SIGINT, signal.SIG_IGN)
