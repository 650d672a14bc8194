"""Layout, measured in element boxes: the subplot tool fits a figure of any width, and the
all-figures page fills a 1280 px screen with the demo's figures."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import FigureOnPage, line_figure

pytestmark = pytest.mark.browser

Box = dict[str, float]

# Half a pixel: boxes of text and subpixel layout round differently.
SLACK = 0.5

# The boxes of a figure's card, its subplot panel, and of each parameter's label text, slider
# and value text (text boxes are the text's own, not its element's).
PANEL_BOXES = """(card) => {
    const box = (rect) => ({
        left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom,
    })
    const text = (element) => {
        const range = document.createRange()
        range.selectNodeContents(element)
        return box(range.getBoundingClientRect())
    }
    const inner = (element) => {
        const rect = element.getBoundingClientRect()
        const style = getComputedStyle(element)
        const side = (name) => parseFloat(style[name])
        return {
            left: rect.left + side("borderLeftWidth") + side("paddingLeft"),
            top: rect.top + side("borderTopWidth") + side("paddingTop"),
            right: rect.right - side("borderRightWidth") - side("paddingRight"),
            bottom: rect.bottom - side("borderBottomWidth") - side("paddingBottom"),
        }
    }
    const form = card.querySelector(".webfig-subplot-tool")
    return {
        card: inner(card),
        panel: inner(form),
        params: [...form.querySelectorAll(".webfig-subplot-param")].map((param) => ({
            name: param.querySelector("input").name,
            label: text(param.querySelector("span")),
            slider: box(param.querySelector("input").getBoundingClientRect()),
            value: text(param.querySelector("output")),
        })),
        buttons: [...form.querySelectorAll("button")].map((button) =>
            box(button.getBoundingClientRect())
        ),
    }
}"""


def inside(box: Box, outer: Box) -> bool:
    return (
        box["left"] >= outer["left"] - SLACK
        and box["top"] >= outer["top"] - SLACK
        and box["right"] <= outer["right"] + SLACK
        and box["bottom"] <= outer["bottom"] + SLACK
    )


def overlap(first: Box, second: Box) -> bool:
    width = min(first["right"], second["right"]) - max(first["left"], second["left"])
    height = min(first["bottom"], second["bottom"]) - max(first["top"], second["top"])
    return width > SLACK and height > SLACK


def open_card(open_page: Callable[..., Page], figure_num: int) -> tuple[Page, Any]:
    page = open_page("/")
    FigureOnPage(page, figure_num).wait_ready()
    return page, page.locator(f'[data-figure-card="{figure_num}"]')


@pytest.mark.parametrize("figsize", [(5, 4), (2, 1.5)], ids=["5x4", "2x1.5"])
def test_the_subplot_tool_fits_its_figure(
    open_page: Callable[..., Page], figsize: tuple[float, float]
) -> None:
    figure, _, _ = line_figure(figsize=figsize)
    page, card = open_card(open_page, figure.number)
    view = FigureOnPage(page, figure.number)
    view.tool("subplots").click()
    panel = card.locator(".webfig-subplot-tool")
    expect(panel).to_be_visible()
    expect(panel.locator('output[for="hspace"]')).not_to_be_empty()

    boxes = card.evaluate(PANEL_BOXES)
    assert inside(boxes["panel"], boxes["card"]), boxes
    parts = [(f"button {index}", box) for index, box in enumerate(boxes["buttons"])]
    for param in boxes["params"]:
        parts += [
            (f"{param['name']} {piece}", param[piece]) for piece in ("label", "slider", "value")
        ]
        # A slider short enough to be fiddly is no use.
        assert param["slider"]["right"] - param["slider"]["left"] >= 80, param
    for name, box in parts:
        assert inside(box, boxes["panel"]), (name, box, boxes["panel"])
    # No value runs into its label or slider, nor anything into another parameter's.
    for (first, first_box), (second, second_box) in combinations(parts, 2):
        assert not overlap(first_box, second_box), (first, first_box, second, second_box)


# The demo's figures (webfig/demo.py), in inches at 100 dpi.
DEMO_SIZES = [(6.4, 4.0), (5.0, 4.0), (5.0, 3.5), (5.0, 4.0)]


@pytest.mark.parametrize("width", [1280, 1263], ids=["1280", "1280-with-a-scrollbar"])
def test_the_all_figures_page_fills_a_1280_px_screen_with_the_demo_figures(
    open_page: Callable[..., Page], width: int
) -> None:
    # Headless Chromium's scrollbars take no room; a desktop browser's take about 17 px.
    figures = [line_figure(figsize=size)[0] for size in DEMO_SIZES]
    page = open_page("/", viewport={"width": width, "height": 1000})
    for figure in figures:
        FigureOnPage(page, figure.number).wait_ready()

    gallery = page.locator(".webfig-gallery").bounding_box()
    assert gallery is not None
    rows: dict[float, list[Box]] = {}
    for figure in figures:
        card = page.locator(f'[data-figure-card="{figure.number}"]').bounding_box()
        assert card is not None
        rows.setdefault(round(card["y"]), []).append(card)
        # Filling comes from the room around figures, never from their size.
        canvas = FigureOnPage(page, figure.number).canvas.bounding_box()
        assert canvas is not None
        inches = figure.get_size_inches()
        assert (canvas["width"], canvas["height"]) == (inches[0] * 100, inches[1] * 100)
    for cards in rows.values():
        used = max(card["x"] + card["width"] for card in cards) - gallery["x"]
        empty = 1 - used / gallery["width"]
        assert empty < 0.2, f"{empty:.0%} of a row is empty: {cards} in {gallery}"
