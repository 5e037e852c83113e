"""The Mesa model: the liquidity bathtub, one week per step.

Order of actions within a week (fixed; agents of one type act in an order
shuffled by the model's seeded generator where order could matter):

1. **Policy**: the central bank sets the policy rate, the RRP rate and the QE/QT
   pace from last week's conditions; money funds move cash in or out of the RRP.
2. **Scheduled payments**: the real economy pays operating cash flow, oil
   revenue and savings; hyperscalers' capex, sovereign funds' commitments and
   hedge funds' redemptions fall due and are paid from cash where it suffices.
3. **Funding and discretionary trades**, cleared together: what could not be
   paid is raised by forced sales (hyperscalers sell treasuries, then new bonds;
   sovereign funds sell worst performers first; hedge funds sell pro rata),
   alongside the treasury's issuance, QE/QT and every investor's rebalancing.
   Then the payments are made: shortfalls become margin loans or missed
   commitments, never a negative balance; suppliers pass capex on.
4. **Price update**: fundamentals move with discount rates, earnings and news;
   flow distortions decay.
5. **Margin checks**: hedge funds above their (volatility-dependent) leverage
   limits deleverage; their sales move prices and may push others over their
   limits, for up to ``MARGIN_ROUNDS`` rounds in the same week (the cascade).
6. **Redemption notices** after poor returns, due after the notice lag.
7. **Data collection**, and the ledger's invariants are checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from inverse_qe.agents.central_bank import CentralBank
from inverse_qe.agents.hedge_fund import (
    HedgeFund,
    leverage,
    leverage_limits,
    redemption_fraction,
    relever_orders,
)
from inverse_qe.agents.household import Household
from inverse_qe.agents.hyperscaler import Hyperscaler, funding_plan, shareholder_payout
from inverse_qe.agents.portfolio import (
    current_weights,
    money_demand_share,
    rebalance_orders,
    weights_from,
)
from inverse_qe.agents.real_economy import RealEconomy
from inverse_qe.agents.sovereign_fund import SovereignFund, cash_to_raise, sale_ranks
from inverse_qe.agents.supplier import Suppliers, split_receipts
from inverse_qe.agents.treasury import Treasury
from inverse_qe.model.clearing import CauseTracker, clear
from inverse_qe.model.events import (
    BondIssued,
    CapexCut,
    Default,
    DryPowderExhausted,
    EventLog,
    MissedCommitment,
    PolicyChange,
    Redemption,
)
from inverse_qe.model.ledger import Holder, Ledger
from inverse_qe.model.markets import Markets
from inverse_qe.model.paths import week_dates, weekly
from inverse_qe.model.recorder import Recorder
from inverse_qe.scenarios.loader import ScenarioError
from inverse_qe.scenarios.schema import Scenario

#: A policy-rate move is announced (a PolicyChange event) once it adds up to this much.
POLICY_STEP = 0.0025
#: Bound on clearing rounds within one week (funding, then margin cascade).
FUNDING_ROUNDS = 4
MARGIN_ROUNDS = 6
#: Holder kinds whose cash is investable liquidity: the water in the tub.
WATER_KINDS = ("households", "value_investors", "hyperscaler", "sovereign_fund", "hedge_fund")
_SECTOR_OF_KIND = {
    "households": "households",
    "value_investors": "value_investors",
    "hyperscaler": "hyperscalers",
    "sovereign_fund": "sovereign_funds",
    "hedge_fund": "hedge_funds",
}


@dataclass(frozen=True)
class Rows:
    """Ledger rows of the sector nodes."""

    central_bank: int
    treasury: int
    rrp: int
    real_economy: int
    banks: int
    suppliers: int
    households: int
    absorber: int
    markets: int  # first market clearing account; asset k is at markets + k


class BathtubModel(mesa.Model):
    """Hyperscalers, sovereign funds, hedge funds, households, a treasury and a central bank.

    Args:
        scenario: a validated :class:`~inverse_qe.scenarios.schema.Scenario`.
        seed: the run's seed (default: the scenario's ``run.seed``). Separate
            streams are derived from it for news, fund heterogeneity and
            shuffling, so scenarios compared on the same seed share their news
            (common random numbers).
        weeks: run length (default: the scenario's ``run.weeks``).
        check_invariants: assert stock-flow consistency every step.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        weeks: int | None = None,
        *,
        check_invariants: bool = True,
    ) -> None:
        seed = scenario.run.seed if seed is None else int(seed)
        super().__init__(rng=np.random.default_rng([seed, 0]))
        self.config = scenario
        self.seed = seed
        self.weeks = scenario.run.weeks if weeks is None else int(weeks)
        self.check_invariants = check_invariants
        self.week = 0
        self.dates = week_dates(scenario.run.start_date, self.weeks)
        self.events = EventLog()
        self.causes = CauseTracker()
        self.forced_by_reason: dict[str, float] = {}
        self.markets = Markets(scenario)
        # News is drawn up front from its own stream: identical across scenarios for a seed.
        self.news = np.random.default_rng([seed, 1]).standard_normal(
            (self.weeks + 1, len(self.markets.names))
        )
        self._build(np.random.default_rng([seed, 2]))
        self.recorder = Recorder(self)
        self.recorder.record()
        self.running = True

    # -- construction ----------------------------------------------------------------------
    def _path(self, points) -> np.ndarray:
        return weekly(points, self.config.run.start_date, self.weeks + 1)

    def _build(self, rng: np.random.Generator) -> None:
        s = self.config
        assets = self.markets.names
        holders = [
            Holder("central_bank", "central_bank"),
            Holder("treasury", "treasury"),
            Holder("rrp", "rrp"),
            Holder("real_economy", "real_economy"),
            Holder("banks", "banks"),
            Holder("suppliers", "suppliers"),
            Holder("households", "households"),
            Holder("value_investors", "value_investors"),
        ]
        holders += [Holder(f.name, "hyperscaler") for f in s.hyperscalers.firms]
        holders += [Holder(f.name, "sovereign_fund") for f in s.sovereign_funds]
        fund_specs = []
        for strategy in s.hedge_funds.strategies:
            for j in range(strategy.count):
                fund_specs.append(strategy)
                holders.append(Holder(f"{strategy.name}_{j + 1:03d}", "hedge_fund"))
        holders += [Holder(f"market:{a}", "market") for a in assets]
        ledger = self.ledger = Ledger(holders, assets, central_bank="central_bank")
        ix = ledger.index
        self.rows = Rows(
            ix["central_bank"],
            ix["treasury"],
            ix["rrp"],
            ix["real_economy"],
            ix["banks"],
            ix["suppliers"],
            ix["households"],
            ix["value_investors"],
            ix[f"market:{assets[0]}"],
        )
        self.kinds = np.array([h.kind for h in holders])
        self.absorber_rows = np.array([self.rows.households, self.rows.absorber])
        self.water_rows = np.flatnonzero(np.isin(self.kinds, WATER_KINDS))
        price = self.markets.price

        def units(holdings: dict[str, float]) -> dict[str, float]:  # US$bn -> units
            return {a: v / price[self.markets.index[a]] for a, v in holdings.items()}

        cb = s.central_bank
        treasury_asset = s.markets.treasury_asset
        ledger.open_account("central_bank", 0.0, units({treasury_asset: cb.treasury_holdings}))
        ledger.open_account("treasury", s.treasury.tga)
        ledger.open_account("rrp", cb.rrp_balance)
        ledger.open_account("real_economy", s.real_economy.cash)
        ledger.open_account("households", s.households.cash, units(s.households.holdings))
        ledger.open_account("value_investors", s.absorber.cash)
        for firm in s.hyperscalers.firms:
            ledger.open_account(firm.name, firm.cash, units(firm.holdings))
        for fund in s.sovereign_funds:
            ledger.open_account(fund.name, fund.cash, units(fund.holdings))

        # Hedge funds: a strategy's equity split among its funds with lognormal dispersion
        # (sizes are drawn, the total is the scenario's), portfolios in the strategy's weights.
        hf = s.hedge_funds
        self.hf_rows = np.array([ix[h.name] for h in holders if h.kind == "hedge_fund"], dtype=int)
        n_funds = self.hf_rows.size
        self.hf_weights = np.zeros((n_funds, len(assets)))
        self.hf_target = np.zeros(n_funds)
        self.hf_limit = np.zeros(n_funds)
        sizes = np.zeros(n_funds)
        start = 0
        for strategy in s.hedge_funds.strategies:
            block = slice(start, start + strategy.count)
            draws = rng.lognormal(0.0, hf.size_dispersion, strategy.count)
            sizes[block] = strategy.equity * draws / draws.sum() if strategy.count else 0.0
            self.hf_weights[block] = weights_from(strategy.weights, assets)
            self.hf_target[block] = strategy.leverage
            self.hf_limit[block] = strategy.leverage_limit
            start += strategy.count
        gross = sizes * self.hf_target
        cash = hf.cash_share * sizes
        positions = self.hf_weights * (gross - cash)[:, None] / price
        for j, row in enumerate(self.hf_rows):
            name = holders[row].name
            ledger.open_account(name, cash[j], dict(zip(assets, positions[j], strict=True)))
            ledger.open_loan("banks", name, gross[j] - sizes[j])
        # Prime brokers: the cash they can still lend to funds and sovereign borrowers.
        ledger.open_account("banks", hf.prime_broker_cash)

        # Value investors hold the rest of every asset class: the residual absorber.
        residual = s.assets
        held = ledger.holdings.sum(axis=0)
        for k, a in enumerate(assets):
            rest = residual[a].units - held[k]
            if rest < -1e-9 * residual[a].units:
                raise ScenarioError(
                    s.name,
                    [
                        f"assets.{a}.units: {residual[a].units:g} units are fewer than the "
                        f"{held[k]:g} that holders are given at the start (holdings of "
                        "households, funds and hyperscalers, and hedge funds' equity x "
                        "leverage x weight); raise units or lower those holdings"
                    ],
                )
            ledger.open_account("value_investors", 0.0, {a: max(rest, 0.0)})
        ledger.seal()
        self.opening_balances = self.balance_snapshot()
        self.opening_cb_cash = float(ledger.cash[self.rows.central_bank])

        # Agents (Mesa) with their rows and paths.
        self.central_bank = CentralBank(
            self,
            self.rows.central_bank,
            cb,
            {
                name: self._path(getattr(cb, name))
                for name in ("policy_rate", "rrp_rate_spread", "qe_pace")
            },
        )
        self.treasury = Treasury(
            self,
            self.rows.treasury,
            s.treasury,
            {name: self._path(getattr(s.treasury, name)) for name in ("deficit", "tga_target")},
        )
        self.real_economy = RealEconomy(self, self.rows.real_economy, s.real_economy.return_rate)
        self.suppliers = Suppliers(
            self,
            self.rows.suppliers,
            s.suppliers.recycling,
            s.suppliers.memory_share,
            s.suppliers.memory_base_earnings,
        )
        self.household = Household(
            self,
            self.rows.households,
            s.households,
            np.isin(assets, s.households.momentum_assets),
        )
        hs = s.hyperscalers
        total_share = sum(f.capex_share for f in hs.firms)
        self.hyperscalers = [
            Hyperscaler(self, f.name, ix[f.name], f.capex_share / total_share) for f in hs.firms
        ]
        self.capex_path = self._path(hs.capex)
        self.ocf_path = self._path(hs.operating_cash_flow)
        self.sovereigns = [
            SovereignFund(
                self,
                ix[f.name],
                f,
                {"commitments": self._path(f.commitments), "inflows": self._path(f.inflows)},
            )
            for f in s.sovereign_funds
        ]
        self.hedge_funds = [
            HedgeFund(self, holders[r].name, int(r), spec.name, spec.leverage, spec.leverage_limit)
            for r, spec in zip(self.hf_rows, fund_specs, strict=True)
        ]
        # Waterfall liquidation for sovereign funds and hyperscalers; pro rata for the rest.
        self.liquidation = np.isin(self.kinds, ("sovereign_fund", "hyperscaler"))
        self.pending_redemptions = np.zeros((self.weeks + 2, n_funds))
        self.opening_rate = float(self.central_bank.state.policy_rate)
        self.announced_rate = self.opening_rate
        self.opening_private_duration = self._private_duration()
        self.money_demand = self._money_demand()
        self.markets.set_depth(self._investors_liquidity() / s.markets.dry_powder_reference)
        self.opening_risk_value = self._risk_asset_value()
        self.recent_issuance = np.zeros(s.markets.spread_issuance_window)
        self.margin_leverage = np.zeros(len(holders))
        self.margin_limit = np.zeros(len(holders))
        self.week_flows: dict[str, float] = {}
        self.capex_growth = 0.0
        self.defaulted: set[int] = set()
        self._equity_history: list[np.ndarray] = []

    # -- derived state -------------------------------------------------------------------
    def holdings_value(self) -> np.ndarray:
        """Holders x assets, US$bn at current prices."""
        return self.ledger.holdings * self.markets.price

    def balance_snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cash, debt, holdings value) of every holder now: copies, US$bn."""
        ledger = self.ledger
        return ledger.cash.copy(), ledger.debt.copy(), self.holdings_value()

    def _private_duration(self) -> float:
        """Ten-year-equivalent duration held outside the central bank, US$bn."""
        m = self.markets
        bonds = np.flatnonzero(m.is_bond)
        private = (
            self.ledger.outstanding[bonds] - self.ledger.holdings[self.rows.central_bank, bonds]
        )
        return float(
            (private * m.price[bonds] * m.duration[bonds]).sum()
            / self.config.markets.duration_benchmark
        )

    def _risk_asset_value(self) -> float:
        m = self.markets
        return float((m.price * self.ledger.outstanding)[m.risk_asset].sum())

    def _money_demand(self) -> np.ndarray:
        """Cash each holder wants to keep this week, US$bn (DESIGN §3a)."""
        s, ledger = self.config, self.ledger
        md = s.money_demand
        rate_gap = self.central_bank.state.policy_rate - self.opening_rate
        stress = self.markets.stress
        value = self.holdings_value().sum(axis=1)
        wealth = value + ledger.cash - ledger.debt
        demand = np.zeros(ledger.cash.size)
        for row, share in (
            (self.rows.households, s.households.money_share),
            (self.rows.absorber, s.absorber.money_share),
        ):
            demand[row] = money_demand_share(
                share, rate_gap, stress, md.rate_sensitivity, md.stress_sensitivity
            ) * max(wealth[row], 0.0)
        w, h = self.week, md.payments_horizon
        for firm in self.hyperscalers:
            capex = firm.capex_due(float(self.capex_path[min(w + 1, self.weeks)]))
            demand[firm.row] = (s.hyperscalers.cash_buffer_weeks + h) * capex
        for fund in self.sovereigns:
            demand[fund.row] = fund.spec.cash_buffer + fund.commitments_ahead(w, h)
        rows = self.hf_rows
        due = self.pending_redemptions[w + 1 : w + 1 + h].sum(axis=0)
        demand[rows] = s.hedge_funds.cash_share * np.maximum(wealth[rows], 0.0) + due
        return demand

    def _dry_powder(self) -> np.ndarray:
        """Cash above money demand, per water-holding row."""
        rows = self.water_rows
        return np.maximum(self.ledger.cash[rows] - self.money_demand[rows], 0.0)

    def _investors_liquidity(self) -> float:
        """Investors' cash minus their money demand, summed: dry powder, or a shortfall.

        Hyperscalers are left out: their cash is for capex, not for buying assets.
        """
        rows = self.water_rows[self.kinds[self.water_rows] != "hyperscaler"]
        return float((self.ledger.cash[rows] - self.money_demand[rows]).sum())

    def dry_powder_by_sector(self) -> dict[str, float]:
        """Dry powder summed by sector, US$bn."""
        dp = self._dry_powder()
        kinds = self.kinds[self.water_rows]
        return {sector: float(dp[kinds == kind].sum()) for kind, sector in _SECTOR_OF_KIND.items()}

    def water_level(self) -> float:
        """Cash held by private financial holders: the water in the tub, US$bn."""
        return float(self.ledger.cash[self.water_rows].sum())

    def sale_ranks(self) -> np.ndarray:
        """Per holder, the order in which it sells assets (0 first)."""
        m = self.markets
        trailing = m.trailing_return(self.week)
        ranks = np.zeros((self.ledger.cash.size, len(m.names)), dtype=int)
        for fund in self.sovereigns:
            ranks[fund.row] = sale_ranks(trailing, fund.spec.liquidation)
        # Hyperscalers sell treasuries first, then the bonds they just issued, then the rest.
        order = np.full(len(m.names), 2)
        order[m.treasury], order[m.spread_asset] = 0, 1
        for firm in self.hyperscalers:
            ranks[firm.row] = order
        return ranks

    # -- the week --------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week (see the module docstring for the order of actions)."""
        self.week += 1
        self.ledger.week = self.week
        self.week_flows = dict.fromkeys(
            ("capex_paid", "bonds_issued", "redemptions_paid", "commitments_paid", "missed"), 0.0
        )
        self._policy()
        due = self._scheduled_payments()
        self._fund_and_trade(due)
        self._update_prices()
        self._margin_checks()
        self._redemption_notices()
        self._close_week()
        if self.week >= self.weeks:
            self.running = False

    def _policy(self) -> None:
        ledger, cb = self.ledger, self.central_bank
        previous = cb.state
        gap = float(np.log(self._risk_asset_value() / self.opening_risk_value))
        state = cb.set_policy(self.week, gap, self.markets.stress)
        # Announce a move once it adds up to a quarter point, or when the stance changes.
        moved = abs(state.policy_rate - self.announced_rate) >= POLICY_STEP - 1e-12
        if (
            moved
            or state.reason != previous.reason
            or np.sign(state.qe_pace) != np.sign(previous.qe_pace)
        ):
            self.events.add(
                PolicyChange(
                    week=self.week,
                    holder="central_bank",
                    policy_rate=state.policy_rate,
                    previous_rate=self.announced_rate,
                    qe_pace=state.qe_pace,
                    reason=state.reason,
                )
            )
            self.announced_rate = state.policy_rate
        flow = cb.rrp_flow(float(ledger.cash[self.rows.rrp]))
        if flow > 0:
            ledger.pay(
                self.rows.households,
                self.rows.rrp,
                min(flow, max(ledger.cash[self.rows.households], 0.0)),
                "rrp_deposit",
            )
        elif flow < 0:
            ledger.pay(
                self.rows.rrp,
                self.rows.households,
                min(-flow, ledger.cash[self.rows.rrp]),
                "rrp_withdrawal",
            )

    def _pay_from_real_economy(self, target: int, amount: float, kind: str) -> None:
        paid = min(amount, max(self.ledger.cash[self.rows.real_economy], 0.0))
        if paid < amount - 1e-9:
            self.events.add(
                Default(week=self.week, holder="real_economy", shortfall=amount - paid, what=kind)
            )
        self.ledger.pay(self.rows.real_economy, target, paid, kind)

    def _scheduled_payments(self) -> dict:
        """Income arrives; capex, commitments and redemptions fall due. Returns what is due."""
        ledger, w, rows = self.ledger, self.week, self.rows
        self._pay_from_real_economy(
            rows.households, self.real_economy.savings(ledger.cash[rows.real_economy]), "savings"
        )
        ocf = float(self.ocf_path[w])
        for firm in self.random.sample(self.hyperscalers, len(self.hyperscalers)):
            self._pay_from_real_economy(firm.row, firm.capex_share * ocf, "operating_cash_flow")
        for fund in self.random.sample(self.sovereigns, len(self.sovereigns)):
            self._pay_from_real_economy(fund.row, float(fund.paths["inflows"][w]), "oil_revenue")

        n = ledger.cash.size
        cash_needed = np.zeros(n)
        reasons = np.full(n, "", dtype=object)
        price = self.markets.price
        # Hyperscalers: the funding waterfall decides what to raise and which bonds to issue.
        capex_due, bond_asset = {}, self.markets.spread_asset
        yield_10y = self._yield_10y()
        for firm in self.hyperscalers:
            hs = self.config.hyperscalers
            if hs.capex_cut_enabled and firm.consider_cut(
                yield_10y + self.markets.spread, hs.capex_cut_hurdle, hs.capex_cut_fraction
            ):
                self.events.add(
                    CapexCut(
                        week=w,
                        holder=firm.name,
                        funding_cost=yield_10y + self.markets.spread,
                        cut_fraction=hs.capex_cut_fraction,
                    )
                )
            capex = firm.capex_due(float(self.capex_path[w]))
            capex_due[firm] = capex
            buffer = hs.cash_buffer_weeks * capex
            treasuries = (
                ledger.holdings[firm.row, self.markets.treasury] * price[self.markets.treasury]
            )
            plan = funding_plan(capex, float(ledger.cash[firm.row]), buffer, treasuries)
            if plan.to_raise > 0:
                cash_needed[firm.row] = plan.to_raise
                reasons[firm.row] = "funding"
            if plan.from_bonds > 0:
                # Issue a little more than needed: the sale's own price impact costs proceeds.
                firm.issued_units = 1.1 * plan.from_bonds / price[bond_asset]
                ledger.issue(firm.row, bond_asset, firm.issued_units, price[bond_asset])
        # Sovereign funds: commitments from cash above the buffer, the rest to be raised.
        commitments = {}
        for fund in self.sovereigns:
            due = fund.commitment_due(w)
            commitments[fund] = due
            cash = float(ledger.cash[fund.row])
            if fund.exhausted_week is None and due > 0 and cash - due <= fund.spec.cash_buffer:
                fund.exhausted_week = w
                self.events.add(
                    DryPowderExhausted(
                        week=w, holder=fund.name, cash=cash, buffer=fund.spec.cash_buffer
                    )
                )
            need = cash_to_raise(due, cash, fund.spec.cash_buffer)
            if need > 0:
                cash_needed[fund.row], reasons[fund.row] = need, "commitment"
        # Hedge funds: redemptions due now; cash pays first, the rest is raised by selling.
        due_r = self.pending_redemptions[w]
        hf_cash = ledger.cash[self.hf_rows]
        need_r = np.maximum(due_r - hf_cash, 0.0)
        cash_needed[self.hf_rows] = need_r
        reasons[self.hf_rows] = np.where(need_r > 0, "redemption", "")
        return {
            "capex": capex_due,
            "commitments": commitments,
            "redemptions": due_r,
            "cash_needed": cash_needed,
            "reasons": reasons,
        }

    def _discretionary_orders(self) -> np.ndarray:
        """Every holder's voluntary orders this week, US$bn (> 0 buy, < 0 sell)."""
        s, ledger, m = self.config, self.ledger, self.markets
        value = self.holdings_value()
        orders = np.zeros_like(value)
        md = self.money_demand
        # Households: rebalancing toward target weights, plus retail momentum.
        h = self.rows.households
        trailing = m.trailing_return(s.households.momentum_lookback)
        orders[h] = self.household.orders(value[h], ledger.cash[h], md[h], trailing)
        # Value investors rebuild cash when short and deploy it when flush, slowly.
        a = self.rows.absorber
        orders[a] = rebalance_orders(
            value[a], ledger.cash[a], md[a], current_weights(value[a]), s.households.rebalance_speed
        )
        # Sovereign funds deploy dry powder into their portfolios (they sell only when forced).
        for fund in self.sovereigns:
            r = fund.row
            weights = weights_from(fund.spec.holdings, m.names)
            orders[r] = rebalance_orders(
                value[r], ledger.cash[r], md[r], weights, s.money_demand.deploy_rate, sell=False
            )
        # Hedge funds re-lever toward target, borrowing from their prime brokers.
        rows = self.hf_rows
        buys, borrowing = relever_orders(
            value[rows],
            ledger.cash[rows],
            ledger.debt[rows],
            self.hf_weights,
            self.hf_target,
            s.hedge_funds.cash_share,
            s.hedge_funds.relever_speed,
        )
        room = max(float(ledger.cash[self.rows.banks]), 0.0)
        if borrowing.sum() > room:  # prime brokers ration credit when their cash runs short
            scale = room / borrowing.sum()
            borrowing *= scale
            buys *= scale
        ledger.lend_many(
            self.rows.banks, rows[borrowing > 0], borrowing[borrowing > 0], "margin_loan"
        )
        orders[rows] = buys
        # The central bank's QE (buys) or QT (sells) of treasuries.
        cb, t = self.rows.central_bank, m.treasury
        pace = self.central_bank.state.qe_pace
        orders[cb, t] = pace if pace > 0 else -min(-pace, value[cb, t])
        # The treasury sells what it issued this week.
        issuance = self.treasury.issuance(self.week, float(ledger.cash[self.rows.treasury]))
        if issuance > 0:
            ledger.issue(self.rows.treasury, t, issuance / m.price[t], m.price[t])
            orders[self.rows.treasury, t] = -issuance
        return orders

    def _fund_and_trade(self, due: dict) -> None:
        ledger, w = self.ledger, self.week
        orders = self._discretionary_orders()
        clear(
            self,
            orders=orders,
            cash_needed=due["cash_needed"],
            reasons=due["reasons"],
            max_rounds=FUNDING_ROUNDS,
            kind="trade",
        )
        price = self.markets.price
        bond = self.markets.spread_asset
        # Hyperscalers: unsold new bonds are cancelled; capex is paid.
        for firm, capex in due["capex"].items():
            if firm.issued_units > 0:
                unsold = min(firm.issued_units, ledger.holdings[firm.row, bond])
                sold = firm.issued_units - unsold
                ledger.retire(firm.row, bond, unsold, price[bond])
                firm.issued_units = 0.0
                if sold > 0:
                    amount = sold * price[bond]
                    self.recent_issuance[w % self.recent_issuance.size] += amount
                    self.week_flows["bonds_issued"] += amount
                    self.events.add(
                        BondIssued(
                            week=w, holder=firm.name, amount=amount, spread=self.markets.spread
                        )
                    )
            paid = min(capex, float(ledger.cash[firm.row]))
            if paid < capex - 1e-9:
                self.events.add(
                    Default(week=w, holder=firm.name, shortfall=capex - paid, what="capex")
                )
            ledger.pay(firm.row, self.rows.suppliers, paid, "capex")
            self.week_flows["capex_paid"] += paid
            payout = shareholder_payout(
                float(ledger.cash[firm.row]),
                self.money_demand[firm.row],
                self.config.hyperscalers.payout_rate,
            )
            ledger.pay(firm.row, self.rows.households, payout, "shareholder_payout")
        # Sovereign funds: pay the call, borrowing against holdings if sales fell short.
        for fund, commitment in due["commitments"].items():
            self._pay_commitment(fund, commitment)
        # Hedge funds pay redemptions due to their investors (households).
        rows = self.hf_rows
        paid = np.minimum(due["redemptions"], np.maximum(ledger.cash[rows], 0.0))
        ledger.pay_many(rows, np.full(rows.size, self.rows.households), paid, "redemption")
        self.week_flows["redemptions_paid"] = float(paid.sum())
        short = due["redemptions"] - paid
        for r in np.flatnonzero(short > 1e-9):
            self.events.add(
                Default(
                    week=w,
                    holder=ledger.holders[rows[r]].name,
                    shortfall=float(short[r]),
                    what="redemption",
                )
            )
        # Suppliers pass capex and commitments on: part back to the tub, the rest leaks.
        receipts = float(ledger.cash[self.rows.suppliers])
        back, leak = split_receipts(receipts, self.suppliers.recycling)
        ledger.pay(self.rows.suppliers, self.rows.households, back, "supplier_recycling")
        ledger.pay(self.rows.suppliers, self.rows.real_economy, leak, "capex_leakage")
        self.capex_growth = self.suppliers.memory_earnings_growth(receipts)
        # The treasury spends the deficit: transfers straight into deposits, the rest into
        # the real economy (which returns it to the tub only slowly, as savings).
        deficit = float(self.treasury.paths["deficit"][w])
        spent = min(deficit, max(float(ledger.cash[self.rows.treasury]), 0.0))
        transfers = self.config.treasury.transfer_share * spent
        ledger.pay(self.rows.treasury, self.rows.households, transfers, "fiscal_transfers")
        ledger.pay(
            self.rows.treasury, self.rows.real_economy, spent - transfers, "deficit_spending"
        )

    def _pay_commitment(self, fund: SovereignFund, commitment: float) -> None:
        ledger, w = self.ledger, self.week
        if commitment <= 0:
            return
        available = max(float(ledger.cash[fund.row]) - fund.spec.cash_buffer, 0.0)
        if available < commitment:
            value = float(self.holdings_value()[fund.row].sum())
            loan = min(
                commitment - available,
                fund.margin_loan_room(value, ledger.debt[fund.row]),
                max(float(ledger.cash[self.rows.banks]), 0.0),
            )
            if loan > 1e-9:
                ledger.lend(self.rows.banks, fund.row, loan, "margin_loan")
                available += loan
        paid = min(commitment, available, float(ledger.cash[fund.row]))
        ledger.pay(fund.row, self.rows.suppliers, paid, "commitment")
        self.week_flows["commitments_paid"] += paid
        if paid < commitment - 1e-9:
            self.week_flows["missed"] += commitment - paid
            self.events.add(MissedCommitment(week=w, holder=fund.name, due=commitment, paid=paid))

    def _yield_10y(self) -> float:
        m = self.markets
        return m.yield_of(m.treasury, self.central_bank.state.policy_rate + m.term_premium)

    def _update_prices(self) -> None:
        self.markets.update_fundamentals(
            self.central_bank.state.policy_rate,
            self.capex_growth,
            self.news[self.week],
        )

    def _margin_checks(self) -> None:
        """Hedge funds over their leverage limits deleverage: the forced-selling cascade."""
        rows = self.hf_rows
        if rows.size == 0:
            return
        value = self.holdings_value()
        n = self.ledger.cash.size
        weights = value[rows] / np.maximum(value[rows].sum(axis=1, keepdims=True), 1e-12)
        limits = leverage_limits(
            self.hf_limit,
            weights,
            self.markets.base_haircut,
            self.markets.haircuts(self.config.hedge_funds.haircut_volatility_beta),
        )
        limit = np.full(n, np.inf)
        target = np.full(n, np.inf)
        limit[rows] = limits
        target[rows] = np.maximum(1.0, limits * (1.0 - self.config.hedge_funds.deleverage_buffer))
        self.margin_limit = limit
        self.margin_leverage = np.full(n, 0.0)
        self.margin_leverage[rows] = leverage(
            value[rows].sum(axis=1), self.ledger.cash[rows], np.maximum(self.ledger.debt[rows], 0.0)
        )
        reasons = np.full(n, "", dtype=object)
        reasons[rows] = "margin"
        done = clear(
            self,
            leverage_limit=limit,
            target_leverage=target,
            reasons=reasons,
            max_rounds=MARGIN_ROUNDS,
            kind="forced_sale",
        )
        for r in np.flatnonzero(done.insolvent):
            if self.kinds[r] == "hedge_fund" and int(r) not in self.defaulted:
                self.defaulted.add(int(r))
                self.events.add(
                    Default(
                        week=self.week,
                        holder=self.ledger.holders[r].name,
                        shortfall=float(-self._equity(r)),
                        what="equity",
                    )
                )

    def _equity(self, row: int) -> float:
        ledger = self.ledger
        return float(
            ledger.holdings[row] @ self.markets.price + ledger.cash[row] - ledger.debt[row]
        )

    def _redemption_notices(self) -> None:
        """Investors give notice after poor returns; the money is due after the lag."""
        hf = self.config.hedge_funds
        rows = self.hf_rows
        value = self.holdings_value()[rows].sum(axis=1)
        equity = value + self.ledger.cash[rows] - self.ledger.debt[rows]
        self._equity_history.append(equity)
        lookback = hf.redemption_lookback
        if len(self._equity_history) <= lookback:
            return
        past = self._equity_history[-(lookback + 1)]
        trailing = np.where(past > 0, equity / np.where(past > 0, past, 1.0) - 1.0, -1.0)
        already = self.pending_redemptions[self.week + 1 :].sum(axis=0)
        fraction = redemption_fraction(
            trailing, hf.redemption_threshold, hf.redemption_sensitivity, hf.redemption_max
        )
        amount = np.where(already > 0, 0.0, fraction * np.maximum(equity, 0.0))
        due = min(self.week + max(hf.redemption_notice, 1), self.weeks + 1)
        self.pending_redemptions[due] += amount
        for j in np.flatnonzero(amount > 1e-6):
            self.events.add(
                Redemption(
                    week=self.week,
                    holder=self.ledger.holders[rows[j]].name,
                    amount=float(amount[j]),
                    trailing_return=float(trailing[j]),
                    due_week=due,
                )
            )

    def _close_week(self) -> None:
        m = self.markets
        m.close_week()
        m.set_term_premium(self._private_duration(), self.opening_private_duration)
        self.recent_issuance[(self.week + 1) % self.recent_issuance.size] = 0.0
        m.set_spread(float(self.recent_issuance.sum()))
        self.money_demand = self._money_demand()
        m.set_depth(self._investors_liquidity() / self.config.markets.dry_powder_reference)
        self.recorder.record()
        if self.check_invariants:
            self.ledger.check()

    def run(self) -> BathtubModel:
        """Run to the end; returns the model for chaining."""
        while self.running:
            self.step()
        return self
