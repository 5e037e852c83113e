"""Work forked onto the second core while the run goes on: the dashboard and the twin.

``inverse-qe run`` is short (a few seconds) and most of it is not the
simulation: importing the model (Mesa pulls in pandas, scipy and networkx),
importing matplotlib, and drawing the dashboard. Two pieces of it need nothing
from the rest until late, so they are forked onto the machine's other core:

* :class:`FigureWorker` is forked as soon as the input is checked, before the
  model is imported: the child imports matplotlib while the parent imports the
  model and simulates, pays the first drawing's one-time costs on a tiny figure
  (:func:`inverse_qe.plots.warm_up`), then waits for the time series and the
  summary, draws ``dashboard.png`` and reports. An experiment run on workers
  forks one too, for its figures (``compare.png``, ``sweep.png``...): the
  command's process waits while the workers start and run, and the figure
  worker imports meanwhile and draws warm once they are done.
* :class:`ForkedTask` runs one call in a child and hands back its (pickled)
  result: the capex twin is simulated in one while the parent simulates the
  run itself (the two share no state; the same seed gives the same numbers in
  either process).

Children import nothing of the model beyond what the parent had when it forked.
A child reports failure through a pipe and the parent raises it (a run
directory is never committed without its figure). A parent that ends early
closes the pipes and its children exit; a parent that is killed takes them with
it (:func:`inverse_qe.lifeline.bind_to`). Where processes cannot be forked
(Windows), callers do the same work in-process (:func:`can_fork`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FigureError", "FigureWorker", "ForkedTask", "ForkedTaskError", "can_fork"]


class ForkedTaskError(RuntimeError):
    """A forked child failed (its traceback is the message)."""


class FigureError(ForkedTaskError):
    """Drawing ``dashboard.png`` failed in its worker process (its traceback is the message)."""


def can_fork() -> bool:
    """Whether this platform can fork a worker (POSIX; not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _start(target: Callable, *args: Any, daemon: bool = True) -> multiprocessing.Process:
    """``target(*args, parent's pid)`` in a forked child, started.

    Daemonic children are stopped by multiprocessing when the parent exits, but may
    not have children of their own: the figure worker, which forks a helper for half
    of the picture, is not daemonic (it is always waited for or closed, and it dies
    with the run all the same, :func:`_bound`).
    """
    process = multiprocessing.get_context("fork").Process(
        target=target, args=(*args, os.getpid()), daemon=daemon
    )
    # The child is born deaf to Ctrl-C (see _bound): set around the fork, not only in
    # the child, so that a Ctrl-C in the child's first instants is not answered either.
    deaf = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if deaf else None
    try:
        with warnings.catch_warnings():
            # numpy's OpenBLAS keeps an idle thread, which makes Python warn that forking
            # a multi-threaded process may deadlock; OpenBLAS resets its pool in the
            # child (pthread_atfork), and the child computes on one thread.
            warnings.filterwarnings(
                "ignore", "This process .* is multi-threaded", DeprecationWarning
            )
            process.start()
    finally:
        if deaf:  # (None: a handler set outside Python, which cannot be put back)
            signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
    return process


def _bound(parent: int) -> bool:
    """Tie this child's life to ``parent``'s; False if the parent is already gone."""
    from inverse_qe.lifeline import bind_to

    # Ctrl-C reaches the terminal's whole process group. The run answers it (it closes
    # or cancels its children and says it was interrupted); a child answering too
    # would only print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    # A killed run must not leave a child drawing on into a staging directory that the
    # next run sweeps, or simulating for nobody: children die with the run.
    bind_to(parent)
    return os.getppid() == parent


def _outcome(reports, process: multiprocessing.Process, error: type[ForkedTaskError], what: str):
    """The child's report (a ``(ok, value)`` pair), joined; raise ``error`` on failure."""
    try:
        ok, value = reports.recv()
    except EOFError:
        ok, value = False, f"the worker ended without a word (exit code {process.exitcode})"
    process.join()
    reports.close()
    if ok:
        return value
    raise error(f"{what} failed in its worker process:\n{value}")


class ForkedTask:
    """``function(*args)`` computed in a forked child; :meth:`result` returns it."""

    def __init__(self, function: Callable, *args: Any) -> None:
        self._reports, reports_out = multiprocessing.get_context("fork").Pipe(duplex=False)
        self._process = _start(_task_child, reports_out, function, args)
        reports_out.close()  # the child holds the only sending end: EOF means it is gone
        self._name = getattr(function, "__name__", "a task")

    def result(self) -> Any:
        """Wait for the child; its return value, or the exception it raised.

        The child's own exception is raised again here (with its traceback as a
        note), so a user's mistake found in the child is reported as in-process;
        one that cannot be sent back becomes :class:`ForkedTaskError`.
        """
        value = _outcome(self._reports, self._process, ForkedTaskError, self._name)
        if isinstance(value, _Raised):
            value.error.add_note(f"raised in a forked worker:\n{value.trace}")
            raise value.error
        return value

    def cancel(self) -> None:
        """Stop the child if it is still running (the run ended without its result)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._reports.close()


class _Raised:
    """An exception a task raised, with its traceback's text (sent as a result)."""

    def __init__(self, error: BaseException, trace: str) -> None:
        self.error = error
        self.trace = trace


def _task_child(reports_out, function: Callable, args: tuple, parent: int) -> None:
    import pickle
    import traceback

    if not _bound(parent):
        return
    try:
        value = function(*args)
    except Exception as error:
        trace = traceback.format_exc()
        try:  # sent as itself only if the parent can rebuild it
            pickle.loads(pickle.dumps(error))
        except Exception:
            reports_out.send((False, trace))
        else:
            reports_out.send((True, _Raised(error, trace)))
        return
    except BaseException:  # interrupted: said as text, and the child ends as it was told
        reports_out.send((False, traceback.format_exc()))
        raise
    reports_out.send((True, value))


class FigureWorker:
    """A forked process that imports the plotting code now and draws figures later.

    The worker imports matplotlib, the dashboard's plotting code and ``imports`` (the
    modules of the figures it will draw) as soon as it is forked, and pays the first
    drawing's one-time costs, while its parent goes on with its own work. Use
    :meth:`draw` (the run's dashboard) and :meth:`wait`, or :meth:`submit` (any
    drawing) and :meth:`result`, as often as needed, then :meth:`close`.
    ``what``: the figures' name, for the error when one could not be drawn.
    """

    def __init__(self, imports: Sequence[str] = (), what: str = "dashboard.png") -> None:
        context = multiprocessing.get_context("fork")
        jobs_in, self._jobs_out = context.Pipe(duplex=False)  # the child reads the jobs
        self._reports, reports_out = context.Pipe(duplex=False)  # the child reports
        self._process = _start(
            _figure_child, self._jobs_out, jobs_in, reports_out, tuple(imports), daemon=False
        )
        self._what = what
        #: Figures drawn so far (a worker that drew them waits idle for the next).
        self.drawn = 0
        jobs_in.close()  # only the child reads jobs
        reports_out.close()  # the child holds the only sending end: EOF means it is gone
        # A process forked after this one (the twin) must not hold the job pipe open:
        # a run that stops early closes its end, and the worker exits on that EOF.
        multiprocessing.util.register_after_fork(self, FigureWorker._close_in_child)
        # The worker is not daemonic, so multiprocessing joins it when the parent exits:
        # hang up first (finalizers with a priority run before that join), or a parent
        # leaving on an error before it sent the job would wait for the worker for ever.
        multiprocessing.util.Finalize(self, _hang_up, args=(self._jobs_out,), exitpriority=10)

    def _close_in_child(self) -> None:
        self._jobs_out.close()

    def submit(self, module: str, function: str, *args: Any, **kwargs: Any) -> None:
        """Have the worker call ``module.function(*args, **kwargs)``; :meth:`result` gives it.

        The function is named, not passed, so that this process need not import the
        plotting code it names: that import is what the worker is for.
        """
        self._jobs_out.send((module, function, args, kwargs))

    def result(self) -> Any:
        """Wait for the drawing; its return value, or :class:`FigureError` if it failed.

        After a failure the worker has ended: it draws nothing more.
        """
        try:
            ok, value = self._reports.recv()
        except EOFError:
            self._process.join()
            ok, value = (
                False,
                f"the worker ended without a word (exit code {self._process.exitcode})",
            )
        if not ok:
            self.close()
            raise FigureError(f"drawing {self._what} failed in its worker process:\n{value}")
        self.drawn += 1
        return value

    def draw(self, frame: Any, headline: dict, path: Path) -> None:
        """Hand the worker the run's time series, its summary and where to write the dashboard.

        The worker renders one column and a child forked from it the other, and ends.
        """
        self.submit(
            "inverse_qe.plots",
            "dashboard_in_two",
            frame,
            headline,
            Path(path),
            elsewhere=ForkedTask,
        )
        self._jobs_out.close()

    def wait(self) -> None:
        """Wait for the dashboard; raise :class:`FigureError` if it was not drawn."""
        self.result()
        self.close()

    def close(self) -> None:
        """Send the worker away (with no figure, or after its last), and wait for it to end."""
        if not self._jobs_out.closed:
            self._jobs_out.close()  # the child sees EOF and exits
        self._process.join()
        self._reports.close()

    def cancel(self) -> None:
        """Stop the worker now, whatever it is doing (its figure, if any, is not wanted)."""
        if self._process.is_alive():
            self._process.kill()
        self.close()


def _hang_up(connection) -> None:
    if not connection.closed:
        connection.close()


def _figure_child(jobs_out, jobs_in, reports_out, imports: tuple[str, ...], parent: int) -> None:
    import importlib
    import traceback

    jobs_out.close()  # the parent's end: without closing it here, EOF never comes
    if not _bound(parent):
        return
    try:
        from inverse_qe.plots import warm_up  # the import this worker hides

        for name in imports:
            importlib.import_module(name)
        warm_up()  # the first drawing's one-time costs, while the parent still works
        while True:
            try:
                module, function, args, kwargs = jobs_in.recv()
            except EOFError:  # no more figures (or none: the parent ended without results)
                return
            value = getattr(importlib.import_module(module), function)(*args, **kwargs)
            reports_out.send((True, value))
    except BaseException:  # reported to the parent, which raises it
        reports_out.send((False, traceback.format_exc()))
        raise
