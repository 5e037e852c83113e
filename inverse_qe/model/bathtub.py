"""The Mesa model: the liquidity bathtub, one week per step.

This module is the table of contents. It builds the ledger, the markets and the
sectors from the scenario, and runs the week (:meth:`BathtubModel.step`) as a
fixed sequence of phases, each a short call per sector: policy, income, payments
due, funding and trades cleared together, settlement, prices, margin checks,
notices, and the close (next week's conditions, the record, the books checked).
Every rule lives with its sector, one module and one class each in
``inverse_qe/agents/``; ``docs/architecture.md`` has the table of phase x sector
-> method. Members of a sector act in an order shuffled by the model's seeded
generator where the order could matter; all sales of a round clear together.
"""

from __future__ import annotations

import mesa
import numpy as np

from inverse_qe.agents.central_bank import CentralBank
from inverse_qe.agents.hedge_fund import MARGIN_REASON, HedgeFunds, fund_names
from inverse_qe.agents.household import Households
from inverse_qe.agents.hyperscaler import Hyperscalers
from inverse_qe.agents.real_economy import RealEconomy
from inverse_qe.agents.sovereign_fund import SovereignFunds
from inverse_qe.agents.supplier import Suppliers
from inverse_qe.agents.treasury import Treasury
from inverse_qe.agents.value_investor import ValueInvestors
from inverse_qe.model.clearing import CauseTracker, clear, place_new_issues
from inverse_qe.model.collector import RecorderCollector
from inverse_qe.model.events import EventLog
from inverse_qe.model.ledger import Holder, Ledger
from inverse_qe.model.liquidity import net_liquidity, water_rows, water_sectors
from inverse_qe.model.markets import Markets
from inverse_qe.model.paths import week_dates, weekly
from inverse_qe.model.recorder import Recorder
from inverse_qe.model.rows import NODES, Rows
from inverse_qe.model.seeds import run_seed
from inverse_qe.scenarios.loader import as_scenario
from inverse_qe.scenarios.schema import Scenario

#: Bound on clearing rounds within one week (funding, then margin cascade).
FUNDING_ROUNDS = 4
MARGIN_ROUNDS = 6


class BathtubModel(mesa.Model):
    """Hyperscalers, sovereign funds, hedge funds, households, a treasury and a central bank.

    Args:
        scenario: a validated :class:`~inverse_qe.scenarios.schema.Scenario`, or a
            built-in name or ``.toml`` path to load (what ``mesa.batch_run`` passes).
        seed: the run's seed (default: the scenario's ``run.seed``). Separate
            streams are derived from it for news, fund heterogeneity and
            shuffling, so scenarios compared on the same seed share their news
            (common random numbers).
        weeks: run length (default: the scenario's ``run.weeks``).
        rng: Mesa's keyword for the seed, instead of ``seed``: see :func:`run_seed`.
        check_invariants: assert stock-flow consistency every step.
    """

    def __init__(
        self,
        scenario: Scenario | str,
        seed: int | None = None,
        weeks: int | None = None,
        *,
        rng: int | np.random.Generator | None = None,
        check_invariants: bool = True,
    ) -> None:
        scenario = as_scenario(scenario)
        seed = run_seed(scenario, seed, rng)
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
        self._build_ledger()
        self._build_sectors(np.random.default_rng([seed, 2]))
        self._open_accounts()
        self.opening_balances = self.balance_snapshot()
        self.opening_cb_cash = float(self.ledger.cash[self.rows.central_bank])
        self.expected_private_duration = self.markets.scheduled_private_duration(
            self._private_duration(),
            self.treasury.paths["deficit"] - self.treasury.bills,  # bills carry no duration
            self.central_bank.paths["qe_pace"],
            self.opening_balances[2][self.rows.central_bank, self.markets.treasury],
        )
        self._update_money_demand()
        self.markets.set_depth(net_liquidity(self) / scenario.markets.dry_powder_reference)
        self.opening_units = self.ledger.outstanding.copy()
        self.opening_risk_value = self.risk_asset_value()
        self.recorder = Recorder(self)
        self.recorder.record()
        # Mesa's DataCollector, read from the recorder's rows (batch_run, plots).
        self.datacollector = RecorderCollector(self.recorder)
        self.running = True

    # -- construction ----------------------------------------------------------------------
    def _build_ledger(self) -> None:
        """One row per node, firm, fund and market clearing account."""
        s = self.config
        holders = [Holder(name, name) for name in NODES]
        holders += [Holder(f.name, "hyperscaler") for f in s.hyperscalers.firms]
        holders += [Holder(f.name, "sovereign_fund") for f in s.sovereign_funds]
        holders += [Holder(name, "hedge_fund") for name in fund_names(s.hedge_funds.strategies)]
        holders += [Holder(f"market:{a}", "market") for a in self.markets.names]
        self.ledger = Ledger(holders, self.markets.names, central_bank="central_bank")
        index = self.ledger.index
        self.rows = Rows(*(index[name] for name in NODES), index[f"market:{self.markets.names[0]}"])
        self.kinds = np.array([h.kind for h in holders])
        self.absorber_rows = np.array([self.rows.value_investors])
        self.water_rows = water_rows(self.kinds)
        self.water_sectors = water_sectors(self.kinds, self.water_rows)

    @property
    def lookahead(self) -> int:
        """Weeks past the last that rules look ahead to (payments due soon, notices).

        Paths and schedules reach this far, so the last weeks of a run see what a
        longer run would: a run is a prefix of every longer run on the same seed.
        """
        s = self.config
        return s.money_demand.payments_horizon + max(s.hedge_funds.redemption_notice, 1) + 1

    def _paths(self, table, *names: str) -> dict[str, np.ndarray]:
        """Weekly arrays of a scenario table's time paths, from week 0 to past the last."""
        length = self.weeks + 1 + self.lookahead
        return {
            name: weekly(getattr(table, name), self.config.run.start_date, length) for name in names
        }

    def _build_sectors(self, rng: np.random.Generator) -> None:
        """Every sector with its members (Mesa agents), rules and time paths."""
        s, rows, paths = self.config, self.rows, self._paths
        self.central_bank = CentralBank(
            self,
            rows.central_bank,
            s.central_bank,
            paths(s.central_bank, "policy_rate", "rrp_rate_spread", "qe_pace"),
        )
        self.treasury = Treasury(
            self, rows.treasury, s.treasury, paths(s.treasury, "deficit", "tga_target", "bills")
        )
        self.real_economy = RealEconomy(self, rows.real_economy, s.real_economy)
        sp = s.suppliers
        self.suppliers = Suppliers(
            self, rows.suppliers, sp.recycling, sp.memory_share, sp.memory_base_earnings
        )
        momentum = np.isin(self.markets.names, s.households.momentum_assets)
        self.households = Households(self, rows.households, s.households, momentum)
        self.value_investors = ValueInvestors(self, rows.value_investors, s.absorber)
        self.hyperscalers = Hyperscalers(
            self, s.hyperscalers, paths(s.hyperscalers, "capex", "operating_cash_flow")
        )
        self.sovereign_funds = SovereignFunds(
            self,
            s.sovereign_funds,
            [paths(fund, "commitments", "inflows") for fund in s.sovereign_funds],
        )
        self.hedge_funds = HedgeFunds(self, s.hedge_funds, rng)
        self.sectors = (
            self.central_bank,
            self.treasury,
            self.real_economy,
            self.suppliers,
            self.households,
            self.value_investors,
            self.hyperscalers,
            self.sovereign_funds,
            self.hedge_funds,
        )
        # New issues go first to the unlevered investors with dry powder.
        self.primary_buyers = np.array(
            [rows.households, rows.value_investors, *self.sovereign_funds.rows], dtype=int
        )
        # Sovereign funds and hyperscalers sell in an order (sale_ranks); the rest pro rata.
        self.liquidation = np.isin(self.kinds, ("sovereign_fund", "hyperscaler"))

    def _open_accounts(self) -> None:
        """Opening balance sheets in ledger order (units outstanding add up in it), sealed."""
        for sector in self.sectors:
            sector.open_accounts()
        # Prime brokers: the cash they can still lend to funds and sovereign borrowers.
        self.ledger.open_account("banks", self.config.hedge_funds.prime_broker_cash)
        self.value_investors.hold_the_rest()
        self.ledger.seal()

    # -- derived state -------------------------------------------------------------------
    def balance_snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cash, debt, holdings value) of every holder now: copies, US$bn."""
        ledger = self.ledger
        return ledger.cash.copy(), ledger.debt.copy(), ledger.holdings * self.markets.price

    def _private_duration(self) -> float:
        """Benchmark-equivalent duration held outside the central bank, US$bn."""
        return self.markets.private_duration(self.ledger, self.rows.central_bank)

    def risk_asset_value(self) -> float:
        """The opening stock of risk assets at today's prices, US$bn (a price index)."""
        return self.markets.risk_asset_value(self.opening_units)

    def yield_10y(self) -> float:
        """The ten-year treasury yield: expected short rate, term premium and flow distortion."""
        return self.markets.yield_10y(self.central_bank.state.policy_rate)

    def _update_money_demand(self) -> None:
        """Each sector's money demand for next week, gathered per holder (DESIGN §3a)."""
        demand = np.zeros(self.ledger.cash.size)
        demand[self.households.row] = self.households.update_money_demand()
        demand[self.value_investors.row] = self.value_investors.update_money_demand()
        for sector in (self.hyperscalers, self.sovereign_funds, self.hedge_funds):
            demand[sector.rows] = sector.update_money_demand()
        self.money_demand = demand

    def sale_ranks(self) -> np.ndarray:
        """Per holder, the order in which it sells assets (0 first; the clearing reads it)."""
        ranks = np.zeros((self.ledger.cash.size, len(self.markets.names)), dtype=int)
        ranks[self.sovereign_funds.rows] = self.sovereign_funds.sale_ranks()
        ranks[self.hyperscalers.rows] = self.hyperscalers.sale_ranks()
        return ranks

    # -- the week --------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one week: the phases in their fixed order."""
        if self.week >= self.weeks:  # over: Mesa's run_for may ask for more weeks than the run has
            self.running = False
            return
        self.week += 1
        self.ledger.week = self.week
        self._policy()
        self._income()
        cash_needed, reasons = self._payments_due()
        self._fund_and_trade(cash_needed, reasons)
        self._settle()
        self._update_prices()
        self._margin_checks()
        self.hedge_funds.notices()
        self._close_week()
        if self.week >= self.weeks:
            self.running = False

    def _policy(self) -> None:
        """The central bank reacts to last week's asset prices and stress."""
        gap = float(np.log(self.risk_asset_value() / self.opening_risk_value))
        self.central_bank.policy(gap, self.markets.stress)
        self.central_bank.rrp_plumbing()

    def _income(self) -> None:
        """The real economy pays: savings, operating cash flow, oil revenue."""
        self.real_economy.pay_savings()
        self.hyperscalers.receive_income()
        self.sovereign_funds.receive_income()

    def _payments_due(self) -> tuple[np.ndarray, np.ndarray]:
        """Per holder, the cash it must raise by selling this week, and why."""
        n = self.ledger.cash.size
        cash_needed = np.zeros(n)
        reasons = np.full(n, "", dtype=object)
        for sector in (self.hyperscalers, self.sovereign_funds, self.hedge_funds):
            need = sector.payments_due()
            cash_needed[sector.rows] = need
            reasons[sector.rows[need > 0]] = sector.SALE_REASON
        return cash_needed, reasons

    def _fund_and_trade(self, cash_needed: np.ndarray, reasons: np.ndarray) -> None:
        """Forced sales for payments due and every sector's orders, cleared together."""
        orders = np.zeros(self.ledger.holdings.shape)
        orders[self.households.row] = self.households.orders()
        orders[self.value_investors.row] = self.value_investors.orders()
        orders[self.sovereign_funds.rows] = self.sovereign_funds.orders()
        orders[self.hedge_funds.rows] = self.hedge_funds.orders()
        orders[self.central_bank.row] = self.central_bank.orders()
        orders[self.treasury.row] = self.treasury.orders()
        orders[self.primary_buyers] += self._primary_market()
        clear(
            self,
            orders=orders,
            cash_needed=cash_needed,
            reasons=reasons,
            max_rounds=FUNDING_ROUNDS,
            kind="trade",
        )

    def _primary_market(self) -> np.ndarray:
        """Buy orders that place this week's new treasuries and hyperscaler bonds."""
        m, buyers = self.markets, self.primary_buyers
        new_issues = np.zeros(len(m.names))
        new_issues[m.treasury] += self.treasury.offered
        new_issues[m.spread_asset] += self.hyperscalers.bonds_offered
        dry_powder = self.ledger.cash[buyers] - self.money_demand[buyers]
        return place_new_issues(new_issues, dry_powder)

    def _settle(self) -> None:
        """The week's payments, now that the sales have raised what they could."""
        self.hyperscalers.settle()
        self.sovereign_funds.settle()
        self.hedge_funds.settle()
        self.suppliers.settle()
        self.real_economy.earn_profits(self.suppliers.receipts_beyond_memory())
        self.treasury.settle()

    def _update_prices(self) -> None:
        """Fundamentals move with the policy rate, the earnings AI spending makes and the news."""
        self.markets.update_fundamentals(
            self.central_bank.state.policy_rate,
            self.suppliers.earnings_growth,
            self.real_economy.profits_growth,
            self.news[self.week],
        )

    def _margin_checks(self) -> None:
        """Hedge funds over their leverage limits deleverage: the forced-selling cascade."""
        funds, n = self.hedge_funds, self.ledger.cash.size
        if not len(funds):
            return
        leverage, limit, target = np.zeros(n), np.full(n, np.inf), np.full(n, np.inf)
        leverage[funds.rows], limit[funds.rows], target[funds.rows] = funds.margin_terms()
        reasons = np.full(n, "", dtype=object)
        reasons[funds.rows] = MARGIN_REASON
        done = clear(
            self,
            leverage_limit=limit,
            target_leverage=target,
            leverage=leverage,
            reasons=reasons,
            max_rounds=MARGIN_ROUNDS,
            kind="forced_sale",
        )
        funds.record_defaults(done.insolvent[funds.rows])

    def _close_week(self) -> None:
        """Next week's conditions, the week's record, and the books checked."""
        m = self.markets
        m.close_week()
        m.set_term_premium(self._private_duration(), self.expected_private_duration[self.week])
        m.set_spread(self.hyperscalers.recent_issuance())
        self._update_money_demand()
        m.set_depth(net_liquidity(self) / self.config.markets.dry_powder_reference)
        self.recorder.record()
        self.datacollector.collect(self)
        if self.check_invariants:
            self.ledger.check()

    def run(self) -> BathtubModel:
        """Run to the end; returns the model for chaining."""
        while self.running:
            self.step()
        return self
