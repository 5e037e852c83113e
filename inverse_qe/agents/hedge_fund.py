"""Hedge funds: leveraged, hit by margin calls and by their investors' redemptions.

Funds of a strategy share a portfolio shape, so funds with overlapping holdings
are hit by each other's sales: the cascade. A week of the sector, in order:

* **Payments due.** Redemptions notified earlier fall due; cash pays first, the
  rest is raised by selling ("redemption" sales, pro rata to holdings).
* **Orders.** A fund below its target leverage re-levers: it buys part of the gap
  in its strategy's weights, borrowing from its prime brokers what its spare
  cash does not cover; brokers ration credit when their own cash runs short.
* **Settlement**, after the week's clearing: redemptions are paid to the
  investors (households); any part cash cannot pay is a ``Default`` event.
* **Margin checks**, after prices move: each fund's leverage limit shrinks as
  haircuts rise with recent volatility (procyclical margins); a fund above it
  must deleverage to a target a ``deleverage_buffer`` below the limit. The sales
  clear together and may push other funds over their limits, for several rounds
  within the week (the clearing records the ``MarginCall`` and ``ForcedSale``
  events); a fund whose equity is gone is a ``Default`` event, once.
* **Notices.** Investors give notice after poor returns (flow-performance), due
  after the notice lag (a ``Redemption`` event).
* **Money demand**: the cash the fund keeps (``cash_share`` of equity) plus the
  redemptions due over the payments horizon.

The rules below work on arrays over all funds at once (one fund is an array of
length one); the :class:`HedgeFund` agent names a fund and its row in the ledger,
and :class:`HedgeFunds` runs the whole sector's week.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.members import Members
from inverse_qe.agents.portfolio import weights_from
from inverse_qe.model.arrays import row_sums
from inverse_qe.model.events import Default

#: A sale made to meet margin calls is recorded with this reason.
MARGIN_REASON = "margin"


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


def fund_names(strategies) -> list[str]:
    """The ledger names of the funds, strategy by strategy: ``<strategy>_001``, ..."""
    return [f"{s.name}_{j + 1:03d}" for s in strategies for j in range(s.count)]


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
    invested = row_sums(holdings_value)
    e = equity(invested, cash, debt)
    solvent = e > 0
    desired_cash = cash_share * np.maximum(e, 0.0)
    desired_invested = np.maximum(target_leverage * e - desired_cash, 0.0)
    gap = np.where(solvent, np.maximum(desired_invested - invested, 0.0), 0.0)
    underweight = np.maximum(weights * desired_invested[:, None] - holdings_value, 0.0)
    total = row_sums(underweight)
    scale = np.divide(speed * gap, total, out=np.zeros_like(total), where=total > 0)
    orders = underweight * np.minimum(scale, 1.0)[:, None]
    borrowing = np.maximum(row_sums(orders) - np.maximum(cash - desired_cash, 0.0), 0.0)
    return orders, borrowing


class HedgeFunds(Members):
    """Every hedge fund of the scenario, each rule applied to all funds at once.

    A strategy's equity is split among its funds with lognormal dispersion (the
    sizes are drawn, the total is the scenario's); each fund holds the strategy's
    weights at its target leverage, the debt owed to the prime brokers.

    Args:
        model: the model whose ledger, markets and events the funds use.
        spec: the scenario's ``hedge_funds`` table.
        rng: the generator the fund sizes are drawn from.
    """

    #: The reason recorded on the sales that pay redemptions.
    SALE_REASON = "redemption"

    def __init__(self, model, spec, rng: np.random.Generator) -> None:
        strategies = [s for s in spec.strategies for _ in range(s.count)]
        funds = [
            HedgeFund(model, name, model.ledger.index[name], s.name, s.leverage, s.leverage_limit)
            for name, s in zip(fund_names(spec.strategies), strategies, strict=True)
        ]
        super().__init__(model, funds)
        self.spec = spec
        n, assets = len(self.members), model.markets.names
        self.weights = np.zeros((n, len(assets)))
        self.target_leverage = np.zeros(n)
        self.leverage_limit = np.zeros(n)
        self.opening_equity = np.zeros(n)
        start = 0
        for strategy in spec.strategies:
            block = slice(start, start + strategy.count)
            draws = rng.lognormal(0.0, spec.size_dispersion, strategy.count)
            self.opening_equity[block] = (
                strategy.equity * draws / draws.sum() if strategy.count else 0.0
            )
            self.weights[block] = weights_from(strategy.weights, assets)
            self.target_leverage[block] = strategy.leverage
            self.leverage_limit[block] = strategy.leverage_limit
            start += strategy.count
        # Redemptions notified, by the week they fall due (also past the end of the run).
        self.pending_redemptions = np.zeros((model.weeks + 1 + model.lookahead, n))
        self.redemptions_due = np.zeros(n)
        self.redemptions_paid = 0.0
        self.money_demand = np.zeros(n)
        self.defaulted: set[int] = set()
        self._equity_history: list[np.ndarray] = []

    def open_accounts(self) -> None:
        """Cash, positions at the target leverage, and the loan from the prime brokers."""
        ledger, markets = self.model.ledger, self.model.markets
        sizes = self.opening_equity
        gross = sizes * self.target_leverage
        cash = self.spec.cash_share * sizes
        positions = self.weights * (gross - cash)[:, None] / markets.price
        for j, fund in enumerate(self.members):
            ledger.open_account(
                fund.name, cash[j], dict(zip(markets.names, positions[j], strict=True))
            )
            ledger.open_loan("banks", fund.name, gross[j] - sizes[j])

    def _books(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Funds x assets holdings value, cash and debt per fund, now."""
        ledger, rows = self.model.ledger, self.rows
        return (
            ledger.holdings[self.block] * self.model.markets.price,  # a view, only read
            ledger.cash[rows],
            ledger.debt[rows],
        )

    def update_money_demand(self) -> np.ndarray:
        """Cash wanted: the share of equity kept in cash plus redemptions due soon."""
        model = self.model
        value, cash, debt = self._books()
        wealth = row_sums(value) + cash - debt
        week, horizon = model.week, model.config.money_demand.payments_horizon
        due = self.pending_redemptions[week + 1 : week + 1 + horizon].sum(axis=0)
        self.money_demand = self.spec.cash_share * np.maximum(wealth, 0.0) + due
        return self.money_demand

    def payments_due(self) -> np.ndarray:
        """Redemptions due this week; returns the part cash cannot pay, per fund."""
        self.redemptions_due = self.pending_redemptions[self.model.week]
        return np.maximum(self.redemptions_due - self.model.ledger.cash[self.rows], 0.0)

    def orders(self) -> np.ndarray:
        """Funds x assets re-levering buys, with the credit they draw from prime brokers."""
        model, s = self.model, self.spec
        ledger, banks = model.ledger, model.rows.banks
        value, cash, debt = self._books()
        buys, borrowing = relever_orders(
            value, cash, debt, self.weights, self.target_leverage, s.cash_share, s.relever_speed
        )
        room = max(float(ledger.cash[banks]), 0.0)
        if borrowing.sum() > room:  # prime brokers ration credit when their cash runs short
            scale = room / borrowing.sum()
            borrowing *= scale
            buys *= scale
        drawing = borrowing > 0
        ledger.lend_many(banks, self.rows[drawing], borrowing[drawing], "margin_loan")
        return buys

    def settle(self) -> None:
        """Pay the redemptions due to investors (households) from cash."""
        model = self.model
        ledger, rows = model.ledger, self.rows
        due = self.redemptions_due
        paid = np.minimum(due, np.maximum(ledger.cash[rows], 0.0))
        ledger.pay_many(rows, np.full(rows.size, model.rows.households), paid, "redemption")
        self.redemptions_paid = float(paid.sum())
        short = due - paid
        for j in np.flatnonzero(short > 1e-9):
            self._default(j, float(short[j]), "redemption")

    def margin_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per fund: leverage now, the limit that triggers a margin call, the target after it.

        The limit is the strategy's, shrunk by haircuts raised with recent
        volatility; a fund over it deleverages to ``deleverage_buffer`` below it
        (never below no leverage at all).
        """
        model, s = self.model, self.spec
        markets = model.markets
        value, cash, debt = self._books()
        weights = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-12)
        limit = leverage_limits(
            self.leverage_limit,
            weights,
            markets.base_haircut,
            markets.haircuts(s.haircut_volatility_beta),
        )
        target = np.maximum(1.0, limit * (1.0 - s.deleverage_buffer))
        now = leverage(row_sums(value), cash, np.maximum(debt, 0.0))
        return now, limit, target

    def record_defaults(self, insolvent: np.ndarray) -> None:
        """A ``Default`` event for each fund whose equity is gone, the first time only."""
        model = self.model
        ledger, price = model.ledger, model.markets.price
        for j in np.flatnonzero(insolvent):
            row = int(self.rows[j])
            if row in self.defaulted:
                continue
            self.defaulted.add(row)
            equity_now = ledger.holdings[row] @ price + ledger.cash[row] - ledger.debt[row]
            self._default(j, float(-equity_now), "equity")

    def _default(self, j: int, shortfall: float, what: str) -> None:
        """Fund ``j`` could not pay ``shortfall`` (a redemption), or its equity is gone."""
        fund = self.members[j].name
        self.model.events.add(
            Default(week=self.model.week, holder=fund, shortfall=shortfall, what=what)
        )

    def notices(self) -> None:
        """Investors give notice after poor returns; the money is due after the lag."""
        model, s = self.model, self.spec
        value, cash, debt = self._books()
        equity_now = row_sums(value) + cash - debt
        self._equity_history.append(equity_now)
        lookback = s.redemption_lookback
        if len(self._equity_history) <= lookback:
            return
        past = self._equity_history[-(lookback + 1)]
        trailing = np.where(past > 0, equity_now / np.where(past > 0, past, 1.0) - 1.0, -1.0)
        already = self.pending_redemptions[model.week + 1 :].sum(axis=0)
        fraction = redemption_fraction(
            trailing, s.redemption_threshold, s.redemption_sensitivity, s.redemption_max
        )
        amount = np.where(already > 0, 0.0, fraction * np.maximum(equity_now, 0.0))
        due = model.week + max(s.redemption_notice, 1)
        self.pending_redemptions[due] += amount
        noticed = np.flatnonzero(amount > 1e-6)
        model.events.add_redemptions(
            model.ledger, model.week, self.rows[noticed], amount[noticed], trailing[noticed], due
        )
