"""Where the command line writes: results on stdout, everything else on stderr.

* :func:`results_console` prints results (tables, summaries, the results path)
  on stdout. On a terminal it is rich's usual console; piped or redirected, it
  is as wide as any line (a cell is never cut to fit 80 columns) and prints no
  colours.
* :func:`status_console` prints progress bars, status and warnings on stderr,
  so ``inverse-qe run | tee`` or ``--json | jq`` see results only.
* :func:`new_table` is a rich table that is drawn with box characters on a
  terminal and as plain aligned columns elsewhere.
* :func:`print_json` prints data as JSON (NaN as ``null``; numpy values and
  DataFrames as plain JSON).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

#: Width of a console that is not a terminal: wider than any line a command prints.
PIPE_WIDTH = 10_000


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def results_console(stream=None) -> Console:
    """A console on stdout (or ``stream``) for results."""
    stream = sys.stdout if stream is None else stream
    if _is_terminal(stream):
        return Console(file=stream, soft_wrap=True)
    return Console(file=stream, soft_wrap=True, width=PIPE_WIDTH, no_color=True)


def status_console(*, quiet: bool = False) -> Console:
    """A console on stderr for progress, status and warnings (``quiet``: prints nothing)."""
    return Console(stderr=True, soft_wrap=True, quiet=quiet)


def plain(console: Console) -> bool:
    """Whether ``console`` writes to something other than a terminal."""
    return not console.is_terminal


def new_table(console: Console, **options: Any) -> Table:
    """A table for ``console``: boxed on a terminal, plain aligned columns when piped."""
    if plain(console):
        options.setdefault("box", None)
        options.setdefault("pad_edge", False)
    return Table(**options)


def jsonable(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None``, numpy scalars, paths and frames plain."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a DataFrame
        return [jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, Path):
        return str(value)
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):  # a numpy array
        return jsonable(value.tolist())
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(console: Console, data: Any) -> None:
    """Print ``data`` as indented JSON on ``console``, nothing else on the line."""
    text = json.dumps(jsonable(data), indent=2, allow_nan=False)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
