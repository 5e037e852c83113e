"""The scenario schema: every parameter the model reads, validated on load.

Defaults and their sources live in the scenario files (``builtin/*.toml``), not
here: the schema says what a value must look like, the files say what it is.
Units: US$ billions for money, fractions for rates (0.035 = 3.5%), weeks for
time unless a field says otherwise.

**Ranges.** Every number has a validated range, and each range says why (the
reason is the field's description in ``inverse-qe schema``). The ranges are
what the model has been shown to run with cash conserved: a property-based
test (``tests/scenarios/test_schema.py``) draws scenarios inside them and runs
the model. They are generous (several orders of magnitude around the
calibration) and stop where a value stops meaning anything or where the
arithmetic of the model would no longer be exact enough for the ledger's
conservation check; a range narrowed because the model did not survive a
value says so in its reason.

**Names** (the scenario's, firms', funds', strategies', assets') are
identifiers: letters, digits, ``_`` and ``-``. They name files, columns and
``--set`` paths, so a name is never a path.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

#: The longest run, in weeks (a century); ``--weeks`` is held to it too.
MAX_WEEKS = 5200
#: The largest stock of money or market value, US$bn: US$1,000 trillion, about twice
#: the world's financial assets. Beyond it the model's sums of balances lose the
#: precision its conservation check (a relative 1e-9) needs.
MAX_MONEY = 1e6
#: The largest weekly flow, US$bn a week (capex, deficits, QE, inflows): US$100
#: trillion a year, about the world's GDP. The model runs (cash conserved) up to
#: it; what it then says is no longer about any economy.
MAX_FLOW = 2000.0
#: Largest number of entries in a list or table of the scenario (assets, firms,
#: funds, strategies): each is a row or column of every balance sheet.
MAX_ENTRIES = 100
#: The largest number of hedge funds, all strategies together: each is an agent.
MAX_FUNDS = 10_000
#: The largest random seed: stored as a 64-bit integer in the results tables.
MAX_SEED = 2**63 - 1
#: Calendar range of a run's start: a run of up to MAX_WEEKS must end on a valid date.
EARLIEST_START = dt.date(1800, 1, 1)
LATEST_START = dt.date(2800, 12, 31)


def _number(lo: float, hi: float, why: str, *, lo_open: bool = False):
    """A float in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), documented with its reason."""
    low = {"gt": lo} if lo_open else {"ge": lo}
    return Annotated[float, Field(**low, le=hi, allow_inf_nan=False, description=why)]


def _whole(lo: int, hi: int, why: str):
    """A whole number in ``[lo, hi]``, documented with its reason."""
    return Annotated[int, Field(ge=lo, le=hi, description=why)]


Money = _number(
    0.0, MAX_MONEY, "US$bn, 0 to 1e6 (US$1,000 trillion: twice the world's financial assets)"
)
Fraction = _number(0.0, 1.0, "a share, 0 to 1")
Weeks = _whole(0, MAX_WEEKS, "weeks, 0 to 5200 (the longest run)")
Window = _whole(1, MAX_WEEKS, "weeks, 1 to 5200 (the longest run)")
Rate = _number(-0.05, 0.5, "a rate a year, -5% to 50% (beyond that no valuation means anything)")
Sensitivity = _number(
    0.0, 100.0, "a response coefficient, 0 to 100 (100x the calibration's largest)"
)
Coefficient = _number(-10.0, 10.0, "a signed coefficient, -10 to 10")
Leverage = _number(1.0, 100.0, "gross assets over equity, 1 to 100")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}")


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            "expected an identifier: a letter or digit, then up to 63 letters, digits, _ or -"
            " (no spaces, dots or path separators)"
        )
    return value


#: An identifier: names files, columns and ``--set`` paths, so never a path.
Name = Annotated[
    str,
    AfterValidator(_identifier),
    Field(
        json_schema_extra={"pattern": _IDENTIFIER.pattern},
        description="an identifier: a letter or digit, then up to 63 letters, digits, _ or -",
    ),
]

#: A week of a time path: 0 (the start) to the longest run.
PathWeek = _whole(0, MAX_WEEKS, "week of a time path, 0 to 5200")


def _time_path(lo: float, hi: float, why: str):
    """A piecewise-linear time path whose values lie in ``[lo, hi]``."""
    value = _number(lo, hi, why)
    return Annotated[
        list[tuple[PathWeek | dt.date, value]],
        Field(min_length=1, max_length=7 * MAX_WEEKS + 1, description=f"time path: {why}"),
    ]


#: A point of a time path: a week number (0 = start) or a calendar date, and a value.
PathPoint = tuple[int | dt.date, float]
RatePath = _time_path(-0.05, 0.5, "a rate a year, -5% to 50%")
SpreadPath = _time_path(-0.05, 0.05, "a spread a year, -5% to 5%")
FlowPath = _time_path(0.0, MAX_FLOW, "US$bn a week, 0 to 2000 (US$100 trillion a year)")
SignedFlowPath = _time_path(
    -MAX_FLOW, MAX_FLOW, "US$bn a week, -2000 to 2000 (negative: the other direction)"
)
StockPath = _time_path(0.0, MAX_MONEY, "US$bn, 0 to 1e6")


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
    for a, b in itertools.pairwise(keys):
        if b <= a:
            raise ValueError(
                f"time path points must be in strictly increasing order ({b} follows {a})"
            )
    if not isinstance(keys[0], dt.date) and keys[0] < 0:
        raise ValueError("time path weeks must be >= 0")
    return points


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

    start_date: Annotated[
        dt.date,
        Field(
            ge=EARLIEST_START,
            le=LATEST_START,
            description="1800-01-01 to 2800-12-31: a run of up to 5200 weeks must end on a"
            " calendar date",
        ),
    ]
    weeks: _whole(1, MAX_WEEKS, "weeks, 1 to 5200 (a century)")
    seed: _whole(0, MAX_SEED, "0 to 2^63-1 (stored as a 64-bit integer)")


class AssetSpec(Strict):
    """One asset class: its market, its valuation and its margin terms."""

    description: str = ""
    kind: Literal["treasury", "corporate_bond", "equity", "crypto", "commodity"]
    risk_asset: bool
    price: _number(
        1e-3, 1e3, "opening price index, 1e-3 to 1e3 (1.0 = units are US$bn)", lo_open=False
    )
    units: _number(
        0.0, MAX_MONEY, "units outstanding, above 0 up to 1e6 (US$bn at price 1)", lo_open=True
    )
    duration: _number(0.0, 100.0, "years, 0 to 100 (crypto, the longest claim, is 40)")
    elasticity: _number(
        1e-3,
        100.0,
        "1e-3 to 100 (equities ~0.2, treasuries 6): below 1e-3 a dollar of flow moves the"
        " price past its bounds",
    )
    haircut: _number(0.0, 0.95, "a share of value, 0 to 0.95")
    volatility: _number(1e-4, 5.0, "annual volatility of news, 1e-4 to 5 (500% a year)")
    risk_premium: _number(-0.5, 0.5, "a rate a year, -50% to 50%")
    stress_beta: Coefficient
    scarcity_beta: Coefficient
    earnings_growth: _number(-1.0, 1.0, "growth a year, -100% to +100%")
    capex_beta: _number(0.0, 10.0, "0 to 10 (memory's is 0.6)")
    profits_beta: _number(0.0, 10.0, "0 to 10 (1: earnings move with the economy's profits)")
    distortion_half_life: _number(0.1, MAX_WEEKS, "weeks, 0.1 to 5200")


class MarketSpec(Strict):
    """Economy-wide market parameters: term premium, spreads, depth, stress."""

    term_premium: _number(-0.1, 0.2, "a rate a year, -10% to 20%")
    term_premium_per_trillion: _number(0.0, 0.1, "rate per US$1T of duration, 0 to 0.1")
    duration_benchmark: _number(0.1, 100.0, "years, 0.1 to 100")
    bond_spread: _number(-0.05, 0.5, "a spread a year, -5% to 50%")
    spread_per_issuance: _number(0.0, 0.01, "spread per US$bn issued, 0 to 0.01")
    spread_issuance_window: Window
    spread_stress_beta: _number(0.0, 1.0, "spread per unit of stress, 0 to 1")
    spread_asset: str
    treasury_asset: str
    memory_asset: str
    dry_powder_reference: _number(
        1.0, MAX_MONEY, "US$bn, 1 to 1e6: the shortfall of net liquidity that does half its damage"
    )
    depth_floor: _number(0.01, 1.0, "0.01 to 1: markets never lose more than 99% of depth")
    long_rate_passthrough: _number(
        0.0, 1.0, "0 to 1: share of a policy-rate move long rates expect to last"
    )
    stress_half_life: _number(1.0, MAX_WEEKS, "weeks, 1 to 5200: how fast the habit follows prices")
    volatility_half_life: _number(
        1.0, MAX_WEEKS, "weeks, 1 to 5200: how fast lenders' volatility estimate forgets"
    )
    margin_buffer: _number(0.0, 10.0, "0 to 10: volatility rise margins absorb before moving")
    stress_weights: Annotated[
        dict[str, _number(0.0, 1000.0, "relative weight, 0 to 1000")],
        Field(max_length=MAX_ENTRIES),
    ]


class MoneyDemandSpec(Strict):
    """How much cash each holder wants to keep (DESIGN §3a)."""

    rate_sensitivity: Sensitivity
    stress_sensitivity: Sensitivity
    payments_horizon: Weeks
    deploy_rate: Fraction
    wealth_half_life: _number(
        1.0, MAX_WEEKS, "weeks, 1 to 5200: how slowly cash targets follow wealth"
    )


class TaylorSpec(Strict):
    """A Taylor-type rule on financial conditions (inflation is not modelled)."""

    neutral_rate: Rate
    stress_coefficient: Coefficient
    asset_gap_coefficient: Coefficient
    smoothing: Fraction


class WarshSpec(Strict):
    """Hawkish rule: hikes and QT, tightening more while asset prices stay high."""

    hike_per_quarter: _number(0.0, 0.1, "a rate, 0 to 10 points a quarter")
    max_rate: Rate
    qt_pace: _number(0.0, MAX_FLOW, "US$bn a week, 0 to 2000")
    asset_gap_coefficient: _number(0.0, 10.0, "0 to 10")
    qt_per_asset_gap: _number(0.0, MAX_FLOW, "US$bn a week per unit of gap, 0 to 2000")


class PivotSpec(Strict):
    """Dovish rule: cuts and QE once financial stress passes a threshold."""

    stress_threshold: Fraction
    recognition_lag: Weeks
    cut_per_meeting: _number(0.0, 0.1, "a rate, 0 to 10 points a meeting")
    meeting_interval: Window
    min_rate: Rate
    qe_pace: _number(0.0, MAX_FLOW, "US$bn a week, 0 to 2000")


class CentralBankSpec(PathTable):
    """The central bank: rates, balance sheet, reverse-repo facility, policy rule."""

    rule: Literal["exogenous", "taylor", "warsh", "pivot"]
    policy_rate: RatePath
    rrp_rate_spread: SpreadPath
    qe_pace: SignedFlowPath
    treasury_holdings: Money
    rrp_balance: Money
    rrp_capacity: Money
    rrp_sensitivity: _number(1e-4, 1.0, "rate per unit of RRP use, 1e-4 to 1")
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

    deficit: FlowPath
    transfer_share: Fraction
    tga: Money
    tga_target: StockPath
    tga_speed: Fraction
    #: Net Treasury bills sold to money funds out of the RRP a week (negative: paid down
    #: and parked there); that part of the deficit is not offered to the tub as coupons.
    bills: SignedFlowPath = [(0, 0.0)]


class HyperscalerSpec(Strict):
    """One hyperscaler: its share of sector capex, cash, holdings and funding."""

    name: Name
    capex_share: _number(0.0, 1.0, "a share of sector capex, above 0 up to 1", lo_open=True)
    cash: Money
    holdings: Annotated[dict[str, Money], Field(max_length=MAX_ENTRIES)]


class HyperscalerSector(PathTable):
    """Hyperscalers together: the capex path and the funding waterfall."""

    capex: FlowPath
    operating_cash_flow: FlowPath
    precautionary_weeks: _number(
        0.0, MAX_WEEKS, "weeks of operating cash flow kept as precautionary cash, 0 to 5200"
    )
    payout_rate: Fraction
    capex_cut_enabled: bool
    capex_cut_hurdle: _number(-1.0, 1.0, "a rate a year, -100% to 100%")
    capex_cut_fraction: Fraction
    firms: Annotated[list[HyperscalerSpec], Field(min_length=1, max_length=MAX_ENTRIES)]

    @field_validator("firms")
    @classmethod
    def _distinct_firms(cls, firms: list[HyperscalerSpec]) -> list[HyperscalerSpec]:
        return _distinct(firms, "firm")


class SupplierSpec(Strict):
    """The AI supply chain that receives capex."""

    recycling: Fraction
    memory_share: Fraction
    memory_base_earnings: _number(0.0, MAX_FLOW, "US$bn a week, 0 to 2000")


class SovereignFundSpec(PathTable):
    """A sovereign or strategic investor with dry powder and AI commitments."""

    name: Name
    cash: Money
    holdings: Annotated[dict[str, Money], Field(max_length=MAX_ENTRIES)]
    cash_buffer: Money
    commitments: FlowPath
    inflows: FlowPath
    liquidation: Literal["worst_performers", "pro_rata"]
    margin_loan_limit: Fraction
    money_share: Fraction


class HedgeFundStrategy(Strict):
    """A hedge-fund strategy: how many funds, how big, how levered, what they hold."""

    name: Name
    count: _whole(0, MAX_FUNDS, "funds, 0 to 10000 (each is an agent)")
    equity: Money
    leverage: Leverage
    leverage_limit: Leverage
    weights: Annotated[
        dict[str, _number(0.0, 1000.0, "relative weight, 0 to 1000")],
        Field(max_length=MAX_ENTRIES),
    ]

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

    strategies: Annotated[list[HedgeFundStrategy], Field(min_length=1, max_length=MAX_ENTRIES)]
    prime_broker_cash: Money
    size_dispersion: _number(0.0, 5.0, "log-normal spread of fund sizes, 0 to 5")
    cash_share: Fraction
    haircut_volatility_beta: _number(0.0, 10.0, "0 to 10")
    deleverage_buffer: Fraction
    relever_speed: Fraction
    redemption_lookback: Window
    redemption_threshold: _number(-1.0, 1.0, "a return, -100% to 100%")
    redemption_sensitivity: Sensitivity
    redemption_max: Fraction
    redemption_notice: Weeks

    @field_validator("strategies")
    @classmethod
    def _distinct_strategies(cls, strategies: list[HedgeFundStrategy]) -> list[HedgeFundStrategy]:
        strategies = _distinct(strategies, "strategy")
        total = sum(s.count for s in strategies)
        if total > MAX_FUNDS:
            raise ValueError(f"{total} hedge funds in all; at most {MAX_FUNDS} (each is an agent)")
        return strategies


class HouseholdSpec(Strict):
    """Households and real money: the slow absorber, savers and a momentum slice."""

    cash: Money
    holdings: Annotated[dict[str, Money], Field(max_length=MAX_ENTRIES)]
    money_share: Fraction
    rebalance_speed: Fraction
    momentum_share: Fraction
    momentum_assets: Annotated[list[str], Field(max_length=MAX_ENTRIES)]
    momentum_lookback: Window
    momentum_sensitivity: Sensitivity


class AbsorberSpec(Strict):
    """Value investors and dealers: take the other side of net order flow at a price.

    They hold every unit of every asset that no other holder is given at the start.
    """

    cash: Money
    money_share: Fraction
    rebalance_speed: Fraction


class RealEconomySpec(Strict):
    """Everything outside the financial tub: plant, wages, imports, the rest of the world."""

    cash: Money
    return_rate: Fraction
    profits: _number(0.0, MAX_FLOW, "US$bn a week, 0 to 2000 (US profits ~65)", lo_open=True)
    profit_pass_through: Fraction


def _distinct(items: list, what: str) -> list:
    """Names of a list's entries must differ: each is a row of the ledger and a --set key."""
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"two {what} entries are named {item.name!r}; names must differ")
        seen.add(item.name)
    return items


class Scenario(Strict):
    """A whole scenario, resolved (no ``extends`` left)."""

    name: Name
    description: Annotated[str, Field(max_length=10_000)]
    run: RunSpec
    assets: Annotated[dict[Name, AssetSpec], Field(max_length=MAX_ENTRIES)]
    markets: MarketSpec
    money_demand: MoneyDemandSpec
    central_bank: CentralBankSpec
    treasury: TreasurySpec
    hyperscalers: HyperscalerSector
    suppliers: SupplierSpec
    sovereign_funds: Annotated[list[SovereignFundSpec], Field(max_length=MAX_ENTRIES)]
    hedge_funds: HedgeFundSector
    households: HouseholdSpec
    absorber: AbsorberSpec
    real_economy: RealEconomySpec
    sources: Annotated[dict[str, str], Field(max_length=10_000)] = Field(default_factory=dict)

    @field_validator("sovereign_funds")
    @classmethod
    def _distinct_funds(cls, funds: list[SovereignFundSpec]) -> list[SovereignFundSpec]:
        return _distinct(funds, "sovereign fund")

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
