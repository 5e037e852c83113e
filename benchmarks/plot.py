"""Draw the scaling figure of a benchmark result.

    python benchmarks/plot.py benchmarks/results/baseline.json [--out FILE.png]

Left: run time over the number of hedge funds, model and lower-bound kernel, log-log, with
a line of slope one (linear scaling) through the model's 1,000-fund point. Middle: the cost
per hedge-fund-week, which is flat when scaling is linear; the gap between the two curves is
the model's overhead over the floor. Right: peak memory of one run, against the 2 GiB
target for 100,000 funds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

MODEL, KERNEL, FAILED = "#c0392b", "#2c7fb8", "#7f7f7f"


def model_points(results: dict) -> tuple[list[int], list[float], list[tuple[int, str]]]:
    """(funds, run seconds) of the completed model runs over N, and the failed Ns."""
    weeks = _weeks(results)
    points: dict[int, float] = {}
    failed: list[tuple[int, str]] = []
    for name, c in results.get("configurations", {}).items():
        conf = c.get("configuration", {})
        if conf.get("kind", "model") != "model":
            continue
        if c["status"] != "ok":
            failed.append((conf["hedge_funds"], f"{name}: {c['status'].replace('_', ' ')}"))
        elif conf.get("weeks") == weeks:
            points[conf["hedge_funds"]] = c["run_median"]
    for p in results.get("scaling", {}).get("points", []):
        if p["status"] == "ok":
            points.setdefault(p["hedge_funds"], p["run_median"])
        else:
            failed.append((p["hedge_funds"], p["status"].replace("_", " ")))
    funds = sorted(points)
    return funds, [points[n] for n in funds], failed


def rss_points(results: dict) -> tuple[dict[int, float], list[tuple[int, float]]]:
    """Peak RSS (MiB) per number of funds, and where a run was stopped at its limit."""
    rss: dict[int, float] = {}
    over: list[tuple[int, float]] = []
    for c in results.get("configurations", {}).values():
        conf = c.get("configuration", {})
        if conf.get("kind", "model") != "model":
            continue
        if c["status"] == "ok" and c.get("peak_rss_mib"):
            rss.setdefault(conf["hedge_funds"], c["peak_rss_mib"])
        elif c["status"] == "memory_limit":
            over.append((conf["hedge_funds"], c["sampled_peak_rss_mib"]))
    for p in results.get("scaling", {}).get("points", []):
        if p["status"] == "ok" and p.get("peak_rss_mib"):
            rss.setdefault(p["hedge_funds"], p["peak_rss_mib"])
    return dict(sorted(rss.items())), over


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

    fig, (left, right, memory) = plt.subplots(
        1, 3, figsize=(16, 4.8), constrained_layout=True, gridspec_kw={"width_ratios": [5, 5, 4]}
    )
    left.loglog(funds, seconds, "o-", color=MODEL, lw=2, label="model")
    left.loglog(k_funds, k_seconds, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
    big = [(n, t) for n, t in zip(funds, seconds, strict=True) if n >= 1000]
    x_max = max([*funds, *k_funds, *(n for n, _ in failed)])
    if big:
        n = np.array([big[0][0], x_max])
        left.loglog(n, big[0][1] * n / n[0], ":", color=MODEL, lw=1.5, label="slope 1 (linear)")
    fit = results.get("scaling", {}).get("fit", {})
    if fit:
        local = ", ".join(f"{x:.2f}" for x in fit["local_exponents"])
        left.text(
            0.03,
            0.97,
            f"exponent over {min(fit['funds']):,}-{max(fit['funds']):,} funds: "
            f"{fit['exponent']:.2f}\nbetween successive points: {local}",
            transform=left.transAxes,
            va="top",
            color=MODEL,
            fontsize=9,
        )
    left.set_xlim(60, x_max * 1.6)
    for n, status in failed:
        left.axvline(n, color=FAILED, lw=1, ls="--")
        left.text(
            n / 1.08,
            left.get_ylim()[0] * 1.5,
            f"{n:,} funds:\n{status}",
            color=FAILED,
            fontsize=8,
            ha="right",
        )
    left.set_xlabel("hedge funds")
    left.set_ylabel(f"run time of {weeks} weeks (s)")
    left.set_title("Run time")
    left.legend(loc="center right", frameon=False, fontsize=9)
    left.grid(True, which="major", alpha=0.3)

    # The hedge-fund part of the model's run time: less the 100-fund default's (the economy).
    fixed = dict(zip(funds, seconds, strict=True)).get(100, 0.0)
    m_funds = [n for n in funds if n > 100]
    per_model = [
        (t - fixed) / (n * weeks) * 1e6 for n, t in zip(funds, seconds, strict=True) if n > 100
    ]
    per_kernel = [t / (n * weeks) * 1e6 for n, t in zip(k_funds, k_seconds, strict=True)]
    right.loglog(
        m_funds, per_model, "o-", color=MODEL, lw=2, label="model, less the 100-fund run time"
    )
    right.loglog(k_funds, per_kernel, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
    for n, a in zip(m_funds, per_model, strict=True):
        right.annotate(
            f"{a:.1f}", (n, a), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8
        )
    for n, a in zip(k_funds, per_kernel, strict=True):
        right.annotate(
            f"{a:.2f}", (n, a), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8
        )
    headline = results.get("headline", {})
    if "kernel_ratio_10k" in headline:
        right.text(
            0.03,
            0.5,
            f"at 10,000 funds a model run costs\n{headline['kernel_ratio_10k']:.0f}x the kernel's "
            "(target: 3x)",
            transform=right.transAxes,
            va="center",
            fontsize=9,
        )
    right.set_ylim(0.2, 100)
    right.set_xlabel("hedge funds")
    right.set_ylabel("µs per hedge-fund-week")
    right.set_title("Cost per hedge-fund-week (flat = linear)")
    right.legend(loc="upper right", frameon=False, fontsize=9)
    right.grid(True, which="major", alpha=0.3)
    rss, over = rss_points(results)
    memory.loglog(list(rss), list(rss.values()), "o-", color=MODEL, lw=2, label="model, one run")
    for n, a in rss.items():
        memory.annotate(
            f"{a:,.0f}", (n, a), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8
        )
    for n, a in over:
        memory.plot([n], [a], "^", color=FAILED, ms=9)
        memory.annotate(
            f"stopped at {a:,.0f}",
            (n, a),
            textcoords="offset points",
            xytext=(-4, 8),
            ha="right",
            fontsize=8,
            color=FAILED,
        )
    memory.axhline(2048, color=KERNEL, ls="--", lw=1)
    memory.text(80, 2048 * 1.1, "target for 100,000 funds: 2 GiB", fontsize=8, color=KERNEL)
    memory.set_xlim(60, x_max * 1.6)
    memory.set_ylim(100, 20000)
    memory.set_xlabel("hedge funds")
    memory.set_ylabel("peak RSS (MiB)")
    memory.set_title("Peak memory of a run (fresh process)")
    memory.grid(True, which="major", alpha=0.3)
    machine = results.get("machine", {})
    load = machine.get("load_average_start", [None])[0]
    fig.suptitle(
        f"inverse-qe scaling: {machine.get('cpu', '')}, {machine.get('logical_cpus')} cores, "
        f"load average {load:.1f} at start, {results.get('created', '')[:10]}",
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
