"""A tab that comes back from the background shows the current picture at once, and costs
nothing while it is away.

Playwright keeps every page visible and cannot put a tab in the background (Chromium's
Page.setWebLifecycleState does not freeze a page it keeps visible either), so the hidden tab
is made as the page itself sees one: ``document.visibilityState`` says "hidden" and a
``visibilitychange`` event fires.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from playwright.sync_api import Page

from .helpers import FigureOnPage, agg_pixels, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser

# Makes the page look hidden, or visible again, as a background tab's does.
SET_VISIBILITY = """(state) => {
    Object.defineProperty(document, "visibilityState", { value: state, configurable: true })
    Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true })
    document.dispatchEvent(new Event("visibilitychange"))
}"""


def hidden_viewers(figure: Figure) -> list[bool]:
    manager: Any = figure.canvas.manager
    return on_server(lambda: [state.hidden for state in manager._delivery.states()])


def change(figure: Figure, ax: Axes, step: int) -> None:
    """What an animation does: change the figure from the script's thread, and ask for a
    draw."""
    with figure.canvas.lock:  # type: ignore[attr-defined]
        ax.lines[0].set_ydata(np.sin(np.linspace(0, 3, len(ax.lines[0].get_xdata())) + step))
        ax.set_title(f"step {step}")
    figure.canvas.draw_idle()
    figure.canvas.flush_events()


def shows_the_figure_as_it_is(view: FigureOnPage, figure: Figure) -> None:
    view.wait_pixels(
        lambda pixels: np.array_equal(pixels, agg_pixels(figure)),
        "the canvas to show the figure as it is now",
    )


def test_a_hidden_tab_gets_no_frames_and_the_current_picture_when_it_comes_back(
    open_page: Any,
) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page: Page = view.page
    manager: Any = figure.canvas.manager

    page.evaluate(SET_VISIBILITY, "hidden")
    wait_until(lambda: hidden_viewers(figure) == [True], page=page, message="the viewer hidden")
    sent = manager.frames_sent
    for step in range(5):
        change(figure, ax, step)
    assert manager.frames_sent == sent

    page.evaluate(SET_VISIBILITY, "visible")
    shows_the_figure_as_it_is(view, figure)
    # The picture as it is, in one frame: none of the steps the tab missed.
    assert manager.frames_sent == sent + 1
    assert hidden_viewers(figure) == [False]
