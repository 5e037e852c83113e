"""Benchmark suite: time the model's named configurations and save the results as JSON.

    python benchmarks/run.py                                # everything (see README.md)
    python benchmarks/run.py --config default large --seeds 3
    python benchmarks/run.py --quick --out benchmarks/results/quick.json

Each configuration runs in a fresh subprocess (so peak memory is its own, and a run that
takes too long is stopped and recorded as a timeout). Inside it: warm-up runs, then for
each seed several replications, each timed for construction (``BathtubModel(...)``) and
for the run (``.run()``) separately with the garbage collector off; the fastest
replication per seed is kept. Peak RSS is the kernel's high-water mark of the subprocess
after its first full run (``resource.getrusage``), cross-checked by sampling the process
tree with psutil from outside.

The subprocesses import a copy of ``inverse_qe/`` taken when the suite starts (put ahead
of the editable install on ``PYTHONPATH``), so edits made to the model while the suite
runs do not mix two versions into one result; ``--no-snapshot`` measures the working tree.

Besides the named configurations: the scaling fit (run time over 1k, 3k, 10k and 30k
hedge funds: the slope is the marginal cost per hedge-fund-week, the log-log slope the
exponent) and the lower-bound kernel (``kernel.py``) over the same fund counts, whose
cost per hedge-fund-week the model's is compared with.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from configurations import (  # noqa: E402
    CONFIGURATIONS,
    FUND_SCALINGS,
    MONTE_CARLO_SEEDS,
    SCALING_FUNDS,
    Configuration,
    load_scenario,
)

MIB = 1024.0 * 1024.0
#: Targets of issue 6, checked in the summary.
TARGETS = {
    "default_run_s": 0.25,
    "cli_run_s": 4.0,
    "scaling_exponent": 1.1,
    "kernel_ratio": 3.0,
    "xlarge_rss_mib": 2048.0,
    "monte_carlo_speedup": 1.8,
}


# ---------------------------------------------------------------------------------------
# Inside the subprocess: the measurements
# ---------------------------------------------------------------------------------------
def _emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / MIB


def _work_model(spec: dict) -> None:
    """Warm-ups, then replications per seed, construction and run timed separately."""
    import inverse_qe
    from inverse_qe.model.bathtub import BathtubModel

    scenario = load_scenario(spec["hedge_funds"], spec["fund_scaling"])
    weeks = spec["weeks"]
    _emit(
        {
            "event": "start",
            "rss_mib": _rss_mib(),
            "maxrss_mib": _maxrss_mib(),
            "package": str(Path(inverse_qe.__file__).parent),
        }
    )
    for i in range(spec["warmups"]):
        t0 = time.perf_counter()
        model = BathtubModel(scenario, seed=spec["seeds"][0], weeks=spec["warmup_weeks"] or weeks)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        del model
        _emit({"event": "warmup", "index": i, "construction": t1 - t0, "run": t2 - t1})
    first = True
    for seed in spec["seeds"]:
        for rep in range(spec["replications"]):
            model = None
            gc.collect()
            gc.disable()
            try:
                c0, t0 = time.process_time(), time.perf_counter()
                model = BathtubModel(scenario, seed=seed, weeks=weeks)
                c1, t1 = time.process_time(), time.perf_counter()
                model.run()
                c2, t2 = time.process_time(), time.perf_counter()
            finally:
                gc.enable()
            record = {
                "event": "measure",
                "seed": seed,
                "replication": rep,
                "construction": t1 - t0,
                "run": t2 - t1,
                "construction_cpu": c1 - c0,
                "run_cpu": c2 - c1,
                "events": len(model.events),
                "flows": int(model.ledger.flows.size),
                "maxrss_mib": _maxrss_mib(),
            }
            if first:  # one model built and run in this process: its peak
                record["peak_rss_first_run_mib"] = record["maxrss_mib"]
                first = False
            _emit(record)
    _emit({"event": "done"})


_MC_SCENARIO = None


def _mc_init() -> None:
    global _MC_SCENARIO
    _MC_SCENARIO = load_scenario()


def _mc_warm(_: int) -> int:
    from inverse_qe.model.bathtub import BathtubModel

    BathtubModel(_MC_SCENARIO, seed=0, weeks=4).run()
    return os.getpid()


def _mc_run(seed: int, weeks: int) -> float:
    from inverse_qe.model.bathtub import BathtubModel

    model = BathtubModel(_MC_SCENARIO, seed=seed, weeks=weeks).run()
    return float(model.recorder.series("water_level").min())


def _work_monte_carlo(spec: dict) -> None:
    """The default scenario over many seeds through a process pool of each size."""
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context(spec["mp_context"])
    seeds = list(range(1, spec["n_seeds"] + 1))
    run = functools.partial(_mc_run, weeks=spec["weeks"])
    _emit({"event": "start", "rss_mib": _rss_mib(), "start_method": context.get_start_method()})
    for workers in spec["workers"]:
        for rep in range(spec["replications"]):
            gc.collect()
            gc.disable()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                t0 = time.perf_counter()
                with ProcessPoolExecutor(
                    max_workers=workers, mp_context=context, initializer=_mc_init
                ) as pool:
                    # Warm-up: every worker starts, loads the scenario and runs a short model.
                    pids = set(pool.map(_mc_warm, range(workers * spec["warmups"])))
                    t1 = time.perf_counter()
                    values = list(pool.map(run, seeds, chunksize=1))
                    t2 = time.perf_counter()
                t3 = time.perf_counter()
            finally:
                gc.enable()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            _emit(
                {
                    "event": "measure",
                    "workers": workers,
                    "replication": rep,
                    "startup": t1 - t0,
                    "map": t2 - t1,
                    "total": t3 - t0,
                    "warm_workers": len(pids),
                    # CPU the workers got, over what the pool could have used: below 1
                    # when other processes share the cores (the speed-up is then capped).
                    "workers_cpu": cpu,
                    "cpu_share": cpu / ((t3 - t0) * workers),
                    "checksum": float(np.sum(values)),
                }
            )
    _emit({"event": "done"})


def _work_kernel(spec: dict) -> None:
    import kernel

    scenario = load_scenario()
    drive = kernel.model_drive(scenario, spec["weeks"])
    _emit(
        {
            "event": "start",
            "rss_mib": _rss_mib(),
            "model_funding_rounds": int(drive["funding_rounds"].sum()),
            "model_margin_rounds": int(drive["margin_rounds"].sum()),
        }
    )
    for n in spec["funds"]:
        for order_independent in (True, False):
            result = kernel.time_kernel(
                scenario,
                n,
                spec["weeks"],
                replications=spec["replications"],
                order_independent=order_independent,
                drive=drive,
            )
            _emit({"event": "measure", **result})
    _emit({"event": "done"})


def _work_cli(spec: dict) -> None:
    """The whole ``inverse-qe run`` process, as a user runs it: wall and CPU time, RSS."""
    executable = Path(sys.executable).with_name("inverse-qe")
    _emit({"event": "start", "executable": str(executable)})
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(spec["warmups"] + spec["replications"]):
            out = Path(tmp, f"run_{i}")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run(
                [str(executable), "run", "--out", str(out)], capture_output=True, text=True
            )
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                raise SystemExit(done.returncode)
            files = sorted(p.name for p in out.iterdir())
            _emit(
                {
                    "event": "warmup" if i < spec["warmups"] else "measure",
                    "seed": 0,
                    "replication": i,
                    "wall": wall,
                    "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
                    "maxrss_children_mib": after.ru_maxrss / 1024.0,
                    "files": files,
                    "bytes": sum(p.stat().st_size for p in out.iterdir()),
                }
            )
    _emit({"event": "done"})


WORKERS = {
    "model": _work_model,
    "cli": _work_cli,
    "monte_carlo": _work_monte_carlo,
    "kernel": _work_kernel,
}


# ---------------------------------------------------------------------------------------
# In the parent: subprocesses with a timeout, a memory limit and RSS sampling
# ---------------------------------------------------------------------------------------
#: Directory holding the snapshot of the model's sources the subprocesses import (None:
#: the working tree). Set by :func:`run_suite`.
SNAPSHOT: Path | None = None


def run_subprocess(spec: dict, timeout: float, memory_limit_mib: float) -> dict:
    """Run one worker spec in a fresh interpreter; collect its JSON lines.

    Returns ``{"status", "records", "elapsed_s", "sampled_peak_rss_mib", "stderr_tail"}``;
    status is ``ok``, ``timeout``, ``memory_limit`` or ``error``.
    """
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        out_path, err_path = Path(tmp, "out.jsonl"), Path(tmp, "err.txt")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            load_before = os.getloadavg()[0]
            start = time.perf_counter()
            env = dict(os.environ)
            if SNAPSHOT is not None:
                # Ahead of the editable install: every subprocess runs the same sources.
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (str(SNAPSHOT), env.get("PYTHONPATH", "")) if p
                )
            proc = psutil.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
                stdout=out,
                stderr=err,
                cwd=str(ROOT),
                env=env,
            )
            status, peak = "ok", 0.0
            while proc.poll() is None:
                rss = 0
                with contextlib.suppress(psutil.Error):
                    tree = [proc, *proc.children(recursive=True)]
                    for p in tree:
                        with contextlib.suppress(psutil.Error):
                            rss += p.memory_info().rss
                peak = max(peak, rss / MIB)
                if time.perf_counter() - start > timeout:
                    status = "timeout"
                elif peak > memory_limit_mib:
                    status = "memory_limit"
                if status != "ok":
                    _kill_tree(proc)
                    break
                time.sleep(0.05)
            proc.wait()
            elapsed = time.perf_counter() - start
        records = []
        for line in out_path.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                records.append(json.loads(line))
        stderr = err_path.read_text()
    if status == "ok" and (proc.returncode != 0 or not any(r["event"] == "done" for r in records)):
        status = "error"
    return {
        "status": status,
        "records": records,
        "elapsed_s": elapsed,
        "sampled_peak_rss_mib": peak,
        "load_average": [load_before, os.getloadavg()[0]],
        "stderr_tail": stderr[-2000:] if status != "ok" else "",
    }


def _kill_tree(proc) -> None:
    import psutil

    with contextlib.suppress(psutil.Error):
        children = proc.children(recursive=True)
        for p in [*children, proc]:
            with contextlib.suppress(psutil.Error):
                p.kill()


# ---------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------
def _fastest_per_seed(measures: list[dict], key: str) -> dict[int, float]:
    best: dict[int, float] = {}
    for m in measures:
        best[m["seed"]] = min(best.get(m["seed"], np.inf), m[key])
    return best


def summarise_model(config: dict, outcome: dict) -> dict:
    measures = [r for r in outcome["records"] if r["event"] == "measure"]
    warmups = [r for r in outcome["records"] if r["event"] == "warmup"]
    start = next((r for r in outcome["records"] if r["event"] == "start"), {})
    construction = _fastest_per_seed(measures, "construction")
    run = _fastest_per_seed(measures, "run")
    run_cpu = _fastest_per_seed(measures, "run_cpu") if measures else {}
    seeds = sorted(run)
    result = {
        "configuration": config,
        "status": outcome["status"],
        "elapsed_s": outcome["elapsed_s"],
        "seeds": seeds,
        "construction": [construction[s] for s in seeds],
        "run": [run[s] for s in seeds],
        "construction_median": float(np.median(list(construction.values()))) if seeds else None,
        "run_median": float(np.median(list(run.values()))) if seeds else None,
        # CPU time of the run: a check on wall time when the machine is shared.
        "run_cpu": [run_cpu[s] for s in seeds],
        "run_cpu_median": float(np.median(list(run_cpu.values()))) if seeds else None,
        "warmups": warmups,
        "measures": measures,
        "baseline_rss_mib": start.get("rss_mib"),
        "package": start.get("package"),
        "peak_rss_mib": next(
            (m["peak_rss_first_run_mib"] for m in measures if "peak_rss_first_run_mib" in m),
            None,
        ),
        "sampled_peak_rss_mib": outcome["sampled_peak_rss_mib"],
        "load_average": outcome["load_average"],
        "events_per_run": measures[0]["events"] if measures else None,
        "flows_per_run": measures[0]["flows"] if measures else None,
    }
    if seeds and config.get("hedge_funds"):
        n = config["hedge_funds"]
        result["run_per_fund_week_us"] = result["run_median"] / (n * config["weeks"]) * 1e6
    if outcome["status"] != "ok":
        result["stderr_tail"] = outcome["stderr_tail"]
    return result


def summarise_cli(config: dict, outcome: dict) -> dict:
    measures = [r for r in outcome["records"] if r["event"] == "measure"]
    result = {
        "configuration": config,
        "status": outcome["status"],
        "elapsed_s": outcome["elapsed_s"],
        "wall": [m["wall"] for m in measures],
        "cpu": [m["cpu"] for m in measures],
        "wall_median": float(np.median([m["wall"] for m in measures])) if measures else None,
        "cpu_median": float(np.median([m["cpu"] for m in measures])) if measures else None,
        "peak_rss_mib": max((m["maxrss_children_mib"] for m in measures), default=None),
        "files": measures[0]["files"] if measures else [],
        "bytes": measures[0]["bytes"] if measures else None,
        "load_average": outcome["load_average"],
    }
    if outcome["status"] != "ok":
        result["stderr_tail"] = outcome["stderr_tail"]
    return result


def summarise_monte_carlo(config: dict, outcome: dict) -> dict:
    measures = [r for r in outcome["records"] if r["event"] == "measure"]
    start = next((r for r in outcome["records"] if r["event"] == "start"), {})
    by_workers: dict[str, dict] = {}
    for w in config["workers"]:
        mine = [m for m in measures if m["workers"] == w]
        if mine:
            by_workers[str(w)] = {
                "map": [m["map"] for m in mine],
                "total": [m["total"] for m in mine],
                "startup": [m["startup"] for m in mine],
                "cpu_share": [m.get("cpu_share") for m in mine],
                "map_fastest": min(m["map"] for m in mine),
                "total_fastest": min(m["total"] for m in mine),
                "per_seed_s": min(m["map"] for m in mine) / config["seeds"],
                "checksum": mine[0]["checksum"],
            }
    result = {
        "configuration": config,
        "status": outcome["status"],
        "elapsed_s": outcome["elapsed_s"],
        "start_method": start.get("start_method"),
        "workers": by_workers,
        "sampled_peak_rss_mib": outcome["sampled_peak_rss_mib"],
        "load_average": outcome["load_average"],
    }
    if "1" in by_workers and "2" in by_workers:
        one, two = by_workers["1"], by_workers["2"]
        result["speedup_2_workers"] = one["map_fastest"] / two["map_fastest"]
        result["speedup_2_workers_with_startup"] = one["total_fastest"] / two["total_fastest"]
        result["same_results"] = one["checksum"] == two["checksum"]
    if outcome["status"] != "ok":
        result["stderr_tail"] = outcome["stderr_tail"]
    return result


def fit_scaling(funds: list[int], seconds: list[float], weeks: int) -> dict:
    """Linear fit (marginal cost per fund-week) and log-log exponent of run time over N."""
    n, t = np.asarray(funds, float), np.asarray(seconds, float)
    if n.size < 2:
        return {}
    slope, intercept = np.polyfit(n, t, 1)
    exponent, _ = np.polyfit(np.log(n), np.log(t), 1)
    local = np.diff(np.log(t)) / np.diff(np.log(n))
    return {
        "funds": funds,
        "run": seconds,
        "weeks": weeks,
        "slope_s_per_fund": float(slope),
        "intercept_s": float(intercept),
        "per_fund_week_us": float(slope / weeks * 1e6),
        "exponent": float(exponent),
        "local_exponents": [float(x) for x in local],
    }


# ---------------------------------------------------------------------------------------
# Machine and code identity
# ---------------------------------------------------------------------------------------
def machine_info() -> dict:
    import mesa
    import psutil

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "physical_cpus": psutil.cpu_count(logical=False),
        "memory_gib": psutil.virtual_memory().total / 1024**3,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "load_average_start": os.getloadavg(),
    }


def code_identity(source_root: Path = ROOT) -> dict:
    """Git revision, whether the model's sources differ from it, and a hash of them.

    ``source_root`` is the directory holding the ``inverse_qe`` package that was measured
    (the working tree, or the snapshot taken at the start of the run).
    """
    package = source_root / "inverse_qe"
    sources = sorted(package.rglob("*.py")) + sorted(package.rglob("*.toml"))
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path.relative_to(source_root)).encode())
        digest.update(path.read_bytes())
    # The model alone (what a run executes), comparable with a commit's tree.
    model = hashlib.sha256()
    for path in sources:
        if path.relative_to(package).parts[0] in ("model", "agents", "scenarios"):
            model.update(str(path.relative_to(source_root)).encode())
            model.update(path.read_bytes())
    info = {"sources_sha256": digest.hexdigest()[:16], "model_sha256": model.hexdigest()[:16]}
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        git = ["git", "-C", str(ROOT)]
        info["git_revision"] = subprocess.check_output(
            [*git, "rev-parse", "HEAD"], text=True
        ).strip()
        dirty = subprocess.check_output(
            [*git, "status", "--porcelain", "--", "inverse_qe"], text=True
        )
        info["model_sources_modified"] = bool(dirty.strip())
    return info


# ---------------------------------------------------------------------------------------
# The suite
# ---------------------------------------------------------------------------------------
def _model_spec(c: Configuration, args, hedge_funds=None, weeks=None) -> dict:
    n_seeds = args.seeds if args.seeds is not None else c.seeds
    return {
        "task": "model",
        "hedge_funds": hedge_funds if hedge_funds is not None else c.hedge_funds,
        "fund_scaling": args.fund_scaling,
        "weeks": weeks or args.weeks or c.weeks,
        "seeds": list(range(1, n_seeds + 1)),
        "replications": args.replications if args.replications is not None else c.replications,
        "warmups": args.warmups if args.warmups is not None else c.warmups,
        "warmup_weeks": c.warmup_weeks,
    }


def _configuration_record(c: Configuration, spec: dict) -> dict:
    record = c.to_dict()
    record.update(
        {
            "hedge_funds": spec.get("hedge_funds") or 100,
            "weeks": spec["weeks"],
            "replications": spec["replications"],
            "warmups": spec["warmups"],
            "fund_scaling": spec.get("fund_scaling"),
        }
    )
    if "seeds" in spec:
        record["seeds"] = len(spec["seeds"])
    return record


def run_suite(args) -> dict:
    import shutil

    from rich.console import Console

    global SNAPSHOT
    console = Console(stderr=True)
    if args.snapshot:
        SNAPSHOT = Path(tempfile.mkdtemp(prefix="inverse_qe_bench_"))
        shutil.copytree(
            ROOT / "inverse_qe",
            SNAPSHOT / "inverse_qe",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    try:
        return _run_suite(args, console)
    finally:
        if SNAPSHOT is not None:
            shutil.rmtree(SNAPSHOT, ignore_errors=True)
            SNAPSHOT = None


def _run_suite(args, console) -> dict:
    results: dict = {
        "schema": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": machine_info(),
        "code": {**code_identity(SNAPSHOT or ROOT), "snapshot": SNAPSHOT is not None},
        "configurations": {},
    }
    limit_mib = args.memory_limit_gib * 1024.0
    for name in args.config:
        c = CONFIGURATIONS[name]
        timeout = args.timeout or c.timeout
        if c.kind == "monte_carlo":
            n_seeds = args.mc_seeds or c.seeds
            spec = {
                "task": "monte_carlo",
                "n_seeds": n_seeds,
                "weeks": args.weeks or c.weeks,
                "workers": list(c.workers),
                "replications": args.replications
                if args.replications is not None
                else c.replications,
                "warmups": max(args.warmups if args.warmups is not None else c.warmups, 1),
                "mp_context": args.mp_context,
            }
            console.print(f"[bold]{name}[/]: {n_seeds} seeds, workers {c.workers} ...")
            outcome = run_subprocess(spec, timeout, limit_mib)
            config = _configuration_record(c, spec)
            config["seeds"] = n_seeds
            summary = summarise_monte_carlo(config, outcome)
        elif c.kind == "cli":
            spec = {
                "task": "cli",
                "replications": args.replications
                if args.replications is not None
                else c.replications,
                "warmups": args.warmups if args.warmups is not None else c.warmups,
                "weeks": c.weeks,
            }
            console.print(f"[bold]{name}[/]: `inverse-qe run`, {spec['replications']} times ...")
            outcome = run_subprocess(spec, timeout, limit_mib)
            summary = summarise_cli(_configuration_record(c, spec), outcome)
        else:
            spec = _model_spec(c, args, hedge_funds=args.funds)
            console.print(
                f"[bold]{name}[/]: {spec['hedge_funds'] or 100} funds, {spec['weeks']} weeks, "
                f"{len(spec['seeds'])} seeds x {spec['replications']} ..."
            )
            outcome = run_subprocess(spec, timeout, limit_mib)
            summary = summarise_model(_configuration_record(c, spec), outcome)
        results["configurations"][name] = summary
        console.print(f"  {_one_line(summary)}")

    if not args.no_scaling:
        weeks = args.scaling_weeks or args.weeks or 104
        points = []
        for n in args.scaling_funds:
            c = Configuration(f"scaling_{n}", f"{n} hedge funds", hedge_funds=n, weeks=weeks)
            spec = {
                "task": "model",
                "hedge_funds": n,
                "fund_scaling": args.fund_scaling,
                "weeks": weeks,
                "seeds": [1],
                "replications": args.scaling_replications,
                "warmups": 1,
                "warmup_weeks": min(weeks, 4),
            }
            console.print(f"[bold]scaling[/]: {n} funds, {weeks} weeks ...")
            outcome = run_subprocess(spec, args.timeout or c.timeout, limit_mib)
            summary = summarise_model(_configuration_record(c, spec), outcome)
            console.print(f"  {_one_line(summary)}")
            points.append(summary)
        done = [p for p in points if p["status"] == "ok"]
        n_done = [p["configuration"]["hedge_funds"] for p in done]
        results["scaling"] = {
            "points": [_scaling_point(p) for p in points],
            "fit": fit_scaling(n_done, [p["run_median"] for p in done], weeks),
            # The same on CPU time: steadier than wall time on a shared machine.
            "fit_cpu": fit_scaling(n_done, [p["run_cpu_median"] for p in done], weeks),
        }

    if not args.no_kernel:
        weeks = args.scaling_weeks or args.weeks or 104
        spec = {
            "task": "kernel",
            "funds": list(args.scaling_funds),
            "weeks": weeks,
            "replications": args.kernel_replications,
        }
        console.print(f"[bold]kernel[/]: {list(args.scaling_funds)} funds, {weeks} weeks ...")
        outcome = run_subprocess(spec, args.timeout or 600.0, limit_mib)
        measures = [r for r in outcome["records"] if r["event"] == "measure"]
        start = next((r for r in outcome["records"] if r["event"] == "start"), {})
        sorted_sums = [m for m in measures if m["order_independent"]]
        results["kernel"] = {
            "status": outcome["status"],
            "weeks": weeks,
            "model_rounds": {
                "funding": start.get("model_funding_rounds"),
                "margin": start.get("model_margin_rounds"),
            },
            "measures": measures,
            "fit": fit_scaling(
                [m["hedge_funds"] for m in sorted_sums], [m["run"] for m in sorted_sums], weeks
            ),
            "fit_cpu": fit_scaling(
                [m["hedge_funds"] for m in sorted_sums],
                [m["run_cpu"] for m in sorted_sums],
                weeks,
            ),
        }
        if outcome["status"] != "ok":
            results["kernel"]["stderr_tail"] = outcome["stderr_tail"]

    results["machine"]["load_average_end"] = os.getloadavg()
    # The model's files may be edited while the suite runs on a shared checkout: with a
    # snapshot that does not matter; without one, say so.
    end = code_identity(SNAPSHOT or ROOT)
    results["code"]["changed_during_run"] = (
        end["sources_sha256"] != results["code"]["sources_sha256"]
    )
    results["code"]["working_tree_sha256_at_end"] = code_identity(ROOT)["sources_sha256"]
    results["headline"] = headline(results)
    return results


def _scaling_point(p: dict) -> dict:
    keys = (
        "status",
        "elapsed_s",
        "run_median",
        "construction_median",
        "peak_rss_mib",
        "sampled_peak_rss_mib",
        "events_per_run",
        "flows_per_run",
        "run_per_fund_week_us",
        "run_cpu_median",
        "load_average",
    )
    return {"hedge_funds": p["configuration"]["hedge_funds"], **{k: p.get(k) for k in keys}}


def _one_line(s: dict) -> str:
    if s["status"] != "ok":
        return f"[red]{s['status']}[/] after {s['elapsed_s']:.0f} s"
    if "wall_median" in s:
        return (
            f"whole process {s['wall_median']:.2f} s wall, {s['cpu_median']:.2f} s CPU "
            f"(median of {len(s['wall'])}), {len(s['files'])} files, "
            f"peak RSS {s['peak_rss_mib']:.0f} MiB"
        )
    if "workers" in s and isinstance(s["workers"], dict):
        parts = [f"{w} worker(s): {v['map_fastest']:.2f} s" for w, v in s["workers"].items()]
        speed = s.get("speedup_2_workers")
        return "; ".join(parts) + (f"; speed-up x{speed:.2f}" if speed else "")
    rss = s.get("peak_rss_mib") or s.get("sampled_peak_rss_mib")
    return (
        f"construction {s['construction_median']:.4f} s, run {s['run_median']:.3f} s "
        f"(median over {len(s['seeds'])} seeds), peak RSS {rss:.0f} MiB"
    )


def headline(results: dict) -> dict:
    """The figures the issue asks for, and which targets are met."""
    configs = results["configurations"]
    h: dict = {}

    def model_figures(name: str) -> None:
        c = configs.get(name)
        if c is None:
            return
        h[f"{name}_status"] = c["status"]
        h[f"{name}_run_median_s"] = c.get("run_median")
        h[f"{name}_run_cpu_median_s"] = c.get("run_cpu_median")
        h[f"{name}_construction_median_s"] = c.get("construction_median")
        h[f"{name}_peak_rss_mib"] = c.get("peak_rss_mib") or c.get("sampled_peak_rss_mib")

    for name in ("default", "large", "xlarge"):
        model_figures(name)
    cli = configs.get("cli_run")
    if cli and cli["status"] == "ok":
        h["cli_run_wall_median_s"] = cli["wall_median"]
        h["cli_run_cpu_median_s"] = cli["cpu_median"]
        h["cli_run_peak_rss_mib"] = cli["peak_rss_mib"]
    mc = configs.get("monte_carlo")
    if mc:
        h["monte_carlo_speedup_2_workers"] = mc.get("speedup_2_workers")
        h["monte_carlo_speedup_with_startup"] = mc.get("speedup_2_workers_with_startup")
        h["monte_carlo_peak_rss_mib"] = mc.get("sampled_peak_rss_mib")
        for w, v in mc.get("workers", {}).items():
            if v.get("cpu_share") and v["cpu_share"][0] is not None:
                h[f"monte_carlo_cpu_share_{w}_workers"] = max(v["cpu_share"])
    fit = results.get("scaling", {}).get("fit", {})
    if fit:
        h["per_fund_week_us"] = fit["per_fund_week_us"]
        h["scaling_exponent"] = fit["exponent"]
        h["scaling_local_exponents"] = fit["local_exponents"]
        # The log-log fit over the total run time is flattered at the small end by the
        # economy's fixed cost; the hedge-fund part (run time less the 100-fund default's,
        # run on the same weeks) is the one that should scale linearly.
        default = configs.get("default", {})
        if default.get("run_median") and default["configuration"]["weeks"] == fit["weeks"]:
            part = np.asarray(fit["run"]) - default["run_median"]
            if np.all(part > 0):
                slope, _ = np.polyfit(np.log(fit["funds"]), np.log(part), 1)
                h["scaling_exponent_hedge_fund_part"] = float(slope)
    fit_cpu = results.get("scaling", {}).get("fit_cpu", {})
    if fit_cpu:
        h["per_fund_week_cpu_us"] = fit_cpu["per_fund_week_us"]
        h["scaling_exponent_cpu"] = fit_cpu["exponent"]
        h["scaling_local_exponents_cpu"] = fit_cpu["local_exponents"]
    kernel = results.get("kernel", {})
    kernel_10k = next(
        (
            m
            for m in kernel.get("measures", [])
            if m["hedge_funds"] == 10_000 and m["order_independent"]
        ),
        None,
    )
    model_10k = None
    large = configs.get("large")
    if large and large.get("run_median") and large["configuration"]["hedge_funds"] == 10_000:
        model_10k = large["run_median"] / (10_000 * large["configuration"]["weeks"]) * 1e6
    else:
        point = next(
            (
                p
                for p in results.get("scaling", {}).get("points", [])
                if p["hedge_funds"] == 10_000 and p["status"] == "ok"
            ),
            None,
        )
        if point:
            model_10k = point["run_per_fund_week_us"]
    if kernel_10k:
        h["kernel_per_fund_week_us_10k"] = kernel_10k["per_fund_week_us"]
    if kernel_10k and model_10k:
        h["model_per_fund_week_us_10k"] = model_10k
        h["kernel_ratio_10k"] = model_10k / kernel_10k["per_fund_week_us"]
    if (
        kernel_10k
        and large
        and large.get("run_cpu_median")
        and "per_fund_week_cpu_us" in kernel_10k
    ):
        cpu_10k = large["run_cpu_median"] / (10_000 * large["configuration"]["weeks"]) * 1e6
        h["model_per_fund_week_cpu_us_10k"] = cpu_10k
        h["kernel_ratio_10k_cpu"] = cpu_10k / kernel_10k["per_fund_week_cpu_us"]
    if kernel.get("fit") and fit:
        h["kernel_marginal_per_fund_week_us"] = kernel["fit"]["per_fund_week_us"]
        h["marginal_ratio"] = fit["per_fund_week_us"] / kernel["fit"]["per_fund_week_us"]

    met = {}
    if h.get("default_run_median_s") is not None:
        met["default_run_le_0.25s"] = h["default_run_median_s"] <= TARGETS["default_run_s"]
    if h.get("cli_run_wall_median_s") is not None:
        met["cli_run_le_4s"] = h["cli_run_wall_median_s"] <= TARGETS["cli_run_s"]
    if "scaling_exponent" in h:
        met["exponent_le_1.1"] = h["scaling_exponent"] <= TARGETS["scaling_exponent"]
    if "scaling_exponent_hedge_fund_part" in h:
        met["hedge_fund_part_exponent_le_1.1"] = (
            h["scaling_exponent_hedge_fund_part"] <= TARGETS["scaling_exponent"]
        )
    if "kernel_ratio_10k" in h:
        met["kernel_ratio_le_3"] = h["kernel_ratio_10k"] <= TARGETS["kernel_ratio"]
    if "xlarge_status" in h:
        met["xlarge_within_2GiB"] = (
            h["xlarge_status"] == "ok"
            and (h.get("xlarge_peak_rss_mib") or np.inf) <= TARGETS["xlarge_rss_mib"]
        )
    if h.get("monte_carlo_speedup_2_workers") is not None:
        met["monte_carlo_speedup_ge_1.8"] = (
            h["monte_carlo_speedup_2_workers"] >= TARGETS["monte_carlo_speedup"]
        )
    h["targets_met"] = met
    return h


def print_headline(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    h = results["headline"]
    table = Table(title="headline figures")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in h.items():
        if key == "targets_met":
            continue
        if isinstance(value, list):
            text = ", ".join(f"{v:.3g}" for v in value)
        else:
            text = f"{value:.4g}" if isinstance(value, float) else str(value)
        table.add_row(key, text)
    for key, ok in h["targets_met"].items():
        table.add_row(f"target {key}", "[green]met[/]" if ok else "[red]missed[/]")
    Console(stderr=True).print(table)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the model's benchmark configurations and save the results as JSON."
    )
    parser.add_argument(
        "--config",
        nargs="+",
        choices=list(CONFIGURATIONS),
        default=list(CONFIGURATIONS),
        help="configurations to run (default: all)",
    )
    parser.add_argument("--seeds", type=int, help="seeds per model configuration")
    parser.add_argument(
        "--mc-seeds", type=int, help=f"monte_carlo seeds (default {MONTE_CARLO_SEEDS})"
    )
    parser.add_argument("--replications", type=int, help="timed runs per seed")
    parser.add_argument("--warmups", type=int, help="untimed runs first")
    parser.add_argument("--weeks", type=int, help="override every configuration's weeks")
    parser.add_argument("--funds", type=int, help="override the model configurations' funds")
    parser.add_argument("--fund-scaling", choices=FUND_SCALINGS, default="split")
    parser.add_argument(
        "--scaling-funds", type=int, nargs="+", default=list(SCALING_FUNDS), metavar="N"
    )
    parser.add_argument("--scaling-weeks", type=int, help="weeks of the scaling and kernel runs")
    parser.add_argument("--scaling-replications", type=int, default=1)
    parser.add_argument("--kernel-replications", type=int, default=3)
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling fit")
    parser.add_argument("--no-kernel", action="store_true", help="skip the lower-bound kernel")
    parser.add_argument(
        "--timeout", type=float, help="seconds per subprocess (default: each configuration's)"
    )
    parser.add_argument(
        "--memory-limit-gib",
        type=float,
        default=8.0,
        help="stop a subprocess whose RSS passes this (protects a shared machine)",
    )
    parser.add_argument(
        "--mp-context", default="fork", choices=("fork", "forkserver", "spawn"), help="monte_carlo"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast pass for iterating: 1 seed, 1 replication, 8 weeks, small scaling fit",
    )
    parser.add_argument(
        "--no-snapshot",
        dest="snapshot",
        action="store_false",
        help="import the working tree's inverse_qe instead of a copy taken at the start",
    )
    parser.add_argument("--out", type=Path, help="JSON file to write (default: print only)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds or 1
        args.replications = args.replications or 1
        args.warmups = 1 if args.warmups is None else args.warmups
        args.weeks = args.weeks or 8
        if args.scaling_funds == list(SCALING_FUNDS):
            args.scaling_funds = [1_000, 3_000]
        args.kernel_replications = 1
        args.mc_seeds = args.mc_seeds or 8
    if args.seeds is not None and args.seeds < 1:
        parser.error("--seeds must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        spec = json.loads(args.worker)
        WORKERS[spec["task"]](spec)
        return 0
    results = run_suite(args)
    print_headline(results)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1, default=float) + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
