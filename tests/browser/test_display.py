"""The pages show figures: pixels painted, title, state, HiDPI backing store, status line."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from .helpers import (
    BLUE,
    RED,
    TIMEOUT_MS,
    FigureOnPage,
    agg_pixels,
    colour_count,
    css_size,
    data_per_css_px,
    is_painted,
    line_figure,
    on_server,
    wait_until,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("ratio", [1, 2])
def test_single_figure_page_shows_the_figure(open_page: Any, ratio: int) -> None:
    figure, _, _ = line_figure("Thick red line")
    page = open_page(f"/{figure.number}", device_scale_factor=ratio)
    view = FigureOnPage(page, figure.number)

    view.wait_ready()
    expect(view.root).to_have_attribute("data-state", "open")
    expect(view.title).to_have_text("Thick red line")
    pixels = view.wait_pixels(
        lambda p: colour_count(p, RED) > 2000 * ratio**2, "the red line to be painted"
    )
    assert is_painted(pixels)

    # HiDPI: the backing store has device pixels, the CSS box the figure's CSS size.
    sizes = view.backing_and_css()
    assert (sizes["cssWidth"], sizes["cssHeight"]) == (640, 480), sizes
    assert (sizes["width"], sizes["height"]) == (640 * ratio, 480 * ratio), sizes
    assert pixels.shape == (480 * ratio, 640 * ratio, 4)
    assert on_server(lambda: figure.dpi) == 100 * ratio


@pytest.mark.parametrize("ratio", [1, 2])
def test_canvas_shows_exactly_what_agg_drew(open_page: Any, ratio: int) -> None:
    """Frames arrive losslessly: the canvas' pixels are Agg's, byte for byte."""
    figure, _, _ = line_figure("Exact")
    view = FigureOnPage.shown(open_page, figure, ratio)

    agg = agg_pixels(figure)
    view.wait_pixels(lambda p: np.array_equal(p, agg), "the canvas to equal Agg's buffer")


def test_all_figures_page_shows_every_figure(open_page: Any) -> None:
    red_figure, _, _ = line_figure("Red one", "#ff0000", figsize=(4, 3))
    blue_figure, _, _ = line_figure("Blue one", "#0000ff", figsize=(4, 3))
    page = open_page("/")

    expect(page.locator("section.webfig-figure")).to_have_count(2)
    red = FigureOnPage(page, red_figure.number)
    blue = FigureOnPage(page, blue_figure.number)
    for view, title in ((red, "Red one"), (blue, "Blue one")):
        view.wait_ready()
        expect(view.title).to_have_text(title)
    # Each canvas is painted with its own figure, not the other's.
    red.wait_pixels(
        lambda p: is_painted(p) and colour_count(p, RED) > 1000 and colour_count(p, BLUE) == 0,
        "the red figure to be painted",
    )
    blue.wait_pixels(
        lambda p: is_painted(p) and colour_count(p, BLUE) > 1000 and colour_count(p, RED) == 0,
        "the blue figure to be painted",
    )


def test_status_line_shows_pointer_coordinates(open_page: Any) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page = view.page

    point = view.data_to_page(figure, ax, 1.5, 0.25)
    page.mouse.move(point.x - 20, point.y - 20)
    page.mouse.move(point.x, point.y, steps=5)
    # matplotlib writes "x=1.5 y=0.25" (before 3.10) or "(x, y) = (1.500, 0.250)".
    expect(view.status).to_have_text(COORDINATES, timeout=TIMEOUT_MS)

    # The last message is the pointer's final position.
    step_x, step_y = data_per_css_px(figure, ax)

    def at_final_position() -> bool:
        found = parse_coordinates(view.status.text_content() or "")
        return found is not None and (
            abs(found[0] - 1.5) <= 1.5 * step_x and abs(found[1] - 0.25) <= 1.5 * step_y
        )

    wait_until(
        at_final_position,
        page=page,
        message=lambda: f"the status to show (1.5, 0.25), not {view.status.text_content()!r}",
    )


COORDINATES = re.compile(
    r"x\s*=\s*(-?[\d.]+)\s+y\s*=\s*(-?[\d.]+)|\(x, y\) = \((-?[\d.]+), (-?[\d.]+)\)"
)


def parse_coordinates(text: str) -> tuple[float, float] | None:
    match = COORDINATES.search(text)
    if match is None:
        return None
    numbers = [group for group in match.groups() if group is not None]
    return float(numbers[0]), float(numbers[1])


def test_title_follows_the_window_title(open_page: Any) -> None:
    figure, _, _ = line_figure("Before")
    view = FigureOnPage.shown(open_page, figure)
    expect(view.title).to_have_text("Before")

    manager = figure.canvas.manager
    assert manager is not None
    manager.set_window_title("After <b>not bold</b>")
    # Text, not HTML.
    expect(view.title).to_have_text("After <b>not bold</b>", timeout=TIMEOUT_MS)
    expect(view.title.locator("b")).to_have_count(0)

    hostile = '<img src=x onerror="window.pwned = true">'
    assert manager.toolbar is not None
    manager.toolbar.set_message(hostile)
    status = view.root.locator(".webfig-status")
    expect(status).to_have_text(hostile, timeout=TIMEOUT_MS)
    expect(status.locator("img")).to_have_count(0)
    assert view.page.evaluate("window.pwned") is None


def test_moving_to_a_hidpi_screen_renders_sharp(open_page: Any) -> None:
    """When devicePixelRatio changes (another screen, page zoom), frames follow it."""
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page = view.page
    assert view.backing_and_css()["width"] == 640

    session = page.context.new_cdp_session(page)
    # Chromium re-evaluates resolution media queries only when the viewport changes too,
    # so the emulated screen is one pixel shorter.
    session.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 999, "deviceScaleFactor": 2, "mobile": False},
    )
    wait_until(
        lambda: view.backing_and_css()["width"] == 1280,
        page=page,
        message=lambda: f"a 1280 px backing store: {view.backing_and_css()}",
    )
    view.wait_ready()
    assert on_server(lambda: figure.dpi) == 200
    assert css_size(figure) == pytest.approx((640, 480))
    session.detach()


def test_translucent_figure_stays_right_across_changes(open_page: Any) -> None:
    """Frames over a transparent background never leave ghosts of earlier ones."""
    figure, ax, line = line_figure()
    figure.patch.set_alpha(0)
    ax.patch.set_alpha(0.3)
    line.set_alpha(0.6)
    view = FigureOnPage.shown(open_page, figure)
    page = view.page

    def matches_agg() -> bool:
        agg = agg_pixels(figure).astype(int)
        shown = view.pixels().astype(int)
        if shown.shape != agg.shape or not np.array_equal(shown[..., 3], agg[..., 3]):
            return False
        # The canvas stores premultiplied colours: translucent ones may be off by one.
        visible = agg[..., 3] > 0
        return bool(np.abs(shown - agg)[visible][:, :3].max() <= 1)

    wait_until(matches_agg, page=page, message="the first frame to match Agg")
    for offset in (0.3, 0.6, 0.1):
        before = agg_pixels(figure)

        def move(offset: float = offset) -> None:
            line.set_ydata([offset, 1 + offset, offset])
            figure.canvas.draw_idle()

        on_server(move)
        wait_until(
            lambda: not np.array_equal(agg_pixels(figure), before),  # noqa: B023
            message="Agg to draw the change",
        )
        wait_until(matches_agg, page=page, message=f"the canvas to match Agg at {offset}")
