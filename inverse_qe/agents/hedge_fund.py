"""Hedge funds: leveraged, hit by margin calls and by their investors' redemptions.

Funds of a strategy share a portfolio shape, so funds with overlapping holdings
are hit by each other's sales: the cascade. The rules below work on arrays over
all funds at once (one fund is an array of length one); the :class:`HedgeFund`
agent is the entry point that names a fund and its row in the ledger.
"""

from __future__ import annotations

import mesa
import numpy as np


class HedgeFund(mesa.Agent):
    """One fund: a strategy, a leverage target and a limit, a row in the ledger."""

    def __init__(self, model, name: str, row: int, strategy: str, leverage: float, limit: float):
        super().__init__(model)
        self.name = name
        self.row = row
        self.strategy = strategy
        self.target_leverage = leverage
        self.leverage_limit = limit

    @property
    def leverage(self) -> float:
        """Gross assets over equity, at current prices."""
        ledger = self.model.ledger
        value = ledger.holdings[self.row] @ self.model.markets.price
        return float(leverage(value, ledger.cash[self.row], ledger.debt[self.row]))


def equity(holdings_value, cash, debt):
    """Net worth: what the fund holds minus what it owes."""
    return holdings_value + cash - debt


def leverage(holdings_value, cash, debt):
    """Gross leverage = gross assets / equity (infinite once equity is gone)."""
    e = equity(holdings_value, cash, debt)
    gross = holdings_value + cash
    return np.where(e > 0, gross / np.where(e > 0, e, 1.0), np.inf)


def leverage_limits(strategy_limit, weights, base_haircut, haircut):
    """Procyclical margins: a fund's leverage limit shrinks as haircuts rise with volatility.

    The limit is the strategy's limit at the base haircuts, scaled by base over
    current portfolio-weighted haircut: a portfolio whose haircuts double may
    carry half the leverage.

    Args:
        strategy_limit: leverage limit per fund at base haircuts.
        weights: funds x assets portfolio weights.
        base_haircut: per-asset haircut in calm markets.
        haircut: per-asset haircut now.
    """
    base = weights @ base_haircut
    now = weights @ haircut
    ratio = np.divide(base, now, out=np.ones_like(base), where=now > 0)
    return np.maximum(1.0, strategy_limit * ratio)


def redemption_fraction(trailing_return, threshold, sensitivity, maximum):
    """Flow-performance: investors withdraw after poor short-run returns.

    Each point of return below ``threshold`` adds ``sensitivity`` points of
    redemptions, up to ``maximum`` of equity (Q4 2008 saw about 9% a quarter).
    """
    return np.clip(sensitivity * (threshold - trailing_return), 0.0, maximum)


def relever_orders(holdings_value, cash, debt, weights, target_leverage, cash_share, speed):
    """Rebuild positions toward the target leverage after gains, inflows or sales.

    A fund whose invested assets are below ``target leverage x equity`` (less the
    cash it keeps) buys ``speed`` of that gap, spread over the assets where it is
    under its weights, and borrows what its spare cash does not cover. Only buys:
    selling is what margin calls and redemptions do.

    Returns:
        (orders, borrowing): funds x assets buy orders, and per-fund new borrowing.
    """
    invested = holdings_value.sum(axis=1)
    e = equity(invested, cash, debt)
    solvent = e > 0
    desired_cash = cash_share * np.maximum(e, 0.0)
    desired_invested = np.maximum(target_leverage * e - desired_cash, 0.0)
    gap = np.where(solvent, np.maximum(desired_invested - invested, 0.0), 0.0)
    underweight = np.maximum(weights * desired_invested[:, None] - holdings_value, 0.0)
    total = underweight.sum(axis=1)
    scale = np.divide(speed * gap, total, out=np.zeros_like(total), where=total > 0)
    orders = underweight * np.minimum(scale, 1.0)[:, None]
    borrowing = np.maximum(orders.sum(axis=1) - np.maximum(cash - desired_cash, 0.0), 0.0)
    return orders, borrowing
