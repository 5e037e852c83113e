"""The ledger: every movement is one recorded call, and nothing is ever lost (DESIGN §3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inverse_qe.model.ledger import CASH, FlowLog, Holder, Ledger, LedgerError

# Rows: 0 central bank, 1-3 private holders, 4-5 the clearing accounts of assets 0 and 1.
CB, A, B, C, MARKET = 0, 1, 2, 3, 4
ASSETS = ["treasuries", "crypto"]


def make_ledger() -> Ledger:
    holders = [
        Holder("central_bank", "central_bank"),
        Holder("a", "fund"),
        Holder("b", "fund"),
        Holder("c", "household"),
        Holder("market:treasuries", "market"),
        Holder("market:crypto", "market"),
    ]
    ledger = Ledger(holders, ASSETS, "central_bank")
    ledger.open_account("central_bank", 0.0, {"treasuries": 50.0})
    ledger.open_account("a", 100.0, {"treasuries": 10.0, "crypto": 5.0})
    ledger.open_account("b", 50.0, {"crypto": 20.0})
    ledger.open_account("c", 200.0, {"treasuries": 40.0})
    ledger.seal()
    return ledger


def last_flow(ledger: Ledger) -> dict:
    f = ledger.flows
    row = {name: f.column(name)[-1].item() for name, _ in FlowLog._columns}
    row["kind"] = f.kinds[row["kind"]]
    return row


# ---------------------------------------------------------------------------------------
# opening balances
# ---------------------------------------------------------------------------------------


def test_opening_balances_are_consistent_and_record_no_flows():
    ledger = make_ledger()
    ledger.check()
    # outstanding = 50 + 10 + 40 treasuries, 5 + 20 crypto; cash 100 + 50 + 200
    np.testing.assert_allclose(ledger.outstanding, [100.0, 25.0])
    assert ledger.cash.sum() == pytest.approx(350.0)
    assert ledger.flows.size == 0


def test_duplicate_holder_names_are_refused():
    with pytest.raises(LedgerError):
        Ledger([Holder("x", "a"), Holder("x", "b")], ["t"], "x")


# ---------------------------------------------------------------------------------------
# pay
# ---------------------------------------------------------------------------------------


def test_payment_moves_cash_and_records_one_flow():
    ledger = make_ledger()
    ledger.week = 7
    ledger.pay(A, B, 30.0, "capex")
    # a: 100 - 30 = 70, b: 50 + 30 = 80, total unchanged
    assert (ledger.cash[A], ledger.cash[B]) == (70.0, 80.0)
    assert ledger.cash.sum() == pytest.approx(350.0)
    assert ledger.flows.size == 1
    assert last_flow(ledger) == {
        "week": 7,
        "source": A,
        "target": B,
        "instrument": CASH,
        "kind": "capex",
        "amount": 30.0,
        "units": 0.0,
    }
    ledger.check()


def test_payment_larger_than_cash_is_refused_and_changes_nothing():
    ledger = make_ledger()
    with pytest.raises(LedgerError, match="cannot pay"):
        ledger.pay(B, A, 50.01, "capex")
    assert ledger.cash[B] == 50.0
    assert ledger.flows.size == 0


def test_payer_may_spend_all_of_its_cash():
    ledger = make_ledger()
    ledger.pay(B, A, 50.0, "capex")
    assert ledger.cash[B] == 0.0
    ledger.check()


@pytest.mark.parametrize("amount", [-1.0, float("nan"), float("inf")])
def test_negative_or_non_finite_payments_are_refused(amount):
    with pytest.raises(LedgerError):
        make_ledger().pay(A, B, amount, "capex")


def test_zero_payment_records_nothing():
    ledger = make_ledger()
    ledger.pay(A, B, 0.0, "capex")
    assert ledger.flows.size == 0


def test_central_bank_creates_reserves_by_paying_below_zero():
    ledger = make_ledger()
    ledger.pay(CB, A, 25.0, "qe")
    # the central bank's cash 0 - 25 = -25: money created, total cash unchanged
    assert ledger.cash[CB] == -25.0
    assert ledger.net_central_bank_creation(0.0) == pytest.approx(25.0)
    assert ledger.cash.sum() == pytest.approx(350.0)
    ledger.check()


def test_pay_many_books_every_payment_and_conserves_cash():
    ledger = make_ledger()
    ledger.pay_many(np.array([A, A, C]), np.array([B, C, B]), np.array([10.0, 0.0, 5.0]), "tax")
    # a: 100 - 10 = 90; b: 50 + 10 + 5 = 65; c: 200 - 5 = 195; the zero payment is skipped
    np.testing.assert_allclose(ledger.cash[[A, B, C]], [90.0, 65.0, 195.0])
    assert ledger.flows.size == 2
    np.testing.assert_allclose(ledger.flows.column("amount"), [10.0, 5.0])
    ledger.check()


def test_pay_many_refuses_payments_that_together_overdraw_a_payer():
    ledger = make_ledger()
    # b has 50: 30 + 30 = 60 is too much even though each payment alone is fine
    with pytest.raises(LedgerError):
        ledger.pay_many(np.array([B, B]), np.array([A, C]), np.array([30.0, 30.0]), "tax")
    assert ledger.cash[B] == 50.0


@pytest.mark.parametrize("amount", [-5.0, float("nan")])
def test_pay_many_refuses_negative_or_non_finite_amounts_like_pay(amount):
    with pytest.raises(LedgerError):
        make_ledger().pay_many(np.array([A]), np.array([B]), np.array([amount]), "tax")


# ---------------------------------------------------------------------------------------
# lend and repay
# ---------------------------------------------------------------------------------------


def test_loan_gives_the_borrower_cash_and_a_debt_matched_by_the_lenders_claim():
    ledger = make_ledger()
    ledger.lend(C, A, 40.0, "margin_loan")
    # a: cash 140, owes 40; c: cash 160, claim -40; debts sum to zero
    assert (ledger.cash[A], ledger.cash[C]) == (140.0, 160.0)
    assert (ledger.debt[A], ledger.debt[C]) == (40.0, -40.0)
    assert ledger.debt.sum() == 0.0
    assert last_flow(ledger)["kind"] == "margin_loan"
    assert ledger.flows.size == 1
    ledger.check()


def test_lender_must_have_the_cash_it_lends_unless_it_is_the_central_bank():
    ledger = make_ledger()
    with pytest.raises(LedgerError):
        ledger.lend(B, A, 60.0, "margin_loan")
    assert ledger.debt.sum() == 0.0 and ledger.debt[A] == 0.0
    ledger.lend(CB, A, 60.0, "standing_repo")
    assert ledger.cash[CB] == -60.0
    ledger.check()


def test_repayment_moves_cash_back_and_reduces_debts_to_still_sum_to_zero():
    ledger = make_ledger()
    ledger.lend(C, A, 40.0, "margin_loan")
    ledger.lend(C, B, 10.0, "margin_loan")
    ledger.repay_many(np.array([A, B]), C, np.array([15.0, 10.0]), "debt_repayment")
    # a owes 40 - 15 = 25, b 10 - 10 = 0; c's claim -50 + 25 = -25
    np.testing.assert_allclose(ledger.debt[[A, B, C]], [25.0, 0.0, -25.0])
    # cash: a 140 - 15 = 125, b 60 - 10 = 50, c 150 + 25 = 175
    np.testing.assert_allclose(ledger.cash[[A, B, C]], [125.0, 50.0, 175.0])
    assert ledger.debt.sum() == 0.0
    assert ledger.flows.size == 4  # two loans, two repayments
    ledger.check()


def test_repaying_more_than_is_owed_is_refused():
    ledger = make_ledger()
    ledger.lend(C, A, 10.0, "margin_loan")
    with pytest.raises(LedgerError, match="larger than the debt"):
        ledger.repay_many(np.array([A]), C, np.array([11.0]), "debt_repayment")


def test_a_negative_repayment_is_refused():
    ledger = make_ledger()
    ledger.lend(C, A, 10.0, "margin_loan")
    with pytest.raises(LedgerError):
        ledger.repay_many(np.array([A]), C, np.array([-5.0]), "debt_repayment")
    assert ledger.debt[A] == 10.0


def test_repeated_repayments_by_one_borrower_cannot_exceed_its_debt():
    ledger = make_ledger()
    ledger.lend(C, A, 10.0, "margin_loan")
    with pytest.raises(LedgerError):
        ledger.repay_many(np.array([A, A]), C, np.array([8.0, 8.0]), "debt_repayment")


# ---------------------------------------------------------------------------------------
# deliver, issue, retire
# ---------------------------------------------------------------------------------------


def test_delivery_moves_units_and_records_their_value():
    ledger = make_ledger()
    ledger.deliver(B, A, 1, 4.0, 2.5, "transfer")
    # b: 20 - 4 = 16 crypto, a: 5 + 4 = 9; value 4 x 2.5 = 10
    assert (ledger.holdings[B, 1], ledger.holdings[A, 1]) == (16.0, 9.0)
    flow = last_flow(ledger)
    assert (flow["instrument"], flow["units"], flow["amount"]) == (1, 4.0, 10.0)
    ledger.check()


def test_delivering_more_units_than_held_is_refused():
    with pytest.raises(LedgerError):
        make_ledger().deliver(B, A, 1, 21.0, 1.0, "transfer")


def test_issuance_creates_units_held_by_the_issuer_and_is_recorded():
    ledger = make_ledger()
    ledger.issue(A, 0, 30.0, 0.98)
    # outstanding 100 + 30 = 130; a holds 10 + 30 = 40; flow value 30 x 0.98 = 29.4
    assert ledger.outstanding[0] == 130.0
    assert ledger.holdings[A, 0] == 40.0
    assert last_flow(ledger) == {
        "week": 0,
        "source": A,
        "target": A,
        "instrument": 0,
        "kind": "issuance",
        "amount": pytest.approx(29.4),
        "units": 30.0,
    }
    assert ledger.cash.sum() == pytest.approx(350.0)
    ledger.check()


def test_negative_issuance_is_refused():
    with pytest.raises(LedgerError):
        make_ledger().issue(A, 0, -1.0, 1.0)


def test_retirement_destroys_units_and_is_recorded():
    ledger = make_ledger()
    ledger.retire(C, 0, 15.0, 1.0)
    # outstanding 100 - 15 = 85; c holds 40 - 15 = 25
    assert ledger.outstanding[0] == 85.0
    assert ledger.holdings[C, 0] == 25.0
    flow = last_flow(ledger)
    assert (flow["kind"], flow["units"], flow["amount"]) == ("retirement", 15.0, 15.0)
    ledger.check()


def test_retiring_more_units_than_held_is_refused():
    with pytest.raises(LedgerError):
        make_ledger().retire(C, 0, 41.0, 1.0)


# ---------------------------------------------------------------------------------------
# trade: one clearing round
# ---------------------------------------------------------------------------------------


def balanced_round() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """b sells 10 crypto, of which a buys 6 and c 4; c sells 20 treasuries to a."""
    sold = np.zeros((6, 2))
    bought = np.zeros((6, 2))
    sold[B, 1] = 10.0
    bought[A, 1], bought[C, 1] = 6.0, 4.0
    sold[C, 0] = 20.0
    bought[A, 0] = 20.0
    return sold, bought, np.array([0.99, 3.0])


def test_trade_pays_sellers_and_charges_buyers_at_the_clearing_price():
    ledger = make_ledger()
    sold, bought, prices = balanced_round()
    ledger.trade(MARKET, sold, bought, prices, "trade")
    # b receives 10 x 3 = 30:                   50 + 30 = 80
    # a pays 6 x 3 + 20 x 0.99 = 18 + 19.8 = 37.8: 100 - 37.8 = 62.2
    # c pays 4 x 3 = 12 and receives 19.8:    200 - 12 + 19.8 = 207.8
    np.testing.assert_allclose(ledger.cash[[A, B, C]], [62.2, 80.0, 207.8])
    np.testing.assert_allclose(ledger.holdings[A], [30.0, 11.0])
    np.testing.assert_allclose(ledger.holdings[B], [0.0, 10.0])
    np.testing.assert_allclose(ledger.holdings[C], [20.0, 4.0])
    assert ledger.cash.sum() == pytest.approx(350.0)
    ledger.check()


def test_clearing_accounts_end_a_round_flat():
    ledger = make_ledger()
    ledger.trade(MARKET, *balanced_round(), "trade")
    f = ledger.flows
    source, target = f.column("source"), f.column("target")
    instrument, amount, units = f.column("instrument"), f.column("amount"), f.column("units")
    for k, row in enumerate((MARKET, MARKET + 1)):
        cash_in = amount[(target == row) & (instrument == CASH)].sum()
        cash_out = amount[(source == row) & (instrument == CASH)].sum()
        units_in = units[(target == row) & (instrument == k)].sum()
        units_out = units[(source == row) & (instrument == k)].sum()
        assert cash_in == pytest.approx(cash_out)
        assert units_in == pytest.approx(units_out)
    # the clearing accounts' balances never moved
    assert not ledger.cash[MARKET:].any()
    assert not ledger.holdings[MARKET:].any()
    # each trader leg is a securities flow and a cash flow: (1 + 2 + 1 + 1) legs x 2
    assert f.size == 10


def test_unbalanced_round_is_refused_and_changes_nothing():
    ledger = make_ledger()
    sold, bought, prices = balanced_round()
    bought[C, 1] = 3.0  # 10 sold, 9 bought
    before = ledger.cash.copy(), ledger.holdings.copy()
    with pytest.raises(LedgerError, match="does not balance"):
        ledger.trade(MARKET, sold, bought, prices, "trade")
    np.testing.assert_array_equal(ledger.cash, before[0])
    np.testing.assert_array_equal(ledger.holdings, before[1])


def test_selling_more_than_held_is_refused():
    ledger = make_ledger()
    sold, bought, prices = balanced_round()
    sold[B, 1] = bought[A, 1] = 21.0  # b holds 20
    bought[C, 1] = 0.0
    with pytest.raises(LedgerError, match="more units than it holds"):
        ledger.trade(MARKET, sold, bought, prices, "trade")


def test_buyer_without_the_cash_is_refused_but_the_central_bank_may_buy_with_reserves():
    ledger = make_ledger()
    sold = np.zeros((6, 2))
    bought = np.zeros((6, 2))
    sold[C, 0] = bought[B, 0] = 40.0
    # b has 50 and must pay 40 x 2 = 80
    with pytest.raises(LedgerError, match="cannot pay"):
        ledger.trade(MARKET, sold, bought, np.array([2.0, 1.0]), "trade")
    bought[B, 0], bought[CB, 0] = 0.0, 40.0
    ledger.trade(MARKET, sold, bought, np.array([2.0, 1.0]), "qe")
    assert ledger.cash[CB] == -80.0
    ledger.check()


def test_negative_trade_volumes_are_refused():
    sold, bought, prices = balanced_round()
    sold[B, 1] = -1.0
    with pytest.raises(LedgerError):
        make_ledger().trade(MARKET, sold, bought, prices, "trade")


# ---------------------------------------------------------------------------------------
# check(): the invariants
# ---------------------------------------------------------------------------------------


def test_check_catches_cash_created_from_nothing():
    ledger = make_ledger()
    ledger.cash[A] += 1.0
    with pytest.raises(LedgerError, match="cash not conserved"):
        ledger.check()


def test_check_catches_units_created_without_issuance():
    ledger = make_ledger()
    ledger.holdings[B, 1] += 1.0
    with pytest.raises(LedgerError, match="units of crypto"):
        ledger.check()


def test_check_catches_a_debt_without_a_matching_claim():
    ledger = make_ledger()
    ledger.debt[A] = 10.0
    with pytest.raises(LedgerError, match="debts and claims"):
        ledger.check()


def test_check_catches_a_silent_overdraft():
    ledger = make_ledger()
    ledger.cash[B] -= 60.0  # b: -10, a matching +60 elsewhere keeps the total
    ledger.cash[C] += 60.0
    with pytest.raises(LedgerError, match="negative cash"):
        ledger.check()


def test_check_catches_a_non_finite_holding():
    ledger = make_ledger()
    ledger.holdings[A, 0] = np.nan
    with pytest.raises(LedgerError):
        ledger.check()


def test_check_catches_a_non_finite_debt():
    ledger = make_ledger()
    ledger.debt[A] = ledger.debt[C] = np.nan
    with pytest.raises(LedgerError):
        ledger.check()


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_check_catches_non_finite_units_outstanding(bad):
    ledger = make_ledger()
    ledger.outstanding[0] = bad
    with pytest.raises(LedgerError):
        ledger.check()


# ---------------------------------------------------------------------------------------
# FlowLog
# ---------------------------------------------------------------------------------------


def test_flow_log_grows_past_its_initial_capacity_and_keeps_every_record():
    log = FlowLog(capacity=2)
    for i in range(5):
        log.append(i, i, i + 1, CASH, "pay", float(i), 0.0)
    log.append(5, np.array([1, 2, 3]), np.array([2, 3, 4]), 0, "trade", np.ones(3), np.ones(3))
    assert log.size == 8
    np.testing.assert_array_equal(log.column("week"), [0, 1, 2, 3, 4, 5, 5, 5])
    np.testing.assert_array_equal(log.column("amount"), [0, 1, 2, 3, 4, 1, 1, 1])
    assert [log.kinds[k] for k in log.column("kind")] == ["pay"] * 5 + ["trade"] * 3


def test_flow_kinds_are_registered_once():
    log = FlowLog()
    assert log.kind_id("capex") == 0
    assert log.kind_id("qe") == 1
    assert log.kind_id("capex") == 0
    assert log.kinds == ["capex", "qe"]


# ---------------------------------------------------------------------------------------
# Property: any sequence of valid movements keeps the books consistent
# ---------------------------------------------------------------------------------------

PRIVATE = [A, B, C]
fraction = st.floats(0.0, 1.0, allow_nan=False)
step = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from([CB, A, B, C]), st.sampled_from(PRIVATE), fraction),
    st.tuples(st.just("lend"), st.sampled_from([CB, A, B, C]), st.sampled_from(PRIVATE), fraction),
    st.tuples(st.just("repay"), st.sampled_from(PRIVATE), st.sampled_from(PRIVATE), fraction),
    st.tuples(st.just("issue"), st.sampled_from(PRIVATE), st.sampled_from([0, 1]), fraction),
    st.tuples(st.just("retire"), st.sampled_from(PRIVATE), st.sampled_from([0, 1]), fraction),
    st.tuples(
        st.just("trade"),
        st.sampled_from([CB, A, B, C]),
        st.sampled_from([CB, A, B, C]),
        fraction,
        st.sampled_from([0, 1]),
        st.floats(0.01, 100.0),
    ),
)


def apply(ledger: Ledger, op: tuple) -> None:
    """Book one valid movement sized as a fraction of what the payer can afford."""
    kind, i, j, f = op[:4]
    if kind in ("pay", "lend"):
        amount = f * (100.0 if i == CB else max(ledger.cash[i], 0.0))
        (ledger.pay if kind == "pay" else ledger.lend)(i, j, amount, kind)
    elif kind == "repay":
        lender = j
        owed = ledger.debt[i]
        if i != lender and owed > 0:
            # Trading at rounded prices can leave a holder a few 1e-15 overdrawn: repay nothing.
            repaid = f * max(min(owed, ledger.cash[i]), 0.0)
            ledger.repay_many(np.array([i]), lender, np.array([repaid]), kind)
    elif kind == "issue":
        ledger.issue(i, j, 50.0 * f, 1.0)
    elif kind == "retire":
        ledger.retire(i, j, f * ledger.holdings[i, j], 1.0)
    else:
        asset, price = op[4], op[5]
        units = f * ledger.holdings[i, asset]
        if j != CB:
            units = min(units, max(ledger.cash[j], 0.0) / price)
        sold = np.zeros_like(ledger.holdings)
        bought = np.zeros_like(ledger.holdings)
        sold[i, asset] = units
        bought[j, asset] = units
        ledger.trade(MARKET, sold, bought, np.array([price, price]), "trade")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=30))
def test_any_sequence_of_valid_movements_keeps_the_books_consistent(ops):
    ledger = make_ledger()
    total = ledger.cash.sum()
    for op in ops:
        ledger.week += 1
        apply(ledger, op)
        ledger.check()
    assert abs(ledger.cash.sum() - total) <= 1e-9 * max(total, np.abs(ledger.cash).sum())
    assert ledger.conservation_error() <= 1e-9
    # The ledger's own tolerance: 1e-9 of max(1, units outstanding), so retired dust passes.
    np.testing.assert_allclose(
        ledger.holdings.sum(axis=0), ledger.outstanding, rtol=1e-9, atol=1e-9
    )
    assert abs(ledger.debt.sum()) <= 1e-9 * max(1.0, np.abs(ledger.debt).sum())


def test_a_trade_stored_once_reads_back_as_its_two_legs_in_booking_order():
    """A batch of trades is one row per trade, read back as if each leg were appended alone."""
    rng = np.random.default_rng(5)
    rows, cols = np.array([0, 2, 1]), np.array([1, 0, 1])
    prices, units = rng.random(2), rng.random(3)
    values = units * prices[cols]  # as the ledger settles them
    markets = 10 + cols
    compact, by_leg = FlowLog(capacity=2), FlowLog(capacity=2)
    for log in (compact, by_leg):
        log.append(0, 3, 4, CASH, "coupon", 1.5, 0.0)
    compact.append_trades(1, rows, 10, cols, "trade", prices, units, selling=True)
    compact.append(1, 5, 6, CASH, "capex", 2.0, 0.0)
    compact.append_trades(2, rows, 10, cols, "forced_sale", prices, units, selling=False)
    by_leg.append(1, rows, markets, cols, "trade", values, units)
    by_leg.append(1, markets, rows, CASH, "trade", values, 0.0)
    by_leg.append(1, 5, 6, CASH, "capex", 2.0, 0.0)
    by_leg.append(2, rows, markets, CASH, "forced_sale", values, 0.0)
    by_leg.append(2, markets, rows, cols, "forced_sale", values, units)
    assert compact.records == 1 + 3 + 1 + 3
    assert compact.size == by_leg.size == 1 + 6 + 1 + 6
    assert compact.kinds == by_leg.kinds
    for name, dtype in FlowLog._columns:
        column = compact.column(name)
        assert column.dtype == dtype
        np.testing.assert_array_equal(column, by_leg.column(name))


def test_a_log_of_many_chunks_reads_back_as_one():
    """Past CHUNK rows the log sets full chunks aside instead of copying them: same columns."""
    rng = np.random.default_rng(7)
    # a tiny chunk, so that batches straddle chunk boundaries
    chunked, single = FlowLog(capacity=2, chunk=8), FlowLog(capacity=2)
    for week in range(6):
        n = int(rng.integers(1, 12))
        rows, cols = rng.integers(0, 5, n), rng.integers(0, 2, n)
        values, units, prices = rng.random(n), rng.random(n), rng.random(2)
        for log in (chunked, single):
            log.append(week, rows, 9, CASH, "coupon", values, 0.0)
            log.append(week, rows, 9, 1, "delivery", values, units)
            log.append_trades(week, rows, 10, cols, "trade", prices, units, selling=week % 2)
    assert chunked._trades._chunks and chunked._payments._chunks and chunked._others._chunks
    assert not single._trades._chunks
    assert chunked.records == single.records and chunked.size == single.size
    for name, _ in FlowLog._columns:
        np.testing.assert_array_equal(chunked.column(name), single.column(name))


def test_a_payment_of_negative_zero_units_reads_back_as_booked():
    """Payments keep no units column; a -0.0 (not a plain payment) must still read back."""
    log = FlowLog()
    log.append(0, 1, 2, CASH, "pay", 1.0, 0.0)
    log.append(0, 1, 2, CASH, "odd", 1.0, -0.0)
    units = log.column("units")
    assert units.tolist() == [0.0, 0.0]
    assert not np.signbit(units[0]) and np.signbit(units[1])


def test_a_ledger_trade_reads_back_the_values_it_settled():
    """Trade values are kept as units and the round's prices: read back, units x price."""
    ledger = make_ledger()
    sold, bought = np.zeros_like(ledger.holdings), np.zeros_like(ledger.holdings)
    sold[A, 0], bought[B, 0] = 3.0, 3.0
    sold[B, 1], bought[A, 1] = 0.7, 0.7
    prices = np.array([1.1, 0.3])
    ledger.trade(MARKET, sold, bought, prices, "trade")
    log = ledger.flows
    amount, instrument = log.column("amount"), log.column("instrument")
    sold_values, bought_values = [3.0 * 1.1, 0.7 * 0.3], [0.7 * 0.3, 3.0 * 1.1]  # by holder
    np.testing.assert_array_equal(amount, sold_values * 2 + bought_values * 2)
    np.testing.assert_array_equal(instrument, [0, 1, CASH, CASH, CASH, CASH, 1, 0])


def _ledger_state(ledger: Ledger) -> tuple:
    flows = tuple(ledger.flows.column(name).tobytes() for name, _ in FlowLog._columns)
    return ledger.cash.tobytes(), ledger.holdings.tobytes(), flows


@settings(max_examples=100, deadline=None)
@given(
    scale=st.floats(0.01, 1.0),
    crypto_price=st.floats(0.1, 10.0),
    treasury_price=st.floats(0.5, 1.5),
    idle=st.sets(st.sampled_from([0, 4, 5])),
)
def test_a_round_booked_for_its_traders_alone_is_the_round_booked_for_everyone(
    scale, crypto_price, treasury_price, idle
):
    """The clearing passes only the rows that trade (``rows``): the books and the flow log
    must come out as if every holder had been passed with zero rows for the others."""
    sold, bought, _ = balanced_round()
    sold, bought = sold * scale, bought * scale
    prices = np.array([treasury_price, crypto_price])
    everyone = make_ledger()
    everyone.trade(MARKET, sold, bought, prices, "trade")
    rows = np.array(sorted({A, B, C} | idle))
    traders = make_ledger()
    traders.trade(MARKET, sold[rows], bought[rows], prices, "trade", rows=rows)
    assert _ledger_state(traders) == _ledger_state(everyone)


def test_a_buyer_short_of_cash_is_named_when_only_the_traders_are_passed():
    ledger = make_ledger()
    sold, bought = np.zeros((2, 2)), np.zeros((2, 2))
    sold[0, 1] = 20.0  # b sells all its crypto to c, who cannot pay 20 x 20
    bought[1, 1] = 20.0
    before = _ledger_state(ledger)
    with pytest.raises(LedgerError, match="c cannot pay"):
        ledger.trade(MARKET, sold, bought, np.array([1.0, 20.0]), "trade", rows=np.array([B, C]))
    assert _ledger_state(ledger) == before
