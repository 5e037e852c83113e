"""Events and cascades: forced sales linked by cause (DESIGN §7)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inverse_qe.model.events import (
    BondIssued,
    CapexCut,
    Cascade,
    Default,
    DryPowderExhausted,
    Event,
    EventLog,
    ForcedSale,
    MarginCall,
    MissedCommitment,
    PolicyChange,
    Redemption,
    cascades,
)


def test_event_log_numbers_events_in_the_order_they_happen():
    log = EventLog()
    first = log.add(DryPowderExhausted(week=3, holder="gulf_fund", cash=15.0, money_demand=15.0))
    second = log.add(MarginCall(week=4, holder="hf_1", leverage=5.0, limit=4.5))
    assert (first.id, second.id) == (0, 1)
    assert len(log) == 2
    assert list(log) == [first, second]
    assert log.of_type(MarginCall) == [second]
    assert log.of_type(Event) == [first, second]


def sale(week: int, holder: str, amount: float, causes: tuple[int, ...] = ()) -> ForcedSale:
    return ForcedSale(week=week, holder=holder, causes=causes, reason="margin", amount=amount)


def test_linked_forced_sales_form_one_cascade_and_an_isolated_sale_another():
    log = EventLog()
    a = log.add(sale(10, "hf_1", 5.0))  # id 0: starts the chain
    log.add(MarginCall(week=10, holder="hf_2", causes=(a.id,)))  # id 1: not a sale
    b = log.add(sale(10, "hf_2", 3.0, causes=(a.id,)))  # id 2, caused by 0
    lone = log.add(sale(11, "gulf_fund", 7.0))  # id 3: unrelated
    log.add(sale(12, "hf_3", 2.0, causes=(b.id,)))  # id 4, caused by 2
    found = cascades(log)
    # chain 0 -> 2 -> 4: 5 + 3 + 2 = 10 sold in 3 sales over weeks 10-12, depth 3
    # (depth counts the sales on the longest chain, i.e. the rounds of the cascade; the
    # docstring of cascades() says 'number of links', which would be 2 here)
    # isolated sale 3: 7 sold, depth 1; largest first
    assert found == [
        Cascade(size=10.0, depth=3, sales=3, first_week=10, last_week=12),
        Cascade(size=7.0, depth=1, sales=1, first_week=11, last_week=11),
    ]
    assert lone.id == 3


def test_cascade_depth_is_its_longest_chain_when_sales_branch_and_merge():
    log = EventLog()
    log.add(sale(1, "a", 1.0))  # 0
    log.add(sale(1, "b", 1.0, causes=(0,)))  # 1
    log.add(sale(1, "c", 1.0, causes=(0,)))  # 2
    log.add(sale(2, "d", 1.0, causes=(1, 2)))  # 3
    log.add(sale(3, "e", 1.0, causes=(3,)))  # 4
    (only,) = cascades(log)
    # longest chain 0 -> 1 -> 3 -> 4: depth 4; five sales of 1 each
    assert (only.size, only.depth, only.sales) == (5.0, 4, 5)


def test_two_chains_joined_by_a_common_effect_are_one_cascade():
    log = EventLog()
    log.add(sale(1, "a", 4.0))  # 0
    log.add(sale(1, "b", 6.0))  # 1
    log.add(sale(2, "c", 1.0, causes=(0, 1)))  # 2
    (only,) = cascades(log)
    assert (only.size, only.depth, only.sales) == (11.0, 2, 3)


def test_causes_that_are_not_forced_sales_do_not_link_sales():
    log = EventLog()
    call = log.add(MarginCall(week=1, holder="a"))
    log.add(sale(1, "a", 2.0, causes=(call.id,)))
    log.add(sale(1, "b", 3.0, causes=(call.id,)))
    assert [c.sales for c in cascades(log)] == [1, 1]


def test_no_forced_sales_no_cascades():
    log = EventLog()
    log.add(PolicyChange(week=0, holder="central_bank", policy_rate=0.04))
    assert cascades(log) == []


ALL_EVENTS = [
    DryPowderExhausted(week=3, holder="gulf_fund", id=0, cash=15.0, money_demand=15.0),
    MarginCall(week=4, holder="hf_1", id=1, causes=(0,), leverage=5.1, limit=4.5, round=2),
    Redemption(week=5, holder="hf_1", id=2, amount=1.5, trailing_return=-0.2, due_week=9),
    ForcedSale(
        week=5,
        holder="hf_1",
        id=3,
        causes=(1, 2),
        reason="margin",
        amount=2.5,
        by_asset={"crypto": 2.0, "saas": 0.5},
        round=1,
    ),
    MissedCommitment(week=6, holder="softbank", id=4, due=0.7, paid=0.2),
    BondIssued(week=7, holder="oracle", id=5, amount=3.0, spread=0.012),
    CapexCut(week=8, holder="meta", id=6, funding_cost=0.075, cut_fraction=0.25),
    PolicyChange(
        week=9, holder="central_bank", id=7, policy_rate=0.035, previous_rate=0.0375, reason="x"
    ),
    Default(week=10, holder="hf_2", id=8, shortfall=4.0, what="margin loan"),
]


@pytest.mark.parametrize("event", ALL_EVENTS, ids=lambda e: e.type)
def test_events_round_trip_through_json(event):
    record = event.to_dict()
    assert next(iter(record)) == "type"
    assert record["type"] == type(event).__name__
    decoded = json.loads(json.dumps(record))
    fields = {key: value for key, value in decoded.items() if key != "type"}
    fields["causes"] = tuple(fields["causes"])
    assert type(event)(**fields) == event


def test_columnar_events_read_back_as_the_objects_they_stand_for():
    """Forced sales, margin calls and redemptions stored as columns: same objects, same ids."""
    from types import SimpleNamespace

    import numpy as np

    columnar, objects = EventLog(), EventLog()
    ledger = SimpleNamespace(names=["cb", "hf_1", "hf_2", "hf_3"], assets=["treasuries", "crypto"])
    for log in (columnar, objects):
        log.add(CapexCut(week=1, holder="msft", funding_cost=0.07, cut_fraction=0.2))
    columnar.add_redemptions(
        ledger, 1, np.array([2, 3]), np.array([1.5, 2.5]), np.array([-0.1, -0.2]), 5
    )
    for holder, amount, trailing in (("hf_2", 1.5, -0.1), ("hf_3", 2.5, -0.2)):
        objects.add(
            Redemption(week=1, holder=holder, amount=amount, trailing_return=trailing, due_week=5)
        )
    ids = columnar.add_forced_sales(
        ledger,
        2,
        np.array([1, 3]),
        ["margin", "redemption"],
        np.array([3.0, 4.0]),
        [(1,), (1, 2)],
        (np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([3.0, 1.0, 3.0])),
        1,
        (np.array([5.0, 2.0]), np.array([4.5, 4.5])),
    )
    objects.add(MarginCall(week=2, holder="hf_1", causes=(1,), leverage=5.0, limit=4.5, round=1))
    first = objects.add(
        ForcedSale(
            week=2,
            holder="hf_1",
            causes=(1,),
            reason="margin",
            amount=3.0,
            by_asset={"treasuries": 3.0},
            round=1,
        )
    )
    second = objects.add(
        ForcedSale(
            week=2,
            holder="hf_3",
            causes=(1, 2),
            reason="redemption",
            amount=4.0,
            by_asset={"treasuries": 1.0, "crypto": 3.0},
            round=1,
        )
    )
    assert ids.tolist() == [first.id, second.id]
    assert len(columnar) == len(objects) == 6
    assert [e.to_dict() for e in columnar] == [e.to_dict() for e in objects]
    assert columnar.of_type(Redemption) == objects.of_type(Redemption)
    assert columnar.since(1) == objects.since(1) == ({"hf_1"}, [1.5, 2.5])
    assert columnar.since(3) == ({"hf_1"}, [])
    assert cascades(columnar) == cascades(objects)
    assert columnar.forced_sales()["reason"].tolist() == ["margin", "redemption"]


def _reference_cascades(log: EventLog) -> list[Cascade]:
    """Cascades by the definition, one sale at a time: union of linked sales, longest chain."""
    sales = log.of_type(ForcedSale)
    ids = {e.id for e in sales}
    group = {e.id: {e.id} for e in sales}
    depth: dict[int, int] = {}
    for e in sales:
        links = [c for c in e.causes if c in ids]
        depth[e.id] = 1 + max((depth[c] for c in links), default=0)
        for c in links:
            if group[c] is not group[e.id]:
                merged = group[c] | group[e.id]
                for i in merged:
                    group[i] = merged
    by_id = {e.id: e for e in sales}
    found, seen = [], set()
    for e in sales:
        members = sorted(group[e.id])
        if members[0] in seen:
            continue
        seen.add(members[0])
        found.append(
            Cascade(
                size=sum(by_id[i].amount for i in members),
                depth=max(depth[i] for i in members),
                sales=len(members),
                first_week=min(by_id[i].week for i in members),
                last_week=max(by_id[i].week for i in members),
            )
        )
    return sorted(found, key=lambda c: c.size, reverse=True)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),  # a forced sale, or a margin call (not a sale: never links)
            st.integers(0, 30),  # week
            st.floats(0.01, 100.0),  # amount
            st.lists(st.integers(0, 10**6), max_size=3),  # causes, among earlier events
        ),
        max_size=60,
    )
)
def test_cascades_match_their_definition_on_random_causal_histories(history):
    log = EventLog()
    for k, (is_sale, week, amount, picks) in enumerate(history):
        causes = tuple(sorted({p % k for p in picks})) if k else ()
        if is_sale:
            log.add(sale(week, f"hf_{k}", amount, causes))
        else:
            log.add(MarginCall(week=week, holder=f"hf_{k}", causes=causes))
    assert cascades(log) == _reference_cascades(log)


def test_of_type_reads_policy_moves_without_building_the_sales():
    log = EventLog()
    log.add(sale(1, "a", 1.0))
    move = log.add(PolicyChange(week=2, holder="central_bank", policy_rate=0.05))
    log.add(sale(3, "b", 2.0, causes=(0,)))
    assert log.of_type(PolicyChange) == [move]
    assert [e.id for e in log.of_type(ForcedSale)] == [0, 2]
