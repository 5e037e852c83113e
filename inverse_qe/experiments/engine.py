"""Run an experiment's runs through an executor into the store, with a progress bar.

:class:`Experiment` is the frame every experiment kind uses: it prepares the
output directory (refusing to mix two experiments, resuming one that was
interrupted), writes the manifest with the plan before the first run starts,
opens the executor, and records each session. :class:`Runner` does the work:
it skips runs already stored, keeps a bounded number in flight, writes each
outcome the moment it arrives, counts failures, and can be called from several
threads at once (the QE-equivalent's root-finding does that).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import inverse_qe
from inverse_qe.experiments.executors import ExecutorInfo, open_executor
from inverse_qe.experiments.pool import default_workers
from inverse_qe.experiments.runs import (
    RunOutcome,
    RunSpec,
    ScenarioSource,
    code_fingerprint,
    execute_run,
)
from inverse_qe.experiments.store import ExperimentError, Store, check_manifest
from inverse_qe.forking import FigureWorker, can_fork
from inverse_qe.outputs import OutputDir, remove, temporary_name

_TRANSIENT_LIMIT = 3  # rebuild a broken local pool at most this many times


@dataclass
class PlannedRun:
    """A run and its role in the experiment (scenario arm, seed, parameter values...)."""

    spec: RunSpec
    role: dict[str, Any]

    def entry(self) -> dict[str, Any]:
        """The manifest's record of it."""
        return {**self.spec.describe(), "role": self.role}


@dataclass
class Options:
    """How to execute an experiment (not part of what it computes).

    Args:
        out: output directory.
        resume: continue the experiment already in ``out``.
        workers: processes (default all cores; 1 runs in this process).
        scheduler: ``"local"`` or a Dask scheduler address.
        executor: an executor you opened yourself.
        console: where progress and messages go (default: stdout).
        quiet: no progress bar.
        figures: draw the PNG figures.
        command: the command line, recorded in the manifest.
        force: replace an earlier experiment in ``out`` (not with ``resume``).
        unique: ``out`` is a default name: take the first free ``out``, ``out_2``...
    """

    out: Path
    resume: bool = False
    workers: int | None = None
    scheduler: str | None = None
    executor: Executor | None = None
    console: Console | None = None
    quiet: bool = False
    figures: bool = True
    command: list[str] | None = None
    force: bool = False
    unique: bool = False

    def __post_init__(self) -> None:
        if "\0" in str(self.out):
            raise ExperimentError(
                f"--out {str(self.out)!r}: expected a path without NUL characters"
            )
        self.out = Path(self.out)
        if self.console is None:
            self.console = Console(quiet=self.quiet)


class Runner:
    """Executes specs through an executor, storing every outcome as it arrives."""

    def __init__(
        self,
        store: Store,
        info: ExecutorInfo,
        *,
        progress: Progress | None = None,
        task: Any = None,
        run_function: Callable[[RunSpec], RunOutcome] = execute_run,
        refuse_new_runs: str | None = None,
    ) -> None:
        self.store = store
        self.info = info
        self.executor = info.executor
        self.progress = progress
        self.task = task
        self.run_function = run_function
        self.refuse_new_runs = refuse_new_runs
        self.window = max(4, 3 * info.parallelism)
        self.lock = threading.Lock()
        self.counted: set[str] = set()
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self.restarts = 0
        self.code = code_fingerprint()

    # -- bookkeeping ------------------------------------------------------------------------
    def expect(self, specs: Iterable[RunSpec]) -> None:
        """Add runs to the progress total (those already stored count as done)."""
        new_total, new_done = 0, 0
        with self.lock:
            for spec in specs:
                if spec.run_id in self.counted:
                    continue
                self.counted.add(spec.run_id)
                new_total += 1
                if self.store.readable(spec.run_id):
                    new_done += 1
            self.skipped += new_done
        if self.progress is not None and new_total:
            task = self.progress.tasks[self.task]
            self.progress.update(
                self.task,
                total=(task.total or 0) + new_total,
                completed=task.completed + new_done,
            )

    def _record(self, outcome: RunOutcome) -> None:
        if outcome.ok and outcome.code != self.code:
            outcome.ok = False
            outcome.error_type = "CodeMismatch"
            outcome.error = (
                f"worker {outcome.worker} runs different model code ({outcome.code}, here"
                f" {self.code}): install the same version of inverse-qe on every worker"
            )
        self.store.write(outcome)
        with self.lock:
            if outcome.ok:
                self.done += 1
            else:
                self.failed += 1
            failed = self.failed
        if self.progress is not None:
            self.progress.update(self.task, advance=1, failed=failed)

    def _lost(self, spec: RunSpec, error: BaseException) -> RunOutcome:
        return RunOutcome(
            spec.describe(),
            ok=False,
            error_type=type(error).__name__,
            error=f"the worker running it was lost: {error}",
            code=self.code,
        )

    def _submit(self, spec: RunSpec) -> Future:
        try:
            return self.executor.submit(self.run_function, spec)
        except BrokenProcessPool:
            if self.info.restart is None or self.restarts >= _TRANSIENT_LIMIT:
                raise
            with self.lock:
                self.restarts += 1
                self.executor = self.info.restart()
            return self.executor.submit(self.run_function, spec)

    # -- work -------------------------------------------------------------------------------
    def run(self, specs: Iterable[RunSpec]) -> list[str]:
        """Run every spec not already stored; return the ids of those that failed.

        Several threads may call this at once; each waits for its own runs.
        """
        unique = {spec.run_id: spec for spec in specs}
        self.expect(unique.values())
        missing = [s for s in unique.values() if not self.store.readable(s.run_id)]
        if missing and self.refuse_new_runs:
            raise ExperimentError(self.refuse_new_runs)
        todo = iter(missing)
        pending: dict[Future, RunSpec] = {}
        failed: list[str] = []
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                spec = next(todo, None)
                if spec is None:
                    exhausted = True
                    break
                pending[self._submit(spec)] = spec
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                spec = pending.pop(future)
                try:
                    outcome = future.result()
                except Exception as error:
                    outcome = self._lost(spec, error)
                self._record(outcome)
                if not outcome.ok:
                    failed.append(spec.run_id)
        return failed

    def metrics(self, spec: RunSpec) -> dict[str, float] | None:
        """A run's headline metrics, running it first if it is not stored (``None``: failed)."""
        self.run([spec])
        return self.store.metrics(spec.run_id)


class SourceBook:
    """Scenario sources by name; when resuming, the copies stored with the experiment."""

    def __init__(self, stored: dict[str, dict[str, str]] | None = None) -> None:
        self.sources: dict[str, ScenarioSource] = {}
        self.stored = {
            v["label"]: ScenarioSource(v["label"], v["text"]) for v in (stored or {}).values()
        }
        self.changed: list[str] = []

    def get(self, name: str) -> ScenarioSource:
        """The source of a scenario name or path (the stored copy when resuming)."""
        if name not in self.sources:
            if name in self.stored:
                source = self.stored[name]
                try:
                    if ScenarioSource.resolve(name).sha != source.sha:
                        self.changed.append(name)
                except Exception:
                    self.changed.append(name)
            else:
                source = ScenarioSource.resolve(name)
            self.sources[name] = source
        return self.sources[name]

    def add(self, source: ScenarioSource) -> None:
        """Record a derived source (not loaded by name)."""
        self.sources.setdefault(source.label, source)

    def manifest(self, plan: Sequence[PlannedRun]) -> dict[str, dict[str, str]]:
        """Every source the plan uses, by hash."""
        used = {p.spec.source.sha: p.spec.source for p in plan}
        used.update({s.sha: s for s in self.sources.values()})
        return {sha: {"label": s.label, "text": s.text} for sha, s in used.items()}


def _versions() -> dict[str, str]:
    """The installed versions of the packages a result depends on.

    Read from the installed distributions' metadata, not by importing them: the
    parent of a process pool never needs Mesa or Dask itself, and importing them
    only for their version cost about half a second before the first run.
    """
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:  # an extra (inverse-qe[dask]) not installed
            return "not installed"

    return {
        "inverse_qe": inverse_qe.__version__,
        "python": platform.python_version(),
        **{name: installed(name) for name in ("mesa", "numpy", "scipy", "pandas", "pyarrow")},
        "dask": installed("dask"),
    }


#: What the analysis after the runs imports (statistics, figures: about 2.5 s).
ANALYSIS_MODULES = ("scipy.stats", "inverse_qe.experiments.figures")


@contextlib.contextmanager
def _imported_meanwhile(names: Sequence[str]) -> Iterator[None]:
    """Import ``names`` in a thread while the runs execute in other processes.

    This process mostly waits for them then; imported afterwards, the modules would
    hold up the analysis with every worker idle. Waited for on leaving, so no import is
    left running while the interpreter shuts down. A failed import is left for the
    analysis to meet and report.
    """

    def load() -> None:
        for name in names:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=load, name="analysis imports")
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Closing:
    """A context being exited in a thread: its exit waits for the thread, then re-raises."""

    def __init__(self, context: Any) -> None:
        self.error: BaseException | None = None

        def close() -> None:
            try:
                context.__exit__(None, None, None)
            except BaseException as error:  # raised again where the closing is waited for
                self.error = error

        self.thread = threading.Thread(target=close, name="closing the executor")
        self.thread.start()

    def __exit__(self, kind, error, trace) -> None:
        self.thread.join()
        if self.error is not None and error is None:
            raise self.error


#: Where every experiment's figures are drawn.
FIGURES = "inverse_qe.experiments.figures"


class Experiment:
    """The frame of one experiment: directory, manifest, executor, progress, sessions.

    Use as a context manager; call :meth:`start` with the plan to get a
    :class:`Runner`, and :meth:`finish` with the files written.
    """

    def __init__(self, kind: str, request: dict[str, Any], options: Options) -> None:
        self.kind = kind
        self.request = _normalise(request)
        self.options = options
        self.console: Console = options.console  # type: ignore[assignment]
        self.store = Store(options.out)
        self.manifest: dict[str, Any] = {}
        self.sources = SourceBook()
        self.runner: Runner | None = None
        self.plan: list[PlannedRun] = []
        self.dynamic: dict[str, dict[str, Any]] = {}
        self._dynamic_lock = threading.Lock()
        self._stack: list[Any] = []
        self._executor: Any = None  # the executor's context while it is open
        self._started = time.perf_counter()
        self._session: dict[str, Any] = {}
        self.code_changed: str | None = None
        self._created = False  # this experiment made its directory (removed if nothing starts)
        self._made_parents: list[Path] = []  # and these parents of it
        #: With figures and runs executing in other processes: a process forked on
        #: entering that imports the figures' code while this one waits for the workers
        #: to start and run, and draws warm once they are done (see :meth:`draw`).
        self.figure_worker: FigureWorker | None = None

    def __enter__(self) -> Experiment:
        if self.options.unique:
            self._claim_default_directory()
        out, store = self.options.out, self.store
        if out.is_symlink() and not out.exists():
            raise ExperimentError(f"--out {out} is a symbolic link to nothing; remove it first")
        if out.exists() and not out.is_dir():
            raise ExperimentError(f"--out {out} is a file; choose a directory")
        previous = store.read_manifest()
        if previous is not None:
            check_manifest(store.manifest_path, previous)
        # Dotfiles (the lock, temporary files) are ours: a directory of only those is empty.
        occupied = out.exists() and any(not p.name.startswith(".") for p in out.iterdir())
        if occupied and self.options.force and not self.options.resume:
            self._discard_previous(previous)
            previous, occupied = None, False
        if occupied and not self.options.resume:
            hint = " (continue it with --resume, or replace it with --force)" if previous else ""
            raise ExperimentError(
                f"{out} already exists and is not empty; choose another --out{hint}"
            )
        if self.options.resume and occupied and previous is None:
            raise ExperimentError(
                f"--resume: {out} holds no {store.manifest_path.name}; it is not an experiment"
            )
        if previous is not None:
            self._check_same(previous)
        self._created = self._created or not out.exists()
        if not out.parent.exists() or not out.exists():
            OutputDir(out)  # a clear error for a parent that is a file or not writable
        store.lock()
        try:
            if previous is not None:
                self.manifest = previous
                self.sources = SourceBook(previous.get("scenarios"))
                removed, damaged = store.clean()
                for run_id in damaged:
                    self.console.print(
                        f"[yellow]warning:[/] {store.run_path(run_id)} did not match its checksum"
                        " (damaged since it was written); it will be run again"
                    )
                if removed - len(damaged):
                    self.say(
                        f"removed {removed - len(damaged)} partial file(s) left by the interruption"
                    )
            if self.options.figures and self._runs_elsewhere() and can_fork():
                # Forked before any thread of this process starts (the executor's, the
                # progress bar's): forking a process whose threads hold locks is unsafe.
                self.figure_worker = FigureWorker(
                    imports=[FIGURES], what=f"the {self.kind} figures"
                )
        except BaseException:
            store.unlock()
            raise
        return self

    def draw(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """Draw a figure with ``function`` of :mod:`inverse_qe.experiments.figures`.

        In the :attr:`figure_worker` if there is one (its imports were done while the
        runs ran), else here. Returns what the function returns.
        """
        if self.figure_worker is None:
            return getattr(importlib.import_module(FIGURES), function)(*args, **kwargs)
        self.figure_worker.submit(FIGURES, function, *args, **kwargs)
        return self.figure_worker.result()

    def _runs_elsewhere(self) -> bool:
        """Whether the runs execute in worker processes (this one only waits for them)."""
        options = self.options
        if options.executor is not None:  # the caller's: it may run them in this process
            return False
        return bool(options.scheduler) or (options.workers or default_workers()) > 1

    def _claim_default_directory(self) -> None:
        """Take the first free default directory by creating it (atomic against a twin)."""
        base = self.options.out
        self._made_parents = [p for p in reversed(base.parents) if not p.exists()]
        base.parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, 10_001):
            candidate = base if n == 1 else base.with_name(f"{base.name}_{n}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            except OSError as error:
                raise ExperimentError(f"{candidate}: {error.strerror}") from None
            self.options.out = candidate
            self.store = Store(candidate)
            self._created = True
            return
        raise ExperimentError(f"{base}: no free name after 10000 tries")

    def _discard_previous(self, previous: dict[str, Any] | None) -> None:
        """``--force``: remove the earlier experiment in ``out`` (only an experiment's)."""
        out = self.options.out
        if previous is None:
            raise ExperimentError(
                f"--force: {out} is not an experiment directory (it has no manifest.json); it"
                " replaces only those: remove it yourself or choose another --out"
            )
        probe = Store(out)
        probe.lock()  # not while another process writes it
        probe.unlock()
        aside = out.parent / temporary_name(out.name)
        out.rename(aside)  # swept by the next writer if we die before removing it
        remove(aside)

    def _check_same(self, previous: dict[str, Any]) -> None:
        if previous.get("kind") != self.kind:
            raise ExperimentError(
                f"--resume: {self.options.out} holds a {previous.get('kind')!r} experiment,"
                f" not {self.kind!r}"
            )
        before = previous.get("request", {})
        differs = sorted(
            k for k in set(before) | set(self.request) if before.get(k) != self.request.get(k)
        )
        if differs:
            detail = "; ".join(
                f"{k}: was {before.get(k)!r}, now {self.request.get(k)!r}" for k in differs
            )
            raise ExperimentError(
                f"--resume: the options differ from the experiment in {self.options.out}"
                f" ({detail});"
                " resume with the same options or choose another --out"
            )
        if previous.get("code") not in (None, code_fingerprint()):
            # Re-analysing stored runs is fine; running new ones would mix two models.
            self.code_changed = (
                f"--resume: the model's code changed since the experiment in {self.options.out}"
                f" started (fingerprint {previous.get('code')} -> {code_fingerprint()}); running"
                " the missing runs would mix two versions of the model: start a new experiment"
                " with another --out"
            )

    def start(
        self,
        plan: Sequence[PlannedRun],
        description: str,
        analysis_modules: Sequence[str] = ANALYSIS_MODULES,
    ) -> Runner:
        """Write the manifest with the plan, open the executor and the progress bar.

        ``analysis_modules``: imported while the runs execute in other processes (those
        the analysis after the runs needs, in this process).
        """
        self.plan = list(plan)
        stored_plan = self.manifest.get("plan")
        new_plan = [p.entry() for p in self.plan]
        if stored_plan is not None and [e["run_id"] for e in stored_plan] != [
            e["run_id"] for e in new_plan
        ]:
            raise ExperimentError(
                f"--resume: the plan differs from the one stored in {self.options.out}"
            )
        if self.sources.changed:
            names = ", ".join(sorted(set(self.sources.changed)))
            self.console.print(
                f"[yellow]note:[/] {names} changed on disk since the experiment started;"
                " resuming with the copy stored in the manifest"
            )
        self.manifest.update(
            {
                "kind": self.kind,
                "request": self.request,
                "command": self.options.command or sys.argv,
                "created": self.manifest.get("created", _now()),
                "versions": _versions(),
                "code": self.manifest.get("code", code_fingerprint()),
                "git_revision": _git_revision(),
                "status": "running",
                "scenarios": self.sources.manifest(self.plan),
                "plan": new_plan,
            }
        )
        self.manifest.setdefault("sessions", [])
        self.manifest.setdefault("dynamic", [])
        self.dynamic = {e["run_id"]: e for e in self.manifest["dynamic"]}
        self.store.write_manifest(self.manifest)
        self.store.runs.mkdir(parents=True, exist_ok=True)
        self._session = {"started": _now()}

        self._executor = open_executor(
            self.options.workers, self.options.scheduler, self.options.executor
        )
        info = self._enter(self._executor)
        if info.kind in ("process", "dask"):
            self._enter(_imported_meanwhile(analysis_modules))
        progress = self._enter(
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]} · [red]{task.fields[failed]} failed[/]"),
                TimeElapsedColumn(),
                TextColumn("· left"),
                TimeRemainingColumn(),
                console=self.console,
                disable=self.options.quiet,
                transient=False,
            )
        )
        task = progress.add_task(description, total=0, failed=0, unit="runs")
        self.runner = Runner(
            self.store, info, progress=progress, task=task, refuse_new_runs=self.code_changed
        )
        self.runner.expect(p.spec for p in self.plan)
        self._session.update(
            {
                "executor": info.description,
                "code": code_fingerprint(),
                "workers": info.parallelism,
                "resumed_with": self.runner.skipped,
            }
        )
        if self.runner.skipped:
            self.say(
                f"resuming: {self.runner.skipped} of {len(self.runner.counted)} runs already stored"
            )
        return self.runner

    def say(self, message: str, **kwargs: Any) -> None:
        """Print a message unless quiet."""
        if not self.options.quiet:
            self.console.print(message, **kwargs)

    def warn(self, messages: list[str]) -> list[str]:
        """Print warnings (even when quiet: they qualify the results); returns them."""
        for message in messages:
            self.console.print(f"[yellow]warning:[/] {message}", highlight=False)
        return messages

    def note_dynamic(self, planned: PlannedRun) -> None:
        """Record a run decided during the experiment (e.g. a root-finding step)."""
        with self._dynamic_lock:
            self.dynamic.setdefault(planned.spec.run_id, planned.entry())

    def checkpoint(self) -> None:
        """Write the manifest now, with the runs decided so far."""
        with self._dynamic_lock:
            self.manifest["dynamic"] = list(self.dynamic.values())
        self.store.write_manifest(self.manifest)

    def release_workers(self) -> None:
        """Every run is done: close the executor in the background while the analysis runs.

        Stopping a Dask cluster (its workers, their nannies, the scheduler) takes most of
        a second; the tables and figures need no worker, so they are made meanwhile.
        The closing is waited for when the experiment closes (:meth:`finish`, or leaving
        the ``with`` block), and an error in it is raised there. A run asked for
        afterwards is refused with a clear error.
        """
        if self._executor is None or self._executor not in self._stack:
            return
        self._stack.remove(self._executor)
        closing = _Closing(self._executor)
        self._executor = None
        if self.runner is not None:
            self.runner.refuse_new_runs = "the workers were released once every run was done"
        self._stack.insert(0, closing)  # waited for last, after the progress bar

    def _enter(self, context: Any) -> Any:
        value = context.__enter__()
        self._stack.append(context)
        return value

    def finish(self, outputs: Sequence[str] = (), extra: dict[str, Any] | None = None) -> None:
        """Record the session and the outputs; the experiment is complete if nothing failed."""
        runner = self.runner
        self._close_stack()
        failed = sorted(self.store.failed_ids() - self.store.stored_ids())
        planned = {p.spec.run_id for p in self.plan} | set(self.dynamic)
        missing = sorted(planned - self.store.stored_ids() - set(failed))
        self._session.update(
            {
                "finished": _now(),
                "wall_seconds": round(time.perf_counter() - self._started, 3),
                "runs_done": runner.done if runner else 0,
                "runs_failed": runner.failed if runner else 0,
            }
        )
        self.manifest["sessions"].append(self._session)
        self.manifest["dynamic"] = list(self.dynamic.values())
        self.manifest["status"] = "complete" if not failed and not missing else "incomplete"
        self.manifest["failed_runs"] = failed
        self.manifest["outputs"] = sorted(set(self.manifest.get("outputs", [])) | set(outputs))
        if extra:
            self.manifest.update(extra)
        self.store.write_manifest(self.manifest)

    def _close_stack(self) -> None:
        while self._stack:
            self._stack.pop().__exit__(None, None, None)

    def __exit__(self, kind, error, trace) -> None:
        from inverse_qe.scenarios.loader import ScenarioError

        if isinstance(error, ScenarioError) and self.code_changed:
            self.store.unlock()
            raise ExperimentError(
                f"{self.code_changed.split(';')[0]}, and its scenarios no longer load ({error});"
                " re-analysing this experiment needs the version of the model it ran with"
                f" (git revision {self.manifest.get('git_revision')})"
            ) from None
        try:
            while self._stack:
                self._stack.pop().__exit__(kind, error, trace)
            if error is not None and self.manifest.get("status") == "running":
                # Whatever stopped it (Ctrl-C, a scheduler that cannot be reached, a bug),
                # the manifest must not go on saying "running".
                self._session.update({"finished": _now(), "interrupted": repr(error)})
                self.manifest["sessions"].append(self._session)
                self.manifest["dynamic"] = list(self.dynamic.values())
                self.manifest["status"] = "interrupted"
                self.store.write_manifest(self.manifest)
        finally:
            worker = self.figure_worker
            if worker is not None and worker.drawn and error is None:
                worker.close()  # idle: it ends at once
            elif worker is not None:
                worker.cancel()  # no figure wanted: not waited for, it may still be importing
            self.store.unlock()
            if error is not None and self._created and not self._has_results():
                # Nothing ran (a bad scenario, an executor that could not start): a new
                # directory holding only a plan is removed rather than left behind.
                remove(self.options.out)
                for parent in reversed(self._made_parents):
                    with contextlib.suppress(OSError):
                        parent.rmdir()  # only if empty

    def _has_results(self) -> bool:
        return bool(self.store.stored_ids() or self.store.failed_ids())

    def require_some_runs(self, what: str) -> None:
        """Stop with a clear error when every run failed: there is nothing to analyse."""
        if self.store.stored_ids():
            return
        self.finish()
        self.report_failures()
        raise ExperimentError(
            f"{what}: every run failed, so there is nothing to analyse (records in"
            f" {self.store.failures})"
        )

    def report_failures(self, limit: int = 10) -> None:
        """Print the failed runs (their parameters and error), if any."""
        failed = sorted(self.store.failed_ids() - self.store.stored_ids())
        if not failed:
            return
        self.console.print(
            f"[red]{len(failed)} run(s) failed[/] (records in {self.store.failures}):"
        )
        for run_id in failed[:limit]:
            record = self.store.failure_record(run_id)
            if record is None:
                continue
            overrides = " ".join(record.get("overrides", []))
            if len(overrides) > 80:
                overrides = overrides[:77] + "..."
            self.console.print(
                f"  {record.get('scenario')} seed {record.get('seed')} {overrides}: "
                f"{record.get('error_type')}: {record.get('error')}".rstrip(),
                markup=False,
                highlight=False,
            )
        if len(failed) > limit:
            self.console.print(f"  ... and {len(failed) - limit} more")
        self.console.print("re-run only the failed runs with --resume")


def _git_revision() -> str | None:
    from inverse_qe.results import _git_revision as revision

    return revision()


def _normalise(value: Any) -> Any:
    """JSON round trip: what the manifest stores is what a resumed request compares to."""
    import json

    return json.loads(json.dumps(value, default=str))


def seed_list(seeds: int | Sequence[int], first_seed: int = 0) -> list[int]:
    """``seeds`` as a list: a count (``first_seed, first_seed + 1, ...``) or the seeds."""
    if isinstance(seeds, int):
        if seeds < 1:
            raise ExperimentError(f"--seeds: expected a number >= 1, got {seeds}")
        if first_seed < 0:
            raise ExperimentError(f"--first-seed: expected a seed >= 0, got {first_seed}")
        return list(range(first_seed, first_seed + seeds))
    values = [int(s) for s in seeds]
    if not values or len(set(values)) != len(values) or min(values) < 0:
        raise ExperimentError(f"seeds: expected distinct seeds >= 0, got {values}")
    return values


def default_out(stem: str) -> Path:
    """The default directory ``experiments/<stem>`` (the next free ``_2``... is taken on start)."""
    from inverse_qe.outputs import inside

    return inside(Path("experiments"), stem)


def make_options(stem: str, out: str | Path | None, **execution: Any) -> Options:
    """:class:`Options` from keyword arguments, with a default output directory."""
    if out is None:
        return Options(out=default_out(stem), unique=True, **execution)
    return Options(out=Path(out), **execution)
