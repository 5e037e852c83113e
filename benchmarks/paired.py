"""Two trees' ``inverse_qe/`` timed in turn (A B A B ...), as JSON: the ratio B/A per pair.

    python benchmarks/paired.py cli /tmp/before_tree /tmp/after_tree --pairs 7
    python benchmarks/paired.py large /tmp/before_tree /tmp/after_tree --pairs 4
    python benchmarks/paired.py compare-pool /tmp/before_tree /tmp/after_tree --pairs 6

``cli``: the whole ``python -m inverse_qe run`` (default scenario, twin, files, figure),
one warm-up each; wall time and the CPU time of the process and its children.
``large``: 10,000 hedge funds, 104 weeks, seed 1, GC on, BLAS pinned, after a 4-week
warm-up, each run in a fresh process; wall and CPU time of the run alone.
``compare-pool``, ``compare-dask``, ``compare-one``: the whole ``inverse-qe compare`` of
3 scenarios x 20 seeds (as in ``whole.py``) on 2 pool workers, on a local Dask cluster
of 2, or in-process; wall time, and the CPU time of the command and its children
(those it waits for: not the pool's workers, children of its forkserver).
``compare-pool-short``: the same on 2 pool workers for 4 weeks, where the command's
own serial part is most of the time.

On a shared machine a pair's two runs meet about the same load, so the median of the
per-pair ratios says more than a ratio of medians taken minutes apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LARGE = (
    f"import sys, time; sys.path.insert(0, {str(HERE)!r});"
    " from configurations import load_scenario;"
    " from inverse_qe.model.bathtub import BathtubModel;"
    " from inverse_qe.threads import pin_blas_threads; pin_blas_threads();"
    " s = load_scenario(10000); BathtubModel(s, seed=1, weeks=4).run();"
    " c, t = time.process_time(), time.perf_counter();"
    " BathtubModel(s, seed=1, weeks=104).run();"
    " print(time.perf_counter() - t, time.process_time() - c)"
)


def _cli(env: dict[str, str], tmp: str) -> tuple[float, float]:
    command = [sys.executable, "-m", "inverse_qe", "run", "--out", f"{tmp}/run", "--force"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([*command, "--quiet"], env=env, cwd=tmp, capture_output=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _compare(extra: list[str]):
    def measure(env: dict[str, str], tmp: str) -> tuple[float, float]:
        from whole import COMPARE_SCENARIOS, COMPARE_SEEDS

        command = [sys.executable, "-m", "inverse_qe", "compare", *COMPARE_SCENARIOS]
        command += ["--seeds", str(COMPARE_SEEDS), "--force", "--quiet", "--out", f"{tmp}/c"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([*command, *extra], env=env, cwd=tmp, capture_output=True, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    return measure


COMPARES = {
    "compare-pool": ["--workers", "2"],
    # 4 weeks instead of 104: the runs take little, what is left is the command's own
    # serial part (imports, the pool's start, the table, the fan chart)
    "compare-pool-short": ["--workers", "2", "--weeks", "4"],
    "compare-dask": ["--workers", "2", "--scheduler", "local"],
    "compare-one": ["--workers", "1"],
}


def _large(env: dict[str, str], tmp: str) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", LARGE], env=env, cwd=tmp, capture_output=True, text=True, check=True
    )
    wall, cpu = done.stdout.split()[-2:]
    return float(wall), float(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cli", "large", *COMPARES])
    parser.add_argument("a", type=Path, help="tree A (holds inverse_qe/)")
    parser.add_argument("b", type=Path, help="tree B")
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    for tree in (args.a, args.b):  # else the installed package would be timed, silently
        if not (tree / "inverse_qe").is_dir():
            parser.error(f"{tree}: expected a tree that holds inverse_qe/")
    measure = {"cli": _cli, "large": _large}.get(args.what) or _compare(COMPARES[args.what])
    envs = [dict(os.environ, PYTHONPATH=str(tree.resolve())) for tree in (args.a, args.b)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.what == "cli":
            for env in envs:  # warm-ups: the file cache, matplotlib's font cache
                measure(env, tmp)
        pairs = [(measure(envs[0], tmp), measure(envs[1], tmp)) for _ in range(args.pairs)]
    out: dict = {"what": args.what, "a": str(args.a), "b": str(args.b), "pairs": []}
    for a, b in pairs:
        out["pairs"].append({"a_wall": a[0], "a_cpu": a[1], "b_wall": b[0], "b_cpu": b[1]})
    for name, i in (("wall", 0), ("cpu", 1)):
        ratios = [b[i] / a[i] for a, b in pairs]
        out[f"ratio_b_over_a_{name}_median"] = statistics.median(ratios)
        out[f"ratio_b_over_a_{name}_range"] = [min(ratios), max(ratios)]
        out[f"a_{name}_median"] = statistics.median(a[i] for a, _ in pairs)
        out[f"b_{name}_median"] = statistics.median(b[i] for _, b in pairs)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
