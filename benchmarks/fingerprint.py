"""A fingerprint of whole runs at large populations, to show a speed-up changed no bit.

    python benchmarks/fingerprint.py --source /tmp/before_tree > before.json
    python benchmarks/fingerprint.py --source /tmp/after_tree --against before.json

``python -m tests.golden`` pins every built-in scenario's files at its own (small)
population; the hot path at thousands of hedge funds takes branches those runs never
reach. This runs the default scenario with ``--funds`` hedge funds (1,000 and 10,000 by
default) for ``--weeks`` weeks on ``--seeds``, and hashes what a run leaves behind: the
ledger's cash, holdings, debt and units outstanding, every column of the flow log, every
event (its kind and fields) and every recorded weekly series. One hash per run, as JSON;
with ``--against``, the runs whose hash differs are listed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOW_COLUMNS = ("week", "source", "target", "instrument", "kind", "amount", "units")


def fingerprint(model) -> str:
    """A hash of a finished model's state, flows, events and recorded series."""
    import numpy as np

    digest = hashlib.sha256()
    ledger = model.ledger
    for array in (ledger.cash, ledger.holdings, ledger.debt, ledger.outstanding):
        digest.update(np.ascontiguousarray(array).tobytes())
    for name in FLOW_COLUMNS:
        digest.update(np.ascontiguousarray(ledger.flows.column(name)).tobytes())
    for event in model.events.events:
        fields = sorted(vars(event).items()) if hasattr(event, "__dict__") else repr(event)
        digest.update(repr((type(event).__name__, fields)).encode())
    for name, series in sorted(model.recorder.table().items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(series).tobytes())
    return digest.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a tree whose inverse_qe/ is fingerprinted")
    parser.add_argument("--funds", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--against", type=Path, help="a fingerprint JSON to compare with")
    args = parser.parse_args(argv)
    if args.source is not None:
        if not (args.source / "inverse_qe").is_dir():
            parser.error(f"--source {args.source}: expected a tree that holds inverse_qe/")
        sys.path.insert(0, str(args.source.resolve()))
    sys.path.insert(1, str(HERE))
    from configurations import load_scenario

    import inverse_qe
    from inverse_qe.model.bathtub import BathtubModel

    where = Path(inverse_qe.__file__).resolve().parent.parent
    if args.source is not None and where != args.source.resolve():
        parser.error(f"--source {args.source}: inverse_qe was imported from {where} instead")

    prints = {}
    for funds in args.funds:
        scenario = load_scenario(funds)
        for seed in args.seeds:
            model = BathtubModel(scenario, seed=seed, weeks=args.weeks)
            model.run()
            prints[f"{funds} funds, seed {seed}, {args.weeks} weeks"] = fingerprint(model)
    print(json.dumps(prints, indent=1))
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text())
    differ = [run for run, value in prints.items() if before.get(run) != value]
    for run in differ:
        print(f"differs: {run}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
