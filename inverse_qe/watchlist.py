"""The thesis's watch-list, measured in a run (never forced).

The thesis names what to watch for: hyperscaler capex cuts (capital constraints
confirmed), credit spreads widening (the shortage intensifying), sovereign funds
turning net sellers (and of what), the central bank's signals, and crypto's
capitulation, with the question whether crypto, "the tip of the spear", bottoms
first once liquidity returns. Each indicator here is read off the run's record:
its events, flows and series.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inverse_qe.model.events import CapexCut, PolicyChange

#: Flow kinds that are purchases and sales in the markets.
TRADE_KINDS = ("trade", "forced_sale")


def capex_cuts(model) -> list[dict[str, Any]]:
    """Every capex cut: which firm, when, at what funding cost."""
    return [
        {"firm": e.holder, "week": e.week, "funding_cost": e.funding_cost}
        for e in model.events.of_type(CapexCut)
    ]


def spread_widening(model) -> dict[str, Any]:
    """The hyperscaler bond spread's change: at the end and at its widest, in basis points."""
    spread = model.recorder.series("bond_spread")
    widest = int(np.argmax(spread))
    return {
        "change_bp": float((spread[-1] - spread[0]) * 1e4),
        "peak_change_bp": float((spread[widest] - spread[0]) * 1e4),
        "peak_week": widest,
    }


def sovereign_net_selling(model) -> dict[str, dict[str, float]]:
    """Per fund and asset, US$bn sold minus bought over the run (negative: net buying).

    Read from the ledger's flows: securities legs leave a seller's row and reach a
    buyer's.
    """
    log, ledger = model.ledger.flows, model.ledger
    source, target = log.column("source"), log.column("target")
    instrument, amount = log.column("instrument"), log.column("amount")
    kind_code = log.column("kind")
    trades = np.isin(kind_code, [log.kinds.index(k) for k in TRADE_KINDS if k in log.kinds])
    securities = trades & (instrument >= 0)
    out: dict[str, dict[str, float]] = {}
    for fund in model.sovereign_funds:
        sold = securities & (source == fund.row)
        bought = securities & (target == fund.row)
        n = len(ledger.assets)
        net = np.bincount(instrument[sold], amount[sold], minlength=n).astype(float)
        net -= np.bincount(instrument[bought], amount[bought], minlength=n)
        out[fund.name] = {a: float(v) for a, v in zip(ledger.assets, net, strict=True) if v}
    return out


def policy_signals(model) -> list[dict[str, Any]]:
    """The central bank's announced moves: week, rate, previous rate, QE pace, reason."""
    return [
        {
            "week": e.week,
            "policy_rate": e.policy_rate,
            "previous_rate": e.previous_rate,
            "qe_pace": e.qe_pace,
            "reason": e.reason,
        }
        for e in model.events.of_type(PolicyChange)
    ]


def _trough_week(price: np.ndarray) -> int | None:
    """The week of the lowest price, or None if the price is still at its low at the end."""
    low = int(np.argmin(price))
    return None if low == price.size - 1 else low


def crypto_capitulation(model) -> dict[str, Any]:
    """Crypto's trough, and whether it bottomed before the other risk assets.

    ``liquidity_returned`` is true when investors' net liquidity rose after its
    lowest week (and that week is not the last); ``crypto_bottomed_first`` then
    says whether crypto's trough came before every equity class's trough (an
    asset still at its low at the end has not bottomed). Without a return of
    liquidity the question has no answer (None).
    """
    r, m = model.recorder, model.markets
    crypto = r.series("price_crypto") if "crypto" in m.names else None
    if crypto is None:
        return {"trough_week": None, "crypto_bottomed_first": None}
    net = r.series("net_liquidity")
    liquidity_low = int(np.argmin(net))
    returned = liquidity_low < net.size - 1 and bool(net[-1] > net[liquidity_low])
    peak = np.maximum.accumulate(crypto)
    equities = [a for a in m.names if model.config.assets[a].kind == "equity"]
    troughs = {a: _trough_week(r.series(f"price_{a}")) for a in equities}
    crypto_week = _trough_week(crypto)
    first: bool | None = None
    if returned and crypto_week is not None:
        first = all(w is None or crypto_week < w for w in troughs.values())
    low = int(np.argmin(crypto))
    return {
        "trough_week": low,
        "trough_price": float(crypto[low]),
        "max_drawdown": float((1.0 - crypto / peak).max()),
        "liquidity_low_week": liquidity_low,
        "liquidity_returned": returned,
        "trough_weeks_of_others": troughs,
        "crypto_bottomed_first": first,
    }


def watch_list(model) -> dict[str, Any]:
    """Every indicator of the watch-list for one run."""
    return {
        "capex_cuts": capex_cuts(model),
        "spread_widening": spread_widening(model),
        "sovereign_net_selling": sovereign_net_selling(model),
        "policy_signals": policy_signals(model),
        "crypto_capitulation": crypto_capitulation(model),
    }
