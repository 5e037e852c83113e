"""Markets and price formation (DESIGN §4).

Price of each asset = fundamental x flow distortion, kept in logs so a price is
positive and finite whatever happens:

* **fundamental**: ``log F`` moves by ``-duration x change in discount rate``
  plus earnings growth (memory's grows with the capex it receives) plus news;
  discount rate = the short rate expected over the long run (it moves by
  ``long_rate_passthrough`` of a policy-rate move) + term premium (+ the bond
  spread for corporate bonds) + the asset's risk premium, which rises with stress
  and with the scarcity of money;
* **flow distortion** ``D``: net buying of a fraction ``f`` of an asset's value
  moves its price by about ``f / elasticity`` (Gabaix and Koijen's inelastic
  markets); the elasticity shrinks once investors' net liquidity turns into a
  shortfall (``depth``), and the distortion decays toward zero as value
  investors lean against it, more slowly when they have no money to do it with.

**Liquidity.** While investors together hold at least the cash they want (net
liquidity >= 0), extra demand for money is met from idle balances: markets are
fully deep and money carries no scarcity premium (the flat part of Hicks' LM
curve). Below zero the shortfall ``x`` (in units of ``dry_powder_reference``)
does damage that saturates, ``x / (1 + x)``: half of the most it can do at a
shortfall the size of the reference. So the same US$ of capex costs nothing in
prices while dry powder lasts and more and more once it is gone.

**Stress** is how far risk assets trade below their recent trend: the gap of each
log price to its habit (an exponential average with half-life
``stress_half_life``), weighted. It is zero on average in calm markets, as
published financial-stress indices are built to be, negative in a boom, and it
decays once the falls stop, as the habit catches up (Campbell and Cochrane 1999
make risk appetite a function of prices relative to a slow-moving habit).
"""

from __future__ import annotations

import math

import numpy as np

from inverse_qe.scenarios.schema import Scenario

WEEKS_PER_YEAR = 52.0
#: Log-distortion bounds: prices stay within e^±12 of their fundamental whatever the flows.
DISTORTION_BOUND = 12.0
#: Discount rates (a year) are held within these bounds when they move fundamentals.
#: Beyond them a valuation means nothing, and an unbounded rate (a term premium fed by
#: its own price swings) would move ``log F`` by ``duration x rate`` until the price
#: underflows to zero or overflows to infinity, and the ledger can no longer book trades.
DISCOUNT_RATE_BOUNDS = (-0.5, 2.0)
#: Fundamentals stay within e^±50 (about 10^±21) of their opening value whatever the
#: news, so every price is positive and finite; no calibrated run comes near it.
LOG_FUNDAMENTAL_BOUND = 50.0


class SmoothedEarnings:
    """A stream of weekly earnings as prices capitalise it: smoothed, and only its growth.

    Markets price earnings that persist, not one week's receipts, so the record is
    an exponential average over about a quarter (``smoothing`` = 1/13: reporting is
    quarterly). The opening prices already value the first week's earnings, so
    what moves a fundamental is the log growth of the record since then, 0 in the
    first week: a run and its twin open at the same prices, each valuing its own
    first week.
    """

    def __init__(self, smoothing: float = 1 / 13):
        self.smoothing = smoothing
        self.level: float | None = None

    def growth(self, earnings: float) -> float:
        """Add this week's earnings (US$bn); the log growth of the record it makes."""
        earnings = max(earnings, 1e-9)
        if self.level is None:
            self.level = earnings
            return 0.0
        previous = self.level
        self.level = (1 - self.smoothing) * previous + self.smoothing * earnings
        return math.log(self.level / previous)


class Markets:
    """Prices, discount rates and market depth of every asset class."""

    def __init__(self, scenario: Scenario) -> None:
        spec = scenario.assets
        self.names = list(spec)
        self.index = {a: k for k, a in enumerate(self.names)}
        m = scenario.markets
        self.params = m

        def column(field: str) -> np.ndarray:
            return np.array([getattr(spec[a], field) for a in self.names], dtype=float)

        self.duration = column("duration")
        self.elasticity = column("elasticity")
        self.base_haircut = column("haircut")
        self.news_volatility = column("volatility")
        self.risk_premium = column("risk_premium")
        self.stress_beta = column("stress_beta")
        self.scarcity_beta = column("scarcity_beta")
        self.earnings_growth = column("earnings_growth")
        self.capex_beta = column("capex_beta")
        self.profits_beta = column("profits_beta")
        self.decay = np.log(2.0) / column("distortion_half_life")
        self.risk_asset = np.array([spec[a].risk_asset for a in self.names])
        self.treasury = self.index[m.treasury_asset]
        self.spread_asset = self.index[m.spread_asset]
        self.memory = self.index[m.memory_asset]
        self.is_bond = np.array(
            [spec[a].kind in ("treasury", "corporate_bond") for a in self.names]
        )
        self.stress_weights = np.zeros(len(self.names))
        for asset, weight in m.stress_weights.items():
            self.stress_weights[self.index[asset]] = weight
        if self.stress_weights.sum() > 0:
            self.stress_weights /= self.stress_weights.sum()

        self.initial_price = column("price")
        self.log_fundamental = np.log(self.initial_price)
        self.distortion = np.zeros(len(self.names))
        # The part of each log fundamental that the earnings AI spending creates have
        # moved (memory makers' and the economy's profits): zero in a world without it.
        self.ai_income = np.zeros(len(self.names))
        self.price = self.initial_price.copy()
        self.habit = np.log(self.initial_price)  # the trend that stress is measured from
        self.term_premium = m.term_premium
        self.spread = m.bond_spread
        self.stress = 0.0
        self.scarcity = 0.0
        self.depth = 1.0
        self._discount = None  # set by the first update
        self.opening_policy_rate: float | None = None  # set by the first expectation
        self._log_returns: list[np.ndarray] = []
        # Lenders' estimate of downside variance starts at the normal (news) variance.
        self._downside_variance = self.news_volatility**2

    def units(self, holdings: dict[str, float]) -> dict[str, float]:
        """Holdings given in US$bn at current prices, in units of each asset."""
        return {a: v / self.price[self.index[a]] for a, v in holdings.items()}

    # -- discount rates -------------------------------------------------------------------
    def expected_short_rate(self, policy_rate: float) -> float:
        """The short rate expected over long horizons, which long yields and valuations use.

        A policy-rate move is expected to last only partly: long rates move by
        ``long_rate_passthrough`` of it (2022: 425bp of hikes, the 10-year yield
        +237bp, a pass-through of about 0.55).
        """
        if self.opening_policy_rate is None:
            self.opening_policy_rate = policy_rate
        opening = self.opening_policy_rate
        return opening + self.params.long_rate_passthrough * (policy_rate - opening)

    def discount_rates(self, policy_rate: float) -> np.ndarray:
        """Each asset's discount rate: expected short rate + term premium + spread + premia."""
        rates = (
            self.expected_short_rate(policy_rate)
            + self.term_premium
            + self.risk_premium
            + self.stress_beta * self.stress
            + self.scarcity_beta * self.scarcity
        )
        rates[self.spread_asset] += self.spread
        return rates

    def private_duration(self, ledger, central_bank: int) -> float:
        """Benchmark-equivalent duration held outside the central bank, US$bn."""
        return self.benchmark_duration(ledger.outstanding - ledger.holdings[central_bank])

    def scheduled_private_duration(
        self, opening: float, deficit: np.ndarray, qe_pace: np.ndarray, bank_holds: float
    ) -> np.ndarray:
        """Per week, the private duration the scenario's schedules lead markets to expect.

        The deficit's weekly issuance less the central bank's scheduled purchases
        (US$bn), at the opening treasury price and cumulated, is the supply that was
        announced, and so priced in (:meth:`set_term_premium`). A schedule of runoff
        cannot sell more than the bank holds (``bank_holds``, US$bn at opening
        prices): markets know QT ends when the bank's bonds do, as the bank's own
        orders do (:meth:`CentralBank.orders`). Without that cap, a runoff scheduled
        past the bank's holdings was priced as supply that never came, and the term
        premium fell as the schedule ran on.
        """
        supply = deficit - qe_pace
        supply[0] = 0.0
        purchases = qe_pace.copy()
        purchases[0] = 0.0
        # Runoff beyond the holdings never happens: less private supply by that much
        # (zero, and so the same bits, while the bank still holds bonds).
        unsold = np.minimum(bank_holds + np.cumsum(purchases), 0.0)
        return opening + self.benchmark_duration_of(self.treasury, np.cumsum(supply) + unsold)

    def set_term_premium(self, private_duration: float, expected_private_duration: float) -> None:
        """Portfolio balance: the term premium rises with the duration private hands hold.

        Only duration beyond what was expected moves it: supply that was scheduled
        (the deficit's issuance, announced purchases) is priced in when announced,
        as studies of QE find for the stock of bonds the central bank is expected
        to hold (D'Amico and King 2013; Greenwood and Vayanos 2014). Both are in
        US$bn of benchmark (ten-year) equivalents.
        """
        m = self.params
        extra = (private_duration - expected_private_duration) / 1000.0
        self.term_premium = m.term_premium + m.term_premium_per_trillion * extra

    def set_spread(self, recent_issuance: float) -> None:
        """Hyperscaler bond spread: widens with recent issuance and with stress."""
        m = self.params
        self.spread = (
            m.bond_spread
            + m.spread_per_issuance * recent_issuance
            + m.spread_stress_beta * self.stress
        )

    def set_depth(self, liquidity_ratio: float) -> None:
        """Market depth and the scarcity of money, from investors' net liquidity.

        ``liquidity_ratio`` is investors' cash minus their money demand, summed
        (dry powder when positive, a shortfall when negative), over the scenario's
        ``markets.dry_powder_reference``. Non-negative: money is not scarce and
        markets are fully deep (idle balances absorb any extra demand for money).
        A shortfall ``x = -ratio`` raises the scarcity of money to ``x / (1 + x)``
        (0 to 1) and lowers depth in proportion, to ``depth_floor`` at the limit:
        fewer buyers with cash, and value investors without the money to lean
        against distortions (Shleifer and Vishny 1997's limits of arbitrage).
        """
        shortfall = max(0.0, -liquidity_ratio)
        self.scarcity = shortfall / (1.0 + shortfall)
        self.depth = 1.0 - (1.0 - self.params.depth_floor) * self.scarcity

    # -- prices ---------------------------------------------------------------------------
    def market_value(self, outstanding: np.ndarray) -> np.ndarray:
        """Market value of each asset class, US$bn."""
        return self.price * outstanding

    def risk_asset_value(self, units: np.ndarray) -> float:
        """Value of ``units`` of the risk assets at today's prices, US$bn.

        The model passes the opening units outstanding, so the measure is a price
        index in US$bn: new bonds sold to fund capex add wealth to their buyers but
        a debt to their issuer, and are not counted as a rise in asset prices.
        """
        return float((self.price * units)[self.risk_asset].sum())

    def ai_income_value(self, units: np.ndarray) -> float:
        """Of the risk-asset value of ``units``, what the earnings AI spending made carry.

        US$bn: each price against the same price without that part of its
        fundamental, ``value x (1 - exp(-income))``. Zero in a world without AI
        spending; against the twin it splits what AI spending did into its income
        (this) and its money (the rest of the gap).
        """
        value = self.price * units * -np.expm1(-self.ai_income)
        return float(value[self.risk_asset].sum())

    def news_only_log_prices(self, news: np.ndarray) -> np.ndarray:
        """Weeks x assets log prices had only news and trend earnings moved them.

        The benchmark a world at rest is measured against: the same draws the run
        uses (row ``w`` moves week ``w``; row 0 is the opening), without flows,
        discount-rate moves or capex. A random walk with the calibrated news
        volatility has drawdowns of its own (about 1.25 sigma sqrt(T) on average for
        a driftless one, Magdon-Ismail et al. 2004); what a run adds to them is
        what the model's own loops do.
        """
        steps = self.news_volatility * news[1:] / np.sqrt(WEEKS_PER_YEAR)
        steps = steps + self.earnings_growth / WEEKS_PER_YEAR
        opening = np.log(self.initial_price)
        return opening + np.vstack([np.zeros(len(self.names)), np.cumsum(steps, axis=0)])

    def benchmark_duration(self, units: np.ndarray) -> float:
        """Duration in ``units`` of each bond, in US$bn of benchmark (ten-year) equivalents.

        A quantity, valued at the opening prices: supply of duration is counted in
        bonds, as QE studies count it, so a bond's price does not feed back on the
        term premium that prices it (valued at today's prices, a large enough stock
        of bonds made that loop explode).
        """
        bonds = np.flatnonzero(self.is_bond)
        return float(
            (units[bonds] * self.initial_price[bonds] * self.duration[bonds]).sum()
            / self.params.duration_benchmark
        )

    def benchmark_duration_of(self, asset: int, value: np.ndarray | float) -> np.ndarray | float:
        """Benchmark (ten-year) equivalents of ``value`` US$bn of one bond at its opening price."""
        return value * self.duration[asset] / self.params.duration_benchmark

    def impact_per_dollar(self, outstanding: np.ndarray) -> np.ndarray:
        """Log-price impact of US$1bn of net buying: ``1 / (elasticity x depth x value)``."""
        return 1.0 / (
            self.elasticity * self.depth * np.maximum(self.market_value(outstanding), 1e-9)
        )

    def apply_flow_returns(self, returns: np.ndarray) -> None:
        """Add the price changes of a clearing round to the flow distortion."""
        self.distortion += np.log1p(np.maximum(returns, -1.0 + 1e-12))
        self._reprice()

    def update_fundamentals(
        self, policy_rate: float, capex_growth: float, profits_growth: float, news: np.ndarray
    ) -> None:
        """One week of fundamentals and of distortion decay.

        Args:
            policy_rate: this week's policy rate.
            capex_growth: log change of memory makers' smoothed earnings (the capex
                suppliers receive), felt in proportion to each asset's ``capex_beta``.
            profits_growth: log change of the economy's smoothed profits (what AI
                spending adds to them), felt in proportion to ``profits_beta``.
            news: per-asset standard-normal draws (earnings news).
        """
        rates = np.clip(self.discount_rates(policy_rate), *DISCOUNT_RATE_BOUNDS)
        if self._discount is None:
            self._discount = rates
        change = rates - self._discount
        self._discount = rates
        self.log_fundamental += (
            -self.duration * change
            + self.earnings_growth / WEEKS_PER_YEAR
            + self.capex_beta * capex_growth
            + self.profits_beta * profits_growth
            + self.news_volatility * news / np.sqrt(WEEKS_PER_YEAR)
        )
        self.ai_income += self.capex_beta * capex_growth + self.profits_beta * profits_growth
        opening = np.log(self.initial_price)
        np.clip(
            self.log_fundamental,
            opening - LOG_FUNDAMENTAL_BOUND,
            opening + LOG_FUNDAMENTAL_BOUND,
            out=self.log_fundamental,
        )
        # Value investors lean against the distortion, more slowly when the tub is low.
        self.distortion *= np.exp(-self.decay * self.depth)
        self._reprice()

    def _reprice(self) -> None:
        np.clip(self.distortion, -DISTORTION_BOUND, DISTORTION_BOUND, out=self.distortion)
        self.price = np.exp(self.log_fundamental + self.distortion)

    def close_week(self) -> None:
        """Record the week's returns; update the habit, the stress index, lenders' risk."""
        log_price = np.log(self.price)
        if self._log_returns:
            fall = np.minimum(log_price - self._log_returns[-1], 0.0)
            weight = 1.0 - 0.5 ** (1.0 / self.params.volatility_half_life)
            # Only falls count, doubled so that symmetric noise gives the ordinary variance:
            # lenders raise margins when collateral has been falling, not when it rallies.
            self._downside_variance += weight * (
                2.0 * fall**2 * WEEKS_PER_YEAR - self._downside_variance
            )
        self._log_returns.append(log_price)
        fade = 0.5 ** (1.0 / self.params.stress_half_life)
        self.habit = fade * self.habit + (1.0 - fade) * log_price
        self.stress = float(self.stress_weights @ (self.habit - log_price))

    def realized_volatility(self) -> np.ndarray:
        """Annualised downside volatility: an exponential average of weekly falls.

        Lenders weigh recent weeks more (half-life ``volatility_half_life``), as the
        exponentially weighted estimates of margin models do.
        """
        return np.sqrt(self._downside_variance)

    def haircuts(self, volatility_beta: float, cap: float = 3.0) -> np.ndarray:
        """Margin haircuts, raised by recent volatility (procyclical margins).

        ``h = h0 x min(cap, max(1, (realized / normal volatility) ** beta / (1 + b)))``:
        the base haircuts carry an anti-procyclicality buffer ``b`` (``margin_buffer``;
        European clearing rules ask for 25%) that absorbs the first rise in
        volatility, so margins move only once volatility is clearly abnormal; beyond
        it they grow with volatility (``beta`` = 1: in proportion, as value-at-risk
        margins do), at most ``cap`` times.
        """
        ratio = np.maximum(1.0, self.realized_volatility() / self.news_volatility)
        factor = np.maximum(1.0, ratio**volatility_beta / (1.0 + self.params.margin_buffer))
        return np.minimum(0.95, self.base_haircut * np.minimum(cap, factor))

    def trailing_return(self, weeks: int) -> np.ndarray:
        """Price return over the last ``weeks`` weeks (since the start if shorter)."""
        if not self._log_returns:
            return np.zeros(len(self.names))
        past = self._log_returns[-(weeks + 1)] if len(self._log_returns) > weeks else None
        start = np.log(self.initial_price) if past is None else past
        return np.expm1(np.log(self.price) - start)

    def yield_10y(self, policy_rate: float) -> float:
        """The ten-year treasury yield: expected short rate, term premium, flow distortion."""
        return self.yield_of(
            self.treasury, self.expected_short_rate(policy_rate) + self.term_premium
        )

    def yield_of(self, asset: int, base_yield: float) -> float:
        """Market yield implied by a bond's price: the model yield plus its flow distortion."""
        if self.duration[asset] <= 0:
            return base_yield
        return base_yield - self.distortion[asset] / self.duration[asset]
