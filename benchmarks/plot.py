"""Draw the scaling figure of one or more benchmark results (e.g. before and after a change).

    python benchmarks/plot.py benchmarks/results/baseline.json [NEWER.json ...] [--out FILE.png]

Left: run time over the number of hedge funds, model and lower-bound kernel, log-log, with
a line of slope one (linear scaling) through the model's 1,000-fund point. Middle: the cost
per hedge-fund-week (the model's less its 100-fund run time, the economy's cost), which is
flat when scaling is linear; the gap to the kernel is the model's overhead over the floor.
Right: peak memory of one run, against the 2 GiB target for 100,000 funds.

Times are CPU times by default (``--wall`` for wall-clock): on a shared machine wall time
also measures the neighbours. Several files are drawn over each other, oldest faintest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

MODEL, KERNEL, FAILED = "#c0392b", "#2c7fb8", "#7f7f7f"


def _weeks(results: dict) -> int:
    return results.get("scaling", {}).get("fit", {}).get("weeks") or 104


def model_points(results: dict, key: str) -> tuple[dict[int, float], list[tuple[int, str]]]:
    """Run time per number of funds (completed runs of the scaling weeks), and failures."""
    weeks = _weeks(results)
    points: dict[int, float] = {}
    failed: list[tuple[int, str]] = []
    for name, c in results.get("configurations", {}).items():
        conf = c.get("configuration", {})
        if conf.get("kind", "model") != "model":
            continue
        if c["status"] != "ok":
            failed.append((conf["hedge_funds"], f"{name}: {c['status'].replace('_', ' ')}"))
        elif conf.get("weeks") == weeks and c.get(key) is not None:
            points[conf["hedge_funds"]] = c[key]
    for p in results.get("scaling", {}).get("points", []):
        if p["status"] == "ok" and p.get(key) is not None:
            points.setdefault(p["hedge_funds"], p[key])
        elif p["status"] != "ok":
            failed.append((p["hedge_funds"], p["status"].replace("_", " ")))
    return dict(sorted(points.items())), failed


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


def _label(path: Path, results: dict) -> str:
    code = results.get("code", {})
    return f"{path.stem} (git {code.get('git_revision', '?')[:7]})"


def draw(files: list[tuple[Path, dict]], out: Path, wall: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_key = "run_median" if wall else "run_cpu_median"
    kernel_key = "run" if wall else "run_cpu"
    clock = "wall-clock" if wall else "CPU"
    weeks = _weeks(files[-1][1])
    fig, (left, right, memory) = plt.subplots(
        1, 3, figsize=(16, 5), constrained_layout=True, gridspec_kw={"width_ratios": [5, 5, 4]}
    )
    x_max = 30_000
    alphas = np.linspace(0.35, 1.0, len(files)) if len(files) > 1 else [1.0]
    for (path, results), alpha in zip(files, alphas, strict=True):
        latest = alpha == alphas[-1]
        label = _label(path, results) if len(files) > 1 else "model"
        points, _ = model_points(results, run_key)
        funds, seconds = list(points), list(points.values())
        x_max = max([x_max, *funds])
        left.loglog(funds, seconds, "o-", color=MODEL, lw=2, alpha=alpha, label=label)
        fit = results.get("scaling", {}).get("fit" if wall else "fit_cpu", {})
        if fit and funds:
            n = funds[-1]
            left.annotate(
                f"exponent {fit['exponent']:.2f}",
                (n, points[n]),
                textcoords="offset points",
                xytext=(6, -4),
                fontsize=8,
                color=MODEL,
                alpha=alpha,
            )
        # Runs of other lengths (xlarge: 52 weeks) are not on the line; say how they went.
        for name, c in results.get("configurations", {}).items():
            conf = c.get("configuration", {})
            if conf.get("kind", "model") != "model" or conf.get("weeks") == weeks:
                continue
            n = conf["hedge_funds"]
            x_max = max(x_max, n)
            if c["status"] == "ok":
                text = f"{name}, {conf['weeks']} weeks: {c[run_key]:.1f} s"
            else:
                text = f"{name}: {c['status'].replace('_', ' ')}"
            left.axvline(n, color=FAILED, lw=1, ls="--", alpha=0.5)
            left.text(
                n / 1.1,
                0.045 * (2.2 ** list(alphas).index(alpha)),
                text,
                ha="right",
                fontsize=8,
                color=MODEL if c["status"] == "ok" else FAILED,
                alpha=alpha,
            )
        # The hedge-fund part: less the 100-fund run time (the economy's cost).
        fixed = points.get(100, 0.0)
        part = {n: (t - fixed) / (n * weeks) * 1e6 for n, t in points.items() if n > 100}
        right.loglog(list(part), list(part.values()), "o-", color=MODEL, lw=2, alpha=alpha)
        for n, a in part.items():
            right.annotate(
                f"{a:.1f}",
                (n, a),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                alpha=alpha,
            )
        rss, over = rss_points(results)
        memory.loglog(list(rss), list(rss.values()), "o-", color=MODEL, lw=2, alpha=alpha)
        for n, a in rss.items():
            if n >= 10_000 or latest:
                memory.annotate(
                    f"{a:,.0f}",
                    (n, a),
                    textcoords="offset points",
                    xytext=(-6, 6),
                    ha="right",
                    fontsize=8,
                    alpha=alpha,
                )
        for n, a in over:
            memory.plot([n], [a], "^", color=FAILED, ms=9, alpha=alpha)
            memory.annotate(
                f"stopped at {a:,.0f}",
                (n, a),
                textcoords="offset points",
                xytext=(-6, 8),
                ha="right",
                fontsize=8,
                color=FAILED,
            )
        if latest:
            kernel = [
                m
                for m in results.get("kernel", {}).get("measures", [])
                if m["order_independent"] and m.get(kernel_key) is not None
            ]
            k_funds = [m["hedge_funds"] for m in kernel]
            k_seconds = [m[kernel_key] for m in kernel]
            left.loglog(k_funds, k_seconds, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
            per_kernel = [t / (n * weeks) * 1e6 for n, t in zip(k_funds, k_seconds, strict=True)]
            right.loglog(k_funds, per_kernel, "s-", color=KERNEL, lw=2, label="lower-bound kernel")
            for n, a in zip(k_funds, per_kernel, strict=True):
                right.annotate(
                    f"{a:.2f}",
                    (n, a),
                    textcoords="offset points",
                    xytext=(0, -14),
                    ha="center",
                    fontsize=8,
                )
            big = [(n, t) for n, t in points.items() if n >= 1000]
            if big:
                n = np.array([big[0][0], x_max])
                left.loglog(
                    n, big[0][1] * n / n[0], ":", color=MODEL, lw=1.5, label="slope 1 (linear)"
                )
            h = results.get("headline", {})
            ratio = h.get("kernel_ratio_10k" if wall else "kernel_ratio_10k_cpu")
            if ratio:
                right.text(
                    0.03,
                    0.97,
                    f"at 10,000 funds a model run costs\n{ratio:.1f}x the kernel's (target: 3x)",
                    transform=right.transAxes,
                    va="top",
                    fontsize=9,
                )
    right.plot([], [], "o-", color=MODEL, lw=2, label="model, less its 100-fund run time")
    left.set_xlim(60, x_max * 1.6)
    left.set_ylim(0.03, None)
    left.set_xlabel("hedge funds")
    left.set_ylabel(f"{clock} time of a {weeks}-week run (s)")
    left.set_title("Run time")
    left.legend(loc="upper left", frameon=False, fontsize=8)
    left.grid(True, which="major", alpha=0.3)
    right.set_ylim(0.1, 100)
    right.set_xlabel("hedge funds")
    right.set_ylabel(f"µs of {clock} time per hedge-fund-week")
    right.set_title("Cost per hedge-fund-week (flat = linear)")
    right.legend(loc="lower right", frameon=False, fontsize=9)
    right.grid(True, which="major", alpha=0.3)
    memory.axhline(2048, color=KERNEL, ls="--", lw=1)
    memory.text(80, 2048 * 1.12, "target for 100,000 funds: 2 GiB", fontsize=8, color=KERNEL)
    memory.set_xlim(60, x_max * 1.6)
    memory.set_ylim(100, 20000)
    memory.set_xlabel("hedge funds")
    memory.set_ylabel("peak RSS (MiB)")
    memory.set_title("Peak memory of a run (fresh process)")
    memory.grid(True, which="major", alpha=0.3)
    machine = files[-1][1].get("machine", {})
    fig.suptitle(
        f"inverse-qe scaling ({clock} time): {machine.get('cpu', '')}, "
        f"{machine.get('logical_cpus')} cores, shared; "
        + ", ".join(f"{p.stem} {r.get('created', '')[:16].replace('T', ' ')}" for p, r in files),
        fontsize=10,
    )
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="oldest first")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--wall", action="store_true", help="wall-clock instead of CPU time")
    args = parser.parse_args(argv)
    out = args.out or args.results[-1].with_name(args.results[-1].stem + "_scaling.png")
    files = [(p, json.loads(p.read_text())) for p in args.results]
    draw(files, out, wall=args.wall)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
