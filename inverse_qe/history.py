"""Hindcasts: the model's 2022 and 2024 against what markets did in those years.

The built-in scenarios ``history_2022`` and ``history_2024`` put the year's
recorded inputs (policy-rate and QE/QT paths, balance sheets, deficit, capex) on
the calibrated base and change no parameter of behaviour. This module holds the
recorded moves they are compared with (:data:`RECORDS`, each with its public
source and how far to trust it), measures the same series on runs of the model
(:func:`measure`), and summarises them over seeds (:func:`compare`).
``docs/make_history.py`` writes the report, ``tests/test_history.py`` asserts
the signs.

**Sign agreement.** A recorded move has a clear sign when it is larger than its
band (how far the figure can be trusted). The model agrees when its median has
that sign and is at least :data:`FLAT_SHARE` of the recorded move in size; a
median smaller than that is *flat*: the model did not move the series at all,
which is not agreement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import load

#: The hindcast scenarios, in calendar order.
HINDCASTS = ("history_2022", "history_2024")
#: A model median smaller than this share of the recorded move counts as no move.
FLAT_SHARE = 0.1


@dataclass(frozen=True)
class Series:
    """A series the model records and the record has: how to read it from a run."""

    key: str
    label: str
    unit: str  # "bp", "%" (a return, stored as a fraction) or "US$bn"


SERIES = {
    s.key: s
    for s in (
        Series("yield_10y", "10-year Treasury yield, change", "bp"),
        Series("bond_spread", "IG (hyperscaler) bond spread, change", "bp"),
        Series("crypto", "crypto (bitcoin)", "%"),
        Series("speculative", "speculative growth", "%"),
        Series("saas", "software (SaaS)", "%"),
        Series("memory", "memory makers", "%"),
        Series("gold", "gold", "%"),
        Series("treasuries", "treasuries", "%"),
        Series("risk_assets", "risk-asset value", "%"),
        Series("rrp", "overnight reverse repo, change", "US$bn"),
        Series("cb_balance_sheet", "central-bank balance sheet, change", "US$bn"),
    )
}


@dataclass(frozen=True)
class Record:
    """A recorded move over the year, how far to trust it, and the issue's target if any.

    ``value`` and ``band`` are in the series' unit (returns as fractions);
    ``target`` is the range the hindcast must land its median in (None: no target).
    """

    series: str
    value: float
    band: float
    source: str
    target: tuple[float, float] | None = None

    @property
    def signed(self) -> bool:
        """Whether the record has a clear sign: the move is larger than its band."""
        return abs(self.value) > self.band


_INF = math.inf

#: Year-end to year-end moves (first to last trading day). Public sources beside each;
#: the band is how far the figure can be trusted (rounding, the day chosen, a proxy).
RECORDS: dict[str, list[Record]] = {
    "history_2022": [
        Record("yield_10y", 237.0, 10.0, "FRED DGS10: 1.51% to 3.88%", (157.0, 317.0)),
        Record(
            "bond_spread",
            35.0,
            10.0,
            "ICE BofA US corporate OAS, FRED BAMLC0A0CM: ~0.95% to ~1.30%",
            (-20.0, 100.0),
        ),
        Record("crypto", -0.64, 0.05, "bitcoin ~US$46,300 to ~16,500", (-0.80, -0.45)),
        Record("speculative", -0.67, 0.05, "ARK Innovation ETF", (-0.75, -0.20)),
        Record("saas", -0.325, 0.10, "proxy: Nasdaq Composite total return (long duration)"),
        Record("memory", -0.45, 0.05, "Micron ~US$93 to ~50"),
        Record("gold", 0.0, 0.03, "~US$1,830 to ~1,825 an ounce", (-0.15, 0.15)),
        Record(
            "treasuries",
            -0.13,
            0.02,
            "US aggregate bond index, total return (its worst year)",
            (-_INF, 0.0),
        ),
        Record(
            "risk_assets",
            -0.181,
            0.10,
            "proxy: S&P 500 total return (Nasdaq -32.5%); the model's basket adds crypto and gold",
        ),
        Record("rrp", 650.0, 100.0, "FRED RRPONTSYD: ~US$1.9T to ~2.55T (a year-end spike)"),
        Record(
            "cb_balance_sheet",
            -210.0,
            50.0,
            "FRED WALCL: ~US$8.76T to ~8.55T (the model's bank holds treasuries only)",
        ),
    ],
    "history_2024": [
        Record("yield_10y", 69.0, 10.0, "FRED DGS10: 3.88% to 4.57%", (-11.0, 149.0)),
        Record(
            "bond_spread",
            -20.0,
            10.0,
            "ICE BofA US corporate OAS, FRED BAMLC0A0CM: ~1.0% to ~0.8%",
            (-_INF, 30.0),
        ),
        Record("crypto", 1.20, 0.10, "bitcoin ~US$42,000 to ~93,000", (0.0, _INF)),
        Record("saas", 0.29, 0.10, "proxy: Nasdaq Composite (long duration)"),
        Record("gold", 0.27, 0.03, "gold spot, year on year"),
        Record(
            "risk_assets",
            0.25,
            0.10,
            "proxy: S&P 500 total return (Nasdaq about +29%)",
            (0.0, _INF),
        ),
        Record(
            "rrp",
            -400.0,
            200.0,
            "FRED RRPONTSYD: ~US$0.7T to ~0.1-0.5T (year-end spikes distort the last day)",
        ),
        Record(
            "cb_balance_sheet",
            -820.0,
            50.0,
            "FRED WALCL: ~US$7.71T to ~6.89T (the model's bank holds treasuries only)",
        ),
    ],
}


def measure(name: str, seed: int, overrides: Sequence[str] = ()) -> dict:
    """One run of a hindcast: each series' move over the run, and weekly paths for fans.

    ``overrides`` are ``--set`` assignments (``"assets.gold.duration=5"``) for
    what-if runs. Returns ``{series: move}`` (bp, fractions or US$bn as the series'
    unit), diagnostics (``exhausted_week``: the first week investors' net liquidity
    was not positive, None if never; ``peak_scarcity``, ``least_depth``,
    ``peak_stress``) and ``path_yield_10y`` and ``path_risk_assets`` (weekly changes
    since the start).
    """
    return measure_model(BathtubModel(load(name, list(overrides)), seed=seed))


def measure_model(model: BathtubModel) -> dict:
    """:func:`measure` on a model already built (run here): for experiments on its parts.

    Besides :func:`measure`'s series and diagnostics, the lowest net liquidity of
    households and of value investors over the year (US$bn; negative: a shortfall),
    to say whose money ran short.
    """
    model.run()
    r = model.recorder
    out: dict[str, float | list[float]] = {}
    ten_year = r.series("yield_10y")
    spread = r.series("bond_spread")
    risk = r.series("risk_asset_value")
    out["yield_10y"] = float((ten_year[-1] - ten_year[0]) * 1e4)
    out["bond_spread"] = float((spread[-1] - spread[0]) * 1e4)
    for asset in ("crypto", "speculative", "saas", "memory", "gold", "treasuries"):
        price = r.series(f"price_{asset}")
        out[asset] = float(price[-1] / price[0] - 1.0)
    out["risk_assets"] = float(risk[-1] / risk[0] - 1.0)
    rrp = r.series("rrp_balance")
    out["rrp"] = float(rrp[-1] - rrp[0])
    # The Fed reports its holdings at amortised cost, not at market: count the bank's
    # treasuries at their opening price, so QE and QT move it and price moves do not.
    units = r.series("cb_balance_sheet") / r.series("price_treasuries")
    out["cb_balance_sheet"] = float((units[-1] - units[0]) * r.series("price_treasuries")[0])
    # Diagnostics for the report: did money turn scarce, and when?
    net = r.series("net_liquidity")
    short = np.flatnonzero(net <= 0.0)
    out["exhausted_week"] = float(short[0]) if short.size else None
    out["peak_scarcity"] = float(r.series("money_scarcity").max())
    out["least_depth"] = float(r.series("market_depth").min())
    out["peak_stress"] = float(r.series("stress_index").max())
    for sector in ("households", "value_investors"):
        out[f"least_net_liquidity_{sector}"] = float(r.series(f"net_liquidity_{sector}").min())
    out["path_yield_10y"] = np.round((ten_year - ten_year[0]) * 1e4, 3).tolist()
    out["path_risk_assets"] = np.round(risk / risk[0] - 1.0, 5).tolist()
    return out


def _job(job: tuple[str, int, tuple[str, ...]]) -> dict:
    return measure(*job)


def run(
    name: str, seeds: Sequence[int], workers: int = 1, overrides: Sequence[str] = ()
) -> list[dict]:
    """:func:`measure` on each seed, in ``workers`` processes (1: in this one)."""
    jobs = [(name, int(s), tuple(overrides)) for s in seeds]
    if workers <= 1:
        return [_job(j) for j in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_job, jobs))


@dataclass(frozen=True)
class Comparison:
    """One series of one hindcast: the model over seeds beside the record."""

    record: Record
    median: float
    low: float  # 5th percentile over seeds
    high: float  # 95th percentile over seeds

    @property
    def sign(self) -> str:
        """The sign agreement: agrees, wrong sign, flat (the model barely moved) or - (none)."""
        if not self.record.signed:
            return "-"
        if abs(self.median) < FLAT_SHARE * abs(self.record.value):
            return "flat"
        return "agrees" if np.sign(self.median) == np.sign(self.record.value) else "wrong sign"

    @property
    def in_target(self) -> bool | None:
        """Whether the median lies in the issue's target range (None: no target)."""
        if self.record.target is None:
            return None
        lo, hi = self.record.target
        return lo <= self.median <= hi

    @property
    def record_in_band(self) -> bool:
        """Whether the record lies within the model's 5-95% range."""
        return self.low <= self.record.value <= self.high


def compare(name: str, results: Sequence[dict]) -> list[Comparison]:
    """Each recorded series of ``name``: the model's median and 5-95% range beside it."""
    found = []
    for record in RECORDS[name]:
        values = np.array([r[record.series] for r in results], dtype=float)
        low, median, high = np.percentile(values, [5, 50, 95])
        found.append(Comparison(record, float(median), float(low), float(high)))
    return found
