"""The ledger: one object owns every balance sheet, and every movement is one call.

Balance sheets are numpy arrays: a cash vector, a holdings matrix (holders x
assets, in units) and a debt vector (positive = owed, negative = a claim on a
borrower, so debts sum to zero). Each public method moves one thing from one
holder to another and records the flow ``(week, source, target, instrument,
kind, amount, units)``; nothing else in the package writes to these arrays.

Conservation (DESIGN §3): the central bank's cash may go negative (it issues
reserves), every other holder's only through a recorded credit line, so the sum
of all cash never changes; units held equal units outstanding, which change only
by recorded issuance or retirement. :meth:`Ledger.check` asserts both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from inverse_qe.model.arrays import row_sums

CASH = -1  # instrument index of cash in the flow records

#: Types whose values are one number: checked by type first, because ``np.ndim`` on a
#: Python number costs a microsecond, and a run appends flows tens of thousands of times.
_NUMBERS = (float, int, np.float64, np.int64)


def _ndim(value) -> int:
    """``np.ndim(value)``, without its cost for plain numbers and arrays."""
    kind = type(value)
    if kind in _NUMBERS:
        return 0
    if kind is np.ndarray:
        return value.ndim
    return np.ndim(value)


class LedgerError(RuntimeError):
    """A booking that would break the accounting (a bug, never a user error)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """A row of the ledger: a name and the type of agent or sector behind it."""

    name: str
    kind: str


class _Columns:
    """Append-only numpy columns of one row shape, in chunks.

    The chunk being filled doubles (copying) up to ``chunk`` rows; then full chunks are
    set aside and a new one started: no copy of tens of millions of rows, and no moment
    holding the old and the grown columns at once.
    """

    def __init__(self, schema: tuple[tuple[str, type], ...], capacity: int, chunk: int) -> None:
        self.schema = schema
        self.chunk = chunk
        self.data = {name: np.empty(capacity, dtype) for name, dtype in schema}
        self.rows = 0
        self._filled = 0
        self._chunks: list[dict[str, np.ndarray]] = []

    def store(self, n: int, values: dict) -> None:
        """Append ``n`` rows; each value is a scalar or an array of ``n``."""
        done = 0
        while done < n:
            capacity = self.data[self.schema[0][0]].size
            if self._filled == capacity:
                self._make_room(capacity)
                continue
            take = min(n - done, capacity - self._filled)
            end = self._filled + take
            for name, value in values.items():
                self.data[name][self._filled : end] = (
                    value[done : done + take] if _ndim(value) else value
                )
            self._filled = end
            done += take
        self.rows += n

    def _make_room(self, capacity: int) -> None:
        if capacity < self.chunk:
            grow = max(1, min(self.chunk, 2 * capacity))
            for name, column in self.data.items():
                grown = np.empty(grow, column.dtype)
                grown[: self._filled] = column[: self._filled]
                self.data[name] = grown
        else:
            self._chunks.append(self.data)
            self.data = {name: np.empty(self.chunk, dtype) for name, dtype in self.schema}
            self._filled = 0

    def column(self, name: str) -> np.ndarray:
        """One column of the stored rows (a view while they fit in one chunk)."""
        current = self.data[name][: self._filled]
        if not self._chunks:
            return current
        return np.concatenate([*(chunk[name] for chunk in self._chunks), current])


class FlowLog:
    """Append-only columnar record of flows, stored in as few bytes as the flows allow.

    Every booking is one batch of rows with one week and one kind, so those two are
    kept once per batch. The rows go to one of three stores by their shape:

    * trades: a trade in a clearing round is two flows (the securities leg and the
      cash leg) between a holder and a market's clearing account, and at large
      populations these are most of the log. A batch of them keeps its clearing
      prices and first clearing account, and each trade only (holder, asset, units):
      the market is the first account plus the asset, and the value is units x price,
      the same product the ledger settles with, so it reads back bit for bit;
    * payments (cash, no units): source, target, amount;
    * anything else (deliveries, issuance, retirement): every column.

    At 100,000 hedge funds this is 14-16 bytes a stored row instead of 32. ``size`` and
    :meth:`column` present every flow in the order it was booked, exactly as if each leg
    had been appended on its own.
    """

    _columns = (
        ("week", np.int32),
        ("source", np.int32),
        ("target", np.int32),
        ("instrument", np.int16),
        ("kind", np.int16),
        ("amount", np.float64),
        ("units", np.float64),
    )

    #: Rows per chunk once a store is large.
    CHUNK = 1 << 20

    def __init__(self, capacity: int = 4096, chunk: int = CHUNK) -> None:
        self.size = 0  # flows, both legs of every trade counted
        self.records = 0  # rows stored: a trade is one
        self.kinds: list[str] = []
        self._kind_index: dict[str, int] = {}
        self._trades = _Columns(
            (("holder", np.int32), ("asset", np.int16), ("units", np.float64)), capacity, chunk
        )
        self._payments = _Columns(
            (("source", np.int32), ("target", np.int32), ("amount", np.float64)), capacity, chunk
        )
        self._others = _Columns(
            tuple((name, dtype) for name, dtype in self._columns if name not in ("week", "kind")),
            capacity,
            chunk,
        )
        # In booking order: (store, first row, end row, week, kind, what a trade batch
        # needs to read back: (first clearing account, prices, selling), else None)
        self._batches: list[tuple[_Columns, int, int, int, int, tuple | None]] = []
        self._layout_cache: tuple[int, dict] | None = None

    def kind_id(self, kind: str) -> int:
        """The integer code of a flow kind, registering it on first use."""
        code = self._kind_index.get(kind)
        if code is None:
            code = self._kind_index[kind] = len(self.kinds)
            self.kinds.append(kind)
        return code

    def _book(self, store: _Columns, n: int, week: int, kind: str, values: dict, trade=None):
        start = store.rows
        store.store(n, values)
        self._batches.append((store, start, store.rows, int(week), self.kind_id(kind), trade))
        self.records += n

    def append(self, week: int, source, target, instrument, kind: str, amount, units) -> None:
        """Append one or many flows of one week and kind (scalars or equal-length arrays)."""
        source = np.atleast_1d(source)
        n = source.size
        if n == 0:
            return
        payment = (
            _ndim(instrument) == 0
            and instrument == CASH
            and _ndim(units) == 0
            and units == 0.0
            and not math.copysign(1.0, units) < 0  # -0.0 must read back as -0.0
        )
        if payment:
            values = {"source": source, "target": target, "amount": amount}
            self._book(self._payments, n, week, kind, values)
        else:
            values = {
                "source": source,
                "target": target,
                "instrument": instrument,
                "amount": amount,
                "units": units,
            }
            self._book(self._others, n, week, kind, values)
        self.size += n

    def append_trades(
        self, week: int, holders, market: int, assets, kind: str, prices, units, *, selling
    ):
        """Append a batch of trades, each two flows between a holder and a market.

        Holder ``holders[i]`` trades ``units[i]`` of asset ``assets[i]`` with the
        clearing account ``market + assets[i]`` at ``prices[assets[i]]``. Selling, each
        holder delivers the units to the market and is paid their value in cash;
        buying, it pays and receives the units. Read back, the batch is every holder's
        leg (its deliveries, or its payments) followed by every market's leg, in the
        given order.
        """
        n = np.size(holders)
        if n == 0:
            return
        trade = (int(market), np.array(prices, dtype=np.float64), bool(selling))
        values = {"holder": holders, "asset": assets, "units": units}
        self._book(self._trades, n, week, kind, values, trade)
        self.size += 2 * n

    def column(self, name: str) -> np.ndarray:
        """One column's values, one per flow, in booking order.

        Gathered with index arrays built once per state of the log (:meth:`_layout`),
        not batch by batch: a run books tens of thousands of batches.
        """
        dtype = dict(self._columns)[name]
        layout = self._layout()
        if name in ("week", "kind"):  # kept once per batch
            return np.repeat(layout[name].astype(dtype), layout["flows"])
        out = np.empty(self.size, dtype)
        # Payments and other flows: one stored row per flow.
        for store, (dest, rows) in (
            (self._payments, layout["payments"]),
            (self._others, layout["others"]),
        ):
            if dest.size == 0:
                continue
            if store is self._payments and name in ("instrument", "units"):
                out[dest] = CASH if name == "instrument" else 0.0
            else:
                out[dest] = store.column(name)[rows]
        # Trades: one stored row, two flows (the holder's leg, then the market's).
        holder_leg, market_leg, rows, batch = layout["trades"]
        if rows.size:
            trades = self._trades
            asset = trades.column("asset")[rows]
            if name == "amount":
                # units x the batch's clearing price: the product the ledger settled with
                value = trades.column("units")[rows] * layout["prices"][batch, asset]
                out[holder_leg] = value
                out[market_leg] = value
            elif name in ("source", "target"):
                holder = trades.column("holder")[rows]
                account = layout["markets"][batch] + asset.astype(np.int32)
                out[holder_leg], out[market_leg] = (
                    (holder, account) if name == "source" else (account, holder)
                )
            else:
                # the asset moves on the seller's leg out and the market's leg back
                selling = layout["selling"][batch]
                securities = np.where(selling, holder_leg, market_leg)
                cash = np.where(selling, market_leg, holder_leg)
                out[securities] = asset if name == "instrument" else trades.column("units")[rows]
                out[cash] = CASH if name == "instrument" else 0.0
        return out

    #: Logs up to this many flows keep their layout between calls (a few MB at most);
    #: larger ones rebuild it per call rather than hold index arrays beside the log.
    CACHED_LAYOUT_FLOWS = 1 << 22

    def _layout(self) -> dict:
        """Where each stored row's flows go in booking order (cached until the next batch)."""
        if self._layout_cache is not None and self._layout_cache[0] == len(self._batches):
            return self._layout_cache[1]
        batches = self._batches
        starts = np.array([b[1] for b in batches], np.int64)
        ends = np.array([b[2] for b in batches], np.int64)
        rows = ends - starts
        is_trade = np.array([b[5] is not None for b in batches], bool)
        flows = np.where(is_trade, 2 * rows, rows)
        offsets = np.cumsum(flows) - flows  # each batch's first flow
        index = np.int32 if self.size < 2**31 else np.int64
        layout: dict = {
            "flows": flows,
            "week": np.array([b[3] for b in batches], np.int64),
            "kind": np.array([b[4] for b in batches], np.int64),
        }

        def spread(which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            # every stored row of the chosen batches: (its batch, its row, its place in the batch)
            n = rows[which]
            batch = np.repeat(np.flatnonzero(which).astype(index), n)
            within = np.arange(n.sum(), dtype=index) - np.repeat(
                (np.cumsum(n) - n).astype(index), n
            )
            return batch, (starts[batch] + within).astype(index), within

        for key, store in (("payments", self._payments), ("others", self._others)):
            mine = np.array([b[0] is store for b in batches], bool)
            batch, stored_rows, within = spread(mine)
            layout[key] = (offsets[batch] + within, stored_rows)
        batch, stored_rows, within = spread(is_trade)
        trade_batches = np.flatnonzero(is_trade)
        number = np.full(len(batches), -1, np.int64)  # a batch's place among the trade batches
        number[trade_batches] = np.arange(trade_batches.size)
        holder_leg = offsets[batch] + within
        layout["trades"] = (holder_leg, holder_leg + rows[batch], stored_rows, number[batch])
        trade_info = [batches[i][5] for i in trade_batches]
        n_assets = max((t[1].size for t in trade_info), default=0)
        prices = np.zeros((len(trade_info), n_assets))
        for i, (_, batch_prices, _) in enumerate(trade_info):
            prices[i, : batch_prices.size] = batch_prices
        layout["prices"] = prices
        layout["markets"] = np.array([t[0] for t in trade_info], np.int32)
        layout["selling"] = np.array([t[2] for t in trade_info], bool)
        if self.size <= self.CACHED_LAYOUT_FLOWS:
            self._layout_cache = (len(batches), layout)
        return layout


class Ledger:
    """Every balance sheet of the model, and the only code that changes one.

    Args:
        holders: the rows, in order.
        assets: the asset names (columns of the holdings matrix).
        central_bank: name of the holder allowed a negative cash balance.
    """

    def __init__(self, holders: list[Holder], assets: list[str], central_bank: str) -> None:
        self.holders = list(holders)
        self.assets = list(assets)
        self.names = [h.name for h in self.holders]
        self.index = {name: i for i, name in enumerate(self.names)}
        if len(self.index) != len(self.holders):
            raise LedgerError("holder names must be unique")
        self.asset_index = {a: k for k, a in enumerate(self.assets)}
        n, k = len(self.holders), len(self.assets)
        self.cash = np.zeros(n)
        self.holdings = np.zeros((n, k))
        self.debt = np.zeros(n)
        self.outstanding = np.zeros(k)
        self.central_bank = self.index[central_bank]
        self.flows = FlowLog()
        self.week = 0
        self._total_cash = 0.0
        self._scale = 1.0

    # -- opening balances -------------------------------------------------------------
    def open_account(
        self, holder: str, cash: float = 0.0, holdings: dict[str, float] | None = None
    ):
        """Set a holder's opening balance (before the first week; not a flow)."""
        i = self.index[holder]
        self.cash[i] += cash
        for asset, units in (holdings or {}).items():
            k = self.asset_index[asset]
            self.holdings[i, k] += units
            self.outstanding[k] += units

    def open_loan(self, lender: str, borrower: str, amount: float) -> None:
        """Set an opening loan (cash already spent by the borrower; not a flow)."""
        self.debt[self.index[borrower]] += amount
        self.debt[self.index[lender]] -= amount

    def seal(self) -> None:
        """Fix the opening totals that :meth:`check` holds the ledger to."""
        self._total_cash = float(self.cash.sum())
        self._scale = max(1.0, float(np.abs(self.cash).sum()))

    # -- movements: each is one call, recorded ------------------------------------------
    def pay(self, source: int, target: int, amount: float, kind: str) -> None:
        """Move cash from ``source`` to ``target``; the payer must have it."""
        if amount < 0 or not np.isfinite(amount):
            raise LedgerError(f"payment of {amount!r} ({kind}) is not a finite non-negative amount")
        if amount == 0:
            return
        if source != self.central_bank and self.cash[source] < amount * (1 - 1e-12):
            raise LedgerError(
                f"{self.holders[source].name} cannot pay {amount:.6g} ({kind}): "
                f"cash {self.cash[source]:.6g}; a shortfall must be handled before paying"
            )
        self.cash[source] -= amount
        self.cash[target] += amount
        self.flows.append(self.week, source, target, CASH, kind, amount, 0.0)

    def pay_many(self, sources: np.ndarray, targets: np.ndarray, amounts: np.ndarray, kind: str):
        """Vectorised :meth:`pay`: one booking of many payments of the same kind."""
        sources, targets = np.asarray(sources), np.asarray(targets)
        amounts = np.asarray(amounts, dtype=float)
        if np.any(~np.isfinite(amounts)) or np.any(amounts < 0):
            raise LedgerError(f"{kind}: payments must be finite and non-negative")
        keep = amounts > 0
        sources, targets, amounts = sources[keep], targets[keep], amounts[keep]
        if amounts.size == 0:
            return
        paid_by = np.bincount(sources, weights=amounts, minlength=self.cash.size)
        # Only the payers of this batch: a bystander's rounding dust below zero (which
        # check() tolerates) must not stop everyone else's payments.
        short = (
            (paid_by > 0)
            & (paid_by > self.cash * (1 + 1e-12) + 1e-12)
            & (np.arange(self.cash.size) != self.central_bank)
        )
        if short.any():
            who = self.holders[int(np.flatnonzero(short)[0])].name
            raise LedgerError(f"{who} cannot make its {kind} payments: not enough cash")
        self.cash -= paid_by
        self.cash += np.bincount(targets, weights=amounts, minlength=self.cash.size)
        self.flows.append(self.week, sources, targets, CASH, kind, amounts, 0.0)

    def deliver(self, source: int, target: int, asset: int, units: float, price: float, kind: str):
        """Move ``units`` of ``asset`` between holders (no cash leg)."""
        if units < 0 or self.holdings[source, asset] < units * (1 - 1e-12):
            raise LedgerError(f"{self.holders[source].name} cannot deliver {units} units")
        self.holdings[source, asset] -= units
        self.holdings[target, asset] += units
        self.flows.append(self.week, source, target, asset, kind, units * price, units)

    def issue(self, issuer: int, asset: int, units: float, price: float) -> None:
        """Create new units of ``asset`` held by their issuer (issuance is a recorded flow)."""
        if units < 0:
            raise LedgerError("cannot issue a negative number of units")
        self.holdings[issuer, asset] += units
        self.outstanding[asset] += units
        self.flows.append(self.week, issuer, issuer, asset, "issuance", units * price, units)

    def retire(self, holder: int, asset: int, units: float, price: float) -> None:
        """Destroy units of ``asset`` held by ``holder`` (retirement is a recorded flow)."""
        if units < 0 or self.holdings[holder, asset] < units * (1 - 1e-12):
            raise LedgerError(f"{self.holders[holder].name} cannot retire {units} units")
        units = min(units, self.holdings[holder, asset])
        self.holdings[holder, asset] -= units
        self.outstanding[asset] -= units
        self.flows.append(self.week, holder, holder, asset, "retirement", units * price, units)

    def lend(self, lender: int, borrower: int, amount: float, kind: str) -> None:
        """Draw a credit line: cash to the borrower, a debt it owes the lender."""
        self.pay(lender, borrower, amount, kind)
        self.debt[borrower] += amount
        self.debt[lender] -= amount

    def lend_many(self, lender: int, borrowers: np.ndarray, amounts: np.ndarray, kind: str):
        """Vectorised :meth:`lend`: one booking of many draws on credit lines."""
        borrowers = np.asarray(borrowers)
        amounts = np.asarray(amounts, dtype=float)
        self.pay_many(np.full(borrowers.size, lender), borrowers, amounts, kind)
        np.add.at(self.debt, borrowers, amounts)
        self.debt[lender] -= amounts.sum()

    def repay_many(self, borrowers: np.ndarray, lender: int, amounts: np.ndarray, kind: str):
        """Borrowers repay part of what they owe ``lender`` from their cash."""
        borrowers = np.asarray(borrowers)
        amounts = np.asarray(amounts, dtype=float)
        if np.any(~np.isfinite(amounts)) or np.any(amounts < 0):
            raise LedgerError(f"{kind}: repayments must be finite and non-negative")
        owed = np.bincount(borrowers, weights=amounts, minlength=self.debt.size)
        if np.any(owed > np.maximum(self.debt, 0.0) * (1 + 1e-9) + 1e-9):
            raise LedgerError(f"{kind}: repayment larger than the debt owed")
        self.pay_many(borrowers, np.full(borrowers.size, lender), amounts, kind)
        self.debt -= owed
        self.debt[lender] += amounts.sum()

    def trade(
        self,
        market: int,
        units_sold: np.ndarray,
        units_bought: np.ndarray,
        prices: np.ndarray,
        kind: str,
        rows: np.ndarray | None = None,
    ) -> None:
        """Settle one clearing round through a market's clearing account.

        Every seller delivers its units to the market and is paid at the round's
        single clearing price per asset; every buyer pays and receives units. The
        clearing account ends each round flat because the residual absorber's
        row is one of the traders (the caller puts the net on it).

        Args:
            market: first row of the per-asset clearing accounts (asset k at ``market + k``).
            units_sold: holders x assets, units each holder sells (>= 0).
            units_bought: holders x assets, units each holder buys (>= 0).
            prices: clearing price per asset.
            kind: the reason recorded on every flow (e.g. ``trade``, ``forced_sale``).
            rows: the holders the two arrays are about, in increasing order (their
                rows of the ledger); None: every holder. Holders left out trade
                nothing, and the round is booked exactly as with their zero rows.
        """
        every = rows is None
        holdings = self.holdings if every else self.holdings[rows]
        if np.any(units_sold < 0) or np.any(units_bought < 0):
            raise LedgerError("trade volumes must be non-negative")
        if np.any(units_sold > holdings * (1 + 1e-12) + 1e-12):
            raise LedgerError(f"{kind}: a holder sells more units than it holds")
        sold_total = units_sold.sum(axis=0)
        net_units = sold_total - units_bought.sum(axis=0)
        scale = np.maximum(1.0, sold_total)
        if np.any(np.abs(net_units) > 1e-9 * scale):
            raise LedgerError(f"{kind}: a clearing round does not balance: {net_units}")
        value_sold = units_sold * prices
        value_bought = units_bought * prices
        cash_change = row_sums(value_sold) - row_sums(value_bought)
        # Units x price rounds differently on the sold and the bought side, and with
        # prices far from their opening level those roundings are large next to the
        # money in the tub. The round must move no cash in total: a (tiny) surplus is
        # taken from the largest receiver, a deficit given to the largest payer, so
        # the correction never leaves anyone short.
        residual = math.fsum(cash_change.tolist())  # (Python floats: the same sum, sooner)
        if residual > 0:
            cash_change[int(np.argmax(cash_change))] -= residual
        elif residual < 0:
            cash_change[int(np.argmin(cash_change))] -= residual
        holder = np.arange(self.cash.size) if every else rows
        payers = cash_change < 0
        short = payers & (self.cash[holder] + cash_change < -1e-9 * self._scale)
        short &= holder != self.central_bank
        if short.any():
            who = self.holders[int(holder[np.flatnonzero(short)[0]])].name
            raise LedgerError(f"{who} cannot pay for its purchases ({kind})")
        if every:
            self.holdings -= units_sold
            self.holdings += units_bought
            self.cash += cash_change
        else:
            holdings -= units_sold  # (a copy: fancy indexing)
            holdings += units_bought
            self.holdings[rows] = holdings
            self.cash[rows] += cash_change
        np.maximum(self.holdings, 0.0, out=self.holdings)  # rounding dust only
        self._record_legs(market, units_sold, prices, kind, rows, selling=True)
        self._record_legs(market, units_bought, prices, kind, rows, selling=False)

    def _record_legs(self, market, units, prices, kind: str, rows, *, selling: bool) -> None:
        # One flat search, then (row, asset): the same pairs in the same order as nonzero.
        at, cols = np.divmod(np.flatnonzero(units), units.shape[1])
        if at.size == 0:
            return
        u = units[at, cols]
        holders = at if rows is None else rows[at]
        self.flows.append_trades(self.week, holders, market, cols, kind, prices, u, selling=selling)

    # -- invariants ---------------------------------------------------------------------
    def conservation_error(self) -> float:
        """Relative change of total cash since opening (0 when nothing was lost).

        Relative to the larger of the opening and the current sum of absolute
        balances: a float sum is exact only to about 1e-16 of the magnitudes
        added, so once the central bank has created (and lent) far more money
        than there was at the start, rounding alone would otherwise read as lost
        cash.
        """
        scale = max(self._scale, float(np.abs(self.cash).sum()))
        return abs(float(self.cash.sum()) - self._total_cash) / scale

    def check(self, tolerance: float = 1e-9) -> None:
        """Assert stock-flow consistency; raise :class:`LedgerError` if it is broken."""
        cash_error = self.conservation_error()
        if cash_error > tolerance:
            raise LedgerError(f"week {self.week}: cash not conserved (relative error {cash_error})")
        units_gap = np.abs(self.holdings.sum(axis=0) - self.outstanding)
        if np.any(units_gap > tolerance * np.maximum(1.0, self.outstanding)):
            bad = self.assets[int(np.argmax(units_gap))]
            raise LedgerError(f"week {self.week}: units of {bad} held differ from outstanding")
        if abs(float(self.debt.sum())) > tolerance * max(1.0, float(np.abs(self.debt).sum())):
            raise LedgerError(f"week {self.week}: debts and claims do not offset")
        negative = self.cash < -tolerance * self._scale
        negative[self.central_bank] = False
        if negative.any():
            who = self.holders[int(np.flatnonzero(negative)[0])].name
            raise LedgerError(f"week {self.week}: {who} has a negative cash balance")
        if not all(
            np.all(np.isfinite(a)) for a in (self.cash, self.holdings, self.debt, self.outstanding)
        ):
            raise LedgerError(f"week {self.week}: a balance is not finite")

    def net_central_bank_creation(self, opening_cb_cash: float) -> float:
        """Money created by the central bank since opening (its cash balance's fall)."""
        return opening_cb_cash - float(self.cash[self.central_bank])
