"""Copy in Chromium: the toolbar's button and ctrl+c put the figure's picture on the clipboard
as PNG, pixel for pixel Agg's at the screen's resolution; selected text is copied as text; a
page the browser refuses the clipboard downloads the PNG instead, and says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from webfig.server import FigureServer

from .conftest import VIEWPORT, PageProblems
from .helpers import (
    FigureOnPage,
    agg_pixels,
    decode_data_url,
    decode_png,
    line_figure,
    wait_until,
)

pytestmark = pytest.mark.browser


# The clipboard's PNG, as a data URL (the clipboard is read in the page, which has the right).
READ_CLIPBOARD_PNG = """async () => {
    const [item] = await navigator.clipboard.read()
    const blob = await item.getType("image/png")
    return await new Promise((resolve) => {
        const reader = new FileReader()
        reader.onload = () => resolve(reader.result)
        reader.readAsDataURL(blob)
    })
}"""


@pytest.fixture
def clipboard_page(
    browser: Any, server: FigureServer
) -> Iterator[Callable[..., tuple[Page, FigureOnPage]]]:
    """Opens a figure's page in a context of its own that may read and write the clipboard,
    or (``clipboard=False``) may not write it; errors on the page fail the test."""
    contexts: list[Any] = []
    problems = PageProblems()

    def open_(
        figure: Any, *, clipboard: bool = True, device_scale_factor: float = 1
    ) -> tuple[Page, FigureOnPage]:
        context = browser.new_context(
            viewport=VIEWPORT, device_scale_factor=device_scale_factor, accept_downloads=True
        )
        contexts.append(context)
        origin = server.url.rstrip("/")
        if clipboard:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.new_page()
        if not clipboard:
            # Chromium lets a focused page write the clipboard unless told otherwise.
            session = context.new_cdp_session(page)
            target = session.send("Target.getTargetInfo")["targetInfo"]
            session.send(
                "Browser.setPermission",
                {
                    "permission": {"name": "clipboard-write"},
                    "setting": "denied",
                    "origin": origin,
                    "browserContextId": target["browserContextId"],
                },
            )
        page.set_default_timeout(10_000)
        problems.watch(page, f"page {len(contexts)}")
        page.goto(f"{origin}/{figure.number}")
        view = FigureOnPage(page, figure.number)
        view.wait_ready()
        return page, view

    yield open_
    for context in contexts:
        context.close()
    if problems.problems:
        pytest.fail("the page reported errors:\n" + "\n".join(problems.problems), pytrace=False)


def test_the_copy_button_puts_the_pictured_figure_on_the_clipboard(
    clipboard_page: Any,
) -> None:
    figure, _, _ = line_figure()
    page, view = clipboard_page(figure)
    view.tool("copy").click()
    expect(view.status).to_have_text("Copied the figure to the clipboard")
    copied = decode_data_url(page.evaluate(READ_CLIPBOARD_PNG))
    np.testing.assert_array_equal(copied, agg_pixels(figure))


def test_ctrl_c_copies_at_the_screens_resolution_and_still_reaches_matplotlib(
    clipboard_page: Any,
) -> None:
    figure, _, _ = line_figure("Copied lines")
    keys: list[str] = []
    figure.canvas.mpl_connect("key_press_event", lambda event: keys.append(event.key))
    page, view = clipboard_page(figure, device_scale_factor=2)
    # The figure alone on its page has the keyboard.
    expect(view.frame).to_be_focused()
    page.keyboard.press("Control+c")
    expect(view.status).to_have_text("Copied the figure to the clipboard")
    copied = decode_data_url(page.evaluate(READ_CLIPBOARD_PNG))
    assert copied.shape == (960, 1280, 4)
    np.testing.assert_array_equal(copied, agg_pixels(figure))
    wait_until(lambda: "ctrl+c" in keys, message="ctrl+c to reach key_press_event")


def test_ctrl_c_with_text_selected_copies_the_text(clipboard_page: Any) -> None:
    figure, _, _ = line_figure("Selected label")
    page, view = clipboard_page(figure)
    view.title.evaluate("title => getSelection().selectAllChildren(title)")
    view.frame.focus()
    page.keyboard.press("Control+c")
    assert page.evaluate("navigator.clipboard.readText()") == "Selected label"
    expect(view.status).not_to_have_text("Copied the figure to the clipboard")


def test_a_page_refused_the_clipboard_downloads_the_png_and_says_so(
    clipboard_page: Any,
) -> None:
    figure, _, _ = line_figure("Refused copy")
    page, view = clipboard_page(figure, clipboard=False)
    with page.expect_download() as download_info:
        view.tool("copy").click()
    download = download_info.value
    assert download.suggested_filename == "Refused_copy.png"
    path = download.path()
    assert path is not None
    np.testing.assert_array_equal(decode_png(path.read_bytes()), agg_pixels(figure))
    expect(view.status).to_have_text(
        "The browser did not allow the clipboard: downloaded Refused_copy.png instead"
    )


@pytest.mark.usefixtures("toolmanager")
def test_matplotlibs_copy_tool_put_on_a_toolmanager_toolbar_copies_in_the_page(
    clipboard_page: Any,
) -> None:
    figure, _, _ = line_figure()
    page, view = clipboard_page(figure)
    figure.canvas.manager.toolbar.add_tool("copy", "io")
    view.root.locator('button[data-tool-name="copy"]').click()
    expect(view.status).to_have_text("Copied the figure to the clipboard")
    copied = decode_data_url(page.evaluate(READ_CLIPBOARD_PNG))
    np.testing.assert_array_equal(copied, agg_pixels(figure))
