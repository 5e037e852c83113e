"""The scenario schema: every parameter the model reads, validated on load.

Defaults and their sources live in the scenario files (``builtin/*.toml``), not
here: the schema says what a value must look like, the files say what it is.
Units: US$ billions for money, fractions for rates (0.035 = 3.5%), weeks for
time unless a field says otherwise.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Leverage = Annotated[float, Field(ge=1.0, allow_inf_nan=False)]

#: A point of a time path: a week number (0 = start) or a calendar date, and a value.
PathPoint = tuple[int | dt.date, Finite]


class Strict(BaseModel):
    """Base of every scenario table: unknown fields are errors, values are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_path(points: list[PathPoint]) -> list[PathPoint]:
    if not points:
        raise ValueError("a time path needs at least one [week-or-date, value] point")
    kinds = {isinstance(p[0], dt.date) for p in points}
    if len(kinds) > 1:
        raise ValueError("a time path must use either week numbers or dates, not both")
    keys = [p[0] for p in points]
    if any(b <= a for a, b in itertools.pairwise(keys)):
        raise ValueError(f"time path points must be in strictly increasing order, got {keys}")
    if not isinstance(keys[0], dt.date) and keys[0] < 0:
        raise ValueError("time path weeks must be >= 0")
    return points


TimePath = Annotated[list[PathPoint], Field(min_length=1)]


class PathTable(Strict):
    """A table whose every ``list`` field is a piecewise-linear time path."""

    @field_validator("*", mode="after")
    @classmethod
    def _validate_paths(cls, value: object) -> object:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            return _check_path(value)
        return value


class RunSpec(Strict):
    """Calendar and length of a run."""

    start_date: dt.date
    weeks: Annotated[int, Field(ge=1, le=5200)]
    seed: Annotated[int, Field(ge=0)]


class AssetSpec(Strict):
    """One asset class: its market, its valuation and its margin terms."""

    description: str = ""
    kind: Literal["treasury", "corporate_bond", "equity", "crypto", "commodity"]
    risk_asset: bool
    price: Positive
    units: Positive
    duration: NonNegative
    elasticity: Positive
    haircut: Annotated[float, Field(ge=0.0, le=0.95)]
    volatility: Positive
    risk_premium: Finite
    stress_beta: Finite
    scarcity_beta: Finite
    earnings_growth: Finite
    capex_beta: NonNegative
    distortion_half_life: Positive


class MarketSpec(Strict):
    """Economy-wide market parameters: term premium, spreads, depth, stress."""

    term_premium: Finite
    term_premium_per_trillion: NonNegative
    duration_benchmark: Positive
    bond_spread: Finite
    spread_per_issuance: NonNegative
    spread_issuance_window: Annotated[int, Field(ge=1)]
    spread_stress_beta: NonNegative
    spread_asset: str
    treasury_asset: str
    memory_asset: str
    depth_exponent: NonNegative
    dry_powder_reference: Positive
    scarcity_exponent: Annotated[float, Field(ge=1.0, allow_inf_nan=False)]
    depth_floor: Annotated[float, Field(gt=0.0, le=1.0)]
    volatility_window: Annotated[int, Field(ge=2)]
    stress_weights: dict[str, NonNegative]


class MoneyDemandSpec(Strict):
    """How much cash each holder wants to keep (DESIGN §3a)."""

    rate_sensitivity: NonNegative
    stress_sensitivity: NonNegative
    payments_horizon: Annotated[int, Field(ge=0)]
    deploy_rate: Fraction


class TaylorSpec(Strict):
    """A Taylor-type rule on financial conditions (inflation is not modelled)."""

    neutral_rate: Finite
    stress_coefficient: Finite
    asset_gap_coefficient: Finite
    smoothing: Fraction


class WarshSpec(Strict):
    """Hawkish rule: hikes and QT, tightening more while asset prices stay high."""

    hike_per_quarter: NonNegative
    max_rate: Finite
    qt_pace: NonNegative
    asset_gap_coefficient: NonNegative
    qt_per_asset_gap: NonNegative


class PivotSpec(Strict):
    """Dovish rule: cuts and QE once financial stress passes a threshold."""

    stress_threshold: NonNegative
    recognition_lag: Annotated[int, Field(ge=0)]
    cut_per_meeting: NonNegative
    meeting_interval: Annotated[int, Field(ge=1)]
    min_rate: Finite
    qe_pace: NonNegative


class CentralBankSpec(PathTable):
    """The central bank: rates, balance sheet, reverse-repo facility, policy rule."""

    rule: Literal["exogenous", "taylor", "warsh", "pivot"]
    policy_rate: TimePath
    rrp_rate_spread: TimePath
    qe_pace: TimePath
    treasury_holdings: NonNegative
    rrp_balance: NonNegative
    rrp_capacity: NonNegative
    rrp_sensitivity: Positive
    rrp_speed: Fraction
    taylor: TaylorSpec | None = None
    warsh: WarshSpec | None = None
    pivot: PivotSpec | None = None

    @model_validator(mode="after")
    def _rule_has_parameters(self) -> CentralBankSpec:
        if self.rule != "exogenous" and getattr(self, self.rule) is None:
            raise ValueError(f"rule = {self.rule!r} needs a [central_bank.{self.rule}] table")
        return self


class TreasurySpec(PathTable):
    """The treasury: deficit financed by issuance, and its general account (TGA)."""

    deficit: TimePath
    transfer_share: Fraction
    tga: NonNegative
    tga_target: TimePath
    tga_speed: Fraction


class HyperscalerSpec(Strict):
    """One hyperscaler: its share of sector capex, cash, holdings and funding."""

    name: str
    capex_share: Positive
    cash: NonNegative
    holdings: dict[str, NonNegative]


class HyperscalerSector(PathTable):
    """Hyperscalers together: the capex path and the funding waterfall."""

    capex: TimePath
    operating_cash_flow: TimePath
    cash_buffer_weeks: NonNegative
    payout_rate: Fraction
    capex_cut_enabled: bool
    capex_cut_hurdle: Finite
    capex_cut_fraction: Fraction
    firms: Annotated[list[HyperscalerSpec], Field(min_length=1)]


class SupplierSpec(Strict):
    """The AI supply chain that receives capex."""

    recycling: Fraction
    memory_share: Fraction
    memory_base_earnings: NonNegative


class SovereignFundSpec(PathTable):
    """A sovereign or strategic investor with dry powder and AI commitments."""

    name: str
    cash: NonNegative
    holdings: dict[str, NonNegative]
    cash_buffer: NonNegative
    commitments: TimePath
    inflows: TimePath
    liquidation: Literal["worst_performers", "pro_rata"]
    margin_loan_limit: Fraction
    money_share: Fraction


class HedgeFundStrategy(Strict):
    """A hedge-fund strategy: how many funds, how big, how levered, what they hold."""

    name: str
    count: Annotated[int, Field(ge=0)]
    equity: NonNegative
    leverage: Leverage
    leverage_limit: Leverage
    weights: dict[str, NonNegative]

    @model_validator(mode="after")
    def _limit_above_leverage(self) -> HedgeFundStrategy:
        if self.leverage_limit < self.leverage:
            raise ValueError(
                f"leverage_limit ({self.leverage_limit}) must be >= leverage ({self.leverage})"
            )
        if sum(self.weights.values()) <= 0:
            raise ValueError("weights must have a positive sum")
        return self


class HedgeFundSector(Strict):
    """Hedge funds: strategies, margin terms and investor redemptions."""

    strategies: Annotated[list[HedgeFundStrategy], Field(min_length=1)]
    prime_broker_cash: NonNegative
    size_dispersion: NonNegative
    cash_share: Fraction
    haircut_volatility_beta: NonNegative
    deleverage_buffer: Fraction
    relever_speed: Fraction
    redemption_lookback: Annotated[int, Field(ge=1)]
    redemption_threshold: Finite
    redemption_sensitivity: NonNegative
    redemption_max: Fraction
    redemption_notice: Annotated[int, Field(ge=0)]


class HouseholdSpec(Strict):
    """Households and real money: the slow absorber, savers and a momentum slice."""

    cash: NonNegative
    holdings: dict[str, NonNegative]
    money_share: Fraction
    rebalance_speed: Fraction
    momentum_share: Fraction
    momentum_assets: list[str]
    momentum_lookback: Annotated[int, Field(ge=1)]
    momentum_sensitivity: NonNegative


class AbsorberSpec(Strict):
    """Value investors and dealers: take the other side of net order flow at a price.

    They hold every unit of every asset that no other holder is given at the start.
    """

    cash: NonNegative
    money_share: Fraction


class RealEconomySpec(Strict):
    """Everything outside the financial tub: plant, wages, imports, the rest of the world."""

    cash: NonNegative
    return_rate: Fraction


class Scenario(Strict):
    """A whole scenario, resolved (no ``extends`` left)."""

    name: str
    description: str
    run: RunSpec
    assets: dict[str, AssetSpec]
    markets: MarketSpec
    money_demand: MoneyDemandSpec
    central_bank: CentralBankSpec
    treasury: TreasurySpec
    hyperscalers: HyperscalerSector
    suppliers: SupplierSpec
    sovereign_funds: list[SovereignFundSpec]
    hedge_funds: HedgeFundSector
    households: HouseholdSpec
    absorber: AbsorberSpec
    real_economy: RealEconomySpec
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        """Every asset named anywhere must exist; dated points must fall inside the run."""
        assets = set(self.assets)
        if not assets:
            raise ValueError("assets: at least one asset class is needed")
        named: list[tuple[str, str]] = [
            ("markets.spread_asset", self.markets.spread_asset),
            ("markets.treasury_asset", self.markets.treasury_asset),
            ("markets.memory_asset", self.markets.memory_asset),
        ]
        named += [(f"markets.stress_weights.{a}", a) for a in self.markets.stress_weights]
        for i, firm in enumerate(self.hyperscalers.firms):
            named += [(f"hyperscalers.firms.{i}.holdings.{a}", a) for a in firm.holdings]
        for i, fund in enumerate(self.sovereign_funds):
            named += [(f"sovereign_funds.{i}.holdings.{a}", a) for a in fund.holdings]
        for i, strategy in enumerate(self.hedge_funds.strategies):
            named += [(f"hedge_funds.strategies.{i}.weights.{a}", a) for a in strategy.weights]
        named += [(f"households.holdings.{a}", a) for a in self.households.holdings]
        named += [(f"households.momentum_assets.{a}", a) for a in self.households.momentum_assets]
        for where, asset in named:
            if asset not in assets:
                raise ValueError(f"{where}: unknown asset {asset!r}; assets are {sorted(assets)}")
        end = self.run.start_date + dt.timedelta(weeks=self.run.weeks)
        for where, points in self._paths():
            for key, _ in points:
                if isinstance(key, dt.date) and not self.run.start_date <= key <= end:
                    raise ValueError(
                        f"{where}: date {key} is outside the run ({self.run.start_date} to {end})"
                    )
        return self

    def _paths(self) -> list[tuple[str, list[PathPoint]]]:
        tables: list[tuple[str, BaseModel]] = [
            ("central_bank", self.central_bank),
            ("treasury", self.treasury),
            ("hyperscalers", self.hyperscalers),
        ]
        tables += [(f"sovereign_funds.{i}", f) for i, f in enumerate(self.sovereign_funds)]
        found = []
        for prefix, table in tables:
            for name, value in table:
                if isinstance(value, list) and value and isinstance(value[0], tuple):
                    found.append((f"{prefix}.{name}", value))
        return found
