"""Profile one benchmark configuration with pyinstrument; write the hot spots.

    python benchmarks/profiling.py large            # 10,000 funds, 104 weeks
    python benchmarks/profiling.py default --weeks 104
    python benchmarks/profiling.py large --weeks 26 --out benchmarks/results/profile_large

Builds and runs one model under ``pyinstrument.Profiler`` (imports and scenario loading
are outside the profile) and writes, next to ``--out``:

* ``<out>.txt``: pyinstrument's call tree (``time=percent_of_total``);
* ``<out>.md``: the hot spots as two markdown tables, by inclusive time (the function and
  everything it calls; recursion counted once) and by self time (the function's own
  lines, with numpy builtins as their own entries).

The same profile as pyinstrument's command line:
``.venv/bin/pyinstrument benchmarks/profiling.py large --bare``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from configurations import CONFIGURATIONS, load_scenario  # noqa: E402


def _label(frame) -> str:
    path = frame.file_path_short or ""
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    path = path.replace("../", "")
    return f"{frame.function} ({path}:{frame.line_no})" if frame.line_no else frame.function


def hot_spots(root) -> tuple[dict[str, float], dict[str, float], dict[str, float], float]:
    """Inclusive, self and model-attributed time per function over a pyinstrument tree.

    Model-attributed time is self time charged to the innermost ``inverse_qe`` function
    on the stack: a model function's own lines plus the numpy and library calls it makes
    directly (not those made through another model function).
    """
    inclusive: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)
    by_model: dict[str, float] = defaultdict(float)

    def walk(frame, on_stack: frozenset[str], owner: str) -> None:
        if frame.is_synthetic:  # "[self]" leaves: time spent in the parent's own lines
            return
        label = _label(frame)
        if "inverse_qe/" in (frame.file_path or ""):
            owner = label
        if label not in on_stack:
            inclusive[label] += frame.time
        own[label] += frame.total_self_time
        by_model[owner] += frame.total_self_time
        for child in frame.children:
            walk(child, on_stack | {label}, owner)

    walk(root, frozenset(), "(outside the model)")
    return inclusive, own, by_model, root.time


def markdown(inclusive, own, by_model, total, top: int, title: str) -> str:
    lines = [f"### {title}", "", f"Profiled time: {total:.2f} s.", ""]
    lines += ["By inclusive time (the function and what it calls):", ""]
    lines += ["| function | % of time | s |", "|---|---:|---:|"]
    wrappers = (
        "<module>",
        "main (",
        "build_and_run (",
        "run (",
        "_wrapped_step",
        "_advance_time",
        "execute (",
        "_do_step",
    )
    shown = 0
    for label, t in sorted(inclusive.items(), key=lambda kv: -kv[1]):
        if any(label.startswith(w) for w in wrappers) or "_execute_and_reschedule" in label:
            continue  # Mesa's and the script's wrappers around step(): 100% by construction
        lines.append(f"| `{label}` | {100 * t / total:.1f} | {t:.2f} |")
        shown += 1
        if shown >= top:
            break
    lines += ["", "By model function (its own lines and the numpy calls it makes directly):", ""]
    lines += ["| function | % of time | s |", "|---|---:|---:|"]
    for label, t in sorted(by_model.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| `{label}` | {100 * t / total:.1f} | {t:.2f} |")
    lines += ["", "By self time (the function's own lines):", ""]
    lines += ["| function | % of time | s |", "|---|---:|---:|"]
    for label, t in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| `{label}` | {100 * t / total:.1f} | {t:.2f} |")
    return "\n".join(lines) + "\n"


def build_and_run(config: str, weeks: int | None, funds: int | None, seed: int):
    from inverse_qe.model.bathtub import BathtubModel

    c = CONFIGURATIONS[config]
    scenario = load_scenario(funds or c.hedge_funds)
    t0 = time.perf_counter()
    model = BathtubModel(scenario, seed=seed, weeks=weeks or c.weeks)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    return model, t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "config", choices=[n for n, c in CONFIGURATIONS.items() if c.kind == "model"]
    )
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--funds", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--repeat", type=int, default=1, help="profile this many runs (seeds seed, seed+1, ...)"
    )
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--interval", type=float, default=0.001)
    parser.add_argument("--out", type=Path, help="path stem for .txt and .md")
    parser.add_argument(
        "--bare", action="store_true", help="just build and run (under an outside profiler)"
    )
    args = parser.parse_args(argv)
    if args.bare:
        _, construction, run = build_and_run(args.config, args.weeks, args.funds, args.seed)
        print(f"construction {construction:.3f} s, run {run:.3f} s")
        return 0

    from pyinstrument import Profiler

    from inverse_qe.model.bathtub import BathtubModel  # noqa: F401  (import outside the profile)

    load_scenario()
    profiler = Profiler(interval=args.interval)
    profiler.start()
    construction = run = 0.0
    for i in range(args.repeat):
        model, c_time, r_time = build_and_run(args.config, args.weeks, args.funds, args.seed + i)
        construction, run = construction + c_time, run + r_time
    profiler.stop()
    session = profiler.last_session
    inclusive, own, by_model, total = hot_spots(session.root_frame())
    c = CONFIGURATIONS[args.config]
    runs = (
        f"seed {args.seed}" if args.repeat == 1 else f"{args.repeat} runs, seeds from {args.seed}"
    )
    title = (
        f"`{args.config}`: {(args.funds or c.hedge_funds or 100):,} hedge funds, "
        f"{args.weeks or c.weeks} weeks, {runs} "
        f"(construction {construction:.3f} s, run {run:.3f} s in all under the profiler; "
        f"last run: {len(model.events):,} events, {model.ledger.flows.size:,} flows)"
    )
    from run import code_identity

    import inverse_qe

    code = code_identity(Path(inverse_qe.__file__).resolve().parents[1])
    where = Path(inverse_qe.__file__).resolve().parents[1]
    tree = (
        f"the working tree at git {code.get('git_revision', '?')[:10]}"
        f"{', modified' if code.get('model_sources_modified') else ''}"
        if where == HERE.parent
        else f"imported from {where}"
    )
    title += f"; model sources {code['model_sha256']} ({tree})"
    text = markdown(inclusive, own, by_model, total, args.top, title)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".md").write_text(text)
        tree = profiler.output_text(unicode=True, color=False, time="percent_of_total")
        args.out.with_suffix(".txt").write_text(tree)
        print(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.txt')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
