"""The resize handle resizes the matplotlib figure; opening a page does not."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import FigureOnPage, Point, css_size, drag, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("ratio", [1, 2])
def test_opening_a_page_keeps_the_figure_size(open_page: Any, ratio: int) -> None:
    figure, _, _ = line_figure(figsize=(5, 4))
    view = FigureOnPage.shown(open_page, figure, ratio)

    assert css_size(figure) == pytest.approx((500, 400))
    assert on_server(figure.get_size_inches).tolist() == pytest.approx([5, 4])
    sizes = view.backing_and_css()
    assert (sizes["cssWidth"], sizes["cssHeight"]) == (500, 400)


@pytest.mark.parametrize("ratio", [1, 2])
def test_resize_handle_resizes_the_figure(open_page: Any, ratio: int) -> None:
    figure, _, _ = line_figure(figsize=(5, 4))
    view = FigureOnPage.shown(open_page, figure, ratio)
    page = view.page
    assert css_size(figure) == pytest.approx((500, 400))

    box = view.resize_handle.bounding_box()
    assert box is not None
    start = Point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(page, start, Point(start.x + 100, start.y + 50))

    wait_until(
        lambda: css_size(figure) == pytest.approx((600, 450), abs=1),
        page=page,
        message=lambda: f"the figure to be 600×450 CSS px, not {css_size(figure)}",
    )
    # The page follows with a sharp canvas of the new size.
    view.wait_ready()
    sizes = view.backing_and_css()
    assert (sizes["cssWidth"], sizes["cssHeight"]) == pytest.approx((600, 450), abs=1)
    assert (sizes["width"], sizes["height"]) == pytest.approx((600 * ratio, 450 * ratio), abs=1)


def test_resize_in_one_tab_resizes_the_other(open_page: Any) -> None:
    figure, _, _ = line_figure(figsize=(5, 4))
    tab_a = FigureOnPage(open_page(f"/{figure.number}"), figure.number)
    # Same screen for both: a figure has one pixel ratio, the last viewer's to ask for one.
    tab_b = FigureOnPage(open_page(f"/{figure.number}"), figure.number)
    for tab in (tab_a, tab_b):
        tab.wait_ready()

    box = tab_a.resize_handle.bounding_box()
    assert box is not None
    start = Point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(tab_a.page, start, Point(start.x - 100, start.y - 80))

    def tab_b_resized() -> bool:
        sizes = tab_b.backing_and_css()
        return (sizes["cssWidth"], sizes["cssHeight"]) == pytest.approx((400, 320), abs=1)

    wait_until(
        tab_b_resized,
        page=tab_b.page,
        message=lambda: f"tab B to be 400×320 CSS px: {tab_b.backing_and_css()}",
    )
    assert css_size(figure) == pytest.approx((400, 320), abs=1)
    tab_b.wait_ready()


@pytest.mark.parametrize("ratio", [1, 2])
def test_page_follows_a_resize_made_by_the_script(open_page: Any, ratio: int) -> None:
    figure, _, _ = line_figure(figsize=(5, 4))
    view = FigureOnPage.shown(open_page, figure, ratio)
    page = view.page

    def grow() -> None:
        figure.set_size_inches(6, 3, forward=True)
        figure.canvas.draw_idle()

    on_server(grow)

    def resized() -> bool:
        sizes = view.backing_and_css()
        return (sizes["cssWidth"], sizes["cssHeight"]) == (600, 300) and (
            sizes["width"],
            sizes["height"],
        ) == (600 * ratio, 300 * ratio)

    wait_until(resized, page=page, message=lambda: f"a 600×300 canvas: {view.backing_and_css()}")
    assert on_server(figure.get_size_inches).tolist() == pytest.approx([6, 3])
