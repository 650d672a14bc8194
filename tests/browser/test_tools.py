"""The ToolManager toolbar and the subplot tool in Chromium: buttons the server describes, a
custom toggle tool shared by two pages, and the subplot panel moving the axes for both."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.backend_tools import ToolToggleBase
from PIL import Image
from playwright.sync_api import expect

from .helpers import FigureOnPage, line_figure, wait_until

pytestmark = pytest.mark.browser


def test_a_custom_toggle_tool_is_a_button_whose_state_every_page_shares(
    open_page: Any, server: Any, toolmanager: None, tmp_path: Any
) -> None:
    figure, _, _ = line_figure()
    icon = tmp_path / "marker.png"
    Image.new("LA", (26, 26), (90, 255)).save(icon)
    switched: list[bool] = []

    class Marker(ToolToggleBase):
        image = str(icon)
        description = "Mark points"

        def enable(self, event: Any = None) -> None:
            switched.append(True)

        def disable(self, event: Any = None) -> None:
            switched.append(False)

    first = FigureOnPage.shown(open_page, figure)
    second = FigureOnPage.shown(open_page, figure)
    for view in (first, second):
        buttons = view.root.locator(".webfig-tool-groups button[data-tool-name]")
        expect(buttons).to_have_count(8)
        expect(view.root.locator('button[data-tool="pan"]')).to_have_count(0)

    manager = figure.canvas.manager
    manager.toolmanager.add_tool("marker", Marker)
    manager.toolbar.add_tool("marker", "custom")
    marker = [view.root.locator('button[data-tool-name="marker"]') for view in (first, second)]
    for button in marker:
        expect(button).to_have_attribute("aria-pressed", "false")
        expect(button).to_be_enabled()
        image_width = button.locator("img").evaluate("img => img.complete && img.naturalWidth")
        assert image_width == 26

    marker[0].click()
    for button in marker:
        expect(button).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: switched == [True], message="the tool to be enabled")
    marker[1].click()
    expect(marker[0]).to_have_attribute("aria-pressed", "false")
    wait_until(lambda: switched == [True, False], message="the tool to be disabled")

    manager.toolmanager.remove_tool("marker")
    for button in marker:
        expect(button).to_have_count(0)


def left_spine(pixels: np.ndarray) -> int:
    """The first column that is dark in most rows: the axes' left spine."""
    dark = (pixels[..., :3] < 60).all(axis=-1)
    return int(np.flatnonzero(dark.mean(axis=0) > 0.4)[0])


def test_the_subplot_panel_moves_the_axes_for_every_page(open_page: Any, server: Any) -> None:
    figure, ax, _ = line_figure()
    first = FigureOnPage.shown(open_page, figure)
    second = FigureOnPage.shown(open_page, figure)
    panel = first.root.locator("form.webfig-subplot-tool")
    expect(panel).to_be_hidden()

    first.tool("subplots").click()
    expect(panel).to_be_visible()
    expect(second.root.locator("form.webfig-subplot-tool")).to_be_hidden()
    left = panel.locator('input[name="left"]')
    expect(left).to_have_value(str(figure.subplotpars.left))

    before = second.pixels()
    left.fill("0.4")  # a range input takes fill() as a move to that value, with an input event
    wait_until(lambda: abs(ax.get_position().x0 - 0.4) < 1e-9, message="the axes to move")
    # The other page's picture follows: its axes now start at 40% of the width.
    after = second.wait_pixels_change(before)
    assert abs(left_spine(after) - 0.4 * after.shape[1]) <= 2

    panel.locator('button[data-action="reset"]').click()
    expect(left).to_have_value(str(mpl.rcParams["figure.subplot.left"]))
    wait_until(
        lambda: abs(ax.get_position().x0 - mpl.rcParams["figure.subplot.left"]) < 1e-9,
        message="the axes to move back",
    )
    panel.locator('button[data-action="close"]').click()
    expect(panel).to_be_hidden()
