"""A figure rendered in two halves at once, by two processes, and laid back together.

Laying a figure out measures every text once; rendering it is most of what a figure
costs after that. With a second core idle, each half can be rendered by its own
process: an experiment's figure worker lays ``compare.png`` out once and renders one
half while a child forked from it renders the other
(:func:`inverse_qe.experiments.figures.fan_chart_png`). Each half is drawn on a
transparent background and the halves are laid over white, which gives the whole
figure up to the rounding of antialiased edges (a few levels out of 255, on under 1%
of pixels; the tests compare them). ``dashboard.png`` goes further: its two columns
are two figures, each laid out and rendered on its own by the run's figure worker
and a child of it (:func:`inverse_qe.plots.dashboard_in_two`), and laid over white
here.

Only numpy and Pillow are imported here: laying the halves together needs no
matplotlib.
"""

from __future__ import annotations

import io

import numpy as np


def lay_out(fig) -> None:
    """Lay a figure out now and keep that layout.

    Each half must be drawn on the whole figure's layout, which a half drawn alone
    would recompute differently.
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")


def render_half(fig, side: str) -> np.ndarray:
    """RGBA pixels of one half of a laid-out matplotlib figure, on a transparent background.

    ``"right"``: the axes whose left edge is right of the middle, alone; ``"left"``: the
    other axes and everything drawn on the figure itself (titles, texts, legends). The
    figure must be laid out already (:func:`lay_out`); it is left as it was.
    """
    left = side == "left"
    on_figure = [*fig.texts, *fig.legends, *fig.artists]
    on_figure += [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None]
    shown = {a: (a.get_position().x0 < 0.5) == left for a in fig.axes}
    shown.update(dict.fromkeys(on_figure, left))
    visible, alpha = {a: a.get_visible() for a in shown}, fig.patch.get_alpha()
    for artist, mine in shown.items():
        artist.set_visible(mine and visible[artist])  # a hidden artist stays hidden
    fig.patch.set_alpha(0.0)
    try:
        fig.canvas.draw()
        return np.asarray(fig.canvas.buffer_rgba()).copy()
    finally:  # the figure as it was, for another half or a whole drawing
        for artist, was in visible.items():
            artist.set_visible(was)
        fig.patch.set_alpha(alpha)


def layers_png(layers: list[np.ndarray], dpi: float) -> bytes:
    """RGBA layers of one size laid over white, in order: the picture as PNG bytes."""
    from PIL import Image

    height, width = layers[0].shape[:2]
    picture = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    for layer in layers:
        picture.alpha_composite(Image.fromarray(layer))
    buffer = io.BytesIO()
    # zlib's fastest level: a few per cent larger than the default's file, in about
    # two thirds of the time, and the writing is the last step before the run ends.
    picture.convert("RGB").save(buffer, format="png", dpi=(dpi, dpi), compress_level=1)
    return buffer.getvalue()
