"""Pages and sockets coming and going: closed tabs, closed figures, a stopped server."""

from __future__ import annotations

import gc
import logging
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from webfig.manager import FigureManagerWebfig

from .helpers import FigureOnPage, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser


def test_stopping_the_server_closes_the_page(open_page: Any, server: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)

    server.stop()
    expect(view.root).to_have_attribute("data-state", "closed", timeout=3000)


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
