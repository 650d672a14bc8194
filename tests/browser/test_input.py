"""Keys and clicks in the browser reach matplotlib's callbacks and key bindings."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.backend_bases import KeyEvent, MouseButton, MouseEvent
from playwright.sync_api import expect

from .helpers import (
    TIMEOUT_MS,
    FigureOnPage,
    data_per_css_px,
    line_figure,
    on_server,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_key_presses_reach_key_press_callbacks(open_page: Any) -> None:
    figure, _, _ = line_figure()
    keys: list[str] = []

    def record(event: KeyEvent) -> None:
        keys.append(str(event.key))

    figure.canvas.mpl_connect("key_press_event", record)
    view = FigureOnPage.shown(open_page, figure)
    page = view.page

    view.frame.focus()
    page.keyboard.press("Control+Alt+x")
    page.keyboard.press("a")
    page.keyboard.press("Shift+A")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("F5")
    expected = ["ctrl+alt+x", "a", "A", "left", "f5"]
    wait_until(
        lambda: all(key in keys for key in expected),
        page=page,
        message=lambda: f"keys {expected} among {keys}",
    )
    # In the order pressed, after the modifiers' own presses.
    assert [key for key in keys if key in expected] == expected
    assert keys[:2] == ["control", "ctrl+alt"], keys


def test_matplotlib_key_bindings_work(open_page: Any) -> None:
    figure, ax, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page = view.page
    assert not any(line.get_visible() for line in ax.get_xgridlines())

    # "g" toggles the grid of the axes under the pointer.
    view.frame.focus()
    point = view.axes_point(figure, ax, 0.5, 0.5)
    page.mouse.move(point.x, point.y)
    before = view.pixels()
    page.keyboard.press("g")
    wait_until(
        lambda: on_server(lambda: all(line.get_visible() for line in ax.get_xgridlines())),
        page=page,
        message="the grid to be switched on",
    )
    view.wait_pixels_change(before)

    # "p" picks the pan tool, and the toolbar shows it.
    page.keyboard.press("p")
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    page.keyboard.press("o")
    expect(view.tool("zoom")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("ratio", [1, 2])
def test_clicks_reach_button_press_callbacks_at_the_right_point(open_page: Any, ratio: int) -> None:
    figure, ax, _ = line_figure()
    presses: list[MouseEvent] = []
    figure.canvas.mpl_connect("button_press_event", presses.append)
    view = FigureOnPage.shown(open_page, figure, ratio)
    page = view.page
    step_x, step_y = data_per_css_px(figure, ax)

    for (x, y), button, expected_button in (
        ((1.3, 0.4), "left", MouseButton.LEFT),
        ((0.25, 1.1), "right", MouseButton.RIGHT),
        ((2.2, -0.3), "middle", MouseButton.MIDDLE),
    ):
        point = view.data_to_page(figure, ax, x, y)
        count = len(presses)
        page.mouse.click(point.x, point.y, button=button)
        wait_until(lambda: len(presses) > count, page=page, message=f"a {button} click")  # noqa: B023
        event = presses[count]
        assert event.button == expected_button
        assert event.inaxes is ax
        assert event.xdata == pytest.approx(x, abs=1.5 * step_x), (button, event.xdata)
        assert event.ydata == pytest.approx(y, abs=1.5 * step_y), (button, event.ydata)
        assert not event.dblclick


def test_double_clicks_and_wheel_reach_callbacks(open_page: Any) -> None:
    figure, ax, _ = line_figure()
    presses: list[MouseEvent] = []
    scrolls: list[MouseEvent] = []
    figure.canvas.mpl_connect("button_press_event", presses.append)
    figure.canvas.mpl_connect("scroll_event", scrolls.append)
    view = FigureOnPage.shown(open_page, figure)
    page = view.page
    step_x, step_y = data_per_css_px(figure, ax)

    point = view.data_to_page(figure, ax, 1.0, 0.5)
    page.mouse.dblclick(point.x, point.y)
    wait_until(
        lambda: any(event.dblclick for event in presses),
        page=page,
        message=lambda: f"a double click among {presses}",
    )
    double = next(event for event in presses if event.dblclick)
    assert double.button == MouseButton.LEFT
    assert double.xdata == pytest.approx(1.0, abs=1.5 * step_x)
    assert double.ydata == pytest.approx(0.5, abs=1.5 * step_y)

    page.mouse.move(point.x, point.y)
    page.mouse.wheel(0, -100)
    wait_until(lambda: scrolls, page=page, message="a scroll up")
    page.mouse.wheel(0, 100)
    wait_until(lambda: len(scrolls) > 1, page=page, message="a scroll down")
    assert [event.step for event in scrolls[:2]] == [1, -1]
    assert [event.button for event in scrolls[:2]] == ["up", "down"]
    assert scrolls[0].xdata == pytest.approx(1.0, abs=1.5 * step_x)


def test_save_key_downloads_the_figure(open_page: Any) -> None:
    figure, _, _ = line_figure("Saved by key")
    view = FigureOnPage.shown(open_page, figure)
    page = view.page

    view.format.select_option("svg")
    view.frame.focus()
    with page.expect_download() as info:
        page.keyboard.press("Control+s")
    assert info.value.suggested_filename == "Saved_by_key.svg"


@pytest.mark.parametrize("capture", [False, True])
def test_capture_scroll_keeps_the_wheel_from_scrolling_the_page(
    open_page: Any, capture: bool
) -> None:
    figure, _, _ = line_figure()
    figure.canvas.set_capture_scroll(capture)  # type: ignore[attr-defined]
    scrolls: list[MouseEvent] = []
    figure.canvas.mpl_connect("scroll_event", scrolls.append)
    # A short window, so the page can scroll.
    page = open_page(f"/{figure.number}", viewport={"width": 900, "height": 400})
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    assert page.evaluate("() => document.scrollingElement.scrollHeight > innerHeight")

    box = view.canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 100, min(box["y"] + 100, 350))
    page.mouse.wheel(0, 200)
    # Either way the figure gets the wheel.
    wait_until(lambda: scrolls, page=page, message="a scroll_event")
    if capture:
        # The page did not scroll: by the time matplotlib heard of the wheel, and two
        # animation frames later, the page would have.
        for _ in range(2):
            page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve()))")
        assert page.evaluate("() => scrollY") == 0
    else:
        wait_until(
            lambda: page.evaluate("() => scrollY") > 0, page=page, message="the page to scroll"
        )
