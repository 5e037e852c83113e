"""What an experiment run costs beyond its simulation: the per-run overhead.

An experiment's worker runs ``experiments.runs.execute_run``: it builds the model, runs
it, reads its weekly table and summary, writes a Parquet file into memory, and returns
the outcome. This times each call whole and, inside the same call, the model's
construction and its ``run()`` (the methods are wrapped with timers), so the overhead
``whole - construction - run`` of a call is not blurred by the noise between two
simulations. Reported as medians over the runs, and as a share of the simulation
(construction and run; the target of issue 13 is 5%). Warm: the scenario is parsed and
validated once per worker, as in a pool.

    python benchmarks/overhead.py [--scenario dry_powder_exhaustion] [--runs 15] [--out F]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inverse_qe.experiments.runs import ScenarioSource, execute_run, make_spec  # noqa: E402
from inverse_qe.model.bathtub import BathtubModel  # noqa: E402

_timed: dict[str, float] = {}


def _with_timer(name: str, method):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            _timed[name] = time.perf_counter() - started

    return timed


def measure(scenario: str, runs: int) -> dict:
    BathtubModel.__init__ = _with_timer("construction", BathtubModel.__init__)
    BathtubModel.run = _with_timer("run", BathtubModel.run)
    source = ScenarioSource.resolve(scenario)
    execute_run(make_spec(source, [], 0, None))  # warm: imports, the validated scenario
    whole, construction, simulation = [], [], []
    for seed in range(1, runs + 1):
        started = time.perf_counter()
        outcome = execute_run(make_spec(source, [], seed, None))
        whole.append(time.perf_counter() - started)
        assert outcome.ok, outcome.error
        construction.append(_timed["construction"])
        simulation.append(_timed["construction"] + _timed["run"])
    overhead = [w - s for w, s in zip(whole, simulation, strict=True)]
    s, o = statistics.median(simulation), statistics.median(overhead)
    return {
        "scenario": scenario,
        "runs": runs,
        "whole_call_s": whole,
        "construction_s": construction,
        "simulation_s": simulation,
        "overhead_s": overhead,
        "median_whole_call_s": statistics.median(whole),
        "median_construction_s": statistics.median(construction),
        "median_simulation_s": s,
        "median_overhead_s": o,
        "overhead_share_of_simulation": o / s,
        "target_share": 0.05,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="dry_powder_exhaustion")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    result = measure(args.scenario, args.runs)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(
        f"median whole call {result['median_whole_call_s'] * 1000:.1f} ms, simulation"
        f" {result['median_simulation_s'] * 1000:.1f} ms (construction"
        f" {result['median_construction_s'] * 1000:.1f} ms), overhead"
        f" {result['median_overhead_s'] * 1000:.1f} ms"
        f" ({result['overhead_share_of_simulation']:.1%} of the simulation)"
    )


if __name__ == "__main__":
    main()
