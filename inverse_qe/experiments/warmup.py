"""The process pool's server started first, so its imports overlap the command's own.

An experiment's workers are forked from a forkserver that has imported what a
run needs (the model, pandas, pyarrow: about a second). Left to the pool, that
server starts at the first run, after the command has imported its own modules
and planned its runs, and the first result waits for both in turn. Started here,
before the command imports anything heavy, the two proceed side by side on the
machine's cores. Light on purpose: this module imports nothing of the package's.
"""

from __future__ import annotations

import multiprocessing
import os

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


def start_pool_server(workers: int | None, scheduler: str | None) -> None:
    """Start the forkserver a process pool of ``workers`` will use, if it will use one."""
    if scheduler or "forkserver" not in multiprocessing.get_all_start_methods():
        return
    if (workers or default_workers()) < 2:
        return  # one worker runs in this process
    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    from multiprocessing import forkserver

    forkserver.ensure_running()
