"""Pages and sockets coming and going: closed tabs, closed figures, a stopped server."""

from __future__ import annotations

import gc
import logging
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from webfig.backend import FigureManagerWebfig

from .helpers import FigureOnPage, agg_pixels, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser


def test_the_figures_page_follows_the_script(open_page: Any, server: Any) -> None:
    import matplotlib.pyplot as plt

    page = open_page("")
    empty = page.locator(".webfig-empty")
    expect(empty).to_be_visible()
    expect(page.locator(".webfig-gallery")).to_have_attribute("data-state", "open")

    first, _, _ = line_figure()
    view = FigureOnPage(page, first.number)
    view.wait_ready()
    expect(empty).to_be_hidden()
    np.testing.assert_array_equal(view.pixels(), agg_pixels(first))

    # Cards keep figure-number order, whatever order the figures come in.
    plt.figure(5)
    plt.figure(3)
    cards = page.locator("[data-figure-card]")
    expect(cards).to_have_count(3)
    order = cards.evaluate_all("cards => cards.map(card => card.dataset.figureCard)")
    assert order == [str(first.number), "3", "5"]
    FigureOnPage(page, 3).wait_ready()

    plt.close(3)
    expect(page.locator('[data-figure-card="3"]')).to_have_count(0)
    plt.close("all")
    expect(cards).to_have_count(0)
    expect(empty).to_be_visible()


def test_closing_a_tab_during_frames_logs_no_error(
    browser: Any, server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Large, incompressible frames at a high rate: a tab is likely to close mid-write.
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(6.4, 4.8))
    image = figure.add_axes((0, 0, 1, 1)).imshow(
        np.random.default_rng(0).random((480, 640, 3)), interpolation="nearest"
    )
    rng = np.random.default_rng(1)

    def tick() -> None:
        image.set_data(rng.random((480, 640, 3)))
        figure.canvas.draw_idle()

    timer = figure.canvas.new_timer(interval=20)
    timer.add_callback(tick)
    timer.start()
    manager = figure.canvas.manager
    assert isinstance(manager, FigureManagerWebfig)
    caplog.set_level(logging.ERROR, logger="asyncio")
    try:
        for _ in range(8):
            context = browser.new_context(device_scale_factor=2)
            page = context.new_page()
            page.goto(f"{server.url}{figure.number}")
            FigureOnPage(page, figure.number).wait_ready()
            page.wait_for_timeout(200)
            context.close()
            wait_until(lambda: manager.viewer_count == 0, message="the viewer to leave")
            # Let the loop finish what it was writing; a failed write's task sits in a
            # reference cycle (task → exception → traceback → coroutine), so collect it.
            on_server(lambda: None)
            gc.collect()
            if "never retrieved" in caplog.text:
                break
    finally:
        timer.stop()
    assert "never retrieved" not in caplog.text, caplog.text


def test_the_close_button_closes_the_figure_for_every_page(open_page: Any, server: Any) -> None:
    import matplotlib.pyplot as plt

    figure, _, _ = line_figure()
    closed: list[str] = []
    figure.canvas.mpl_connect("close_event", lambda event: closed.append(event.name))
    gallery = open_page("")
    own_page = FigureOnPage.shown(open_page, figure)
    card = FigureOnPage(gallery, figure.number)
    card.wait_ready()

    card.root.locator("button.webfig-close").click()
    wait_until(lambda: not plt.fignum_exists(figure.number), message="the figure to close")
    expect(own_page.root).to_have_attribute("data-state", "closed")
    expect(own_page.root.locator("button.webfig-close")).to_be_disabled()
    expect(gallery.locator(f'[data-figure-card="{figure.number}"]')).to_have_count(0)
    assert closed == ["close_event"]
