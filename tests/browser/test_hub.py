"""A figure published to a hub, in Chromium: live through the hub as it is straight to its
script. The hub and the script are processes of their own (tests/processes.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from ..processes import Hub, Script
from .helpers import TIMEOUT_MS, FigureOnPage, Pixels, Point, drag, is_painted
from .test_accessibility import serious_violations

pytestmark = pytest.mark.browser

# A figure whose axes fill the middle, a key handler that says which key came, and "i" (no
# key of matplotlib's) to print the axes' x limits (what a pan changed, in the script).
LIVE_SCRIPT = """
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
figure, ax = plt.subplots(num="through the hub", figsize=(6.4, 4.8), dpi=100)
ax.plot([0, 10], [0, 10], color="red", linewidth=4)
ax.set_xlim(0, 10)
def pressed(event):
    if event.key == "i":
        print("xlim %.3f %.3f" % ax.get_xlim(), flush=True)
    else:
        print("key", event.key, flush=True)
figure.canvas.mpl_connect("key_press_event", pressed)
print("made", flush=True)
plt.show()
"""
XLIM = re.compile(r"^xlim (\S+) (\S+)$")


def pan_left(view: FigureOnPage) -> Pixels:
    """Select pan and drag the middle of the canvas 120 CSS px left; the pixels before."""
    view.tool("pan").click()
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT_MS)
    before = view.pixels()
    box = view.canvas.bounding_box()
    assert box is not None
    middle = Point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(view.page, middle, Point(middle.x - 120, middle.y))
    return before


def test_keys_and_a_pan_on_the_hubs_page_reach_the_script(
    hub: Hub, scripts: Callable[[Script], Script], open_page: Any
) -> None:
    script = scripts(hub.publishing("-c", LIVE_SCRIPT))
    script.wait_for_line(re.compile("^made$"))
    page = open_page(f"{hub.address}/1")
    view = FigureOnPage(page, 1)
    view.wait_ready()
    expect(view.title).to_have_text("through the hub", timeout=TIMEOUT_MS)
    assert is_painted(view.pixels())

    page.keyboard.press("a")
    script.wait_for_line(re.compile("^key a$"))

    before = pan_left(view)
    page.keyboard.press("i")
    left, right = (float(value) for value in script.wait_for_line(XLIM).groups())
    # Dragged left, the view moved right, by as much in data as the drag in pixels.
    assert left > 1
    assert right - left == pytest.approx(10, abs=1e-6)
    view.wait_pixels(lambda pixels: not np.array_equal(pixels, before), "the panned picture")


def test_the_hubs_list_and_a_kept_figure_in_the_browser(
    hub: Hub, scripts: Callable[[Script], Script], open_page: Any
) -> None:
    """After its script ended: the list links the figure, whose page shows its last picture
    and says it is kept, not live, then pans as a worker of the hub's serves a copy of it;
    axe-core finds nothing serious on either page."""
    script = scripts(hub.publishing("-c", LIVE_SCRIPT.replace("plt.show()", "")))
    assert script.process.wait(30) == 0
    page = open_page(f"{hub.address}/")
    link = page.get_by_role("link", name="through the hub")
    expect(link).to_be_visible(timeout=TIMEOUT_MS)
    assert serious_violations(page) == []
    link.click()
    view = FigureOnPage(page, 1)
    view.wait_ready()
    expect(view.status).to_contain_text("Kept, not live", timeout=TIMEOUT_MS)
    pixels = view.pixels()
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    assert red.sum() > 500  # the script's red line, in the kept picture
    assert serious_violations(page) == []

    # A worker of the hub's serves it live from its pickle: pan moves the picture.
    expect(view.status).to_contain_text("Pan, zoom and save a copy", timeout=TIMEOUT_MS)
    before = pan_left(view)
    view.wait_pixels(lambda now: not np.array_equal(now, before), "the kept figure panned")


def test_the_hubs_list_follows_what_is_published_without_a_reload(
    hub: Hub, scripts: Callable[[Script], Script], open_page: Any
) -> None:
    page = open_page(f"{hub.address}/")
    expect(page.get_by_text("No figures yet")).to_be_visible(timeout=TIMEOUT_MS)
    script = scripts(hub.publishing("-c", LIVE_SCRIPT.replace("plt.show()", "")))
    assert script.process.wait(30) == 0
    expect(page.get_by_role("link", name="through the hub")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("No figures yet")).to_have_count(0)
