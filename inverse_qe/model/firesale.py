"""Fire-sale and clearing engine: deleveraging, cash needs and orders with price impact.

One vectorised engine serves every forced or voluntary sale in the model: margin calls
(deleveraging back to a target leverage), redemptions and other payments due (cash that
must be raised by selling), commitment sales, and the clearing of all discretionary orders
of a week. It works on plain numpy arrays (holders x assets) so the same code path runs
for ten holders in a unit test and for 100,000 holders in a simulation.

Each round, every holder's desired sales are computed from the current marks, all sales
and buys of the round clear together at one price per asset (so the order of holders never
matters), proceeds are booked, and the next round starts from the new marks. Whatever is
sold net is absorbed outside the arrays; the result reports per round, per holder and per
asset what was sold and bought and the price change, so the caller can book the
counterparty. See ``docs/firesale.md`` for the equations and the mapping to Greenwood,
Landier and Thesmar (2015), whose closed-form vulnerability measures are provided here as
:func:`glt_aggregate_vulnerability` and :func:`glt_indirect_vulnerability`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from inverse_qe.model.arrays import row_sums

FloatArray = NDArray[np.float64]
ImpactKind = Literal["linear", "exponential", "log"]
Liquidation = Literal["pro_rata", "waterfall"]

IMPACT_KINDS: tuple[str, ...] = ("linear", "exponential", "log")
LIQUIDATION_RULES: tuple[str, ...] = ("pro_rata", "waterfall")

#: Floor of the one-round return under linear impact: a price never reaches zero.
MIN_LINEAR_RETURN = -0.99
#: Bound on |log price factor| in one round, for every impact kind. It only keeps prices
#: positive and finite in floating point (e^-50 ~ 2e-22 would otherwise underflow to zero
#: after a few rounds of absurd inputs); it never binds for economically meaningful inputs.
MAX_LOG_PRICE_MOVE = 50.0
#: Relative tolerance of the internal accounting check (dollars per dollar of balance sheet).
_ACCOUNTING_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class FireSaleResult:
    """Outcome of :func:`run_fire_sale`; all arrays are read-only numpy arrays.

    Dollar amounts "at pre-round marks" are the quantities ordered: the value, at the prices
    prevailing when the round starts, of the units sold. Proceeds are what was received at
    the round's clearing price.

    Attributes:
        sales: Holders x assets, dollars sold over all rounds at pre-round marks.
        proceeds: Holders x assets, cash received for those sales (post-impact).
        buys: Holders x assets, cash spent on buy orders (= value bought at the new marks).
        price_change: Per asset, cumulative fractional price change from trading only
            (excluding the shock).
        total_price_change: Per asset, cumulative fractional change including the shock.
        price_factor: Per asset, cumulative gross price factor from trading
            (``1 + price_change``, kept multiplicatively so it stays visibly positive even
            when ``price_change`` rounds to -1 in floating point).
        losses: Per holder, equity before the shock minus equity after (positive = loss).
        direct_losses: Per holder, the shock's mark-to-market loss, ``-sum_k h_ik f_k``.
        spillover_losses: Per holder, ``losses - direct_losses``: losses caused by the price
            impact of everyone's trades, including the holder's own.
        holdings: Holders x assets, market value after the last round.
        cash: Per holder, cash after the last round (includes cash raised for needs; paying
            it out is the caller's business).
        debt: Per holder, debt after the last round.
        rounds: Number of rounds actually run (0 if nothing had to happen).
        round_sales: One holders x assets array per round: dollars sold at pre-round marks.
        round_buys: One holders x assets array per round: cash spent on buys.
        round_returns: One per-asset array per round: the fractional price change of that
            round.
        unmet_cash_needed: Per holder, the part of ``cash_needed`` that could not be raised
            (a shortfall for the caller to handle, never silently dropped).
        insolvent: Per holder, True if equity was <= 0 with debt outstanding after the shock,
            at the start of any round, or at the end.

    """

    sales: FloatArray
    proceeds: FloatArray
    buys: FloatArray
    price_change: FloatArray
    total_price_change: FloatArray
    price_factor: FloatArray
    losses: FloatArray
    direct_losses: FloatArray
    spillover_losses: FloatArray
    holdings: FloatArray
    cash: FloatArray
    debt: FloatArray
    rounds: int
    round_sales: tuple[FloatArray, ...]
    round_buys: tuple[FloatArray, ...]
    round_returns: tuple[FloatArray, ...]
    unmet_cash_needed: FloatArray
    insolvent: NDArray[np.bool_]

    @property
    def equity(self) -> FloatArray:
        """Per-holder equity after the last round: holdings + cash - debt."""
        return row_sums(self.holdings) + self.cash - self.debt


# ---------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------


def _float_array(name: str, value: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    """Return a float64 copy of ``value`` with exactly ``shape``, finite, or raise."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _non_negative(name: str, arr: FloatArray) -> FloatArray:
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative")
    return arr


def _per_holder_leverage(name: str, value: ArrayLike | None, n_holders: int) -> FloatArray | None:
    """Broadcast a scalar or per-holder leverage to shape (holders,); +inf means "never"."""
    if value is None:
        return None
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim == 0:
        arr = np.full(n_holders, float(arr))
    elif arr.shape != (n_holders,):
        raise ValueError(f"{name} must be a scalar or have shape ({n_holders},), got {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not be NaN")
    if np.any(arr < 1.0):
        raise ValueError(f"{name} must be >= 1 (leverage is gross assets / equity)")
    return arr


def _sale_order_index(sale_order: ArrayLike | None, n_holders: int, n_assets: int) -> NDArray:
    """Sort the waterfall ranks once: column indices in selling order (stable on ties)."""
    if sale_order is None:
        raise ValueError("liquidation='waterfall' requires sale_order (ranks, 0 = sold first)")
    ranks = np.asarray(sale_order)
    if not (np.issubdtype(ranks.dtype, np.integer) or np.issubdtype(ranks.dtype, np.floating)):
        raise ValueError("sale_order must hold integer ranks")
    if ranks.shape not in ((n_assets,), (n_holders, n_assets)):
        raise ValueError(
            f"sale_order must have shape ({n_assets},) or ({n_holders}, {n_assets}), "
            f"got {ranks.shape}"
        )
    if np.issubdtype(ranks.dtype, np.floating) and not (
        np.all(np.isfinite(ranks)) and np.all(ranks == np.round(ranks))
    ):
        raise ValueError("sale_order must hold integer ranks")
    return np.argsort(ranks, axis=-1, kind="stable")


# ---------------------------------------------------------------------------------------
# Building blocks (all vectorised over holders)
# ---------------------------------------------------------------------------------------


def _sum_over_holders(x: FloatArray, rows: NDArray | None = None) -> FloatArray:
    """Per-asset total over holders of a non-negative array, independent of their order.

    A plain sum depends on the summation order in the last bits; sorting each column first
    makes the result a function of the multiset of values only, so permuting holders
    permutes every output exactly. Holders with nothing in ``x`` (most of them in a round
    with thousands of funds) are left out of the sort: their zeros would sort first and
    add nothing, so the total is the same to the bit. ``rows``: holders known to include
    every one with something in ``x`` (any others add zeros, which change nothing).
    """
    active = x[row_sums(x) > 0.0] if rows is None else x[rows]
    if active.shape[0] == 0:
        return np.zeros(x.shape[1])
    return np.sort(active, axis=0).sum(axis=0)


def _leverage(gross: FloatArray, equity: FloatArray, debt: FloatArray) -> FloatArray:
    """Gross assets / equity; 1 for holders without debt, +inf for holders with equity <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lev = np.where(equity > 0, gross / np.where(equity > 0, equity, 1.0), np.inf)
    return np.where(debt > 0, lev, 1.0)


def _price_factor(net_sales: FloatArray, impact: FloatArray, kind: str) -> FloatArray:
    """Gross price factor ``1 + r_k`` of one round from net dollar sales per asset.

    Computed as a factor, not as ``1 + r``, so tiny factors are not rounded to zero.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        pressure = impact * net_sales  # > 0 net selling, < 0 net buying
        if kind == "linear":
            factor = np.maximum(1.0 - pressure, 1.0 + MIN_LINEAR_RETURN)
        elif kind == "exponential":
            factor = np.exp(np.clip(-pressure, -MAX_LOG_PRICE_MOVE, MAX_LOG_PRICE_MOVE))
        else:  # log: divide by (1 + pressure) when selling, multiply when buying
            factor = np.where(
                pressure >= 0, 1.0 / (1.0 + np.maximum(pressure, 0.0)), 1.0 - pressure
            )
    return np.clip(factor, np.exp(-MAX_LOG_PRICE_MOVE), np.exp(MAX_LOG_PRICE_MOVE))


def _allocate_pro_rata(holdings: FloatArray, book: FloatArray, amount: FloatArray) -> FloatArray:
    """Split each holder's sale across assets in proportion to its current holdings."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        fraction = np.where(book > 0, np.minimum(amount / np.where(book > 0, book, 1.0), 1.0), 0.0)
    # fraction <= 1 guarantees sold <= held asset by asset, bit for bit.
    return holdings * fraction[:, None]


def _allocate_waterfall(
    holdings: FloatArray, book: FloatArray, amount: FloatArray, order_index: NDArray
) -> FloatArray:
    """Sell assets in rank order, exhausting each before the next (cumulative sums)."""
    if order_index.ndim == 1:
        ranked = holdings[:, order_index]
    else:
        ranked = np.take_along_axis(holdings, order_index, axis=1)
    ahead = np.zeros_like(ranked)  # value of the assets ranked before each one
    np.cumsum(ranked[:, :-1], axis=1, out=ahead[:, 1:])
    sold_ranked = np.clip(amount[:, None] - ahead, 0.0, ranked)
    # Selling the whole book must leave nothing behind, whatever the rounding of cumsum.
    sold_ranked = np.where((amount >= book)[:, None], ranked, sold_ranked)
    sold = np.empty_like(holdings)
    if order_index.ndim == 1:
        sold[:, order_index] = sold_ranked
    else:
        np.put_along_axis(sold, order_index, sold_ranked, axis=1)
    return sold


def _freeze(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


# ---------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------


def run_fire_sale(
    holdings: ArrayLike,
    cash: ArrayLike,
    debt: ArrayLike,
    impact: ArrayLike,
    shock: ArrayLike | None = None,
    *,
    target_leverage: ArrayLike | None = None,
    leverage_limit: ArrayLike | None = None,
    cash_needed: ArrayLike | None = None,
    orders: ArrayLike | None = None,
    max_rounds: int = 1,
    impact_kind: ImpactKind = "linear",
    liquidation: Liquidation | np.ndarray = "pro_rata",
    sale_order: ArrayLike | None = None,
    use_cash: bool = True,
    tol: float = 1e-12,
) -> FireSaleResult:
    """Run deleveraging / clearing rounds with price impact on all holders at once.

    Round mechanics (t = 1..max_rounds), all from the marks at the start of the round:

    1. Deleveraging. Holders in scope (all, or those whose leverage exceeds
       ``leverage_limit``) shrink their balance sheet by
       ``x_i = max(0, gross_i - L*_i * equity_i)``; with ``use_cash`` they first repay
       ``min(free cash, x_i, debt_i)`` of debt from cash (no price impact), then sell the
       rest, capped at remaining debt and at holdings. A holder in scope with equity <= 0
       and debt outstanding sells everything and is recorded insolvent.
    2. Cash needs. The part of ``cash_needed`` not yet raised is added to the holder's
       sales (capped at what it still holds); its proceeds go to cash.
    3. Allocation across assets: ``pro_rata`` to current holdings, or ``waterfall`` in
       ``sale_order`` rank order.
    4. Round 1 only: ``orders``. Sells are capped at what is left to sell; buys are scaled
       down to the holder's free cash after step 1. Insolvent holders do not buy.
    5. Clearing: all trades of the round clear at one price per asset, from
       ``net_k = sold_k - bought_k`` through the impact function. Units sold at pre-round
       mark ``s`` yield ``s * (1 + r)``; kept units are marked by ``(1 + r)``; a buy of
       ``b`` dollars adds ``b`` at the new mark.
    6. Booking: the deleveraging share of proceeds repays debt (excess to cash), the rest
       goes to cash; the cash-need share reduces the remaining need by what was actually
       received, so the next round tops up.

    The engine stops when nobody has anything left to do or after ``max_rounds``.

    Cash raised for ``cash_needed`` is earmarked: it is not used to repay debt or to buy in
    later rounds, so the caller can pay the amount due out of ``result.cash``. Discretionary
    sells (negative ``orders``) do not count toward ``cash_needed``.

    Args:
        holdings: Holders x assets market values in dollars, non-negative.
        cash: Per-holder cash, non-negative.
        debt: Per-holder debt, non-negative.
        impact: Per-asset price impact per dollar of net sales, non-negative.
        shock: Per-asset fractional return applied to all holdings before any trading
            (> -1); None means no shock.
        target_leverage: Leverage (gross assets / equity) deleveraging holders return to:
            None (each holder's own pre-shock leverage), a scalar or a per-holder array,
            each >= 1; ``np.inf`` means no target.
        leverage_limit: None (every holder returns to target, as in GLT) or a scalar /
            per-holder limit >= 1: only holders whose leverage exceeds it deleverage.
            ``np.inf`` disables deleveraging, including the liquidation of insolvent
            holders.
        cash_needed: Per-holder dollars each holder must raise by selling (payments due);
            None means zero.
        orders: Holders x assets discretionary orders for round 1 in dollars: > 0 cash to
            spend buying, < 0 dollars at pre-round marks to sell.
        max_rounds: Maximum number of rounds (>= 1).
        impact_kind: ``"linear"`` (r = -impact * net, floored at ``MIN_LINEAR_RETURN``),
            ``"exponential"`` (r = exp(-impact * net) - 1) or ``"log"`` (price divided by
            ``1 + impact * net`` when net selling, multiplied by ``1 + impact * |net|`` when
            net buying). All agree to first order. |log(1 + r)| is bounded by
            ``MAX_LOG_PRICE_MOVE`` so prices stay positive and finite.
        liquidation: ``"pro_rata"`` or ``"waterfall"``, or a boolean array per holder
            (True = waterfall) to mix the two rules in one clearing.
        sale_order: Waterfall ranks (0 = sold first), holders x assets or one per-asset
            vector for all holders; ties go to the lower asset index. Ignored for pro rata.
        use_cash: Whether deleveraging holders repay debt from free cash before selling.
        tol: Relative tolerance: per-holder amounts below ``tol * max(gross assets, 1)``
            dollars are treated as zero (guards against selling rounding noise).

    Returns:
        A :class:`FireSaleResult`.

    Raises:
        ValueError: On bad shapes, non-finite or negative inputs, a shock <= -1, negative
            impact, leverage targets or limits below 1, unknown ``impact_kind`` or
            ``liquidation``, or a bad ``max_rounds``, ``tol`` or ``sale_order``.
        RuntimeError: If the internal accounting check fails (a bug, not a user error).

    """
    # ---- validation ---------------------------------------------------------------
    shape = np.shape(holdings)
    if len(shape) != 2:
        raise ValueError(f"holdings must be a 2-D holders x assets array, got shape {shape}")
    n_holders, n_assets = shape
    h = _non_negative("holdings", _float_array("holdings", holdings, (n_holders, n_assets)))
    cash_now = _non_negative("cash", _float_array("cash", cash, (n_holders,)))
    debt_now = _non_negative("debt", _float_array("debt", debt, (n_holders,)))
    impact_arr = _non_negative("impact", _float_array("impact", impact, (n_assets,)))
    shock_arr = np.zeros(n_assets) if shock is None else _float_array("shock", shock, (n_assets,))
    if np.any(shock_arr <= -1.0):
        raise ValueError("shock must be > -1 (a -100% return would make a price zero)")
    if impact_kind not in IMPACT_KINDS:
        raise ValueError(f"impact_kind must be one of {IMPACT_KINDS}, got {impact_kind!r}")
    # A per-holder boolean array mixes rules in one clearing: True = waterfall, False = pro rata.
    waterfall_rows = None
    if isinstance(liquidation, np.ndarray):
        if liquidation.shape != (n_holders,) or liquidation.dtype != bool:
            raise ValueError(
                f"liquidation as an array must be booleans of shape ({n_holders},) "
                "(True = waterfall)"
            )
        waterfall_rows = liquidation
        liquidation = "waterfall" if waterfall_rows.any() else "pro_rata"
    elif liquidation not in LIQUIDATION_RULES:
        raise ValueError(f"liquidation must be one of {LIQUIDATION_RULES}, got {liquidation!r}")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int | np.integer):
        raise ValueError(f"max_rounds must be an integer, got {max_rounds!r}")
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be finite and >= 0, got {tol!r}")
    target = _per_holder_leverage("target_leverage", target_leverage, n_holders)
    limit = _per_holder_leverage("leverage_limit", leverage_limit, n_holders)
    if cash_needed is None:
        need_left = np.zeros(n_holders)
    else:
        need_arr = np.array(cash_needed, dtype=np.float64)
        if need_arr.ndim == 0:
            need_arr = np.full(n_holders, float(need_arr))
        need_left = _non_negative(
            "cash_needed", _float_array("cash_needed", need_arr, (n_holders,))
        )
    order_arr = None if orders is None else _float_array("orders", orders, (n_holders, n_assets))
    if liquidation != "waterfall":
        order_index = None
    elif waterfall_rows is not None and np.ndim(sale_order) == 2:
        # Mixed rules: rank only the rows that sell by waterfall.
        subset = np.asarray(sale_order)[waterfall_rows]
        order_index = _sale_order_index(subset, subset.shape[0], n_assets)
    else:
        order_index = _sale_order_index(sale_order, n_holders, n_assets)
    if order_index is not None and order_index.ndim == 2:
        # Each waterfall holder's row of ranks (of the waterfall holders only when mixed).
        rank_row = np.arange(n_holders) if waterfall_rows is None else np.cumsum(waterfall_rows) - 1

    # ---- pre-shock balance sheet --------------------------------------------------
    cash_before, debt_before = cash_now.copy(), debt_now.copy()
    gross_before = row_sums(h) + cash_now
    equity_before = gross_before - debt_now
    if target is None:  # GLT: each holder returns to its own pre-shock leverage
        target = _leverage(gross_before, equity_before, debt_now)

    # ---- shock ----------------------------------------------------------------------
    if shock is None:  # the model's clearings: no loss, and the holdings as they are
        direct_losses = np.full(n_holders, -0.0)  # the bits of -(h * 0).sum(axis=1)
    else:
        direct_losses = -row_sums(h * shock_arr)
        h = h * (1.0 + shock_arr)

    # ---- rounds ---------------------------------------------------------------------
    reserved = np.zeros(n_holders)  # cash raised for cash_needed, not to be spent here
    price_factor = np.ones(n_assets)
    # np.zeros, not zeros_like: fresh zeroed memory, not a fill (pages touched on use)
    total_sales = np.zeros(h.shape)
    total_proceeds = np.zeros(h.shape)
    total_buys = np.zeros(h.shape)
    mark_to_market = np.zeros(n_holders)  # equity change from price impact, per holder
    marks_moved = np.zeros(n_holders)  # sum of |mark-to-market| over rounds: rounding scale
    round_sales: list[FloatArray] = []
    round_buys: list[FloatArray] = []
    round_returns: list[FloatArray] = []
    insolvent = np.zeros(n_holders, dtype=bool)
    no_trades = _freeze(np.zeros(h.shape))  # a round without orders: read, never written
    rounds = 0

    for round_number in range(max_rounds):
        book = row_sums(h)  # holdings at pre-round marks
        gross = book + cash_now
        equity = gross - debt_now
        threshold = tol * np.maximum(gross, 1.0)
        bankrupt = (equity <= 0) & (debt_now > 0)
        insolvent |= bankrupt
        if limit is None:
            in_scope = np.ones(n_holders, dtype=bool)
        else:
            in_scope = _leverage(gross, equity, debt_now) > limit

        # 1. Deleveraging: shrink gross assets by x so that gross - x = L* * equity.
        with np.errstate(invalid="ignore", over="ignore"):
            shrink = np.where(
                (equity > 0) & (debt_now > 0),
                np.maximum(gross - target * np.where(equity > 0, equity, 0.0), 0.0),
                0.0,
            )
        shrink = np.where(bankrupt, gross, shrink)  # insolvent: liquidate everything
        shrink = np.where(in_scope & (shrink >= threshold), shrink, 0.0)
        free_cash = np.maximum(cash_now - reserved, 0.0)
        if use_cash:
            repaid_from_cash = np.minimum(np.minimum(free_cash, shrink), debt_now)
            cash_now = cash_now - repaid_from_cash
            debt_now = debt_now - repaid_from_cash
        else:
            repaid_from_cash = np.zeros(n_holders)
        delever_sale = np.minimum(np.minimum(shrink - repaid_from_cash, debt_now), book)
        delever_sale = np.where(delever_sale >= threshold, delever_sale, 0.0)

        # 2. Cash needs: sell what is still due, out of what is left after deleveraging.
        need_sale = np.minimum(
            np.where(need_left >= threshold, need_left, 0.0), book - delever_sale
        )
        need_sale = np.where(need_sale >= threshold, need_sale, 0.0)
        forced = delever_sale + need_sale

        # 3. Allocation across assets, for the holders that sell. One with nothing to sell
        # sells nothing of any asset under either rule, so its row stays zero: at 10,000
        # funds most of them sit a round out.
        forced_sales = np.zeros(h.shape)
        sellers = np.flatnonzero(forced > 0)
        if liquidation == "pro_rata":
            pro_rata, by_rank = sellers, sellers[:0]
        elif waterfall_rows is None:
            pro_rata, by_rank = sellers[:0], sellers
        else:  # only the waterfall holders pay for the sort-and-cumsum allocation
            chosen = waterfall_rows[sellers]
            pro_rata, by_rank = sellers[~chosen], sellers[chosen]
        if pro_rata.size:
            forced_sales[pro_rata] = _allocate_pro_rata(
                h[pro_rata], book[pro_rata], forced[pro_rata]
            )
        if by_rank.size:
            ranks = order_index if order_index.ndim == 1 else order_index[rank_row[by_rank]]
            forced_sales[by_rank] = _allocate_waterfall(
                h[by_rank], book[by_rank], forced[by_rank], ranks
            )

        # 4. Discretionary orders, round 1 only. Without them (every later round, and
        # every round of a clearing without orders) the arrays of orders are not built
        # and nothing is added, multiplied or summed over them: a third of the round's
        # whole-array passes, at 10,000 funds most of the engine's time.
        order_sales, buys = no_trades, no_trades
        if round_number == 0 and order_arr is not None:
            order_sales = np.minimum(np.maximum(-order_arr, 0.0), np.maximum(h - forced_sales, 0.0))
            wanted = np.maximum(order_arr, 0.0)
            wanted_total = row_sums(wanted)
            budget = np.where(bankrupt, 0.0, np.maximum(cash_now - reserved, 0.0))
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                scale = np.where(
                    wanted_total > budget,
                    budget / np.where(wanted_total > 0, wanted_total, 1.0),
                    1.0,
                )
            buys = wanted * scale[:, None]

        if not (forced.any() or repaid_from_cash.any() or order_sales.any() or buys.any()):
            break
        rounds += 1

        ordered = order_sales is not no_trades

        # 5. Clearing: one price per asset for all trades of the round.
        sales = forced_sales + order_sales if ordered else forced_sales
        net_sales = _sum_over_holders(sales, None if ordered else sellers)
        if ordered:
            net_sales = net_sales - _sum_over_holders(buys)
        factor = _price_factor(net_sales, impact_arr, impact_kind)
        proceeds = sales * factor

        # 6. Booking. Deleveraging and cash-need sales were sold together (same assets,
        # same allocation), so their proceeds are split in proportion to the amounts.
        forced_proceeds = row_sums(forced_sales * factor) if ordered else row_sums(proceeds)
        with np.errstate(divide="ignore", invalid="ignore"):
            delever_share = np.where(
                forced > 0, delever_sale / np.where(forced > 0, forced, 1.0), 0.0
            )
        delever_proceeds = forced_proceeds * delever_share
        need_proceeds = forced_proceeds - delever_proceeds
        repaid = np.minimum(delever_proceeds, debt_now)
        debt_now = debt_now - repaid
        cash_in = cash_now + (delever_proceeds - repaid) + need_proceeds
        if ordered:
            cash_in = cash_in + row_sums(order_sales * factor) - row_sums(buys)
        # Clip at zero only absorbs last-bit rounding of the buy budget scaling.
        cash_now = np.maximum(cash_in, 0.0)
        raised = np.minimum(need_proceeds, need_left)
        need_left = np.maximum(need_left - need_proceeds, 0.0)
        reserved = reserved + raised

        mark_to_market += row_sums(h * (factor - 1.0))
        marks_moved += row_sums(h * np.abs(factor - 1.0))
        h = np.maximum(h - sales, 0.0) * factor
        if ordered:
            h += buys
        price_factor = price_factor * factor

        total_sales += sales
        total_proceeds += proceeds
        round_sales.append(_freeze(sales.copy()))
        if ordered:
            total_buys += buys
            round_buys.append(_freeze(np.array(buys, copy=True)))
        else:
            round_buys.append(no_trades)
        round_returns.append(_freeze(factor - 1.0))

    # ---- results --------------------------------------------------------------------
    equity_after = row_sums(h) + cash_now - debt_now
    insolvent |= (equity_after <= 0) & (debt_now > 0)
    losses = equity_before - equity_after
    _check_accounting(
        cash_before,
        debt_before,
        cash_now,
        debt_now,
        total_proceeds,
        total_buys,
        equity_before,
        equity_after,
        direct_losses,
        mark_to_market,
        gross_before + marks_moved,
    )
    return FireSaleResult(
        sales=_freeze(total_sales),
        proceeds=_freeze(total_proceeds),
        buys=_freeze(total_buys),
        price_change=_freeze(price_factor - 1.0),
        total_price_change=_freeze((1.0 + shock_arr) * price_factor - 1.0),
        price_factor=_freeze(price_factor),
        losses=_freeze(losses),
        direct_losses=_freeze(direct_losses),
        spillover_losses=_freeze(losses - direct_losses),
        holdings=_freeze(h),
        cash=_freeze(cash_now),
        debt=_freeze(debt_now),
        rounds=rounds,
        round_sales=tuple(round_sales),
        round_buys=tuple(round_buys),
        round_returns=tuple(round_returns),
        unmet_cash_needed=_freeze(need_left),
        insolvent=_freeze(insolvent),
    )


def _check_accounting(
    cash_before: FloatArray,
    debt_before: FloatArray,
    cash_after: FloatArray,
    debt_after: FloatArray,
    proceeds: FloatArray,
    buys: FloatArray,
    equity_before: FloatArray,
    equity_after: FloatArray,
    direct_losses: FloatArray,
    mark_to_market: FloatArray,
    scale: FloatArray,
) -> None:
    """Cheap per-holder invariants; a failure is a bug in the engine, not a user error.

    * Dollars moved are conserved: the change in cash plus the debt repaid equals
      proceeds received minus cash paid for buys.
    * Equity moves only by marks: equity after = equity before - direct shock loss + the
      mark-to-market of price impact (trades at the clearing price do not change equity).

    Both hold up to rounding, which is relative to the largest dollar amounts involved:
    ``scale`` is the pre-shock gross assets plus the gross marks moved in all rounds
    (a price that jumps and falls back leaves large intermediate values behind).
    """
    paid_in = row_sums(proceeds)
    paid_out = row_sums(buys)
    scale = (
        np.maximum(scale, 1.0)
        + cash_before
        + debt_before
        + cash_after
        + debt_after
        + paid_in
        + paid_out
        + np.abs(mark_to_market)
    )
    flow_gap = (cash_after - cash_before) + (debt_before - debt_after) - (paid_in - paid_out)
    equity_gap = equity_after - (equity_before - direct_losses + mark_to_market)
    # "not <=" also catches NaN.
    if not np.all(np.abs(flow_gap) <= _ACCOUNTING_RTOL * scale):
        raise RuntimeError("fire-sale engine: cash/debt flows do not match proceeds and buys")
    if not np.all(np.abs(equity_gap) <= _ACCOUNTING_RTOL * scale):
        raise RuntimeError("fire-sale engine: equity change does not match the marks")


# ---------------------------------------------------------------------------------------
# Greenwood, Landier and Thesmar (2015) closed forms
# ---------------------------------------------------------------------------------------


def _glt_inputs(
    holdings: ArrayLike, debt: ArrayLike, impact: ArrayLike, shock: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validate GLT inputs; return holdings, equity, leverage b = debt/equity, impact, shock."""
    shape = np.shape(holdings)
    if len(shape) != 2:
        raise ValueError(f"holdings must be a 2-D holders x assets array, got shape {shape}")
    n_holders, n_assets = shape
    h = _non_negative("holdings", _float_array("holdings", holdings, shape))
    d = _non_negative("debt", _float_array("debt", debt, (n_holders,)))
    ell = _non_negative("impact", _float_array("impact", impact, (n_assets,)))
    f = _float_array("shock", shock, (n_assets,))
    equity = row_sums(h) - d
    if np.any(equity <= 0):
        raise ValueError("GLT needs positive equity for every holder (holdings > debt)")
    return h, equity, d / equity, ell, f


def _glt_spillover(h: FloatArray, b: FloatArray, ell: FloatArray, f: FloatArray) -> FloatArray:
    """Per-holder ``(A M L M' B A M F)_i`` in dollars (negative for a negative shock).

    With A M = holdings, this is ``h @ (ell * (M' (b * (h @ f))))`` where ``M' x`` uses
    the portfolio weights ``m_ik = h_ik / a_i``.
    """
    assets = row_sums(h)
    weights = h / assets[:, None]
    sales_needed = b * (h @ f)  # B A M F: minus the dollars each holder sells
    price_return = ell * (weights.T @ sales_needed)  # L M' B A M F
    return h @ price_return  # A M L M' B A M F


def glt_aggregate_vulnerability(
    holdings: ArrayLike, debt: ArrayLike, impact: ArrayLike, shock: ArrayLike
) -> float:
    """Greenwood-Landier-Thesmar aggregate vulnerability ``AV = 1' A M L M' B A M F / E``.

    The fraction of total equity lost to fire-sale spillovers when every holder returns to
    its pre-shock leverage by selling pro rata, with linear impact, in one round, marking
    the impact on pre-shock holdings (GLT 2015, eq. 7). Cash is taken to be zero, so
    ``a_i`` is the sum of holder i's holdings.

    Args:
        holdings: Holders x assets dollar holdings (A M in GLT).
        debt: Per-holder debt; ``b_i = debt_i / equity_i``.
        impact: Per-asset price impact per dollar sold (the diagonal of L).
        shock: Per-asset fractional return F.

    Returns:
        AV as a fraction of total equity; negative for a negative shock.

    Raises:
        ValueError: On bad shapes, non-finite or negative inputs, or equity <= 0.

    """
    h, equity, b, ell, f = _glt_inputs(holdings, debt, impact, shock)
    return float(_glt_spillover(h, b, ell, f).sum() / equity.sum())


def glt_indirect_vulnerability(
    holdings: ArrayLike, debt: ArrayLike, impact: ArrayLike, shock: ArrayLike
) -> FloatArray:
    """Greenwood-Landier-Thesmar indirect vulnerability of each holder.

    ``IV_i = (A M L M' B A M F)_i / e_i``: holder i's spillover loss, as a fraction of its
    own equity, from everyone's deleveraging (GLT 2015, eq. 10).

    Args:
        holdings: Holders x assets dollar holdings.
        debt: Per-holder debt.
        impact: Per-asset price impact per dollar sold.
        shock: Per-asset fractional return.

    Returns:
        Per-holder IV (negative for a negative shock).

    Raises:
        ValueError: On bad shapes, non-finite or negative inputs, or equity <= 0.

    """
    h, equity, b, ell, f = _glt_inputs(holdings, debt, impact, shock)
    return _glt_spillover(h, b, ell, f) / equity
