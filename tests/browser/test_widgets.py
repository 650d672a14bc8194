"""matplotlib's widgets in the browser, used as a person uses them: buttons clicked, boxes
ticked, sliders dragged, text typed. Each test checks the widget's state on the server and
that the page then shows exactly Agg's picture."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backend_bases import MouseButton
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from matplotlib.widgets import Button, CheckButtons, RadioButtons, RangeSlider, Slider, TextBox
from playwright.sync_api import expect

from ..waiting import wait_until
from .helpers import (
    BLUE,
    RED,
    TIMEOUT_MS,
    FigureOnPage,
    Point,
    colour_count,
    data_per_css_px,
    on_server,
)
from .people import at, click, drag_through, settles_on_agg, shown, small_figure, wait_for_state

pytestmark = pytest.mark.browser

YELLOW = (255, 255, 0)


def room_for_widgets() -> tuple[Any, Axes]:
    """A small figure whose axes leave room for widgets under them."""
    figure, ax = small_figure()
    figure.subplots_adjust(bottom=0.3)
    return figure, ax


def widget_axes(figure: Any, left: float, width: float = 0.3) -> Axes:
    """Axes for a widget under the figure's main axes."""
    axes: Axes = figure.add_axes((left, 0.04, width, 0.16))
    return axes


def text_point(view: FigureOnPage, text: Text) -> Point:
    """The middle of ``text`` on the page."""

    def middle() -> tuple[float, float]:
        figure = text.get_figure(root=True)
        assert figure is not None
        box = text.get_window_extent()
        ratio = figure.canvas.device_pixel_ratio
        return (
            float((box.x0 + box.x1) / 2 / ratio),
            float((figure.bbox.height - (box.y0 + box.y1) / 2) / ratio),
        )

    x, y = on_server(middle)
    box = view.canvas.bounding_box()
    assert box is not None
    return Point(box["x"] + x, box["y"] + y)


def test_a_button_lights_up_under_the_pointer_and_runs_its_callback(open_page: Any) -> None:
    figure, ax = room_for_widgets()
    (line,) = ax.plot([0, 1], [0, 1], color="blue", lw=6)
    button = Button(widget_axes(figure, 0.35), "Red", color="0.85", hovercolor="yellow")
    clicks: list[MouseButton | None] = []

    def paint_red(event: Any) -> None:
        clicks.append(event.button)
        line.set_color("red")
        figure.canvas.draw_idle()

    button.on_clicked(paint_red)
    view = shown(open_page, figure)
    click(view, at(view, figure, button.ax, 0.5, 0.5))
    wait_until(lambda: clicks, page=view.page, message="the button's callback")
    assert clicks == [MouseButton.LEFT]
    assert on_server(line.get_color) == "red"
    # The pointer is still on it: it shows its hover colour (blitted).
    assert on_server(button.ax.get_facecolor) == to_rgba("yellow")
    settles_on_agg(view, figure)
    pixels = view.pixels()
    assert colour_count(pixels, RED) > 500
    assert colour_count(pixels, YELLOW) > 1000
    # Off the button, its colour comes back.
    click(view, at(view, figure, ax, 0.5, 0.5))
    wait_for_state(view, lambda: tuple(button.ax.get_facecolor()), to_rgba("0.85"))
    settles_on_agg(view, figure)
    assert colour_count(view.pixels(), YELLOW) == 0
    assert len(clicks) == 1


def test_check_buttons_toggle_what_they_label(open_page: Any) -> None:
    figure, ax = room_for_widgets()
    x = np.linspace(0, 2 * np.pi, 100)
    lines = {
        "sine": ax.plot(x, np.sin(x), color="red", lw=4)[0],
        "cosine": ax.plot(x, np.cos(x), color="blue", lw=4)[0],
    }
    check = CheckButtons(widget_axes(figure, 0.05, 0.4), list(lines), [True, True])

    def toggle(label: str | None) -> None:
        assert label is not None
        lines[label].set_visible(not lines[label].get_visible())
        figure.canvas.draw_idle()

    check.on_clicked(toggle)
    view = shown(open_page, figure)
    click(view, text_point(view, check.labels[1]))
    wait_for_state(view, check.get_status, [True, False])
    assert on_server(lines["cosine"].get_visible) is False
    settles_on_agg(view, figure)
    assert colour_count(view.pixels(), BLUE) == 0
    click(view, text_point(view, check.labels[0]))
    click(view, text_point(view, check.labels[1]))
    wait_for_state(view, check.get_status, [False, True])
    settles_on_agg(view, figure)
    pixels = view.pixels()
    assert colour_count(pixels, BLUE) > 200
    assert colour_count(pixels, RED) == 0


def test_radio_buttons_select_one_option(open_page: Any) -> None:
    figure, ax = room_for_widgets()
    (line,) = ax.plot([0, 1], [0, 1], color="red", lw=6)
    radio = RadioButtons(widget_axes(figure, 0.05, 0.4), ["red", "blue", "yellow"])

    def recolour(label: str | None) -> None:
        line.set_color(label)
        figure.canvas.draw_idle()

    radio.on_clicked(recolour)
    view = shown(open_page, figure)
    click(view, text_point(view, radio.labels[2]))
    wait_for_state(view, lambda: radio.value_selected, "yellow")
    assert on_server(lambda: radio.index_selected) == 2
    settles_on_agg(view, figure)
    click(view, text_point(view, radio.labels[1]))
    wait_for_state(view, lambda: radio.value_selected, "blue")
    settles_on_agg(view, figure)
    pixels = view.pixels()
    assert colour_count(pixels, BLUE) > 500
    assert colour_count(pixels, RED) == 0


def test_a_slider_follows_its_handle_and_a_click_on_its_track(open_page: Any) -> None:
    figure, ax = room_for_widgets()
    x = np.linspace(0, 1, 200)
    (line,) = ax.plot(x, np.sin(2 * np.pi * x), color="red", lw=3)
    ax.set_ylim(-1.1, 1.1)
    slider = Slider(widget_axes(figure, 0.25, 0.5), "freq", 0.5, 5.0, valinit=1.0)

    def retune(value: float) -> None:
        line.set_ydata(np.sin(2 * np.pi * value * x))
        figure.canvas.draw_idle()

    slider.on_changed(retune)
    view = shown(open_page, figure)
    step, _ = data_per_css_px(figure, slider.ax)
    start = view.data_to_page(figure, slider.ax, 1.0, 0.5)
    end = view.data_to_page(figure, slider.ax, 4.0, 0.5)
    drag_through(
        view, [start, *(Point(start.x + (end.x - start.x) * k / 8, start.y) for k in range(1, 9))]
    )
    wait_until(
        lambda: on_server(lambda: abs(slider.val - 4.0) <= 1.5 * step),
        page=view.page,
        message=lambda: f"the slider at 4, not {on_server(lambda: slider.val)}",
    )
    settles_on_agg(view, figure)
    np.testing.assert_allclose(
        on_server(line.get_ydata), np.sin(2 * np.pi * on_server(lambda: slider.val) * x)
    )
    # A click on the track puts the value there.
    click(view, view.data_to_page(figure, slider.ax, 2.0, 0.5))
    wait_until(
        lambda: on_server(lambda: abs(slider.val - 2.0) <= 1.5 * step),
        page=view.page,
        message=lambda: f"the slider at 2, not {on_server(lambda: slider.val)}",
    )
    settles_on_agg(view, figure)


def test_a_range_slider_moves_the_handle_nearest_the_pointer(open_page: Any) -> None:
    figure, ax = room_for_widgets()
    x = np.linspace(0, 10, 50)
    ax.plot(x, x, color="blue", lw=3)
    band = ax.axvspan(2, 8, color="red", alpha=1)
    slider = RangeSlider(widget_axes(figure, 0.25, 0.5), "range", 0.0, 10.0, valinit=(2, 8))

    def follow(values: tuple[float, float]) -> None:
        low, high = values
        band.set_x(low)
        band.set_width(high - low)
        figure.canvas.draw_idle()

    slider.on_changed(follow)
    view = shown(open_page, figure)
    step, _ = data_per_css_px(figure, slider.ax)

    def slide(start: float, end: float) -> None:
        begin = view.data_to_page(figure, slider.ax, start, 0.5)
        finish = view.data_to_page(figure, slider.ax, end, 0.5)
        drag_through(view, [begin, Point((begin.x + finish.x) / 2, begin.y), finish])

    slide(2, 4)
    slide(8, 6)
    wait_until(
        lambda: on_server(lambda: np.allclose(slider.val, (4, 6), atol=1.5 * step)),
        page=view.page,
        message=lambda: f"the range (4, 6), not {on_server(lambda: slider.val)}",
    )
    low, high = on_server(lambda: slider.val)
    assert on_server(lambda: (band.get_x(), band.get_width())) == pytest.approx((low, high - low))
    settles_on_agg(view, figure)


def test_text_typed_into_a_box_goes_to_it_and_fires_no_shortcut(open_page: Any) -> None:
    """While the box has the keys, matplotlib turns every key map off: letters that are
    shortcuts elsewhere (q closes, p pans, g grids, s saves, f, h, k, l, c...) are text."""
    figure, ax = room_for_widgets()
    ax.plot([0, 1], [0, 1], color="blue", lw=3)
    box = TextBox(widget_axes(figure, 0.25, 0.6), "Title ")
    submitted: list[str] = []

    def retitle(text: str) -> None:
        submitted.append(text)
        ax.set_title(text)
        figure.canvas.draw_idle()

    box.on_submit(retitle)
    view = shown(open_page, figure)
    page = view.page
    downloads: list[object] = []
    page.on("download", lambda download: downloads.append(download))  # noqa: PLW0108  # a bound builtin is no Playwright handler
    click(view, at(view, figure, box.ax, 0.5, 0.5))
    wait_for_state(view, lambda: box.capturekeystrokes, True)
    typed = "quick pigs fly high"
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    wait_until(lambda: submitted, page=page, message="the text to be submitted")
    assert submitted == [typed]
    assert on_server(lambda: box.text) == typed
    toolbar = figure.canvas.toolbar
    assert toolbar is not None
    assert on_server(
        lambda: (
            str(toolbar.mode),
            ax.get_xscale(),
            ax.get_yscale(),
            any(line.get_visible() for line in ax.get_xgridlines()),
        )
    ) == ("", "linear", "linear", False)
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "false")
    assert view.root.get_attribute("data-state") == "open"
    settles_on_agg(view, figure)
    # A click elsewhere ends the typing, and the shortcuts are back.
    click(view, at(view, figure, ax, 0.5, 0.5))
    wait_for_state(view, lambda: box.capturekeystrokes, False)
    page.keyboard.press("g")
    wait_for_state(view, lambda: any(line.get_visible() for line in ax.get_xgridlines()), True)
    page.keyboard.press("p")
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    settles_on_agg(view, figure)
    assert downloads == []
