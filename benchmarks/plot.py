"""Draw the scaling figure of a benchmark result.

    python benchmarks/plot.py benchmarks/results/baseline.json [--out FILE.png]

Left: run time over the number of hedge funds, model and lower-bound kernel, log-log, with
a line of slope one (linear scaling) through the model's first point. Right: the cost per
hedge-fund-week, which is flat when scaling is linear; the gap between the two curves is
the model's overhead over the floor.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

MODEL, KERNEL, FAILED = "#c0392b", "#2c7fb8", "#7f7f7f"


def model_points(results: dict) -> tuple[list[int], list[float], list[tuple[int, str]]]:
    """(funds, run seconds) of every completed model run over N, and the failed Ns."""
    points: dict[int, float] = {}
    failed: list[tuple[int, str]] = []
    for name, c in results.get("configurations", {}).items():
        conf = c.get("configuration", {})
        if conf.get("kind", "model") != "model" or conf.get("weeks") != _weeks(results):
            continue
        if c["status"] == "ok":
            points[conf["hedge_funds"]] = c["run_median"]
        elif name != "default":
            failed.append((conf["hedge_funds"], f"{name}: {c['status']}"))
    for p in results.get("scaling", {}).get("points", []):
        if p["status"] == "ok":
            points.setdefault(p["hedge_funds"], p["run_median"])
        else:
            failed.append((p["hedge_funds"], p["status"]))
    funds = sorted(points)
    return funds, [points[n] for n in funds], failed


def _weeks(results: dict) -> int:
    return results.get("scaling", {}).get("fit", {}).get("weeks") or 104


def draw(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = _weeks(results)
    funds, seconds, failed = model_points(results)
    kernel = [m for m in results.get("kernel", {}).get("measures", []) if m["order_independent"]]
    k_funds = [m["hedge_funds"] for m in kernel]
    k_seconds = [m["run"] for m in kernel]

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), constrained_layout=True)
    left.loglog(funds, seconds, "o-", color=MODEL, lw=2, label="model")
    left.loglog(k_funds, k_seconds, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
    if funds:
        n = np.array([funds[0], max(funds + k_funds)])
        left.loglog(n, seconds[0] * n / n[0], ":", color=MODEL, lw=1, label="linear from 100 funds")
    fit = results.get("scaling", {}).get("fit", {})
    if fit:
        left.text(
            0.03,
            0.97,
            f"exponent over {min(fit['funds']):,}-{max(fit['funds']):,} funds: "
            f"{fit['exponent']:.2f}",
            transform=left.transAxes,
            va="top",
            color=MODEL,
        )
    for n, status in failed:
        left.axvline(n, color=FAILED, lw=1, ls="--")
        left.text(
            n, left.get_ylim()[0] * 1.3, f" {n:,} funds:\n {status}", color=FAILED, fontsize=8
        )
    left.set_xlabel("hedge funds")
    left.set_ylabel(f"run time of {weeks} weeks (s)")
    left.set_title("Run time")
    left.legend(loc="lower right", frameon=False)
    left.grid(True, which="major", alpha=0.3)

    per_model = [s / (n * weeks) * 1e6 for n, s in zip(funds, seconds, strict=True)]
    per_kernel = [s / (n * weeks) * 1e6 for n, s in zip(k_funds, k_seconds, strict=True)]
    right.loglog(funds, per_model, "o-", color=MODEL, lw=2, label="model")
    right.loglog(k_funds, per_kernel, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
    for n, a in zip(funds, per_model, strict=True):
        right.annotate(
            f"{a:.1f}", (n, a), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8
        )
    for n, a in zip(k_funds, per_kernel, strict=True):
        right.annotate(
            f"{a:.2f}", (n, a), textcoords="offset points", xytext=(0, -13), ha="center", fontsize=8
        )
    headline = results.get("headline", {})
    if "kernel_ratio_10k" in headline:
        right.text(
            0.03,
            0.97,
            f"at 10,000 funds the model costs {headline['kernel_ratio_10k']:.0f}x the kernel",
            transform=right.transAxes,
            va="top",
        )
    right.set_xlabel("hedge funds")
    right.set_ylabel("µs per hedge-fund-week")
    right.set_title("Cost per hedge-fund-week (flat = linear)")
    right.legend(loc="center right", frameon=False)
    right.grid(True, which="major", alpha=0.3)
    machine = results.get("machine", {})
    fig.suptitle(
        f"inverse-qe scaling, {machine.get('cpu', '')} ({machine.get('logical_cpus')} cores), "
        f"{results.get('created', '')[:10]}",
        fontsize=10,
    )
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = args.out or args.results.with_name(args.results.stem + "_scaling.png")
    draw(json.loads(args.results.read_text()), out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
