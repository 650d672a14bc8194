"""Keys without a click: a figure alone on its page has the keyboard as the page opens, and a
figure takes it when the pointer enters it, as a desktop window under the pointer does, but
never from a control the user is typing in."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .helpers import TIMEOUT_MS, FigureOnPage, line_figure

pytestmark = pytest.mark.browser

# Which element of the page has the keyboard: the figure number of a canvas frame, the class
# of anything else.
FOCUSED = """() => {
    const active = document.activeElement
    if (active?.classList.contains("webfig-canvas-frame")) {
        return `figure ${active.closest(".webfig-figure").dataset.figureNum}`
    }
    return active?.localName ?? null
}"""

# takesTyping() of keyboard-focus.js for elements made on the fly.
TAKES_TYPING = """async () => {
    const { takesTyping } = await import("/js/keyboard-focus.js")
    const make = (html) => {
        const holder = document.createElement("div")
        holder.innerHTML = html
        document.body.append(holder)
        return holder.firstElementChild
    }
    return {
        body: takesTyping(document.body),
        none: takesTyping(null),
        text: takesTyping(make('<input type="text">')),
        number: takesTyping(make('<input type="number">')),
        search: takesTyping(make('<input type="search">')),
        checkbox: takesTyping(make('<input type="checkbox">')),
        button: takesTyping(make("<button>b</button>")),
        textarea: takesTyping(make("<textarea></textarea>")),
        select: takesTyping(make("<select><option>a</option></select>")),
        editable: takesTyping(make('<div contenteditable="true">x</div>')),
        textbox: takesTyping(make('<div role="textbox" tabindex="0"></div>')),
        plain: takesTyping(make('<div tabindex="0"></div>')),
    }
}"""


def enter(page: Page, view: FigureOnPage) -> None:
    """Move the pointer from outside the figure onto its middle, as a person does."""
    box = view.canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] - 30, box["y"] - 30)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)


def test_a_figure_alone_on_its_page_takes_the_keys_as_it_opens(open_page: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page = view.page

    assert page.evaluate(FOCUSED) == f"figure {figure.number}"
    # No click, no pointer over the figure: "p" picks the pan tool.
    page.keyboard.press("p")
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)


def test_the_figure_under_the_pointer_takes_the_keys(open_page: Any) -> None:
    first_figure, _, _ = line_figure("First", figsize=(4, 3))
    second_figure, _, _ = line_figure("Second", figsize=(4, 3))
    page = open_page("/")
    first = FigureOnPage(page, first_figure.number)
    second = FigureOnPage(page, second_figure.number)
    first.wait_ready()
    second.wait_ready()
    # The all-figures page gives no figure the keyboard by itself.
    assert page.evaluate(FOCUSED) == "body"

    enter(page, second)
    assert page.evaluate(FOCUSED) == f"figure {second_figure.number}"
    page.keyboard.press("p")
    expect(second.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)

    enter(page, first)
    assert page.evaluate(FOCUSED) == f"figure {first_figure.number}"
    page.keyboard.press("o")
    expect(first.tool("zoom")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    # Each key went to the figure that had the keyboard, and to it only.
    expect(first.tool("pan")).to_have_attribute("aria-pressed", "false")
    expect(second.tool("zoom")).to_have_attribute("aria-pressed", "false")
    expect(second.tool("pan")).to_have_attribute("aria-pressed", "true")


def test_the_pointer_takes_no_keys_from_a_control_being_typed_in(open_page: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    page = view.page
    view.format.focus()

    enter(page, view)
    assert page.evaluate(FOCUSED) == "select"
    # Arrow keys choose among the formats, as they do in any select.
    chosen = view.format.input_value()
    page.keyboard.press("ArrowDown")
    expect(view.format).not_to_have_value(chosen)
    assert page.evaluate(FOCUSED) == "select"

    # A click gives the figure the keys, and they work.
    view.canvas.click()
    page.keyboard.press("o")
    expect(view.tool("zoom")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)


def test_what_counts_as_typing(open_page: Any) -> None:
    figure, _, _ = line_figure()
    page = FigureOnPage.shown(open_page, figure).page
    assert page.evaluate(TAKES_TYPING) == {
        "body": False,
        "none": False,
        "text": True,
        "number": True,
        "search": True,
        "checkbox": False,
        "button": False,
        "textarea": True,
        "select": True,
        "editable": True,
        "textbox": True,
        "plain": False,
    }
