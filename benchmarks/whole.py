"""The figures of issue 13, measured as a user meets them, and saved as JSON.

    python benchmarks/whole.py --out benchmarks/results/NAME.json             # everything
    python benchmarks/whole.py --only cli compare --pairs 5                   # some parts
    python benchmarks/whole.py --source /tmp/old_tree --out results/old.json  # another tree
    python benchmarks/whole.py --table results/old.json results/new.json     # side by side

Parts (each in fresh processes; ``--source DIR`` puts ``DIR`` first on ``PYTHONPATH`` so
the same commands measure another checkout's ``inverse_qe/``):

* ``cli``: the whole ``inverse-qe run`` (default scenario, twin, every file and the
  figure) against the import floor ``python -c "import mesa, matplotlib.pyplot"``,
  interleaved A B A B after one warm-up each; wall time and the processes' CPU time
  (their children included: the figure worker); the ratio is taken pair by pair and its
  median reported, so a drift of the shared machine's speed hits both sides of a pair.
* ``large``: 10,000 hedge funds, 104 weeks, seed 1, in one process: the model's run with
  the garbage collector on (as users run) and off, and the bare-numpy kernel
  (``kernel.py``) on the same scenario and the same number of clearing rounds, in turn
  with the GC-on runs (kernel, model, kernel, model, ...); the ratio of their costs per
  hedge-fund-week, pair by pair, and its median.
* ``scaling``: run time (GC on) at 1k, 3k, 10k and 30k funds, 104 weeks; the exponent is
  the slope of log time over log funds.
* ``xlarge``: 100,000 funds, 104 weeks: the peak RSS of the process (``ru_maxrss``), in
  GiB of 1,024 MiB.
* ``compare``: ``inverse-qe compare`` of 3 scenarios x 20 seeds as the user runs it (the
  whole command: imports, pool start, runs, analysis, figure) with ``--workers 1``,
  ``--workers 2`` and ``--scheduler local --workers 2``, interleaved; speed-ups are
  ratios of median wall times.

The machine is shared: every figure is a median over interleaved repetitions, and CPU
time is given beside wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MIB_PER_GIB = 1024.0
#: Timed runs of the model and of the kernel when they are compared, in turn.
KERNEL_REPLICATIONS = 5
SCALING_FUNDS = (1000, 3000, 10000, 30000)
COMPARE_SCENARIOS = ("dry_powder_exhaustion", "fed_pivot", "capex_plateau")
COMPARE_SEEDS = 20
TARGETS = {
    "cli_over_import_floor": 1.6,
    "kernel_ratio_10k_gc_on": 3.0,
    "scaling_exponent": 1.0,
    "xlarge_peak_rss_gib": 1.5,
    "compare_speedup_2_workers": 1.8,
    "compare_speedup_dask_local": 1.6,
}


def _environment(source: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(HERE)] + ([str(source)] if source else [])
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Wall and CPU time (the command and its children) and peak RSS of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "stdout": done.stdout[-2000:]}


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def measure_cli(pairs: int, env: dict[str, str], tmp: Path) -> dict:
    """``inverse-qe run`` against the import floor, interleaved."""
    python = sys.executable
    run = [python, "-m", "inverse_qe", "run", "--out", str(tmp / "run"), "--force", "--quiet"]
    floor = [python, "-c", "import mesa, matplotlib.pyplot"]
    _timed(run, env, tmp)
    _timed(floor, env, tmp)
    rows = []
    for _ in range(pairs):
        a, b = _timed(run, env, tmp), _timed(floor, env, tmp)
        rows.append(
            {
                "run_wall": a["wall"],
                "run_cpu": a["cpu"],
                "floor_wall": b["wall"],
                "floor_cpu": b["cpu"],
            }
        )
    return {
        "command": " ".join(run[1:]),
        "floor": " ".join(floor[1:]),
        "pairs": rows,
        "run_wall_median": _median([r["run_wall"] for r in rows]),
        "run_cpu_median": _median([r["run_cpu"] for r in rows]),
        "floor_wall_median": _median([r["floor_wall"] for r in rows]),
        "floor_cpu_median": _median([r["floor_cpu"] for r in rows]),
        "ratio_wall_median": _median([r["run_wall"] / r["floor_wall"] for r in rows]),
        "ratio_cpu_median": _median([r["run_cpu"] / r["floor_cpu"] for r in rows]),
    }


# -- in a child process: the model at N funds -------------------------------------------
def _child_model(funds: int, weeks: int, gc_modes: list[str], kernel: bool) -> dict:
    import gc

    from configurations import load_scenario

    from inverse_qe.model.bathtub import BathtubModel

    try:  # the CLI's setting; absent in trees from before it
        from inverse_qe.threads import pin_blas_threads

        pin_blas_threads()
    except ImportError:
        pass
    scenario = load_scenario(funds)
    BathtubModel(scenario, seed=1, weeks=4).run()  # warm-up: imports, caches
    out: dict = {"funds": funds, "weeks": weeks}
    # Against the kernel, the model is timed in turn with it (kernel, model, kernel,
    # model, ...): a slow spell of the shared machine then falls on both sides of a pair,
    # and the ratio is taken pair by pair. The first GC-on run is also kept on its own,
    # the figure earlier rounds reported.
    replications = KERNEL_REPLICATIONS if kernel else 1
    if kernel:
        import kernel as bare

        drive = bare.model_drive(load_scenario(), weeks)
        kernels: list[dict] = []
    for mode in gc_modes:
        walls, cpus = [], []
        for _ in range(replications):
            if kernel and mode == "on":
                kernels.append(
                    bare.time_kernel(scenario, funds, weeks, replications=1, drive=drive)
                )
            model = None
            gc.collect()
            if mode == "off":
                gc.disable()
            c0, t0 = time.process_time(), time.perf_counter()
            model = BathtubModel(scenario, seed=1, weeks=weeks)
            model.run()
            c1, t1 = time.process_time(), time.perf_counter()
            gc.enable()
            walls.append(t1 - t0)
            cpus.append(c1 - c0)
            out["events"] = len(model.events)
            out["flows"] = int(model.ledger.flows.size)
            if "peak_rss_gib" not in out:
                out["peak_rss_gib"] = (
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 / MIB_PER_GIB
                )
            del model
        out[f"run_gc_{mode}"] = walls[0]
        out[f"run_gc_{mode}_cpu"] = cpus[0]
        out[f"run_gc_{mode}_all"] = walls
        out[f"run_gc_{mode}_cpu_all"] = cpus
        out[f"run_gc_{mode}_fastest"] = min(walls)
    if kernel:
        result = min(kernels, key=lambda k: k["run"])  # the fastest, as before
        out["kernel"] = result
        out["kernel_runs"] = [k["run"] for k in kernels]
        per_week = funds * weeks
        out["model_per_fund_week_us_gc_on"] = out["run_gc_on"] / per_week * 1e6
        if "run_gc_off" in out:
            out["model_per_fund_week_us_gc_off"] = out["run_gc_off"] / per_week * 1e6
        out["kernel_per_fund_week_us"] = result["per_fund_week_us"]
        out["kernel_ratio_gc_on"] = out["model_per_fund_week_us_gc_on"] / result["per_fund_week_us"]
        out["kernel_ratio_gc_on_cpu"] = (
            out["run_gc_on_cpu"] / per_week * 1e6 / result["per_fund_week_cpu_us"]
        )
        if "run_gc_off" in out:
            out["kernel_ratio_gc_off"] = (
                out["model_per_fund_week_us_gc_off"] / result["per_fund_week_us"]
            )
        # Like for like: the fastest model run over the fastest kernel run.
        out["kernel_ratio_gc_on_fastest"] = out["run_gc_on_fastest"] / result["run"]
        # In turn: each model run over the kernel run just before it; the median pair.
        pairs = [m / k for m, k in zip(out["run_gc_on_all"], out["kernel_runs"], strict=True)]
        out["kernel_ratio_gc_on_pairs"] = pairs
        out["kernel_ratio_gc_on_paired"] = _median(pairs)
    return out


def measure_model(funds, weeks, gc_modes, kernel, env, tmp) -> dict:
    code = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import whole; "
        f"print(json.dumps(whole._child_model({funds}, {weeks}, {list(gc_modes)!r}, {kernel!r})))"
    )
    done = _timed([sys.executable, "-c", code], env, tmp)
    return json.loads(done["stdout"].strip().splitlines()[-1])


def measure_scaling(env, tmp) -> dict:
    import numpy as np

    points = [measure_model(n, 104, ["on"], False, env, tmp) for n in SCALING_FUNDS]
    funds = np.array([p["funds"] for p in points], float)
    seconds = np.array([p["run_gc_on"] for p in points])
    cpu = np.array([p["run_gc_on_cpu"] for p in points])
    return {
        "points": points,
        "exponent_wall": float(np.polyfit(np.log(funds), np.log(seconds), 1)[0]),
        "exponent_cpu": float(np.polyfit(np.log(funds), np.log(cpu), 1)[0]),
        "successive_exponents_cpu": [
            float(np.log(cpu[i + 1] / cpu[i]) / np.log(funds[i + 1] / funds[i]))
            for i in range(len(funds) - 1)
        ],
    }


def measure_compare(reps: int, env, tmp) -> dict:
    python = sys.executable
    base = [python, "-m", "inverse_qe", "compare", *COMPARE_SCENARIOS]
    base += ["--seeds", str(COMPARE_SEEDS), "--force", "--quiet"]
    variants = {
        "workers_1": ["--workers", "1"],
        "workers_2": ["--workers", "2"],
        "dask_local_2": ["--scheduler", "local", "--workers", "2"],
    }
    times: dict[str, list[dict]] = {name: [] for name in variants}
    for _ in range(reps):
        for name, extra in variants.items():
            command = [*base, *extra, "--out", str(tmp / f"compare_{name}")]
            times[name].append(_timed(command, env, tmp))
    wall = {name: _median([t["wall"] for t in ts]) for name, ts in times.items()}
    serial = [t["wall"] for t in times["workers_1"]]

    def paired(name: str) -> float:
        # Each repetition's three commands run one after another, so a slow spell of the
        # machine slows the pair together: the median of the repetitions' ratios moves
        # less between records than the ratio of the medians (as the kernel's does).
        return _median([s / t["wall"] for s, t in zip(serial, times[name], strict=True)])

    return {
        "command": " ".join(base[1:]),
        "repetitions": reps,
        "wall": {name: [t["wall"] for t in ts] for name, ts in times.items()},
        "cpu": {name: [t["cpu"] for t in ts] for name, ts in times.items()},
        "wall_median": wall,
        "speedup_2_workers": wall["workers_1"] / wall["workers_2"],
        "speedup_dask_local": wall["workers_1"] / wall["dask_local_2"],
        "speedup_2_workers_paired": paired("workers_2"),
        "speedup_dask_local_paired": paired("dask_local_2"),
    }


def _revision() -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def figures(results: dict) -> dict[str, float]:
    """The headline figures of one results file (what the targets are about)."""
    out: dict[str, float] = {}
    if "cli" in results:
        c = results["cli"]
        out["cli_run_wall_s"] = c["run_wall_median"]
        out["cli_run_cpu_s"] = c["run_cpu_median"]
        out["import_floor_wall_s"] = c["floor_wall_median"]
        out["cli_over_import_floor"] = c["ratio_wall_median"]
        out["cli_over_import_floor_cpu"] = c["ratio_cpu_median"]
    if "large" in results:
        g = results["large"]
        out["large_run_gc_on_s"] = g["run_gc_on"]
        out["large_run_gc_on_cpu_s"] = g["run_gc_on_cpu"]
        out["large_run_gc_off_s"] = g["run_gc_off"]
        out["large_run_gc_off_cpu_s"] = g["run_gc_off_cpu"]
        out["kernel_per_fund_week_us"] = g["kernel_per_fund_week_us"]
        # In turn with the kernel, pair by pair (records before it: the first model run
        # over the fastest of three kernel runs).
        out["kernel_ratio_10k_gc_on"] = g.get("kernel_ratio_gc_on_paired", g["kernel_ratio_gc_on"])
        out["kernel_ratio_10k_gc_on_first_run"] = g["kernel_ratio_gc_on"]
        out["kernel_ratio_10k_gc_on_cpu"] = g["kernel_ratio_gc_on_cpu"]
        out["kernel_ratio_10k_gc_off"] = g["kernel_ratio_gc_off"]
        out["kernel_ratio_10k_gc_on_fastest"] = g["kernel_ratio_gc_on_fastest"]
        out["large_peak_rss_gib"] = g["peak_rss_gib"]
    if "scaling" in results:
        out["scaling_exponent"] = results["scaling"]["exponent_wall"]
        out["scaling_exponent_cpu"] = results["scaling"]["exponent_cpu"]
    if "xlarge" in results:
        out["xlarge_run_s"] = results["xlarge"]["run_gc_on"]
        out["xlarge_peak_rss_gib"] = results["xlarge"]["peak_rss_gib"]
    if "compare" in results:
        c = results["compare"]
        for name, wall in c["wall_median"].items():
            out[f"compare_{name}_s"] = wall
        # The headline is the median of the repetitions' ratios where the record has it
        # (records before it have only the ratio of the medians, kept beside it).
        for name in ("2_workers", "dask_local"):
            out[f"compare_speedup_{name}"] = c.get(f"speedup_{name}_paired", c[f"speedup_{name}"])
            out[f"compare_speedup_{name}_of_medians"] = c[f"speedup_{name}"]
    return out


def table(old_path: Path, new_path: Path) -> str:
    """A markdown table of the figures of two results files, with the targets."""
    old = figures(json.loads(old_path.read_text(encoding="utf-8")))
    new = figures(json.loads(new_path.read_text(encoding="utf-8")))
    lines = [
        f"| figure | {old_path.name} | {new_path.name} | target |",
        "|---|---:|---:|---|",
    ]
    for name in [*old, *(n for n in new if n not in old)]:
        target = TARGETS.get(name)
        verdict = ""
        if target is not None and name in new:
            below = name.startswith(("cli_", "kernel_", "xlarge_", "scaling_"))
            met = new[name] <= target if below else new[name] >= target
            verdict = f"{'≤' if below else '≥'} {target:g}: {'met' if met else 'missed'}"
        cells = [f"{d[name]:.3g}" if name in d else "-" for d in (old, new)]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--table"]:
        print(table(Path(argv[1]), Path(argv[2])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="JSON file to write")
    parser.add_argument("--source", type=Path, help="a tree whose inverse_qe/ is measured")
    parser.add_argument(
        "--only", nargs="+", choices=["cli", "large", "scaling", "xlarge", "compare"]
    )
    parser.add_argument("--pairs", type=int, default=7, help="cli: interleaved pairs")
    parser.add_argument("--compare-reps", type=int, default=2, help="compare: repetitions")
    args = parser.parse_args(argv)
    parts = args.only or ["cli", "large", "scaling", "xlarge", "compare"]
    if args.source is not None and not (args.source / "inverse_qe").is_dir():
        # else the installed package would be measured, silently
        parser.error(f"--source {args.source}: expected a tree that holds inverse_qe/")
    env = _environment(args.source.resolve() if args.source else None)
    with open("/proc/loadavg", encoding="ascii") as handle:
        load_before = handle.read().split()[:3]
    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_revision": _revision(),
        "source": str(args.source) if args.source else "installed (this checkout)",
        "python": platform.python_version(),
        "load_average_before": load_before,
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        for part in parts:
            print(f"{part} ...", file=sys.stderr, flush=True)
            if part == "cli":
                results["cli"] = measure_cli(args.pairs, env, tmp)
            elif part == "large":
                results["large"] = measure_model(10000, 104, ["on", "off"], True, env, tmp)
            elif part == "scaling":
                results["scaling"] = measure_scaling(env, tmp)
            elif part == "xlarge":
                results["xlarge"] = measure_model(100000, 104, ["on"], False, env, tmp)
            elif part == "compare":
                results["compare"] = measure_compare(args.compare_reps, env, tmp)
            if args.out:  # what is measured so far survives a later part's failure
                args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    with open("/proc/loadavg", encoding="ascii") as handle:
        results["load_average_after"] = handle.read().split()[:3]
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
