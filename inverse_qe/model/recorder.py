"""Weekly time series, written into preallocated arrays (no per-agent copies)."""

from __future__ import annotations

import numpy as np

from inverse_qe.model.liquidity import dry_powder_by_sector, net_liquidity_by_sector, water_level


class Recorder:
    """One row per week of the headline series (DESIGN §10)."""

    def __init__(self, model) -> None:
        self.model = model
        m = model.markets
        sectors = list(dry_powder_by_sector(model))
        self.columns = [
            "week",
            "water_level",
            "dry_powder",
            "net_liquidity",
            "rrp_balance",
            "tga",
            "policy_rate",
            "rrp_rate",
            "qe_pace",
            "term_premium",
            "yield_10y",
            "bond_spread",
            "cb_balance_sheet",
            "capex_paid",
            "bonds_issued",
            "commitments_paid",
            "missed_commitments",
            "forced_sales",
            "forced_sales_margin",
            "forced_sales_redemption",
            "forced_sales_commitment",
            "forced_sales_funding",
            "margin_calls",
            "redemptions",
            "stress_index",
            "market_depth",
            "money_scarcity",
            "risk_asset_value",
            "ai_income_value",
            "real_economy_cash",
            *(f"dry_powder_{s}" for s in sectors),
            *(f"net_liquidity_{s}" for s in sectors),
            *(f"price_{a}" for a in m.names),
        ]
        self.index = {c: j for j, c in enumerate(self.columns)}
        self.data = np.full((model.weeks + 1, len(self.columns)), np.nan)
        self._events_seen = 0
        self._forced_seen: dict[str, float] = {}

    def record(self) -> None:
        """Fill this week's row from the model's state and the week's events."""
        model = self.model
        m, ledger, rows = model.markets, model.ledger, model.rows
        cb = model.central_bank.state
        called, redeemed = model.events.since(self._events_seen)
        self._events_seen = len(model.events)
        forced = {
            reason: total - self._forced_seen.get(reason, 0.0)
            for reason, total in model.forced_by_reason.items()
        }
        self._forced_seen = dict(model.forced_by_reason)
        dry = dry_powder_by_sector(model)
        net = net_liquidity_by_sector(model)
        values = {
            "week": model.week,
            "water_level": water_level(model),
            "dry_powder": sum(dry.values()),
            "net_liquidity": sum(net.values()),
            "rrp_balance": ledger.cash[rows.rrp],
            "tga": ledger.cash[rows.treasury],
            "policy_rate": cb.policy_rate,
            "rrp_rate": cb.rrp_rate,
            "qe_pace": cb.qe_pace,
            "term_premium": m.term_premium,
            "yield_10y": model.yield_10y(),
            "bond_spread": m.yield_of(m.spread_asset, m.spread),
            "cb_balance_sheet": float(ledger.holdings[rows.central_bank] @ m.price),
            "capex_paid": model.hyperscalers.capex_paid,
            "bonds_issued": model.hyperscalers.bonds_issued,
            "commitments_paid": model.sovereign_funds.commitments_paid,
            "missed_commitments": model.sovereign_funds.missed,
            "forced_sales": sum(forced.values()),
            "margin_calls": len(called),
            "redemptions": sum(redeemed),
            "stress_index": m.stress,
            "market_depth": m.depth,
            "money_scarcity": m.scarcity,
            "risk_asset_value": model.risk_asset_value(),
            "ai_income_value": m.ai_income_value(model.opening_units),
            "real_economy_cash": ledger.cash[rows.real_economy],
        }
        for reason in ("margin", "redemption", "commitment", "funding"):
            values[f"forced_sales_{reason}"] = forced.get(reason, 0.0)
        for sector, amount in dry.items():
            values[f"dry_powder_{sector}"] = amount
        for sector, amount in net.items():
            values[f"net_liquidity_{sector}"] = amount
        for k, asset in enumerate(m.names):
            values[f"price_{asset}"] = m.price[k]
        row = self.data[model.week]
        for name, value in values.items():
            row[self.index[name]] = value

    def series(self, name: str) -> np.ndarray:
        """One column over the weeks recorded so far."""
        return self.data[: self.model.week + 1, self.index[name]]

    def table(self) -> dict[str, np.ndarray]:
        """Every column over the weeks recorded so far."""
        return {c: self.series(c) for c in self.columns}

    def frozen(self) -> Recording:
        """The weeks recorded so far, detached from the model (small, and picklable)."""
        return Recording(self.columns, self.data[: self.model.week + 1].copy())


class Recording:
    """A finished run's weekly series without its model, read as a :class:`Recorder` is.

    What a twin simulated in another process sends back (about 40 kB pickled, where
    the recorder with its model, agents and ledger would be about 1.4 MB).
    """

    def __init__(self, columns: list[str], data: np.ndarray) -> None:
        self.columns = list(columns)
        self.index = {c: j for j, c in enumerate(self.columns)}
        self.data = data

    def series(self, name: str) -> np.ndarray:
        """One column over the recorded weeks."""
        return self.data[:, self.index[name]]

    def table(self) -> dict[str, np.ndarray]:
        """Every column over the recorded weeks."""
        return {c: self.series(c) for c in self.columns}
