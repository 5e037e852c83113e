"""A small economy for testing one sector at a time, on numbers worked by hand.

It has every node of the model's ledger (central bank, treasury, RRP, real economy,
banks, suppliers, households, value investors), the members a test asks for, three
assets, and markets reduced to what sectors read: prices a test sets, the stress
index, the bond spread, trailing returns and haircuts. The scenario is the default
one with overrides, so every parameter not pinned by a test is the calibrated one.
"""

from __future__ import annotations

from types import SimpleNamespace

import mesa
import numpy as np

from inverse_qe.model.events import EventLog
from inverse_qe.model.ledger import Holder, Ledger
from inverse_qe.model.markets import Markets
from inverse_qe.model.rows import NODES, Rows
from inverse_qe.scenarios.loader import load

ASSETS = ("treasuries", "hyperscaler_bonds", "crypto")


class FlatMarkets:
    """Markets whose every observable is a plain attribute a test sets."""

    units = Markets.units  # US$bn -> units at the current prices, as in the model

    def __init__(self, prices) -> None:
        self.names = list(ASSETS)
        self.index = {a: k for k, a in enumerate(self.names)}
        self.price = np.array(prices, dtype=float)
        self.initial_price = self.price.copy()
        self.treasury, self.spread_asset = 0, 1
        self.stress = 0.0
        self.spread = 0.0
        self.trailing = np.zeros(len(self.names))
        self.base_haircut = np.zeros(len(self.names))
        self.haircut = np.zeros(len(self.names))

    def trailing_return(self, weeks: int) -> np.ndarray:
        return self.trailing

    def haircuts(self, volatility_beta: float) -> np.ndarray:
        return self.haircut


class World(mesa.Model):
    """The model's ledger layout with ``members`` ((name, kind) pairs) between nodes and markets.

    Args:
        members: extra ledger rows, e.g. ``[("amazon", "hyperscaler")]``.
        prices: prices of ``ASSETS``.
        overrides: ``field.path=value`` overrides of the default scenario.
        week: the current week; ``weeks``: the run's length.
    """

    def __init__(self, members=(), prices=(1.0, 1.0, 1.0), overrides=(), week=1, weeks=10):
        super().__init__(rng=np.random.default_rng(0))
        self.config = load("dry_powder_exhaustion", list(overrides))
        self.week, self.weeks = week, weeks
        self.events = EventLog()
        self.markets = FlatMarkets(prices)
        holders = [Holder(name, name) for name in NODES]
        holders += [Holder(name, kind) for name, kind in members]
        holders += [Holder(f"market:{a}", "market") for a in ASSETS]
        self.ledger = Ledger(holders, list(ASSETS), central_bank="central_bank")
        index = self.ledger.index
        self.rows = Rows(*(index[name] for name in NODES), index[f"market:{ASSETS[0]}"])
        self.central_bank = SimpleNamespace(rate_gap=0.0)  # what other sectors read of it
        self.treasury = SimpleNamespace(bills_held=0.0)  # what the central bank reads of it
        self.ten_year_yield = 0.04

    @property
    def lookahead(self) -> int:
        """Weeks past the end the rules look ahead to, as the model has it."""
        s = self.config
        return s.money_demand.payments_horizon + max(s.hedge_funds.redemption_notice, 1) + 1

    def yield_10y(self) -> float:
        return self.ten_year_yield

    def open(self, name: str, cash: float = 0.0, debt: float = 0.0, **units: float) -> int:
        """Open ``name``'s account (units by asset) and a loan from the banks; its row."""
        self.ledger.open_account(name, cash, units)
        if debt:
            self.ledger.open_loan("banks", name, debt)
        return self.ledger.index[name]

    def cash(self, name: str) -> float:
        return float(self.ledger.cash[self.ledger.index[name]])

    def units(self, name: str) -> np.ndarray:
        return self.ledger.holdings[self.ledger.index[name]].copy()

    def flows(self, kind: str) -> list[tuple[str, str, float]]:
        """(source, target, amount) of the recorded flows of one kind, in order."""
        log, names = self.ledger.flows, [h.name for h in self.ledger.holders]
        kinds = np.array(log.kinds, dtype=object)[log.column("kind")]
        return [
            (names[s], names[t], float(a))
            for s, t, a, k in zip(
                log.column("source"), log.column("target"), log.column("amount"), kinds, strict=True
            )
            if k == kind
        ]

    def events_of(self, kind: str) -> list:
        return [e for e in self.events if e.type == kind]
