"""Portfolio rules shared by the investors: money demand, rebalancing and momentum.

Households, value investors and sovereign funds want a share of their wealth in
cash (:class:`CashTarget`); households and value investors rebalance toward it,
sovereign funds deploy dry powder with the same rule, buying only.
"""

from __future__ import annotations

import numpy as np


def money_demand_share(base_share, rate_gap, stress, rate_sensitivity, stress_sensitivity):
    """Share of wealth a holder wants in cash (DESIGN §3a).

    Cash pays more when the policy rate is higher, so holding it costs less, and
    it is safer when markets are stressed: the share rises with both.
    ``rate_gap`` is the policy rate minus its opening level.
    """
    share = base_share + rate_sensitivity * rate_gap + stress_sensitivity * stress
    return np.clip(share, 0.0, 1.0)


class CashTarget:
    """An unlevered investor's money demand: a share of its wealth (DESIGN §3a).

    The share is ``money_demand_share`` of the investor's ``base_share``, raised
    by the policy rate's rise since the start and by the markets' stress. The
    wealth it applies to is an average over recent months (half-life
    ``money_demand.wealth_half_life``): households and institutions let their
    portfolio shares drift with prices and rebalance them only slowly (Brunnermeier
    and Nagel 2008; Calvet, Campbell and Sodini 2009), so a week's price swing does
    not move their cash target at once, while a lasting fall lowers it.

    Args:
        model: the model whose ledger, markets and central bank it reads.
        row: the investor's ledger row.
        base_share: the share of wealth it keeps in cash at the opening rate and no stress.
    """

    def __init__(self, model, row: int, base_share: float) -> None:
        self.model = model
        self.row = row
        self.base_share = base_share
        self.wealth: float | None = None  # the averaged wealth, set by the first update

    def update(self) -> float:
        """This week's money demand, US$bn, after folding this week's wealth into the average."""
        model = self.model
        ledger, md = model.ledger, model.config.money_demand
        row = self.row
        now = (
            (ledger.holdings[row] * model.markets.price).sum() + ledger.cash[row] - ledger.debt[row]
        )
        now = max(float(now), 0.0)
        if self.wealth is None:
            self.wealth = now
        else:
            self.wealth += (1.0 - 0.5 ** (1.0 / md.wealth_half_life)) * (now - self.wealth)
        share = money_demand_share(
            self.base_share,
            model.central_bank.rate_gap,
            model.markets.stress,
            md.rate_sensitivity,
            md.stress_sensitivity,
        )
        return float(share * self.wealth)


def rebalance_orders(holdings_value, cash, money_demand, target_weights, speed, *, sell=True):
    """Orders that move a portfolio part of the way toward its target weights.

    The holder keeps ``money_demand`` in cash and wants the rest of its wealth
    invested in ``target_weights``; each week it closes ``speed`` of the gap.
    Cash above money demand (dry powder) is deployed by buying; a holder below
    its money demand sells, unless ``sell`` is False (it then only sells when a
    payment forces it to).

    Args:
        holdings_value: holders x assets, US$bn at current prices (or one row).
        cash: cash per holder.
        money_demand: cash each holder wants to keep.
        target_weights: holders x assets (rows sum to 1) or one row for all.
        speed: fraction of the gap closed per week.
        sell: whether a holder short of cash sells to rebuild it.

    Returns:
        Orders in US$bn, same shape as ``holdings_value``: > 0 buy, < 0 sell.
    """
    holdings_value = np.asarray(holdings_value, dtype=float)
    invested = holdings_value.sum(axis=-1, keepdims=True)
    investable = np.asarray(cash - money_demand, dtype=float)[..., None]
    desired = target_weights * np.maximum(invested + investable, 0.0)
    orders = speed * (desired - holdings_value)
    if not sell:
        # Deploy dry powder only: buy where under-weight, up to the dry powder available.
        buys = np.maximum(orders, 0.0)
        budget = np.maximum(speed * investable, 0.0)
        total = buys.sum(axis=-1, keepdims=True)
        scale = np.divide(budget, total, out=np.zeros_like(total), where=total > 0)
        orders = buys * np.minimum(scale, 1.0)
    return orders


def momentum_orders(holdings_value, trailing_return, mask, share, sensitivity):
    """Retail momentum: chase recent returns in the assets flagged by ``mask``.

    A slice ``share`` of each position trades ``sensitivity`` times the asset's
    trailing return every week (buys after gains, sells after losses). The
    return enters through ``tanh``: a doubling is chased about as hard as a 76%
    gain, so trend-chasing saturates instead of compounding without bound.
    """
    signal = np.tanh(np.where(mask, trailing_return, 0.0))
    return share * holdings_value * sensitivity * signal


def weights_from(holdings: dict[str, float], assets: list[str]) -> np.ndarray:
    """Portfolio weights over ``assets`` from a mapping of holdings (zero where absent)."""
    w = np.array([holdings.get(a, 0.0) for a in assets], dtype=float)
    total = w.sum()
    return w / total if total > 0 else np.full(len(assets), 1.0 / len(assets))


def current_weights(holdings_value: np.ndarray) -> np.ndarray:
    """A portfolio's weights at current prices (equal weights if it holds nothing)."""
    total = holdings_value.sum(axis=-1, keepdims=True)
    n = holdings_value.shape[-1]
    return np.divide(
        holdings_value, total, out=np.full(holdings_value.shape, 1.0 / n), where=total > 0
    )
