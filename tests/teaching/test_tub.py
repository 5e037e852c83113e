"""The bathtub picture: its flows add up to the water level, and it draws and animates."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inverse_qe.teaching import tub


@pytest.mark.parametrize("name", ["dry_powder_exhaustion", "fiscal_stimulus", "plumbing"])
def test_taps_minus_drains_is_the_change_in_the_water_level(run_of, name):
    model = run_of(name)
    flows = tub.tub_flows(model)
    water = model.recorder.series("water_level")
    assert flows.taps.shape == (model.week + 1, len(tub.TAPS))
    assert flows.drains.shape == (model.week + 1, len(tub.DRAINS))
    np.testing.assert_allclose(flows.net()[1:], np.diff(water), atol=1e-6 * water.max())
    # Every dollar is on a named tap or drain: nothing is left to "other".
    assert np.abs(flows.other).max() < 1e-6 * water.max()
    assert (flows.taps >= -1e-9).all() and (flows.drains >= -1e-9).all()


def test_channels_are_what_their_names_say(run_of):
    model = run_of("dry_powder_exhaustion")
    flows = tub.tub_flows(model)
    taps, drains = (
        dict(zip(tub.TAPS, flows.taps.T, strict=True)),
        dict(zip(tub.DRAINS, flows.drains.T, strict=True)),
    )
    capex_and_calls = model.recorder.series("capex_paid") + model.recorder.series(
        "commitments_paid"
    )
    np.testing.assert_allclose(drains["AI capex"], capex_and_calls, rtol=1e-9, atol=1e-9)
    recycling = model.config.suppliers.recycling
    # Suppliers pass on what they receive within the week: the recycled share comes back.
    np.testing.assert_allclose(taps["recycling"], recycling * capex_and_calls, rtol=1e-6, atol=1e-6)
    qe = model.recorder.series("qe_pace")
    np.testing.assert_allclose(taps["QE"][1:], np.maximum(qe[1:], 0), rtol=1e-6, atol=1e-6)


def test_a_warsh_run_opens_the_qt_drain(run_of):
    flows = tub.tub_flows(run_of("warsh_tightening"))
    assert flows.drains[1:, tub.DRAINS.index("QT")].min() > 0
    assert flows.taps[1:, tub.TAPS.index("QE")].max() == 0


def test_ducks_float_at_their_price():
    surface = 6.0
    assert tub.duck_height(1.0, surface) == pytest.approx(surface)
    assert tub.duck_height(1.5, surface) > surface > tub.duck_height(0.7, surface)
    assert tub.duck_height(1e-6, surface) > 2.2  # a sunk duck rests on the floor, still seen


def test_still_picture(run_of, tmp_path):
    model = run_of("warsh_tightening")
    out = tmp_path / "tub.png"
    tub.tub_figure(model, week=30, out=out, dpi=60)
    with Image.open(out) as image:
        assert image.size == (720, 456)
        assert len(image.convert("RGB").getcolors(1 << 20)) > 50  # a picture, not a blank


def test_animation_is_a_small_gif_with_one_frame_per_drawn_week(run_of, tmp_path):
    model = run_of("dry_powder_exhaustion", weeks=8)
    out = tmp_path / "tub.gif"
    tub.animate(model, out, every=4, dpi=30, hold=0)
    with Image.open(out) as gif:
        assert gif.n_frames == 3  # weeks 0, 4, 8
    assert out.stat().st_size < 1_000_000
    assert not list(tmp_path.glob(".*partial*"))


def test_animation_refuses_unknown_formats(run_of, tmp_path):
    with pytest.raises(ValueError, match=r"gif or \.mp4"):
        tub.animate(run_of("dry_powder_exhaustion", weeks=8), tmp_path / "tub.avi")


def test_pipes_are_drawn_to_one_scale_that_the_key_states(run_of):
    model = run_of("dry_powder_exhaustion")
    flows = tub.tub_flows(model)
    scale = tub._scale(model, flows, full_run=True)
    largest = float(max(flows.taps.max(), flows.drains.max()))
    assert scale.flow_cap == pytest.approx(largest)  # nothing drawn wider than its flow says
    small, large = 20.0, 0.8 * largest
    ratio = tub._pipe_width(large, scale) / tub._pipe_width(small, scale)
    assert ratio == pytest.approx(np.sqrt(large / small))  # cross-section ~ flow
    assert f"US${largest:,.0f}bn" in tub.pipe_key(scale)
