"""Market clearing for the model: the fire-sale engine, booked in the ledger.

Every trade of a week goes through :func:`clear`: it marks the ledger's holdings
at current prices, runs :func:`~inverse_qe.model.firesale.run_fire_sale` (the
one forced-selling code path), and books each round in the ledger at that
round's single clearing price, with the residual absorber (value investors and
dealers) taking the net. Forced sales become events linked to the forced sales
of the round before them that hit the same assets, so cascades can be traced.
"""

from __future__ import annotations

import numpy as np

from inverse_qe.model.arrays import row_sums
from inverse_qe.model.firesale import FireSaleResult, run_fire_sale

#: At most this many causes are linked to each forced sale (the largest ones).
MAX_CAUSES = 3
#: A forced sale counts as a cause only if it is at least this large (US$bn) and at least
#: this share of the largest sale of its round.
MIN_CAUSE = 0.05
MIN_CAUSE_SHARE = 0.01


class CauseTracker:
    """Remembers the latest round of forced sales, to link the next round's to them.

    A forced sale is caused by the largest material forced sales of the round
    before it (within a week) that hit at least one of the same assets. Sales are
    grouped by the set of assets they hit (a handful of patterns, whatever the
    number of funds), so linking costs O(sellers x patterns), not O(sellers^2).
    """

    def __init__(self) -> None:
        self.week = -1
        # Per asset pattern (a bit mask): the ids and amounts of its largest sales.
        self.patterns = np.zeros(0, dtype=np.int64)
        self.top_ids = np.zeros((0, MAX_CAUSES), dtype=np.int64)
        self.top_amounts = np.zeros((0, MAX_CAUSES))

    def causes_for(self, sold_assets: np.ndarray, week: int) -> list[tuple[int, ...]]:
        """For each row of ``sold_assets`` (sellers x assets), the ids of its causes."""
        n = sold_assets.shape[0]
        if week - self.week > 1 or self.patterns.size == 0:
            return [()] * n
        codes = _pattern_codes(sold_assets)
        unique, inverse = np.unique(codes, return_inverse=True)
        by_pattern = []
        for code in unique:
            hit = (self.patterns & code) != 0  # previous patterns sharing an asset
            ids, amounts = self.top_ids[hit].ravel(), self.top_amounts[hit].ravel()
            keep = ids >= 0
            order = np.argsort(-amounts[keep], kind="stable")[:MAX_CAUSES]
            by_pattern.append(tuple(int(i) for i in ids[keep][order]))
        return [by_pattern[j] for j in inverse]

    def remember(self, ids: np.ndarray, assets: np.ndarray, amounts: np.ndarray, week: int):
        """Make this round's material forced sales the candidate causes of the next round's."""
        if ids.size == 0:
            return
        # A sale too small to move prices cannot have caused the next round's.
        material = amounts >= max(MIN_CAUSE, MIN_CAUSE_SHARE * float(amounts.max()))
        ids, amounts, codes = ids[material], amounts[material], _pattern_codes(assets[material])
        order = np.lexsort((-amounts, codes))  # by pattern, largest first within it
        ids, amounts, codes = ids[order], amounts[order], codes[order]
        patterns, starts = np.unique(codes, return_index=True)
        top_ids = np.full((patterns.size, MAX_CAUSES), -1, dtype=np.int64)
        top_amounts = np.full((patterns.size, MAX_CAUSES), -np.inf)
        for j, start in enumerate(starts):
            end = starts[j + 1] if j + 1 < starts.size else ids.size
            take = min(MAX_CAUSES, end - start)
            top_ids[j, :take] = ids[start : start + take]
            top_amounts[j, :take] = amounts[start : start + take]
        self.patterns, self.top_ids, self.top_amounts = patterns, top_ids, top_amounts
        self.week = week


def _pattern_codes(sold_assets: np.ndarray) -> np.ndarray:
    """Each row's set of assets as an integer bit mask."""
    bits = np.left_shift(1, np.arange(sold_assets.shape[1], dtype=np.int64))
    return (sold_assets.astype(np.int64) * bits).sum(axis=1)


def clear(
    model,
    *,
    orders: np.ndarray | None = None,
    cash_needed: np.ndarray | None = None,
    reasons: np.ndarray | None = None,
    leverage_limit: np.ndarray | None = None,
    target_leverage: np.ndarray | None = None,
    leverage: np.ndarray | None = None,
    max_rounds: int = 1,
    kind: str = "trade",
) -> FireSaleResult:
    """Clear one batch of orders and forced sales, and book it; returns the engine's result.

    Args:
        model: the :class:`~inverse_qe.model.bathtub.BathtubModel`.
        orders: holders x assets discretionary orders, US$bn (> 0 buy, < 0 sell).
        cash_needed: per holder, cash that must be raised by selling.
        reasons: per holder, the reason recorded on its forced sales ("" = not forced).
        leverage_limit: per holder; holders above it deleverage to ``target_leverage``.
        target_leverage: per holder target after a margin call.
        leverage: per holder, its leverage when the margin check began (recorded, with
            ``leverage_limit``, on the ``MarginCall`` events of sales with reason "margin").
        max_rounds: bound on the rounds of the cascade within this clearing.
        kind: the flow kind recorded in the ledger.
    """
    ledger, markets = model.ledger, model.markets
    n = ledger.cash.size
    holdings_value = ledger.holdings * markets.price
    cash = np.maximum(ledger.cash, 0.0)
    if orders is not None:
        # The central bank pays with reserves it creates: its buying power is its order.
        cash[ledger.central_bank] = max(orders[ledger.central_bank].sum(), 0.0)
    debt = np.maximum(ledger.debt, 0.0)
    if leverage_limit is None:
        leverage_limit = np.full(n, np.inf)
        target_leverage = np.full(n, np.inf)
    if leverage is None:
        leverage = np.zeros(n)
    result = run_fire_sale(
        holdings_value,
        cash,
        debt,
        markets.impact_per_dollar(ledger.outstanding),
        target_leverage=target_leverage,
        leverage_limit=leverage_limit,
        cash_needed=cash_needed,
        orders=orders,
        max_rounds=max_rounds,
        impact_kind="exponential",
        liquidation=model.liquidation,
        sale_order=model.sale_ranks(),
        use_cash=True,
    )
    debt_before = debt.copy()
    discretionary_sells = (
        np.zeros_like(holdings_value) if orders is None else -np.minimum(orders, 0)
    )
    for r, (sold, bought, returns) in enumerate(
        zip(result.round_sales, result.round_buys, result.round_returns, strict=True)
    ):
        # Orders buy in the first round only: later rounds (and a clearing without
        # orders) have no buyers but the absorbers, and their zero rows are not booked.
        _book_round(model, sold, bought if r == 0 and orders is not None else None, returns, kind)
        forced = np.maximum(sold - discretionary_sells, 0.0) if r == 0 else sold
        if reasons is not None:
            _record_forced_sales(model, forced, reasons, r + 1, (leverage, leverage_limit))
    # The engine repays from proceeds at its own marks; the booked proceeds can fall
    # short of them by rounding (units sold are capped at units held), so a borrower
    # repays at most the cash it has: what it cannot repay stays owed.
    repaid = np.minimum(debt_before - result.debt, np.maximum(ledger.cash, 0.0))
    borrowers = np.flatnonzero(repaid > 1e-12)
    if borrowers.size:
        ledger.repay_many(borrowers, model.rows.banks, repaid[borrowers], "debt_repayment")
    return result


def _book_round(model, sold, bought, returns, kind: str) -> None:
    """Book one clearing round: sellers and buyers against the market.

    ``bought`` is None when nobody but the absorbers buys. The net is taken by the
    residual absorbers, the value investors and dealers (``model.absorber_rows``): a
    net sale out of their cash, a net purchase from their holdings. Sellers who must
    raise cash are never the ones who buy their own sales back; the absorbers' cash
    falling below what they want to hold is what makes them sell later, slowly.
    """
    ledger, markets = model.ledger, model.markets
    pre = markets.price
    # The markets' log prices are the authority on the clearing price (bounded, never zero).
    markets.apply_flow_returns(returns)
    post = markets.price
    # Only the holders who trade this round, and the absorbers, who take its net: with
    # thousands of hedge funds most sit a round out (about four in five at 10,000), and
    # the arrays below are the traders' alone. Sums over them are the sums over every
    # holder bit for bit (the others add exact zeros). Both arrays are non-negative, so
    # a row trades when its sum is positive (row sums are the cheap reduction here).
    trading = row_sums(sold) > 0.0
    if bought is not None:
        trading |= row_sums(bought) > 0.0
    absorbers = model.absorber_rows
    trading[absorbers] = True
    rows = np.flatnonzero(trading)
    at = np.searchsorted(rows, absorbers)  # where the absorbers are among them
    holdings = ledger.holdings[rows]
    # Engine marks and ledger prices agree up to rounding: never sell more than is held.
    units_sold = np.minimum(sold[rows] / pre, holdings)
    units_bought = np.zeros_like(units_sold) if bought is None else bought[rows] / post
    # Buyers cannot get more units than sellers and the absorbers together can deliver.
    unsold = holdings[at] - units_sold[at]
    sold_total = units_sold.sum(axis=0)
    supply = sold_total + unsold.sum(axis=0)
    demand = units_bought.sum(axis=0)
    rationed = demand > supply
    if rationed.any():
        units_bought[:, rationed] *= supply[rationed] / demand[rationed]
        demand = units_bought.sum(axis=0)
    net = sold_total - demand
    cash = np.maximum(ledger.cash[absorbers], 0.0)
    cash_share = (
        cash / cash.sum() if cash.sum() > 0 else np.full(absorbers.size, 1 / absorbers.size)
    )
    held = np.maximum(holdings[at] - units_sold[at], 0.0)
    held_share = held / np.maximum(held.sum(axis=0), 1e-300)
    absorber_buys = cash_share[:, None] * np.maximum(net, 0.0)
    absorber_sells = np.minimum(held_share * np.maximum(-net, 0.0), held)
    for j, row in enumerate(absorbers):
        # What the absorber pays this round: its own orders and its share of the net.
        own = (units_bought[at[j]] - units_sold[at[j]]) @ post
        cost = float(own + (absorber_buys[j] - absorber_sells[j]) @ post)
        short = cost - ledger.cash[row]
        if short > 0:  # the backstop: standing repo at the central bank
            ledger.lend(ledger.central_bank, int(row), short * (1 + 1e-9), "standing_repo")
    units_sold[at] += absorber_sells
    units_bought[at] += absorber_buys
    ledger.trade(model.rows.markets, units_sold, units_bought, post, kind, rows=rows)


def _record_forced_sales(
    model,
    forced: np.ndarray,
    reasons: np.ndarray,
    round_: int,
    margin_terms: tuple[np.ndarray, np.ndarray],
) -> None:
    """One :class:`ForcedSale` event per holder that sold under compulsion this round.

    A sale for a margin call is preceded by its :class:`MarginCall`, which records
    ``margin_terms``: the seller's leverage when the check began, and its limit.
    """
    week, log = model.week, model.events
    # The reason is asked only of those that sold (comparing strings is the slow part).
    sold_some = np.flatnonzero(row_sums(forced) > 1e-6)
    sellers = sold_some[reasons[sold_some] != ""]
    if sellers.size == 0:
        return
    rows = forced[sellers]
    sold = rows > 1e-9
    amounts = row_sums(rows)
    all_causes = model.causes.causes_for(sold, week)
    seller, asset = np.nonzero(sold)
    reason_of = reasons[sellers]
    ids = log.add_forced_sales(
        model.ledger,
        week,
        sellers,
        reason_of,
        amounts,
        all_causes,
        (seller, asset, rows[seller, asset]),
        round_,
        (margin_terms[0][sellers], margin_terms[1][sellers]),
    )
    totals = model.forced_by_reason
    names, first = np.unique(reason_of, return_index=True)
    for reason in names[np.argsort(first)].tolist():  # new reasons in order of appearance
        # Added one sale at a time, in order (a cumulative sum adds left to right).
        these = amounts[reason_of == reason]
        totals[reason] = float(np.cumsum(np.r_[totals.get(reason, 0.0), these])[-1])
    model.causes.remember(ids, sold, amounts, week)


def place_new_issues(new_issues: np.ndarray, dry_powder: np.ndarray) -> np.ndarray:
    """The primary market: new issues placed with the holders who have dry powder.

    Each week's new bonds (the treasury's auction, hyperscalers' issues) go
    first to investors holding cash above their money demand, pro rata to it,
    at the issue price: idle cash buys the funder's bonds and the money it paid
    circulates. What their dry powder cannot take goes to the market, where the
    value investors absorb it at a price concession (the sale's price impact):
    once dry powder is gone, every new bond is a sale somebody has to absorb.

    Args:
        new_issues: per asset, US$bn of new issues for sale this week.
        dry_powder: per buyer, cash above money demand (negative counts as none).

    Returns:
        Buyers x assets buy orders, US$bn; their sum over buyers is
        ``new_issues`` scaled down by what dry powder can take.
    """
    budget = np.maximum(np.asarray(dry_powder, dtype=float), 0.0)
    issues = np.maximum(np.asarray(new_issues, dtype=float), 0.0)
    total, wanted = budget.sum(), issues.sum()
    if total <= 0 or wanted <= 0:
        return np.zeros((budget.size, issues.size))
    placed = 1.0 if total >= wanted else total / wanted
    return placed * (budget / total)[:, None] * issues[None, :]
