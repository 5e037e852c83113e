"""The one front door for errors: user mistakes and bugs, for every command.

Every command's handler runs through :func:`run_guarded`:

* a :class:`UserError` (a bad scenario file or field, a bad option, an output
  path in the way) prints one paragraph on stderr that names the file, field or
  option and what was expected, and exits with status 2, never a traceback;
* Ctrl-C, SIGTERM and SIGHUP unwind the stack (so every ``finally`` removes
  what it was writing) and exit 130, 143 or 129;
* anything else is a bug: one short message on stderr saying where the full
  traceback was saved (under the user's cache directory, never the working
  directory), exit status 1.

The subclasses say what kind of mistake it was; the scenario and experiment
errors (:class:`~inverse_qe.scenarios.loader.ScenarioError`,
:class:`~inverse_qe.experiments.store.ExperimentError`) derive from
:class:`UserError` too.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
#: Where tracebacks of internal errors go (default: the user's cache directory).
CRASH_DIR_VARIABLE = "INVERSE_QE_CRASH_DIR"


class UserError(Exception):
    """A mistake in what the user asked for: reported in one paragraph, exit status 2."""


class OutputError(UserError):
    """An output path that cannot be used (exists, not writable, parent is a file...)."""


class OutputExistsError(OutputError, FileExistsError):
    """The output exists: refusing to overwrite it without ``--force``."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so that cleanup code runs.

    A subclass of :class:`KeyboardInterrupt` so that every place that tidies up
    after Ctrl-C tidies up after a polite kill too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def crash_directory() -> Path:
    """Where tracebacks are saved: ``$INVERSE_QE_CRASH_DIR``, else the user cache directory."""
    configured = os.environ.get(CRASH_DIR_VARIABLE)
    if configured:
        return Path(configured)
    import platformdirs  # lazy: only needed when something went wrong

    return Path(platformdirs.user_cache_dir("inverse-qe")) / "crashes"


def save_traceback(error: BaseException) -> Path | None:
    """Write the traceback of ``error`` to a new file; its path (``None`` if nowhere writable)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(error))
    header = f"inverse-qe crashed: {' '.join(sys.argv)}\n\n"
    for directory in (crash_directory(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f"inverse-qe-crash-{stamp}-", suffix=".txt", dir=directory
            )
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(header + text)
            return Path(name)
        except OSError:
            continue
    return None


def describe_os_error(error: OSError) -> str | None:
    """A user-facing sentence for an ``OSError`` about a named path (``None`` otherwise).

    A file that cannot be read or written (permissions, a full disk, a path
    that is a directory) is the user's environment, not a bug in the program.
    """
    if error.filename is None or error.errno is None:
        return None
    reason = error.strerror or os.strerror(error.errno)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{error.filename}: {reason}; free some space or write somewhere else"
    return f"{error.filename}: {reason}"


@contextmanager
def polite_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` in the main thread, for the duration."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated(signum)

    wanted = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s]
    previous = {s: signal.signal(s, terminate) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_guarded(handler: Callable[[], int], report: Callable[[str], None]) -> int:
    """Run a command's handler behind the front door; its exit status.

    Args:
        handler: the command (returns its exit status).
        report: prints one message on stderr.
    """
    try:
        with polite_signals():
            return handler()
    except UserError as error:
        report(f"error: {error}")
        return EXIT_USAGE
    except Terminated as stop:
        report("stopped: nothing half-written was left behind")
        return 128 + stop.signum
    except KeyboardInterrupt:
        report("interrupted: nothing half-written was left behind")
        return 130
    except OSError as error:
        described = describe_os_error(error)
        if described is None:
            return _bug(error, report)
        report(f"error: {described}")
        return EXIT_USAGE
    except Exception as error:
        return _bug(error, report)


def _bug(error: BaseException, report: Callable[[str], None]) -> int:
    saved = save_traceback(error)
    where = f"the full traceback is in {saved}" if saved else "no traceback could be saved"
    summary = str(error).splitlines()[0][:300] if str(error) else ""
    report(
        f"internal error: {type(error).__name__}{': ' + summary if summary else ''}."
        f" This is a bug in inverse-qe, not in what you asked; {where}"
        " (please attach it to a bug report)."
    )
    return EXIT_BUG


def leave(status: int) -> NoReturn:
    """End the command's process with ``status``, without the interpreter's teardown.

    Once a command is done, freeing every module and object of a process that has
    imported Mesa, pandas and matplotlib takes about 0.3 s (measured: 0.31 s after
    ``import mesa, matplotlib.pyplot`` against 0.015 s), a seventh of an
    ``inverse-qe run``, and the operating system takes the memory back anyway.
    What the teardown does that matters is done first: the exit handlers run
    (multiprocessing joins its children, logging flushes its handlers) and stdout
    and stderr are flushed. Results files were closed and moved into place before
    this. Where anything may still be at work (another thread alive, a child
    process not joined), a profiler, tracer or debugger watches (they report as the
    interpreter ends: ``python -m cProfile -m inverse_qe run`` must still write its
    profile), or a stream cannot be flushed, the ordinary exit is taken. Only the
    console script calls this; :func:`inverse_qe.cli.main` returns.
    """
    import atexit
    import threading

    watched = _watched()
    shutdown = getattr(threading, "_shutdown", None)
    if threading.active_count() > 1 and not watched and shutdown is not None:
        # What the interpreter's exit does first, done here: its pools' idle threads
        # are told to stop (Dask keeps one for the process's life) and every thread
        # that is not a daemon is waited for. (Measured: the teardown a left-over
        # idle thread forced was 0.5 s of a 13 s ``compare --scheduler local``.)
        shutdown()
    children = sys.modules.get("multiprocessing")
    alone = threading.active_count() == 1 and not (children and children.active_children())
    if alone and not watched:
        try:
            atexit._run_exitfuncs()  # run once: they are cleared as they run
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # e.g. stdout's reader gone: let Python say so, as usual
            sys.exit(status)
        os._exit(status)
    sys.exit(status)


def _watched() -> bool:
    """Whether a tracer, a profiler or a monitoring tool (coverage, cProfile) is attached."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python 3.12+: cProfile registers here
    return monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6))
