"""The run dashboard: it is written, is a sane PNG, and survives odd runs."""

from __future__ import annotations

import struct
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from inverse_qe import plots
from inverse_qe.plots import dashboard

ASSETS = ["treasuries", "hyperscaler_bonds", "memory", "saas", "speculative", "crypto", "gold"]
SECTORS = ["households", "value_investors", "hyperscalers", "sovereign_funds", "hedge_funds"]
REASONS = ["margin", "redemption", "commitment", "funding"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_frame(weeks: int = 30, assets: list[str] = ASSETS, seed: int = 0) -> pd.DataFrame:
    """A small run-shaped frame: the columns of ``results.timeseries``, plausible values."""
    rng = np.random.default_rng(seed)
    n = weeks + 1
    t = np.arange(n, dtype=float)
    drain = np.exp(-t / 5.0)
    frame = {
        "week": np.arange(n),
        "date": [d.date().isoformat() for d in pd.date_range("2026-11-30", periods=n, freq="7D")],
        "water_level": 8_900 - 900 * (1 - drain) + rng.normal(0, 20, n),
        "dry_powder": 600 * drain,
        "rrp_balance": 6 + 0.04 * (1 - drain),
        "tga": np.full(n, 850.0),
        "policy_rate": np.full(n, 0.03625),
        "rrp_rate": np.full(n, 0.035),
        "qe_pace": np.full(n, 9.2),
        "term_premium": 0.009 + 0.0001 * t,
        "yield_10y": 0.045 + 0.0003 * t,
        "bond_spread": 0.008 + 0.0007 * t,
        "cb_balance_sheet": 4_300 + 5 * t,
        "capex_paid": np.full(n, 16.0),
        "bonds_issued": np.full(n, 6.0),
        "commitments_paid": np.full(n, 4.0),
        "missed_commitments": np.zeros(n),
        "margin_calls": np.where(t % 3 == 0, 20, 0),
        "redemptions": np.zeros(n),
        "stress_index": np.clip(0.02 * t, 0, 0.6),
        "market_depth": np.full(n, 0.5),
        "risk_asset_value": 12_000 - 50 * t,
        "real_economy_cash": np.full(n, 3_000.0),
    }
    for reason in REASONS:
        frame[f"forced_sales_{reason}"] = rng.uniform(0, 10, n)
    if n > 8:
        frame["forced_sales_margin"][5:8] = [150.0, 590.0, 250.0]
    frame["forced_sales"] = sum(frame[f"forced_sales_{r}"] for r in REASONS)
    for k, sector in enumerate(SECTORS):
        frame[f"dry_powder_{sector}"] = 600 * drain * (k + 1) / 15
    for k, asset in enumerate(assets):
        drift = (k - 3) * 0.01
        frame[f"price_{asset}"] = np.exp(drift * t + np.cumsum(rng.normal(0, 0.03, n)) * (k > 0))
        frame[f"price_{asset}"][0] = 1.0
    return pd.DataFrame(frame)


def make_summary(frame: pd.DataFrame, **overrides) -> dict:
    """The summary.json keys the dashboard reads, consistent with ``frame``."""
    assets = [c.removeprefix("price_") for c in frame.columns if c.startswith("price_")]
    summary = {
        "scenario": "synthetic",
        "seed": 7,
        "weeks": int(frame["week"].max()) if len(frame) else 0,
        "assets": {
            a: {
                "total_return": float(frame[f"price_{a}"].iloc[-1] - 1.0),
                "max_drawdown": 0.1,
            }
            for a in assets
        }
        if len(frame)
        else {},
        "min_water_level": float(frame["water_level"].min()) if len(frame) else 0.0,
        "dry_powder_exhausted": {"gulf_fund": 9, "softbank": 8, "abu_dhabi_funds": 14},
        "forced_sales": {r: float(frame[f"forced_sales_{r}"].sum()) for r in REASONS},
        "largest_cascade": {
            "size": 990.0,
            "depth": 12,
            "sales": 300,
            "first_week": 5,
            "last_week": 7,
        },
        "yield_10y_change": 0.009,
        "bond_spread_change": 0.021,
        "conservation_error": 0.0,
    }
    summary["forced_sales"]["total"] = sum(summary["forced_sales"].values())
    summary.update(overrides)
    return summary


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header, after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _visible_texts(fig) -> list:
    """Every drawn, non-empty text of the figure except tick labels (which the axis spaces)."""
    from matplotlib.text import Text

    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for minor in (False, True):
                ticks.update(id(t) for t in axis.get_ticklabels(minor=minor))
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in ticks
    ]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> dict:
    """One full-size dashboard, drawn once: its PNG and its texts with their boxes."""
    from matplotlib import pyplot as plt

    open_before = plt.get_fignums()
    rc_before = dict(mpl.rcParams)
    frame = make_frame(weeks=60)
    summary = make_summary(frame)
    frame_before, summary_before = frame.copy(), repr(summary)
    out = tmp_path_factory.mktemp("dash") / "dashboard.png"
    figures = []

    def keep(*args, _build=plots._figure, **kwargs):
        figures.append(_build(*args, **kwargs))
        return figures[-1]

    # Keep hold of the figure that was saved, to inspect its final layout.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "_figure", keep)
        returned = dashboard(frame, summary, out)
    assert returned == out
    # The caller's data is read, never modified.
    pd.testing.assert_frame_equal(frame, frame_before)
    assert repr(summary) == summary_before
    # Neither pyplot figures nor rc settings leak out of the call.
    assert plt.get_fignums() == open_before == []
    assert dict(mpl.rcParams) == rc_before
    # One figure per column, each the whole picture's size: their texts share pixels.
    assert len(figures) == len(plots.COLUMNS)
    texts = []
    for fig in figures:
        renderer = fig.canvas.get_renderer()
        texts += [(t.get_text(), t.get_window_extent(renderer)) for t in _visible_texts(fig)]
    return {"png": out, "texts": texts}


def test_writes_a_png_of_the_intended_size(full_run: dict) -> None:
    png = full_run["png"]
    assert png_size(png) == (1540, 1100)  # 14 × 10 inches at 110 dpi
    assert 30_000 < png.stat().st_size < 1_000_000


def test_leaves_no_open_figures(full_run: dict) -> None:
    from matplotlib import pyplot as plt

    assert full_run["png"].exists()
    assert plt.get_fignums() == []


def test_no_text_prints_over_other_text(full_run: dict) -> None:
    texts = [t for t, _ in full_run["texts"]]
    # A whisker of tolerance: neighbouring boxes may touch, not overlap.
    boxes = [box.expanded(0.98, 0.9) for _, box in full_run["texts"]]
    # The line-end labels and the panel titles are among the texts checked.
    named = {t.rsplit(" ", 1)[0].replace(" ", "_") for t in texts if t.endswith("%") and " " in t}
    assert named == set(ASSETS)
    assert "Ducks: asset prices (index, start = 1, log scale)" in texts
    clashes = [
        (texts[i], texts[j])
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]
    assert clashes == []


def _quiet(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """No cascade, no fund ever runs dry, not a single forced sale or margin call."""
    for column in [c for c in frame.columns if c.startswith("forced_sales")]:
        frame[column] = 0.0
    frame["margin_calls"] = 0
    summary = make_summary(
        frame,
        largest_cascade=None,
        cascades=0,
        dry_powder_exhausted={"gulf_fund": None, "softbank": None, "abu_dhabi_funds": None},
    )
    return frame, summary


def _one_week(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    frame = frame.iloc[:2].copy()
    return frame, make_summary(frame)


def _single_row(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    frame = frame.iloc[:1].copy()
    return frame, make_summary(frame, largest_cascade={"size": 1.0, "first_week": 0})


def _reshaped(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Optional columns gone, assets removed and added, calendar dates missing, bare summary."""
    optional = ["date", "rrp_balance", "stress_index", "margin_calls", "dry_powder"]
    optional += [c for c in frame.columns if c.startswith(("dry_powder_", "forced_sales_"))]
    frame = frame.drop(columns=[*optional, "price_crypto", "price_gold", "price_saas"])
    frame["price_housing"] = np.linspace(1.0, 0.7, len(frame))
    frame["price_private_credit"] = np.linspace(1.0, 1.2, len(frame))
    return frame, {}


def _awkward(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A price at zero, gaps, and marks that fall outside the plotted weeks."""
    frame["price_crypto"] = np.linspace(1.0, 0.0, len(frame))
    frame.loc[3:5, ["water_level", "yield_10y", "price_memory"]] = np.nan
    summary = make_summary(
        frame,
        dry_powder_exhausted={"a": 4, "b": 4, "c": 5, "late": 500, "odd": "n/a"},
        largest_cascade={"size": 50.0, "depth": 2, "first_week": -3, "last_week": 900},
        assets={"crypto": {"total_return": None}},
    )
    return frame, summary


def _empty(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    return frame.iloc[:0].copy(), {"scenario": "empty", "largest_cascade": None}


@pytest.mark.parametrize(
    "case", [_quiet, _one_week, _single_row, _reshaped, _awkward, _empty], ids=lambda f: f.__name__
)
def test_edge_cases_still_draw(case, tmp_path: Path) -> None:
    from matplotlib import pyplot as plt

    frame, summary = case(make_frame(weeks=20))
    out = dashboard(frame, summary, tmp_path / "nested" / "dashboard.png")
    assert png_size(out) == (1540, 1100)
    assert plt.get_fignums() == []


def test_spread_keeps_labels_apart_and_in_order() -> None:
    wanted = np.array([0.50, 0.51, 0.52, 0.90, 0.10, 0.995])
    placed = plots._spread(wanted, gap=0.04)
    order = np.argsort(wanted, kind="stable")
    assert np.all(np.diff(placed[order]) >= 0.04 - 1e-12)
    assert placed.min() >= 0.0 and placed.max() <= 1.0
    # Far-off labels stay where they were asked to be.
    assert placed[4] == pytest.approx(0.10)


def test_spread_squeezes_when_labels_cannot_all_fit() -> None:
    placed = plots._spread(np.full(30, 0.5), gap=0.1)
    assert placed.min() >= 0.0 and placed.max() <= 1.0 + 1e-12
    assert np.all(np.diff(np.sort(placed)) > 0)


def test_return_labels_use_a_true_minus_sign() -> None:
    assert plots._signed_pct(-0.7895) == "−79%"
    assert plots._signed_pct(0.4475) == "+45%"
    assert plots._signed_pct(0.001) == "0%"
    assert plots._signed_bp(0.010381) == "+104 bp"
    assert plots._signed_bp(-0.0286) == "−286 bp"


def test_money_is_written_with_separators_and_small_sums_keep_a_decimal() -> None:
    assert plots._usd(2978.31) == "US$2,978bn"
    assert plots._usd(1.0846) == "US$1.1bn"
    assert plots._usd(0.0) == "US$0bn"


def test_tick_labels_have_thousands_separators_and_enough_decimals() -> None:
    fmt = plots._Thousands()
    assert fmt.format_ticks([7_000, 7_500, 8_000]) == ["7,000", "7,500", "8,000"]
    assert fmt.format_ticks([0.0, 0.25, 0.5]) == ["0.00", "0.25", "0.50"]
    assert plots._Thousands(min_decimals=1).format_ticks([3, 4]) == ["3.0", "4.0"]


def test_known_assets_keep_their_colours_and_extras_get_distinct_ones() -> None:
    colours = plots._asset_colours(["gold", "housing", "crypto", "private_credit"])
    assert colours["gold"] == plots.ASSET_COLOURS["gold"]
    assert colours["crypto"] == plots.ASSET_COLOURS["crypto"]
    assert len(set(colours.values())) == 4


def test_log_ticks_are_round_and_within_range() -> None:
    ticks = plots._log_ticks(0.12, 1.7)
    assert ticks == pytest.approx([0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5])
    assert plots._log_ticks(0.55, 1.25) == pytest.approx([0.6, 0.7, 0.8, 1.0, 1.2])
    assert len(plots._log_ticks(1e-4, 1e4)) <= 9


def test_bars_drawn_as_one_collection_are_the_rectangles_ax_bar_makes():
    """The forced-sales bars are one artist; their rectangles are those of ``ax.bar``."""
    from matplotlib.figure import Figure

    from inverse_qe.plots import _bars

    centres, bottom, height = np.array([1.0, 2.0, 5.0]), np.array([0.0, 1.0, 0.5]), np.ones(3)
    ax = Figure().add_subplot()
    expected = [p.get_bbox().get_points() for p in ax.bar(centres, height, 0.7, bottom)]
    _bars(ax, centres, 0.7, bottom, height, "#000000")
    paths = ax.collections[-1].get_paths()
    assert len(paths) == len(expected)
    for path, corners in zip(paths, expected, strict=True):
        np.testing.assert_allclose(path.get_extents().get_points(), corners)


def test_warm_up_writes_nothing_and_keeps_matplotlib_as_it_was(tmp_path: Path, monkeypatch):
    """The figure worker's warm-up draws in memory, with the dashboard's style kept local."""
    monkeypatch.chdir(tmp_path)
    before = dict(mpl.rcParams)
    plots.warm_up()
    assert list(tmp_path.iterdir()) == []
    assert dict(mpl.rcParams) == before


def _pixels(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB")).astype(int)


@pytest.mark.parametrize("weeks", [1, 60])
def test_dashboard_in_two_processes_is_the_dashboard(weeks: int, tmp_path: Path) -> None:
    """Both columns drawn at once (the run's figure worker) give the same picture,
    pixel for pixel: each column is a figure of its own, wherever it is drawn."""
    from inverse_qe.forking import ForkedTask

    frame = make_frame(weeks=weeks)
    summary = make_summary(frame)
    dashboard(frame, summary, tmp_path / "one.png")
    returned = plots.dashboard_in_two(frame, summary, tmp_path / "two.png", elsewhere=ForkedTask)
    assert returned == tmp_path / "two.png"
    assert png_size(returned) == (1540, 1100)
    one, two = _pixels(tmp_path / "one.png"), _pixels(returned)
    np.testing.assert_array_equal(one, two)
    # Each column and the title block are there: neither half of the picture is blank.
    for region in (two[:60], two[:, :770], two[:, 770:]):
        assert (region < 200).any()


def test_two_halves_of_a_figure_laid_over_white_are_the_figure(tmp_path: Path) -> None:
    """``halves.render_half`` splits any laid-out figure: axes by side, the figure's own
    artists (title, legend, texts) with the left half; a hidden axes stays hidden, and
    the figure is left as it was."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from inverse_qe.halves import layers_png, render_half

    fig = Figure(figsize=(6, 3), dpi=plots.DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()
    for k, ax in enumerate(axes[:3]):
        ax.plot([0, 1, 2], [k, 2 * k, k], label=f"line {k}")
    axes[3].plot([0, 1], [1, 0], lw=8)
    axes[3].set_visible(False)  # an empty panel, as the fan chart hides
    fig.suptitle("a title")
    fig.legend(loc="outside lower center", ncol=3)
    fig.get_layout_engine().execute(fig)
    fig.set_layout_engine("none")
    whole = _pixels(_saved(fig, tmp_path / "whole.png"))
    halves = [render_half(fig, side) for side in ("left", "right")]
    (tmp_path / "two.png").write_bytes(layers_png(halves, plots.DPI))
    two = _pixels(tmp_path / "two.png")
    difference = np.abs(whole - two).max(axis=2)
    assert difference.max() <= 12
    assert (difference > 0).mean() < 0.02
    assert not axes[3].get_visible() and fig.patch.get_alpha() in (None, 1.0)


def _saved(fig, path: Path) -> Path:
    fig.savefig(path, dpi=plots.DPI)
    return path
