"""The flow diagram: who paid whom, summed from the ledger, drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inverse_qe.teaching import flows


def test_sector_flows_sum_the_ledger(run_of):
    model = run_of("dry_powder_exhaustion")
    found = {(f.source, f.target): f for f in flows.sector_flows(model)}
    capex = found[("hyperscalers", "AI suppliers")]
    assert capex.total == pytest.approx(model.recorder.series("capex_paid").sum())
    assert capex.category == "AI capex and commitments"
    calls = found[("sovereign funds", "AI suppliers")]
    assert calls.total == pytest.approx(model.recorder.series("commitments_paid").sum())
    # Trades through the markets are netted: one arrow per pair.
    pairs = [tuple(sorted(p)) for p in found if "markets" in p]
    assert len(pairs) == len(set(pairs))
    assert all(f.total > 0 for f in found.values())
    assert flows.sector_flows(model)[0].total == max(f.total for f in found.values())


def test_flow_categories():
    assert flows.category_of("capex") == "AI capex and commitments"
    assert flows.category_of("supplier_recycling") == "income back to the tub"
    assert flows.category_of("something_new") == "other"


def test_flow_figure_is_drawn(run_of, tmp_path):
    out = tmp_path / "flows.png"
    flows.flow_figure(run_of("plumbing"), out)
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[1] > 1000
    assert (pixels < 200).any(axis=2).mean() > 0.05  # ink on the page
