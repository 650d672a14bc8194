"""A blitted animation in the browser: rect frames, stored backgrounds, exact pixels."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.animation import FuncAnimation

from .helpers import RED, FigureOnPage, agg_pixels, colour_count, on_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("ratio", [1, 2])
def test_a_blitted_animation_shows_exactly_what_agg_drew(open_page: Any, ratio: int) -> None:
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set(xlim=(-0.5, 10.5), ylim=(-1.5, 1.5))
    ax.grid(True)
    x = np.linspace(0, 10, 300)
    (wave,) = ax.plot(x, np.sin(x), color="#ff0000", lw=4, animated=True)
    steps: list[int] = []

    def step(frame: int) -> tuple[Any, ...]:
        wave.set_ydata(np.sin(x + frame / 4))
        steps.append(frame)
        return (wave,)

    animation = FuncAnimation(figure, step, interval=20, blit=True, cache_frame_data=False)
    view = FigureOnPage.shown(open_page, figure, ratio)
    # The animated artist shows, and keeps moving.
    first = view.wait_pixels(lambda p: colour_count(p, RED) > 100, "the red wave")
    view.wait_pixels_change(first)
    on_server(animation.pause)
    count = len(steps)
    view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)), "the canvas to equal Agg's"
    )
    assert len(steps) == count
