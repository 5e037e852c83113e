"""Headline metrics: which ones an experiment reports, their labels and units.

The metric names are those of :func:`inverse_qe.experiments.runs.headline_metrics`
(``max_drawdown.crypto``, ``forced_sales.total``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: Metrics every comparison reports (per-asset and per-fund ones are added).
CORE = [
    "min_water_level",
    "forced_sales.total",
    "largest_cascade.size",
    "peak_yield_10y",
    "peak_bond_spread",
    "risk_asset_value_change",
    "dry_powder_exhausted.first",
]

#: Default outputs of a sweep.
SWEEP_OUTPUTS = [
    "risk_asset_value_change",
    "max_drawdown.crypto",
    "min_water_level",
    "forced_sales.total",
    "peak_yield_10y",
]

_KIND_BY_PREFIX = {
    "max_drawdown": "fraction",
    "total_return": "fraction",
    "risk_asset_value_change": "fraction",
    "final_price": "index",
    "min_water_level": "usd",
    "water_level_change": "usd",
    "forced_sales": "usd",
    "largest_cascade.size": "usd",
    "capex_paid": "usd",
    "bonds_issued": "usd",
    "missed_commitments": "usd",
    "final_risk_asset_value": "usd",
    "final_water_level": "usd",
    "final_dry_powder": "usd",
    "min_dry_powder": "usd",
    "peak_yield_10y": "rate",
    "peak_bond_spread": "rate",
    "yield_10y_change": "rate",
    "bond_spread_change": "rate",
    "dry_powder_exhausted": "week",
    "largest_cascade.first_week": "week",
    "largest_cascade.last_week": "week",
    "min_water_level_week": "week",
}

_LABELS = {
    "min_water_level": "min water level (US$bn)",
    "forced_sales.total": "forced sales (US$bn)",
    "largest_cascade.size": "largest cascade (US$bn)",
    "peak_yield_10y": "peak 10y yield",
    "peak_bond_spread": "peak bond spread",
    "risk_asset_value_change": "risk-asset value change",
    "dry_powder_exhausted.first": "dry powder out: first fund (week)",
}


def kind(name: str) -> str:
    """``fraction``, ``index``, ``usd``, ``rate``, ``week`` or ``number``."""
    for prefix, value in _KIND_BY_PREFIX.items():
        if name == prefix or name.startswith(prefix + "."):
            return value
    return "number"


def label(name: str) -> str:
    """A human label for a metric."""
    if name in _LABELS:
        return _LABELS[name]
    head, _, tail = name.partition(".")
    head = head.replace("_", " ")
    if head == "dry powder exhausted":
        return f"dry powder out: {tail} (week)"
    if head == "forced sales":
        return f"forced sales: {tail} (US$bn)"
    return f"{head}: {tail}" if tail else head


def headline(columns: Iterable[str]) -> list[str]:
    """The comparison's metrics, in reading order, among the available columns."""
    columns = list(columns)
    assets = [c.split(".", 1)[1] for c in columns if c.startswith("max_drawdown.")]
    funds = [
        c.split(".", 1)[1]
        for c in columns
        if c.startswith("dry_powder_exhausted.") and c != "dry_powder_exhausted.first"
    ]
    names = [f"max_drawdown.{a}" for a in assets] + [f"final_price.{a}" for a in assets]
    names += CORE + [f"dry_powder_exhausted.{f}" for f in funds]
    return [n for n in names if n in columns]


def fmt(name: str, value: float) -> str:
    """A metric's value in its unit."""
    if value is None or not math.isfinite(value):
        return "–"
    k = kind(name)
    if k == "fraction":
        return f"{value:.1%}"
    if k == "rate":
        return f"{value:.2%}"
    if k == "index":
        return f"{value:.3f}"
    if k == "usd":
        return f"{value:,.0f}"
    if k == "week":
        return f"{value:.1f}"
    return f"{value:.4g}"


def fmt_diff(name: str, value: float) -> str:
    """A difference of a metric, in the unit people use for differences."""
    if value is None or not math.isfinite(value):
        return "–"
    k = kind(name)
    if k == "fraction":
        return f"{value * 100:+.1f}pp"
    if k == "rate":
        return f"{value * 1e4:+.0f}bp"
    if k == "index":
        return f"{value:+.3f}"
    if k == "usd":
        return f"{value:+,.0f}"
    if k == "week":
        return f"{value:+.1f}wk"
    return f"{value:+.4g}"


def fmt_half(name: str, value: float) -> str:
    """The half-width of an interval, unsigned, in the difference unit."""
    return fmt_diff(name, value).lstrip("+")
