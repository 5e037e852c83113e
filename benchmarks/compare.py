"""Compare two benchmark results: the change per configuration, with a bootstrap interval.

    python benchmarks/compare.py benchmarks/results/baseline.json benchmarks/results/new.json

For each timing present in both files (construction and run of each model configuration,
the pool's map time per worker count for monte_carlo, each point of the scaling fit) it
prints the old and new means, the change in percent and a 95% bootstrap confidence interval
of that change (resampling the per-seed fastest times of each file independently). A change
whose interval contains zero is reported as noise, not as a change; timings measured once
in each file (scaling points, kernel) get no interval and no verdict. CPU times are compared
beside wall times: on a shared machine, wall time also measures the neighbours. Single figures (peak
RSS, exponent, kernel ratio, speed-up) are listed old -> new without an interval.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

RESAMPLES = 10_000
CONFIDENCE = 0.95


def bootstrap_change(
    old: list[float], new: list[float], *, resamples: int = RESAMPLES, seed: int = 0
) -> tuple[float, float, float]:
    """Relative change of the mean (new/old - 1) and its bootstrap confidence interval.

    Returns:
        (change, low, high) as fractions (-0.2 = 20% faster). With one value on a side the
        interval only reflects the other side's spread; with one on each it is a point.
    """
    a, b = np.asarray(old, float), np.asarray(new, float)
    rng = np.random.default_rng(seed)
    mean_a = a[rng.integers(0, a.size, (resamples, a.size))].mean(axis=1)
    mean_b = b[rng.integers(0, b.size, (resamples, b.size))].mean(axis=1)
    ratios = mean_b / mean_a - 1.0
    tail = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(ratios, [tail, 1.0 - tail])
    return float(b.mean() / a.mean() - 1.0), float(low), float(high)


def timings(results: dict) -> dict[str, list[float]]:
    """Every comparable timing of a results file, by a readable key."""
    out: dict[str, list[float]] = {}
    for name, c in results.get("configurations", {}).items():
        if c.get("status") != "ok":
            continue
        if "wall_median" in c:  # the whole command-line process
            out[f"{name} wall"] = c["wall"]
            out[f"{name} CPU time"] = c["cpu"]
        elif "workers" in c and isinstance(c["workers"], dict):
            for w, v in c["workers"].items():
                out[f"{name} map, {w} worker(s)"] = v["map"]
                out[f"{name} total, {w} worker(s)"] = v["total"]
        else:
            out[f"{name} construction"] = c["construction"]
            out[f"{name} run"] = c["run"]
            if c.get("run_cpu"):
                out[f"{name} run, CPU time"] = c["run_cpu"]
    for p in results.get("scaling", {}).get("points", []):
        if p.get("status") == "ok":
            out[f"scaling {p['hedge_funds']} funds run"] = [p["run_median"]]
            if p.get("run_cpu_median") is not None:
                out[f"scaling {p['hedge_funds']} funds run, CPU time"] = [p["run_cpu_median"]]
    for m in results.get("kernel", {}).get("measures", []):
        sums = "sorted" if m["order_independent"] else "plain"
        out[f"kernel {m['hedge_funds']} funds ({sums} sums)"] = [m["run"]]
        if m.get("run_cpu") is not None:
            out[f"kernel {m['hedge_funds']} funds ({sums} sums), CPU time"] = [m["run_cpu"]]
    return out


def compare(old: dict, new: dict) -> list[dict]:
    """One row per timing present in both results."""
    a, b = timings(old), timings(new)
    rows = []
    for key in [k for k in a if k in b]:
        change, low, high = bootstrap_change(a[key], b[key])
        if len(a[key]) < 2 and len(b[key]) < 2:
            verdict = "one value each: no interval"
        elif low > 0:
            verdict = "slower"
        elif high < 0:
            verdict = "faster"
        else:
            verdict = "no significant change"
        rows.append(
            {
                "timing": key,
                "old_mean_s": float(np.mean(a[key])),
                "new_mean_s": float(np.mean(b[key])),
                "n_old": len(a[key]),
                "n_new": len(b[key]),
                "change": change,
                "ci_low": low,
                "ci_high": high,
                "verdict": verdict,
            }
        )
    return rows


def _status_changes(old: dict, new: dict) -> list[tuple[str, str, str]]:
    rows = []
    for name in sorted(set(old.get("configurations", {})) | set(new.get("configurations", {}))):
        s_old = old.get("configurations", {}).get(name, {}).get("status", "absent")
        s_new = new.get("configurations", {}).get(name, {}).get("status", "absent")
        if s_old != s_new:
            rows.append((name, s_old, s_new))
    return rows


def _fmt(value) -> str:
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    old, new = (json.loads(p.read_text()) for p in (args.old, args.new))
    rows = compare(old, new)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0

    from rich.console import Console
    from rich.table import Table

    console = Console()
    for who, r in (("old", old), ("new", new)):
        code = r.get("code", {})
        console.print(
            f"{who}: {r.get('created', '?')}  git {code.get('git_revision', '?')[:10]}"
            f"{' (modified)' if code.get('model_sources_modified') else ''}  "
            f"sources {code.get('sources_sha256', '?')}  "
            f"load {r.get('machine', {}).get('load_average_start', ['?'])[0]}"
        )
    table = Table(title=f"{args.old.name} -> {args.new.name} (95% bootstrap interval of the mean)")
    for col, justify in (
        ("timing", "left"),
        ("old s", "right"),
        ("new s", "right"),
        ("change", "right"),
        ("95% interval", "right"),
        ("verdict", "left"),
    ):
        table.add_column(col, justify=justify)
    colour = {
        "faster": "green",
        "slower": "red",
        "no significant change": "dim",
        "one value each: no interval": "yellow",
    }
    for r in rows:
        table.add_row(
            r["timing"],
            f"{r['old_mean_s']:.4g}",
            f"{r['new_mean_s']:.4g}",
            f"{r['change']:+.1%}",
            f"[{r['ci_low']:+.1%}, {r['ci_high']:+.1%}]" if r["n_old"] + r["n_new"] > 2 else "-",
            f"[{colour[r['verdict']]}]{r['verdict']}[/]",
        )
    console.print(table)
    for name, s_old, s_new in _status_changes(old, new):
        console.print(f"{name}: status {s_old} -> {s_new}")
    h_old, h_new = old.get("headline", {}), new.get("headline", {})
    singles = Table(title="single figures")
    for col in ("figure", "old", "new"):
        singles.add_column(col, justify="left" if col == "figure" else "right")
    for key in [k for k in h_new if k != "targets_met" and not k.endswith("_status")]:
        singles.add_row(key, _fmt(h_old.get(key, "-")), _fmt(h_new.get(key)))
    for key, ok in h_new.get("targets_met", {}).items():
        was = h_old.get("targets_met", {}).get(key)
        singles.add_row(
            f"target {key}",
            "-" if was is None else ("met" if was else "missed"),
            "met" if ok else "missed",
        )
    console.print(singles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
