"""Where runs execute: in this process, a local process pool, or a Dask cluster.

All three are ``concurrent.futures`` executors, so the experiment code does not
know which one it drives. Runs are pure functions of their spec, so the same
spec gives bit-identical results on any of them.

* ``workers=1`` (no scheduler): in this process, one run after another.
* ``workers=N``: a :class:`~concurrent.futures.ProcessPoolExecutor` of N
  processes started with ``forkserver`` (forking a process that already runs
  threads, such as the progress bar's, is unsafe). The forkserver and the
  workers die with this process, even when it is killed with SIGKILL
  (:mod:`inverse_qe.lifeline`).
* ``scheduler="local"``: a :class:`distributed.LocalCluster` of N single-thread
  worker processes on 127.0.0.1.
* ``scheduler="tcp://HOST:PORT"``: an existing Dask cluster; its workers need
  this package installed (the same version: each run records a fingerprint of
  the model's code and a mismatch is reported as a failed run).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from inverse_qe.experiments.pool import (
    default_workers,
    forkserver_context,
    start_forkserver,
    start_worker,
)
from inverse_qe.experiments.store import ExperimentError


class InProcessExecutor(Executor):
    """Runs each task at once, in the calling thread (no parallelism, no pickling)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


@dataclass
class ExecutorInfo:
    """An open executor and what it is."""

    executor: Executor
    kind: str  # "inprocess", "process", "dask" or "custom"
    parallelism: int
    description: str
    restart: Callable[[], Executor] | None = None  # a fresh pool after a worker died


def _process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool whose processes die with this one, even when it is killed with SIGKILL."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=forkserver_context(),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )


@contextlib.contextmanager
def open_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
) -> Iterator[ExecutorInfo]:
    """Open the executor the options ask for, and shut it down afterwards.

    Args:
        workers: processes (default: all cores); 1 without a scheduler runs in-process.
        scheduler: ``"local"`` for a Dask ``LocalCluster`` or a ``tcp://HOST:PORT``
            address of a running Dask scheduler.
        executor: an executor you opened yourself (used as is, not shut down).
    """
    if executor is not None:
        yield ExecutorInfo(executor, "custom", workers or default_workers(), "your executor")
        return
    if workers is not None and workers < 1:
        raise ExperimentError(f"--workers: expected a number >= 1, got {workers}")
    if scheduler:
        with _dask(workers, scheduler) as info:
            yield info
        return
    n = workers or default_workers()
    if n == 1:
        yield ExecutorInfo(InProcessExecutor(), "inprocess", 1, "in-process")
        return
    holder = {"pool": _process_pool(n)}

    def restart() -> Executor:
        holder["pool"].shutdown(wait=False, cancel_futures=True)
        holder["pool"] = _process_pool(n)
        return holder["pool"]

    try:
        yield ExecutorInfo(holder["pool"], "process", n, f"{n} local processes", restart)
    finally:
        holder["pool"].shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask(workers: int | None, scheduler: str) -> Iterator[ExecutorInfo]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExperimentError(
            "--scheduler needs Dask, an optional part of inverse-qe: pip install 'inverse-qe[dask]'"
        ) from None
    cluster = None
    if scheduler == "local":
        import dask

        n = workers or default_workers()
        # Dask workers sample their threads' stacks every 10 ms for the dashboard's
        # profile; on a run of pure Python and small numpy calls that cost about a
        # fifth of each run (0.40 s against 0.33 s in-process, measured). There is no
        # dashboard here, so the workers this cluster starts go without it.
        settings: dict = {"distributed.worker.profile.enabled": False}
        # Every Dask server (the scheduler here, each worker) wakes its event loop every
        # 20 ms to measure how late it is (a watchdog that warns after 3 s). Each wake
        # takes the GIL from the thread running the model, which pays for the hand-over;
        # measured on this command, 3 x 20 runs on 2 workers: 2-8% of the wall time and
        # about 1 s of CPU (4 pairs in turn). Once a second still catches a stall.
        settings["distributed.admin.tick.interval"] = "1s"
        # Forked from the forkserver, which has Dask and the model imported (started by
        # the command before its own imports), a worker starts in milliseconds; spawned,
        # as Dask does by default, each imports them itself. A worker Dask restarts
        # later (after a crash) is spawned as usual.
        if start_forkserver(n, dask=True):
            settings["distributed.worker.multiprocessing-method"] = "forkserver"
        with dask.config.set(settings):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # The cluster is this command's own: a run that fails is recorded with its
                # error, a worker that dies is reported as lost runs. What Dask itself
                # logs at ERROR is mostly its own shutdown racing with a Ctrl-C (a worker's
                # heartbeat to a scheduler already gone: a traceback, seen in CI), so only
                # CRITICAL reaches the terminal, from the scheduler and the workers alike.
                silence_logs=logging.CRITICAL,
                # warm workers: a run's imports once per worker, one BLAS thread
                preload=["inverse_qe.experiments.worker"],
            )
        client = Client(cluster)
        description = f"Dask LocalCluster of {n} processes ({cluster.scheduler_address})"
    else:
        if not scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
            raise ExperimentError(
                f"--scheduler {scheduler!r}: expected 'local' or an address like tcp://HOST:8786"
            )
        _check_reachable(scheduler)
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as error:
            raise ExperimentError(
                f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({error})"
            ) from None
        description = f"Dask cluster at {scheduler}"
    executor = client.get_executor(pure=False)
    try:
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        if threads == 0:
            client.wait_for_workers(1, timeout=60)
            threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        yield ExecutorInfo(executor, "dask", max(threads, 1), f"{description}, {threads} threads")
    except BaseException:
        # Stopped early (Ctrl-C, an error): the runs in flight are cancelled, and Dask's
        # complaints about results it can no longer gather from a cluster going down (a
        # logged traceback, measured once in CI) are not printed: the command itself says
        # what stopped it and how to resume.
        for name in list(logging.root.manager.loggerDict):
            if name.split(".")[0] in ("distributed", "tornado"):  # Dask sets some of their levels
                logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _check_reachable(address: str) -> None:
    """Fail at once, clearly, when nothing listens at a ``tcp://HOST:PORT`` scheduler address.

    (Dask itself retries a refused connection until its timeout.)
    """
    import socket
    from urllib.parse import urlsplit

    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ExperimentError(f"--scheduler {address!r}: expected tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as error:
        raise ExperimentError(
            f"--scheduler {address}: cannot reach a Dask scheduler there"
            f" ({error.strerror or error}); start one or check the address"
        ) from None
