"""Markets and price formation (DESIGN §4).

Price of each asset = fundamental x flow distortion, kept in logs so a price is
positive and finite whatever happens:

* **fundamental**: ``log F`` moves by ``-duration x change in discount rate``
  plus earnings growth (memory's grows with the capex it receives) plus news;
  discount rate = policy rate + term premium (+ the bond spread for corporate
  bonds) + the asset's risk premium, which rises with stress and with the
  scarcity of dry powder;
* **flow distortion** ``D``: net buying of a fraction ``f`` of an asset's value
  moves its price by about ``f / elasticity`` (Gabaix and Koijen's inelastic
  markets); the elasticity shrinks as dry powder runs out (``depth``), and the
  distortion decays toward zero as value investors lean against it, more slowly
  when the tub is low.
"""

from __future__ import annotations

import numpy as np

from inverse_qe.scenarios.schema import Scenario

WEEKS_PER_YEAR = 52.0
#: Log-distortion bounds: prices stay within e^±12 of their fundamental whatever the flows.
DISTORTION_BOUND = 12.0
#: The scarcity premium stops growing at this multiple of its value at zero dry powder.
SCARCITY_CAP = 2.0
#: Discount rates (a year) are held within these bounds when they move fundamentals.
#: Beyond them a valuation means nothing, and an unbounded rate (a term premium fed by
#: its own price swings) would move ``log F`` by ``duration x rate`` until the price
#: underflows to zero or overflows to infinity, and the ledger can no longer book trades.
DISCOUNT_RATE_BOUNDS = (-0.5, 2.0)
#: Fundamentals stay within e^±50 (about 10^±21) of their opening value whatever the
#: news, so every price is positive and finite; no calibrated run comes near it.
LOG_FUNDAMENTAL_BOUND = 50.0


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
        self.price = self.initial_price.copy()
        self.peak = self.initial_price.copy()
        self.term_premium = m.term_premium
        self.spread = m.bond_spread
        self.stress = 0.0
        self.scarcity = 0.0
        self.depth = 1.0
        self._discount = None  # set by the first update
        self._log_returns: list[np.ndarray] = []

    def units(self, holdings: dict[str, float]) -> dict[str, float]:
        """Holdings given in US$bn at current prices, in units of each asset."""
        return {a: v / self.price[self.index[a]] for a, v in holdings.items()}

    # -- discount rates -------------------------------------------------------------------
    def discount_rates(self, policy_rate: float) -> np.ndarray:
        """Each asset's discount rate: policy rate + term premium + spread + risk premium."""
        rates = (
            policy_rate
            + self.term_premium
            + self.risk_premium
            + self.stress_beta * self.stress
            + self.scarcity_beta * self.scarcity
        )
        rates[self.spread_asset] += self.spread
        return rates

    def set_term_premium(self, private_duration: float, opening_private_duration: float) -> None:
        """Portfolio balance: the term premium rises with the duration private hands hold.

        ``private_duration`` is in US$bn of benchmark (ten-year) equivalents.
        """
        m = self.params
        extra = (private_duration - opening_private_duration) / 1000.0
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

        ``liquidity_ratio`` x is investors' cash minus their money demand, summed
        (dry powder when positive, a shortfall when negative), over the scenario's
        reference (``markets.dry_powder_reference``). At or above the reference
        (x >= 1) markets are as deep as they get and money is not scarce. Below it,
        depth halves with every ``1 / depth_exponent`` of the reference lost,
        down to ``depth_floor``, and the scarcity premium grows as
        ``(1 - x) ** scarcity_exponent``. Neither stops at zero dry powder: a
        shortfall is worse than none, which is what makes the scramble convex.
        """
        m = self.params
        gap = 1.0 - min(1.0, liquidity_ratio)
        self.depth = max(m.depth_floor, 2.0 ** (-m.depth_exponent * gap))
        self.scarcity = min(SCARCITY_CAP, gap**m.scarcity_exponent)

    # -- prices ---------------------------------------------------------------------------
    def market_value(self, outstanding: np.ndarray) -> np.ndarray:
        """Market value of each asset class, US$bn."""
        return self.price * outstanding

    def risk_asset_value(self, outstanding: np.ndarray) -> float:
        """Market value of the risk assets together, US$bn."""
        return float((self.price * outstanding)[self.risk_asset].sum())

    def benchmark_duration(self, units: np.ndarray) -> float:
        """Duration in ``units`` of each asset, in US$bn of benchmark (ten-year) equivalents."""
        bonds = np.flatnonzero(self.is_bond)
        return float(
            (units[bonds] * self.price[bonds] * self.duration[bonds]).sum()
            / self.params.duration_benchmark
        )

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
        self, policy_rate: float, capex_growth: float, news: np.ndarray
    ) -> None:
        """One week of fundamentals and of distortion decay.

        Args:
            policy_rate: this week's policy rate.
            capex_growth: log change of the (smoothed) capex suppliers receive.
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
            + self.news_volatility * news / np.sqrt(WEEKS_PER_YEAR)
        )
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
        """Record the week's returns; update running peaks and the stress index."""
        self._log_returns.append(np.log(self.price))
        self.peak = np.maximum(self.peak, self.price)
        drawdown = 1.0 - self.price / self.peak
        self.stress = float(self.stress_weights @ drawdown)

    def realized_volatility(self) -> np.ndarray:
        """Annualised downside volatility of weekly log returns over the recent window.

        Only falls count (the root mean square of negative weekly returns, doubled
        so that symmetric noise gives the ordinary volatility): lenders raise
        margins when collateral has been falling, not when it rallies.
        """
        window = self.params.volatility_window
        if len(self._log_returns) < 3:
            return self.news_volatility.copy()
        recent = np.diff(np.array(self._log_returns[-(window + 1) :]), axis=0)
        downside = np.minimum(recent, 0.0)
        return np.sqrt(2.0 * np.mean(downside**2, axis=0)) * np.sqrt(WEEKS_PER_YEAR)

    def haircuts(self, volatility_beta: float, cap: float = 3.0) -> np.ndarray:
        """Margin haircuts, raised by recent volatility (procyclical margins).

        ``h = h0 x min(cap, max(1, realized / normal volatility) ** beta)``: calm
        markets keep the base haircut; a market twice as volatile as usual
        raises it by ``2 ** beta``, at most ``cap`` times.
        """
        ratio = np.maximum(1.0, self.realized_volatility() / self.news_volatility)
        return np.minimum(0.95, self.base_haircut * np.minimum(cap, ratio**volatility_beta))

    def trailing_return(self, weeks: int) -> np.ndarray:
        """Price return over the last ``weeks`` weeks (since the start if shorter)."""
        if not self._log_returns:
            return np.zeros(len(self.names))
        past = self._log_returns[-(weeks + 1)] if len(self._log_returns) > weeks else None
        start = np.log(self.initial_price) if past is None else past
        return np.expm1(np.log(self.price) - start)

    def yield_of(self, asset: int, base_yield: float) -> float:
        """Market yield implied by a bond's price: the model yield plus its flow distortion."""
        if self.duration[asset] <= 0:
            return base_yield
        return base_yield - self.distortion[asset] / self.duration[asset]
