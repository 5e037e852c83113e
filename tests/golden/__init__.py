"""Golden hashes: the files a run writes, pinned for every built-in scenario.

For each built-in scenario (full length) and seeds 1, 2 and 3, a run is written
with :func:`inverse_qe.results.write_tables` (the same code and float formats
as ``inverse-qe run``) and the SHA-256 of ``timeseries.csv``, ``flows.csv``,
``balances.csv`` and ``events.jsonl`` is compared with ``hashes.json``. A fifth
digest, ``arrays``, covers the exact bits of the final balance sheets, prices,
recorded series and flow columns, which the files round to ten digits.

A change meant to leave the model's behaviour alone (a restructuring, a speed-up)
must keep every hash. A change meant to alter the mechanism changes them on
purpose: record them again with one command, and commit the new file with the
change that explains it::

    python -m tests.golden            # compare with hashes.json, list what differs
    python -m tests.golden --record   # run everything and rewrite hashes.json

``tests/model/test_golden.py`` runs the comparison in the test suite.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HASHES = Path(__file__).with_name("hashes.json")
SEEDS = (1, 2, 3)
FILES = ("timeseries.csv", "flows.csv", "balances.csv", "events.jsonl")


def scenarios() -> list[str]:
    """The built-in scenarios (``_base`` is only extended, never run on its own)."""
    from inverse_qe.scenarios.loader import builtin_names

    return [name for name in builtin_names() if not name.startswith("_")]


def _array_digest(model) -> str:
    ledger, log = model.ledger, model.ledger.flows
    digest = hashlib.sha256()
    arrays = [
        ledger.cash,
        ledger.debt,
        ledger.holdings,
        ledger.outstanding,
        model.markets.price,
        model.recorder.data[: model.week + 1],
        *(log.column(name) for name, _ in log._columns),
    ]
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def digests(scenario: str, seed: int) -> dict[str, str]:
    """Run one scenario and seed to the end; the SHA-256 of each file it writes."""
    from inverse_qe.model.bathtub import BathtubModel
    from inverse_qe.results import write_tables
    from inverse_qe.scenarios.loader import load

    model = BathtubModel(load(scenario), seed=seed).run()
    with tempfile.TemporaryDirectory() as directory:
        write_tables(model, Path(directory))
        found = {
            name: hashlib.sha256((Path(directory) / name).read_bytes()).hexdigest()
            for name in FILES
        }
    return {**found, "arrays": _array_digest(model)}


def recorded() -> dict[str, dict[str, dict[str, str]]]:
    """``hashes.json``: scenario -> seed (as text) -> file -> SHA-256."""
    return json.loads(HASHES.read_text(encoding="utf-8"))["runs"]


def differences(scenario: str, seed: int) -> list[str]:
    """What differs from the recorded hashes for one run ([] when everything matches)."""
    expected = recorded().get(scenario, {}).get(str(seed))
    if expected is None:
        return [f"{scenario} seed {seed}: no recorded hashes (record them with --record)"]
    found = digests(scenario, seed)
    return [
        f"{scenario} seed {seed}: {name} differs"
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    ]


def _revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(HASHES.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def record() -> dict:
    """Run every scenario and seed, and write ``hashes.json``."""
    runs = {name: {str(seed): digests(name, seed) for seed in SEEDS} for name in scenarios()}
    data = {"recorded_at_revision": _revision(), "seeds": list(SEEDS), "runs": runs}
    HASHES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return data
