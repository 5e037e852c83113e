"""The dashboard's pictures: legible on a projector, the week axis fixed, one per panel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.text import Text
from PIL import Image

from inverse_qe.model.bathtub import BathtubModel
from inverse_qe.scenarios.loader import load
from inverse_qe.teaching.panels import PANELS, render


@pytest.fixture(scope="module")
def model():
    model = BathtubModel(load("dry_powder_exhaustion"), seed=2, weeks=40)
    for panel in PANELS:  # drawn at week 0, then updated in place
        render(panel, model)
    model.run_for(25)
    return model


@pytest.mark.parametrize("panel", PANELS, ids=lambda p: p.key)
def test_every_panel_is_wide_and_its_text_large(model, panel):
    image = Image.open(io.BytesIO(render(panel, model)))
    assert image.width >= 500
    figure = panel.draw(model)
    pixels = [
        t.get_fontsize() * figure.dpi / 72
        for t in figure.findobj(Text)
        if t.get_text().strip() and t.get_visible()
    ]
    assert pixels and min(pixels) >= 12, (panel.key, min(pixels))


@pytest.mark.parametrize("panel", [p for p in PANELS if p.key != "bathtub"], ids=lambda p: p.key)
def test_charts_keep_the_week_axis_from_0_to_the_end(model, panel):
    axes = panel.draw(model).axes[0]
    assert axes.get_xlim() == (0, model.weeks)
    assert axes.get_xlabel() == "week"


def test_price_labels_are_readable_on_the_log_axis(model):
    figure = next(p for p in PANELS if p.key == "prices").draw(model)
    figure.canvas.draw()
    labels = {t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_visible()}
    assert "1" in labels and len(labels & {"0.1", "0.2", "0.5", "2"}) >= 2


def test_the_rates_panel_shows_policy_rate_10y_and_spread(model):
    axes = next(p for p in PANELS if p.key == "rates").draw(model).axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert {"policy rate", "10-year yield", "hyperscaler bond spread"} <= set(lines)
    np.testing.assert_allclose(
        lines["10-year yield"].get_ydata(), 100 * model.recorder.series("yield_10y")
    )
