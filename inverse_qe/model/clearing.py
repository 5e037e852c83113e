"""Market clearing for the model: the fire-sale engine, booked in the ledger.

Every trade of a week goes through :func:`clear`: it marks the ledger's holdings
at current prices, runs :func:`~inverse_qe.model.firesale.run_fire_sale` (the
one forced-selling code path), and books each round in the ledger at that
round's single clearing price, with the residual absorber (value investors and
dealers) taking the net. Forced sales become events linked to the forced sales
of the round before them that hit the same assets, so cascades can be traced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inverse_qe.model.events import ForcedSale, MarginCall
from inverse_qe.model.firesale import FireSaleResult, run_fire_sale

#: At most this many causes are linked to each forced sale (the largest ones).
MAX_CAUSES = 3


@dataclass
class Clearing:
    """What one call to :func:`clear` did, in model terms."""

    result: FireSaleResult
    forced: np.ndarray  # holders x assets, dollars sold under compulsion
    volume: float  # dollars traded (sold) over all rounds


class CauseTracker:
    """Remembers the latest round of forced sales, to link the next round's to them."""

    def __init__(self) -> None:
        self.previous: list[tuple[int, np.ndarray, float]] = []  # (event id, assets, amount)
        self.week = -1

    def causes_for(self, assets: np.ndarray, week: int) -> tuple[int, ...]:
        """Ids of the largest recent forced sales that hit any of ``assets``."""
        if week - self.week > 1:
            return ()
        hits = [(amount, eid) for eid, sold, amount in self.previous if np.any(sold & assets)]
        hits.sort(reverse=True)
        return tuple(eid for _, eid in hits[:MAX_CAUSES])

    def remember(self, round_events: list[tuple[int, np.ndarray, float]], week: int) -> None:
        """Make this round's forced sales the candidates causes of the next round's."""
        if round_events:
            self.previous = round_events
            self.week = week


def clear(
    model,
    *,
    orders: np.ndarray | None = None,
    cash_needed: np.ndarray | None = None,
    reasons: np.ndarray | None = None,
    leverage_limit: np.ndarray | None = None,
    target_leverage: np.ndarray | None = None,
    max_rounds: int = 1,
    kind: str = "trade",
) -> Clearing:
    """Clear one batch of orders and forced sales, and book it.

    Args:
        model: the :class:`~inverse_qe.model.bathtub.BathtubModel`.
        orders: holders x assets discretionary orders, US$bn (> 0 buy, < 0 sell).
        cash_needed: per holder, cash that must be raised by selling.
        reasons: per holder, the reason recorded on its forced sales ("" = not forced).
        leverage_limit: per holder; holders above it deleverage to ``target_leverage``.
        target_leverage: per holder target after a margin call.
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
    forced_total = np.zeros_like(holdings_value)
    volume = 0.0
    for r, (sold, bought, returns) in enumerate(
        zip(result.round_sales, result.round_buys, result.round_returns, strict=True)
    ):
        _book_round(model, sold, bought, returns, kind)
        forced = np.maximum(sold - discretionary_sells, 0.0) if r == 0 else sold
        forced_total += forced
        volume += float(sold.sum())
        if reasons is not None:
            _record_forced_sales(model, forced, reasons, r + 1)
    repaid = debt_before - result.debt
    borrowers = np.flatnonzero(repaid > 1e-12)
    if borrowers.size:
        ledger.repay_many(borrowers, model.rows.banks, repaid[borrowers], "debt_repayment")
    return Clearing(result, forced_total, volume)


def _book_round(model, sold, bought, returns, kind: str) -> None:
    """Book one clearing round: sellers and buyers against the market.

    The net is taken by the residual absorbers, households and value investors
    (the slow real money): a net sale in proportion to their cash, a net
    purchase from their holdings. Their cash falling below what they want to
    hold is what makes them sell later: the tub drains through them.
    """
    ledger, markets = model.ledger, model.markets
    pre = markets.price
    # The markets' log prices are the authority on the clearing price (bounded, never zero).
    markets.apply_flow_returns(returns)
    post = markets.price
    # Engine marks and ledger prices agree up to rounding: never sell more than is held.
    units_sold = np.minimum(sold / pre, ledger.holdings)
    units_bought = bought / post
    absorbers = model.absorber_rows
    # Buyers cannot get more units than sellers and the absorbers together can deliver.
    unsold = ledger.holdings[absorbers] - units_sold[absorbers]
    supply = units_sold.sum(axis=0) + unsold.sum(axis=0)
    demand = units_bought.sum(axis=0)
    rationed = demand > supply
    if rationed.any():
        units_bought[:, rationed] *= supply[rationed] / demand[rationed]
    net = units_sold.sum(axis=0) - units_bought.sum(axis=0)
    cash = np.maximum(ledger.cash[absorbers], 0.0)
    cash_share = (
        cash / cash.sum() if cash.sum() > 0 else np.full(absorbers.size, 1 / absorbers.size)
    )
    held = np.maximum(ledger.holdings[absorbers] - units_sold[absorbers], 0.0)
    held_share = held / np.maximum(held.sum(axis=0), 1e-300)
    absorber_buys = cash_share[:, None] * np.maximum(net, 0.0)
    absorber_sells = np.minimum(held_share * np.maximum(-net, 0.0), held)
    for j, row in enumerate(absorbers):
        # What the absorber pays this round: its own orders and its share of the net.
        own = (units_bought[row] - units_sold[row]) @ post
        cost = float(own + (absorber_buys[j] - absorber_sells[j]) @ post)
        short = cost - ledger.cash[row]
        if short > 0:  # the backstop: standing repo at the central bank
            ledger.lend(ledger.central_bank, int(row), short * (1 + 1e-9), "standing_repo")
    units_sold[absorbers] += absorber_sells
    units_bought[absorbers] += absorber_buys
    ledger.trade(model.rows.markets, units_sold, units_bought, post, kind)


def _record_forced_sales(model, forced: np.ndarray, reasons: np.ndarray, round_: int) -> None:
    """One :class:`ForcedSale` event per holder that sold under compulsion this round."""
    week, log, names = model.week, model.events, model.ledger.holders
    sellers = np.flatnonzero((forced.sum(axis=1) > 1e-6) & (reasons != ""))
    this_round = []
    for i in sellers:
        sold_assets = forced[i] > 1e-9
        causes = model.causes.causes_for(sold_assets, week)
        reason = str(reasons[i])
        if reason == "margin":
            log.add(
                MarginCall(
                    week=week,
                    holder=names[i].name,
                    causes=causes,
                    leverage=float(model.margin_leverage[i]),
                    limit=float(model.margin_limit[i]),
                    round=round_,
                )
            )
        event = log.add(
            ForcedSale(
                week=week,
                holder=names[i].name,
                causes=causes,
                reason=reason,
                amount=float(forced[i].sum()),
                by_asset={
                    model.markets.names[k]: float(forced[i, k]) for k in np.flatnonzero(sold_assets)
                },
                round=round_,
            )
        )
        this_round.append((event.id, sold_assets, event.amount))
        model.forced_by_reason[reason] = model.forced_by_reason.get(reason, 0.0) + event.amount
    model.causes.remember(this_round, week)
