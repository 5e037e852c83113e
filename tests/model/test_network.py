"""The bathtub graph carries every cash flow, and its tub balance matches the water level."""

from __future__ import annotations

import numpy as np
import pytest

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.model.network import TUB, bathtub_graph, net_flows_into_tub


@pytest.fixture(scope="module")
def model(default_scenario):
    return BathtubModel(default_scenario, weeks=20).run()


def test_every_cash_flow_lands_on_an_edge(model):
    graph = bathtub_graph(model)
    log = model.ledger.flows
    cash = log.column("instrument") == -1
    flows = graph.edges(data=True)
    total = sum(d["total"] for _, _, d in flows if d["kind"] == "flow")
    assert total == pytest.approx(log.column("amount")[cash].sum(), rel=1e-12)
    for _, _, data in flows:
        if data["kind"] == "flow":
            assert data["weekly"].sum() == pytest.approx(data["total"])
            assert sum(data["by_kind"].values()) == pytest.approx(data["total"])


def test_net_flows_into_the_collapsed_tub_explain_the_change_in_water(model):
    graph = bathtub_graph(model, collapse_tub=True)
    water = graph.graph["water_level"]
    net = sum(net_flows_into_tub(graph).values())
    assert net == pytest.approx(water[-1] - water[0], rel=1e-9, abs=1e-6)
    assert TUB in graph and "real_economy" in graph
    # Capex leaves the tub toward the suppliers: a drain.
    assert net_flows_into_tub(graph)["suppliers"] < 0


def test_edges_carry_one_value_per_week(model):
    graph = bathtub_graph(model)
    for _, _, data in graph.edges(data=True):
        assert data["weekly"].shape == (model.week + 1,)
        assert np.all(np.isfinite(data["weekly"]))
