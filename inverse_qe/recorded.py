"""A finished run read back from the directory ``inverse-qe run`` wrote.

:func:`read_run` reads ``manifest.json`` (the resolved scenario, seed and
weeks), ``timeseries.csv``, ``flows.csv``, ``balances.csv``, ``events.jsonl``
and ``summary.json`` into a :class:`RecordedRun`. It has the same tables as a
run made in Python (:class:`~inverse_qe.api.RunResult`), and it answers what
the teaching tools ask of a model (the recorder's series, the events, the
ledger's flows and holders, the scenario), so ``explain``, ``animate`` and
``flows`` draw and tell a saved run without simulating it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from inverse_qe.errors import UserError
from inverse_qe.model import events as event_types
from inverse_qe.model.ledger import CASH

#: The files a run directory must have for a run to be read back.
RUN_FILES = ("manifest.json", "timeseries.csv", "flows.csv", "balances.csv", "events.jsonl")


def is_run_directory(path: str | Path) -> bool:
    """Whether ``path`` is a directory with a run's ``manifest.json`` and ``timeseries.csv``."""
    path = Path(path)
    return path.is_dir() and (path / "manifest.json").is_file()


def read_run(directory: str | Path) -> RecordedRun:
    """Read a run directory (``inverse-qe run --out DIR``).

    Raises:
        inverse_qe.errors.UserError: a file is missing or cannot be read (the
            message names it).
    """
    return RecordedRun(Path(directory))


class _Recorder:
    """The recorder's interface over ``timeseries.csv``: ``series``, ``table``, ``data``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        numeric = frame.drop(columns=["date"], errors="ignore")
        self.columns = list(numeric.columns)
        self.index = {c: j for j, c in enumerate(self.columns)}
        self.data = numeric.to_numpy(dtype=float)

    def series(self, name: str) -> np.ndarray:
        return self.data[:, self.index[name]]

    def table(self) -> dict[str, np.ndarray]:
        return {c: self.series(c) for c in self.columns}


class _Flows:
    """The ledger's flow log over ``flows.csv``: ``column(name)`` and ``kinds``."""

    def __init__(
        self, frame: pd.DataFrame, holders: list[str], assets: list[str], kinds: list[str]
    ) -> None:
        from inverse_qe.results import SECTOR_OF_KIND

        row = {name: i for i, name in enumerate(holders)}
        # A run written with --flows sector names a sector where its members' rows were:
        # read it as the sector's first member (every member has the same kind).
        for kind, sector in SECTOR_OF_KIND.items():
            if kind in kinds:
                row.setdefault(sector, kinds.index(kind))
        instrument = {asset: k for k, asset in enumerate(assets)} | {"cash": CASH}
        kinds = pd.Categorical(frame["kind"].astype(str))
        self.kinds = [str(k) for k in kinds.categories]
        self._columns = {
            "week": frame["week"].to_numpy(dtype=np.int64),
            "source": frame["source"].map(row).to_numpy(dtype=np.int64),
            "target": frame["target"].map(row).to_numpy(dtype=np.int64),
            "instrument": frame["instrument"].map(instrument).to_numpy(dtype=np.int64),
            "kind": np.asarray(kinds.codes, dtype=np.int64),
            "amount": frame["amount"].to_numpy(dtype=float),
            "units": frame["units"].to_numpy(dtype=float),
        }

    def column(self, name: str) -> np.ndarray:
        return self._columns[name]


@dataclass(frozen=True)
class _Holder:
    name: str
    kind: str


@dataclass(frozen=True)
class _Fund:
    name: str
    strategy: str


@dataclass(frozen=True)
class _Member:
    """A holder the watch-list reads by name and ledger row (a sovereign fund)."""

    name: str
    row: int


class _Ledger:
    def __init__(self, holders: list[_Holder], assets: list[str], flows: _Flows) -> None:
        self.holders = holders
        self.assets = assets
        self.flows = flows


class RecordedModel:
    """What the teaching tools read of a model, from a run directory's files.

    Attributes as a finished :class:`~inverse_qe.model.bathtub.BathtubModel` has
    them: ``config``, ``seed``, ``weeks``, ``week``, ``dates``, ``recorder``,
    ``events``, ``ledger`` (holders and flows), ``markets``, ``rows``, ``kinds``,
    ``water_rows``, ``hedge_funds``, ``sovereign_funds``; and ``summary``
    (``summary.json``, empty if the run was written without it).
    """

    running = False

    def __init__(self, run: RecordedRun) -> None:
        from inverse_qe.model.bathtub import NODES, Rows
        from inverse_qe.model.liquidity import water_rows
        from inverse_qe.model.markets import Markets
        from inverse_qe.model.paths import week_dates

        self.config, self.seed, self.weeks = run.scenario, run.seed, run.weeks
        self.recorder = _Recorder(run.timeseries)
        self.week = int(run.timeseries["week"].iloc[-1])
        self.dates = week_dates(self.config.run.start_date, self.weeks)
        self.markets = Markets(self.config)
        opening = run.balances[run.balances["week"] == 0]
        pairs = zip(opening.holder, opening.holder_type, strict=True)
        holders = [_Holder(str(h), str(k)) for h, k in pairs]
        names = [h.name for h in holders]
        assets = list(self.markets.names)
        flows = _Flows(run.flows, names, assets, [h.kind for h in holders])
        self.ledger = _Ledger(holders, assets, flows)
        self.kinds = np.array([h.kind for h in holders])
        self.water_rows = water_rows(self.kinds)
        index = {name: i for i, name in enumerate(names)}
        try:
            first_market = index[f"market:{self.markets.names[0]}"]
            self.rows = Rows(*(index[name] for name in NODES), first_market)
        except KeyError as error:
            raise UserError(f"{run.directory / 'balances.csv'}: no holder {error}") from None
        self.hedge_funds = [
            _Fund(f"{s.name}_{j + 1:03d}", s.name)
            for s in self.config.hedge_funds.strategies
            for j in range(s.count)
        ]
        self.sovereign_funds = [
            _Member(h.name, row) for row, h in enumerate(holders) if h.kind == "sovereign_fund"
        ]
        self.events = run.event_log
        self._run = run

    @property
    def summary(self) -> dict[str, Any]:
        """``summary.json`` of the run directory (empty if the run was written without it)."""
        return self._run.summary


class RecordedRun:
    """A run read from its directory: the tables of a run made in Python, and its model.

    Attributes:
        directory: where it was read from.
        manifest: ``manifest.json``.
        scenario: the resolved scenario the run used.
        seed, weeks: the run's seed and length.
        timeseries, flows, balances, events: the tables, as DataFrames.
        summary: ``summary.json``.
        model: a :class:`RecordedModel` for the teaching tools.
    """

    def __init__(self, directory: Path) -> None:
        from inverse_qe.scenarios.loader import validate

        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise UserError(f"{self.directory}: not a directory of run results")
        missing = [name for name in RUN_FILES if not (self.directory / name).is_file()]
        if missing:
            raise UserError(
                f"{self.directory}: not a complete run directory (missing {', '.join(missing)});"
                " give a directory that `inverse-qe run` wrote, or a scenario"
            )
        self.manifest = self._json("manifest.json")
        try:
            self.scenario = validate(str(self._path("manifest.json")), self.manifest["scenario"])
            self.seed = int(self.manifest["seed"])
            self.weeks = int(self.manifest["weeks"])
        except (KeyError, TypeError, ValueError) as error:
            raise UserError(
                f"{self._path('manifest.json')}: not a run's manifest ({error})"
            ) from None
        self.timeseries = self._csv("timeseries.csv")
        self.flows = self._csv("flows.csv")
        self.balances = self._csv("balances.csv")
        self.event_log = self._events()
        self.model = RecordedModel(self)

    def __repr__(self) -> str:
        return f"<RecordedRun {self.scenario.name} seed {self.seed}: {self.directory}>"

    def _path(self, name: str) -> Path:
        return self.directory / name

    def _json(self, name: str) -> Any:
        try:
            return json.loads(self._path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserError(f"{self._path(name)}: cannot be read ({error})") from None

    def _csv(self, name: str) -> pd.DataFrame:
        try:
            return pd.read_csv(self._path(name))
        except (OSError, ValueError, pd.errors.ParserError) as error:
            raise UserError(f"{self._path(name)}: cannot be read ({error})") from None

    def _events(self) -> event_types.EventLog:
        kinds = {
            cls.type: cls
            for cls in vars(event_types).values()
            if isinstance(cls, type) and issubclass(cls, event_types.Event)
        }
        log = event_types.EventLog()
        path = self._path("events.jsonl")
        where = {"line": 0}
        try:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                where["line"] = number
                if not line.strip():
                    continue
                record = json.loads(line)
                cls = kinds[record.pop("type")]
                names = {f.name for f in fields(cls)}
                record["causes"] = tuple(record.get("causes", ()))
                # ids are the file's order, as add() numbers them
                log.add(cls(**{k: v for k, v in record.items() if k in names}))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"{path}: not a run's events (line {where['line']}: {error})") from None
        return log

    @cached_property
    def events(self) -> pd.DataFrame:
        """One row per event, as :attr:`inverse_qe.api.RunResult.events`."""
        from inverse_qe.api import events_frame

        return events_frame(event.to_dict() for event in self.event_log)

    @cached_property
    def summary(self) -> dict[str, Any]:
        """``summary.json`` (empty if the run was written without it)."""
        if not self._path("summary.json").is_file():
            return {}
        return self._json("summary.json")
