"""The bathtub network (DESIGN §6): who paid whom, week by week and in total.

Nodes are the ledger's holders (each agent or sector, the central bank, the
treasury, the RRP facility, the real economy, prime brokers, one clearing node
per market) plus a ``tub`` node standing for investable liquidity: every holder
whose cash counts as water is linked to it, and the graph carries the weekly
water level. Each edge ``(source, target)`` carries the cash that moved along it:
``weekly`` (US$bn per week), ``total`` and ``by_kind`` (cumulated by flow kind).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from inverse_qe.model.ledger import CASH

TUB = "tub"


def bathtub_graph(model, *, collapse_tub: bool = False) -> nx.DiGraph:
    """The money-flow graph of a run so far.

    Args:
        model: a :class:`~inverse_qe.model.bathtub.BathtubModel` (run or running).
        collapse_tub: merge every water-holding agent into the single ``tub``
            node, so the picture shows what drained and refilled the tub.
    """
    ledger, log = model.ledger, model.ledger.flows
    weeks = model.week + 1
    names = np.array([h.name for h in ledger.holders], dtype=object)
    kinds = [h.kind for h in ledger.holders]
    in_tub = np.zeros(len(names), dtype=bool)
    in_tub[model.water_rows] = True
    node_of = np.where(in_tub, TUB, names) if collapse_tub else names

    graph = nx.DiGraph(water_level=model.recorder.series("water_level").copy(), weeks=weeks)
    graph.add_node(TUB, kind="tub")
    for i, name in enumerate(names):
        if collapse_tub and in_tub[i]:
            continue
        graph.add_node(name, kind=kinds[i], in_tub=bool(in_tub[i]))
        if in_tub[i]:
            graph.add_edge(name, TUB, kind="member", weekly=np.zeros(weeks), total=0.0, by_kind={})

    cash = log.column("instrument") == CASH
    source = node_of[log.column("source")[cash]]
    target = node_of[log.column("target")[cash]]
    week = log.column("week")[cash]
    amount = log.column("amount")[cash]
    kind = np.array(log.kinds, dtype=object)[log.column("kind")[cash]]
    moving = source != target  # inside the collapsed tub, money does not move
    source, target, week, amount, kind = (
        source[moving],
        target[moving],
        week[moving],
        amount[moving],
        kind[moving],
    )
    pairs: dict[tuple[str, str], list[int]] = {}
    for j, pair in enumerate(zip(source, target, strict=True)):
        pairs.setdefault(pair, []).append(j)
    for (u, v), idx in pairs.items():
        idx = np.asarray(idx)
        weekly = np.bincount(week[idx], weights=amount[idx], minlength=weeks)[:weeks]
        by_kind: dict[str, float] = {}
        for k, a in zip(kind[idx], amount[idx], strict=True):
            by_kind[k] = by_kind.get(k, 0.0) + float(a)
        graph.add_edge(u, v, kind="flow", weekly=weekly, total=float(weekly.sum()), by_kind=by_kind)
    return graph


def net_flows_into_tub(graph: nx.DiGraph) -> dict[str, float]:
    """For a collapsed graph: net cash each outside node put into the tub (negative = drained)."""
    net: dict[str, float] = {}
    for u, v, data in graph.edges(data=True):
        if data.get("kind") != "flow":
            continue
        if v == TUB:
            net[u] = net.get(u, 0.0) + data["total"]
        elif u == TUB:
            net[v] = net.get(v, 0.0) - data["total"]
    return net
