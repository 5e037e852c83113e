"""``python -m tests.golden [--record]``: compare runs with the golden hashes, or record them."""

from __future__ import annotations

import argparse
import sys

from tests.golden import HASHES, SEEDS, differences, record, scenarios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    parser.add_argument(
        "--record", action="store_true", help=f"run everything and rewrite {HASHES.name}"
    )
    args = parser.parse_args(argv)
    if args.record:
        data = record()
        print(f"recorded {sum(len(s) for s in data['runs'].values())} runs in {HASHES}")
        return 0
    problems = [line for name in scenarios() for seed in SEEDS for line in differences(name, seed)]
    for line in problems:
        print(line)
    runs = len(scenarios()) * len(SEEDS)
    print(f"{runs} runs: " + ("all identical" if not problems else f"{len(problems)} differences"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
