"""Child processes that die with their parent: pool workers, the forkserver, the dashboard.

A process killed with SIGKILL runs no cleanup, so its children must notice by
themselves. Two mechanisms, both used:

* on Linux, ``prctl(PR_SET_PDEATHSIG)`` (through :mod:`ctypes`): the kernel
  sends the child a signal the moment its parent exits;
* everywhere, a watchdog thread that polls the process that matters (which
  need not be the immediate parent: a pool worker's parent is the forkserver,
  but it must die with the command that started the pool) and kills this
  process when it is gone.

Run as a module, it starts another Python module under the same protection::

    python -m inverse_qe.lifeline PARENT_PID MODULE [ARGS...]

which is how ``inverse-qe app`` starts the Solara server.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import signal
import sys
import threading
import time

#: ``prctl`` option: the signal sent to this process when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: How often the watchdog looks for the parent, seconds.
POLL_SECONDS = 0.5


def set_parent_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``signum`` to this process when its parent exits (Linux only).

    Returns:
        Whether it was set.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
        return False


def _alive(pid: int, started: float | None) -> bool:
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(process.create_time() - started) < 0.02
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # pragma: no cover - cannot tell: assume it lives
        return True


def _start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def watch(pid: int, interval: float = POLL_SECONDS) -> threading.Thread:
    """Kill this process (SIGKILL) as soon as process ``pid`` is gone; the watchdog thread."""
    started = _start_time(pid)

    def loop() -> None:
        while _alive(pid, started):
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGKILL)

    thread = threading.Thread(target=loop, name=f"lifeline-{pid}", daemon=True)
    thread.start()
    return thread


def bind_to(pid: int) -> None:
    """Die with process ``pid``: a parent-death signal (for the direct parent) and a watchdog.

    Used as the initializer of pool workers (whose direct parent, the
    forkserver, dies with the command too).
    """
    set_parent_death_signal()
    watch(pid)


def main(argv: list[str] | None = None) -> None:
    """``python -m inverse_qe.lifeline PARENT_PID MODULE [ARGS...]``: run MODULE bound to it."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or not args[0].isdigit():
        sys.exit("usage: python -m inverse_qe.lifeline PARENT_PID MODULE [ARGS...]")
    parent, module, rest = int(args[0]), args[1], args[2:]
    set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before the signal was set
        sys.exit(1)
    watch(parent)
    sys.argv = [module, *rest]
    with contextlib.suppress(KeyboardInterrupt):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
