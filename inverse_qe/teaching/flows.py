"""The flow diagram (``inverse-qe flows``): who paid whom over a run, edge widths by amount.

Built on the bathtub network (:func:`inverse_qe.model.network.bathtub_graph`),
with its holders gathered into sectors a student can name: inside the tub,
households, value investors, hyperscalers, sovereign funds and hedge funds;
around it, the central bank, the treasury, the RRP, the real economy, the AI
suppliers, the prime brokers (banks) and the markets (where securities change
hands for cash). Each arrow carries the cash that moved from one sector to
another over the run; its width is proportional to the amount and its colour
says what kind of payment it mostly was. Trades through the markets are shown
net (what a sector paid for securities beyond what it was paid for them), so
the picture says who ended up buying what others sold. Payments inside one
sector (one hedge fund to another) are not drawn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from inverse_qe.teaching.narrative import usd

#: Sector of each holder kind (markets and sovereign funds are merged into one node each).
SECTOR_OF_KIND = {
    "households": "households",
    "value_investors": "value investors",
    "hyperscaler": "hyperscalers",
    "sovereign_fund": "sovereign funds",
    "hedge_fund": "hedge funds",
    "central_bank": "central bank",
    "treasury": "treasury",
    "rrp": "RRP",
    "real_economy": "real economy",
    "banks": "prime brokers",
    "suppliers": "AI suppliers",
    "market": "markets",
}
IN_TUB = ("households", "value investors", "hyperscalers", "sovereign funds", "hedge funds")
#: Where each sector sits (axes fraction): the tub in the middle, the rest around it.
POSITIONS = {
    "households": (0.44, 0.74),
    "value investors": (0.60, 0.60),
    "sovereign funds": (0.40, 0.50),
    "hyperscalers": (0.60, 0.38),
    "hedge funds": (0.42, 0.25),
    "central bank": (0.09, 0.90),
    "treasury": (0.50, 0.95),
    "markets": (0.09, 0.55),
    "prime brokers": (0.09, 0.12),
    "real economy": (0.91, 0.80),
    "AI suppliers": (0.91, 0.35),
    "RRP": (0.91, 0.08),
}
#: Payment kinds grouped into what a reader should see, with a colour each.
CATEGORIES = {
    "AI capex and commitments": ("#B03A2E", ("capex", "commitment")),
    "income back to the tub": (
        "#2E8B57",
        ("supplier_recycling", "savings", "operating_cash_flow", "oil_revenue"),
    ),
    "leaks to the real economy": ("#E67E22", ("capex_leakage",)),
    "government: spending and issuance": ("#8E6C00", ("deficit_spending", "fiscal_transfers")),
    "central bank: QE and QT": ("#0B5394", ()),
    "credit and repayment": ("#7A3E9D", ("margin_loan", "debt_repayment", "standing_repo")),
    "payouts and redemptions": ("#1F77B4", ("shareholder_payout", "redemption")),
    "trades for securities (net)": ("#9E9E9E", ("trade", "forced_sale", "net_trade")),
    "RRP": ("#5E35B1", ("rrp_deposit", "rrp_withdrawal")),
}
_OTHER = "#607D8B"


@dataclass(frozen=True)
class SectorFlow:
    """Cash paid from one sector to another over the run, US$bn, by payment kind."""

    source: str
    target: str
    total: float
    by_kind: dict[str, float]

    @property
    def category(self) -> str:
        """The category of most of this flow's money."""
        ends = {self.source, self.target}
        if ends == {"central bank", "markets"}:
            return "central bank: QE and QT"
        if ends == {"treasury", "markets"}:
            return "government: spending and issuance"
        weights: dict[str, float] = defaultdict(float)
        for kind, amount in self.by_kind.items():
            weights[category_of(kind)] += amount
        return max(weights, key=lambda c: weights[c])


def category_of(kind: str) -> str:
    """The drawing category of a payment kind ('other' if unknown)."""
    for name, (_, kinds) in CATEGORIES.items():
        if kind in kinds:
            return name
    return "other"


def sector_flows(model) -> list[SectorFlow]:
    """Every sector-to-sector cash flow of the run so far, largest first."""
    from inverse_qe.model.network import TUB, bathtub_graph

    graph = bathtub_graph(model)
    sector = {
        node: SECTOR_OF_KIND.get(data.get("kind"), str(node))
        for node, data in graph.nodes(data=True)
        if node != TUB
    }
    totals: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for u, v, data in graph.edges(data=True):
        if data.get("kind") != "flow" or u == TUB or v == TUB:
            continue
        a, b = sector[u], sector[v]
        if a == b:
            continue
        for kind, amount in data.get("by_kind", {}).items():
            totals[(a, b)][kind] += float(amount)
    # Trades through a market node are netted: who paid for securities beyond what it was paid.
    for a, b in list(totals):
        if "markets" not in (a, b) or (a, b) not in totals or (b, a) not in totals:
            continue
        forward, backward = sum(totals[(a, b)].values()), sum(totals[(b, a)].values())
        kinds = {**totals.pop((a, b)), **totals.pop((b, a))}
        kind = "net_trade" if set(kinds) <= {"trade", "forced_sale"} else max(kinds, key=kinds.get)
        if forward >= backward:
            totals[(a, b)] = defaultdict(float, {kind: forward - backward})
        else:
            totals[(b, a)] = defaultdict(float, {kind: backward - forward})
    flows = [SectorFlow(a, b, sum(kinds.values()), dict(kinds)) for (a, b), kinds in totals.items()]
    return sorted((f for f in flows if f.total > 1e-9), key=lambda f: -f.total)


def _node_box(ax, name: str, xy: tuple[float, float], inside: bool) -> None:
    ax.text(
        *xy,
        name,
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        zorder=5,
        color="#0B2A55" if inside else "#222222",
        bbox={
            "boxstyle": "round,pad=0.45",
            "facecolor": "#DCEBFB" if inside else "#F2F2F2",
            "edgecolor": "#3B7DD8" if inside else "#888888",
            "linewidth": 1.2,
        },
    )


def _label_spot(ax, source, target, taken: list, rad: float = 0.18, gap: float = 48.0):
    """A point on an arc3 arrow, as near its middle as other labels and nodes allow.

    arc3 puts the curve's control point ``rad`` x the chord to the side, in display space;
    the curve is the quadratic Bezier through it. The chosen spot (display) joins ``taken``.
    """
    start, end = ax.transData.transform([source, target])
    dx, dy = end - start
    control = (start + end) / 2 + rad * np.array([dy, -dx])
    best, best_room = None, -1.0
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
        point = (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end
        room = min((float(np.hypot(*(point - p))) for p in taken), default=np.inf)
        if room >= gap:
            best = point
            break
        if room > best_room:
            best, best_room = point, room
    taken.append(best)
    return ax.transData.inverted().transform(best)


def flow_figure(model, out: Path | None = None, *, min_share: float = 0.002, labels: int = 14):
    """Draw who paid whom over the run; saved to ``out`` if given. Returns the figure.

    Args:
        model: a run (or running) :class:`~inverse_qe.model.bathtub.BathtubModel`.
        out: a PNG (or any format matplotlib writes) to save.
        min_share: flows smaller than this share of the largest are left out (said so in
            the footnote).
        labels: how many of the largest flows get their amount written on them.
    """
    flows = sector_flows(model)
    largest = flows[0].total if flows else 1.0
    shown = [f for f in flows if f.total >= min_share * largest]
    hidden = flows[len(shown) :]
    with mpl.rc_context({"text.parse_math": False, "font.size": 9}):
        fig = Figure(figsize=(12, 9), dpi=110, facecolor="white")
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.0, 0.06, 1.0, 0.86))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.add_patch(
            FancyBboxPatch(
                (0.27, 0.17),
                0.46,
                0.66,
                boxstyle="round,pad=0.01,rounding_size=0.04",
                facecolor="#F3F8FE",
                edgecolor="#3B7DD8",
                linewidth=2.0,
                zorder=0,
            )
        )
        ax.text(
            0.285,
            0.815,
            "the tub: investable cash",
            fontsize=9.5,
            color="#1F4E99",
            style="italic",
            va="top",
        )
        nodes = {f.source for f in flows} | {f.target for f in flows} | set(IN_TUB)
        positions = dict(POSITIONS)
        spare = iter(np.linspace(0.1, 0.9, max(len(nodes), 1)))
        for node in sorted(nodes):
            if node not in positions:
                positions[node] = (next(spare), 0.97)
        widest = 16.0
        drawn = {f.source for f in shown} | {f.target for f in shown} | set(IN_TUB)
        taken = [ax.transData.transform(positions[n]) for n in drawn]
        for rank, flow in enumerate(shown):
            colour = CATEGORIES.get(flow.category, (_OTHER,))[0]
            width = max(0.6, widest * flow.total / largest)
            arrow = FancyArrowPatch(
                positions[flow.source],
                positions[flow.target],
                connectionstyle="arc3,rad=0.18",
                arrowstyle=(
                    f"-|>,head_length={0.4 + width / 14:.2f},head_width={0.25 + width / 22:.2f}"
                ),
                mutation_scale=12,
                linewidth=width,
                color=colour,
                alpha=0.75,
                shrinkA=26,
                shrinkB=26,
                zorder=2 + (1 - flow.total / largest),
            )
            ax.add_patch(arrow)
            if rank < labels:
                lx, ly = _label_spot(ax, positions[flow.source], positions[flow.target], taken)
                ax.text(
                    lx,
                    ly,
                    usd(flow.total),
                    fontsize=8,
                    ha="center",
                    va="center",
                    color=colour,
                    fontweight="bold",
                    zorder=6,
                    bbox={
                        "boxstyle": "round,pad=0.15",
                        "facecolor": "white",
                        "edgecolor": "none",
                        "alpha": 0.85,
                    },
                )
        for node in drawn:
            _node_box(ax, node, positions[node], node in IN_TUB)
        used = {f.category for f in shown}
        handles = [
            Line2D([], [], color=colour, lw=4, label=name)
            for name, (colour, _) in CATEGORIES.items()
            if name in used
        ]
        if "other" in used:
            handles.append(Line2D([], [], color=_OTHER, lw=4, label="other"))
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=4,
            frameon=False,
            fontsize=9,
            bbox_to_anchor=(0.5, 0.0),
        )
        config = model.config
        fig.text(
            0.02, 0.975, f"Who paid whom: {config.name}", fontsize=15, fontweight="bold", va="top"
        )
        fig.text(
            0.02,
            0.94,
            f"Cash paid between sectors over weeks 1-{model.week} "
            f"({model.dates[0]:%d %b %Y} to {model.dates[model.week]:%d %b %Y}), seed "
            f"{model.seed}.\nArrow width is proportional to the amount (the widest: "
            f"{usd(largest)}, {flows[0].source} to {flows[0].target}); trades through the "
            "markets are shown net."
            if flows
            else "No cash moved between sectors.",
            fontsize=9.5,
            color="#444444",
            va="top",
        )
        if hidden:
            fig.text(
                0.98,
                0.1,
                f"{len(hidden)} flow{'s' if len(hidden) > 1 else ''} under "
                f"{usd(min_share * largest)} "
                f"(together {usd(sum(f.total for f in hidden))}) not drawn",
                ha="right",
                fontsize=8,
                color="#777777",
            )
        if out is not None:
            out = Path(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(out, facecolor="white")
    return fig
