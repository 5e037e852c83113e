"""A finished run's outputs: tables, headline summary, manifest, and writing them safely.

:func:`write_run_files` writes every file of a run into a directory;
:func:`write_run` does it through an :class:`~inverse_qe.outputs.OutputDir`, so
the files go to a staging directory beside the target that is renamed into
place at the end: a results directory is either complete or absent, never
half-written, and an existing one is never overwritten (unless ``force``).
``inverse-qe run`` makes the :class:`~inverse_qe.outputs.OutputDir` itself
*before* simulating, so a target in the way is reported at once.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import inverse_qe
from inverse_qe.errors import OutputExistsError
from inverse_qe.forking import FigureError, FigureWorker, can_fork
from inverse_qe.model.events import cascade_columns
from inverse_qe.model.ledger import CASH
from inverse_qe.outputs import OutputDir
from inverse_qe.twin import capex_effect, capex_effect_parts, effect_summary, first_week
from inverse_qe.watchlist import watch_list

__all__ = ["FigureError", "OutputExistsError", "write_run", "write_run_files"]


def timeseries_columns(model, twin=None) -> dict[str, Any]:
    """One row per week: the headline series of DESIGN §10, as columns.

    ``week``, ``date``, then the recorder's series; with the run's ``twin`` (the
    same scenario and seed without AI spending), a ``capex_effect`` column after
    ``risk_asset_value``: risk-asset value minus the twin's, US$bn, and its two parts,
    ``capex_effect_income`` and ``capex_effect_money`` (:func:`capex_effect_parts`).
    """
    table = model.recorder.table()
    rows = len(table["week"])
    columns: dict[str, Any] = {"week": table["week"].astype(np.int64)}
    columns["date"] = [d.isoformat() for d in model.dates[:rows]]
    for name, values in table.items():
        if name != "week":
            columns[name] = values
        if name == "risk_asset_value" and twin is not None:
            columns["capex_effect"] = gap = capex_effect(model, twin)
            income, money = capex_effect_parts(model, twin, gap)
            columns["capex_effect_income"] = income
            columns["capex_effect_money"] = money
    return columns


def timeseries(model, twin=None) -> pd.DataFrame:
    """:func:`timeseries_columns` as a table."""
    return pd.DataFrame(timeseries_columns(model, twin))


#: ``--flows`` choices: every flow, or the hedge funds' flows summed per sector.
FLOW_DETAILS = ("full", "sector")
#: In ``--flows sector``, what each hedge fund's rows are summed into.
SECTOR_OF_KIND = {"hedge_fund": "hedge_funds"}


def flows(model, detail: str = "full") -> pd.DataFrame:
    """Every recorded flow: ``week, source, target, instrument, kind, amount, units``.

    With ``detail="sector"``, every hedge fund is named after its sector
    (``hedge_funds``) and flows with the same week, source, target, instrument and
    kind are summed into one row (in order of first appearance): at 100,000 funds
    a few thousand rows instead of tens of millions. Totals per holder, week and
    kind are those of ``full``; the other holders keep their names.
    """
    if detail not in FLOW_DETAILS:
        raise ValueError(f"flows detail must be one of {FLOW_DETAILS}, got {detail!r}")
    log, ledger = model.ledger.flows, model.ledger
    names = np.array([h.name for h in ledger.holders], dtype=object)
    instruments = np.array([*ledger.assets, "cash"], dtype=object)  # index -1 is cash
    kinds = np.array(log.kinds, dtype=object)
    names_of_columns = ("week", "source", "target", "instrument", "kind", "amount", "units")
    columns = {name: log.column(name) for name in names_of_columns}
    if detail == "sector":
        columns = _per_sector(columns, ledger, names)
    instrument = columns["instrument"].astype(np.int64)
    return pd.DataFrame(
        {
            "week": columns["week"],
            "source": names[columns["source"]],
            "target": names[columns["target"]],
            "instrument": instruments[np.where(instrument == CASH, -1, instrument)],
            "kind": kinds[columns["kind"]],
            "amount": columns["amount"],
            "units": columns["units"],
        }
    )


def _per_sector(columns: dict, ledger, names: np.ndarray) -> dict:
    """Flow columns with each sector's members on one row (``names`` gets the sector names)."""
    representative = np.arange(len(names))
    for kind, sector in SECTOR_OF_KIND.items():
        members = np.flatnonzero([h.kind == kind for h in ledger.holders])
        if members.size:
            representative[members] = members[0]
            names[members[0]] = sector
    frame = pd.DataFrame(
        {
            **{key: columns[key] for key in ("week", "instrument", "kind", "amount", "units")},
            "source": representative[columns["source"]],
            "target": representative[columns["target"]],
        }
    )
    keys = ["week", "source", "target", "instrument", "kind"]
    summed = frame.groupby(keys, sort=False, as_index=False)[["amount", "units"]].sum()
    return {key: summed[key].to_numpy() for key in (*keys, "amount", "units")}


def balances(model) -> pd.DataFrame:
    """Every holder's cash, debt and holdings (US$bn) at week 0 and at the final week."""
    frames = []
    for week, snapshot in ((0, model.opening_balances), (model.week, model.balance_snapshot())):
        cash, debt, value = snapshot
        frame = pd.DataFrame(value, columns=model.markets.names)
        frame.insert(0, "week", week)
        frame.insert(1, "holder", [h.name for h in model.ledger.holders])
        frame.insert(2, "holder_type", [h.kind for h in model.ledger.holders])
        frame.insert(3, "cash", cash)
        frame.insert(4, "debt", debt)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def network(model) -> dict[str, Any]:
    """The bathtub graph as node-link JSON, with cumulative amounts on the edges."""
    from inverse_qe.model.network import bathtub_graph

    graph = bathtub_graph(model)
    return {
        "nodes": [{"id": n, **d} for n, d in graph.nodes(data=True)],
        "edges": [
            {
                "source": u,
                "target": v,
                "total": d.get("total", 0.0),
                "by_kind": d.get("by_kind", {}),
            }
            for u, v, d in graph.edges(data=True)
            if d.get("kind") == "flow"
        ],
        "water_level": [float(x) for x in graph.graph["water_level"]],
    }


def summary(model, twin=None) -> dict[str, Any]:
    """Headline metrics of one run (and, with its twin, what AI spending did)."""
    ts = model.recorder
    m = model.markets
    per_asset = {}
    for asset in m.names:
        price = ts.series(f"price_{asset}")
        peak = np.maximum.accumulate(price)
        per_asset[asset] = {
            "total_return": float(price[-1] / price[0] - 1.0),
            "max_drawdown": float((1.0 - price / peak).max()),
        }
    water = ts.series("water_level")
    dry = ts.series("dry_powder")
    net = ts.series("net_liquidity")
    chains = cascade_columns(model.events)
    largest = {name: chains[name][0].item() for name in chains} if chains["size"].size else None
    sales = model.events.forced_sales()
    # Python's sum, in the order the sales happened: the same bits as summing the events.
    forced = {
        reason: float(sum(sales["amount"][sales["reason"] == reason].tolist()))
        for reason in ("margin", "redemption", "commitment", "funding")
    }
    return {
        "scenario": model.config.name,
        "seed": model.seed,
        "weeks": model.week,
        "assets": per_asset,
        "min_water_level": float(water.min()),
        "min_water_level_week": int(np.argmin(water)),
        "water_level_change": float(water[-1] - water[0]),
        "min_dry_powder": float(dry.min()),
        "net_liquidity": {
            "start": float(net[0]),
            "min": float(net.min()),
            "min_week": int(np.argmin(net)),
            "end": float(net[-1]),
        },
        "dry_powder_exhausted_week": first_week(net <= 0.0),
        "funders_exhausted_week": first_week(
            ts.series("net_liquidity_hyperscalers") + ts.series("net_liquidity_sovereign_funds")
            <= 0.0
        ),
        "dry_powder_exhausted": {fund.name: fund.exhausted_week for fund in model.sovereign_funds},
        "forced_sales": {**forced, "total": float(sum(forced.values()))},
        "margin_calls": int(ts.series("margin_calls").sum()),
        "largest_cascade": largest,
        "cascades": int(chains["size"].size),
        "peak_yield_10y": float(ts.series("yield_10y").max()),
        "peak_bond_spread": float(ts.series("bond_spread").max()),
        "yield_10y_change": float(ts.series("yield_10y")[-1] - ts.series("yield_10y")[0]),
        "bond_spread_change": float(ts.series("bond_spread")[-1] - ts.series("bond_spread")[0]),
        "capex_paid": float(ts.series("capex_paid").sum()),
        "commitments_paid": float(ts.series("commitments_paid").sum()),
        "ai_spending": float(ts.series("capex_paid").sum() + ts.series("commitments_paid").sum()),
        "bonds_issued": float(ts.series("bonds_issued").sum()),
        "missed_commitments": float(ts.series("missed_commitments").sum()),
        "risk_asset_value_change": float(
            ts.series("risk_asset_value")[-1] / ts.series("risk_asset_value")[0] - 1.0
        ),
        "money_created_by_central_bank": model.ledger.net_central_bank_creation(
            model.opening_cb_cash
        ),
        "conservation_error": model.ledger.conservation_error(),
        "watch_list": watch_list(model),
        **({} if twin is None else {"capex_effect": effect_summary(model, twin)}),
    }


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def manifest(model, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What produced a run: the resolved scenario, seed and versions."""
    import mesa

    return {
        "scenario": model.config.model_dump(mode="json"),
        "seed": model.seed,
        "weeks": model.weeks,
        "inverse_qe_version": inverse_qe.__version__,
        "mesa_version": mesa.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "git_revision": _git_revision(),
        **(extra or {}),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_tables(
    model, directory: Path, twin=None, flow_detail: str = "full", frame: pd.DataFrame | None = None
) -> None:
    """The run's record: ``timeseries.csv``, ``flows.csv``, ``balances.csv``, ``events.jsonl``.

    ``flow_detail``: ``full`` (every flow) or ``sector`` (see :func:`flows`);
    ``frame``: the run's :func:`timeseries`, when the caller has it already.
    """
    directory = Path(directory)
    frame = timeseries(model, twin) if frame is None else frame
    frame.to_csv(directory / "timeseries.csv", index=False, float_format="%.10g")
    flows(model, flow_detail).to_csv(directory / "flows.csv", index=False, float_format="%.10g")
    balances(model).to_csv(directory / "balances.csv", index=False, float_format="%.10g")
    with open(directory / "events.jsonl", "w", encoding="utf-8") as handle:
        for event in model.events:
            handle.write(json.dumps(event.to_dict(), default=_json_default) + "\n")


def write_run_files(
    model,
    directory: Path,
    *,
    twin=None,
    extra_manifest: dict | None = None,
    figure: bool = True,
    figure_in_background: bool | FigureWorker = False,
    headline: dict | None = None,
    flow_detail: str = "full",
) -> None:
    """Write every output file of a finished run into ``directory`` (which must exist).

    With the run's ``twin``, its ``timeseries.csv`` goes into ``twin/`` and the
    run's own files carry the capex effect (a column, a summary block, a panel).
    With ``figure_in_background`` (and where processes can be forked), the
    dashboard is drawn in a worker process while the other files are written,
    and waited for before returning; a :class:`~inverse_qe.forking.FigureWorker`
    started earlier (``inverse-qe run`` starts one before it simulates) is used
    as is. ``headline`` is the run's :func:`summary` when the caller has it already.
    """
    headline = summary(model, twin) if headline is None else headline
    frame = timeseries(model, twin)  # once: the table, and the figure's data
    drawing = None
    if figure and isinstance(figure_in_background, FigureWorker):
        drawing = figure_in_background
    elif figure and figure_in_background and can_fork():
        drawing = FigureWorker()
    if drawing is not None:
        drawing.draw(frame, headline, directory / "dashboard.png")
    try:
        write_tables(model, directory, twin, flow_detail, frame)
        if twin is not None:
            (directory / "twin").mkdir()
            timeseries(twin).to_csv(
                directory / "twin" / "timeseries.csv", index=False, float_format="%.10g"
            )
        (directory / "network.json").write_text(json.dumps(network(model), indent=1))
        (directory / "summary.json").write_text(
            json.dumps(headline, indent=2, default=_json_default)
        )
        (directory / "manifest.json").write_text(
            json.dumps(manifest(model, extra_manifest), indent=2, default=_json_default)
        )
    finally:
        if drawing is not None:
            drawing.wait()
    if figure and drawing is None:
        from inverse_qe.plots import dashboard

        dashboard(frame, headline, directory / "dashboard.png")


def write_run(
    model,
    out: Path | OutputDir,
    *,
    twin=None,
    extra_manifest: dict | None = None,
    figure: bool = True,
    figure_in_background: bool | FigureWorker = False,
    headline: dict | None = None,
    flow_detail: str = "full",
    force: bool = False,
) -> Path:
    """Write every output file of a finished run into ``out`` atomically; the directory written.

    Args:
        model: the finished model.
        out: the directory, or an :class:`~inverse_qe.outputs.OutputDir` made
            (and so checked) before the run.
        extra_manifest: more fields for ``manifest.json``.
        twin: the run's twin without AI spending (see :mod:`inverse_qe.twin`), or None.
        figure: draw ``dashboard.png``.
        figure_in_background: draw it in a forked worker while the other files are
            written, or the worker to draw it with (see :func:`write_run_files`).
        headline: the run's :func:`summary`, if already computed.
        flow_detail: ``flows.csv`` with every flow (``full``) or per sector (``sector``).
        force: replace an existing directory of results (when ``out`` is a path).
    """
    target = out if isinstance(out, OutputDir) else OutputDir(out, force=force)
    with target as staging:
        write_run_files(
            model,
            staging,
            twin=twin,
            extra_manifest=extra_manifest,
            figure=figure,
            figure_in_background=figure_in_background,
            headline=headline,
            flow_detail=flow_detail,
        )
    return target.path
