"""Makes docs/screenshot.png: the demo's figures on the all-figures page, in headless Chromium.

    PYTHONPATH=. python docs/screenshot.py [--width 1280] [--output docs/screenshot.png]

Run from the repository's root. It runs ``python -m webfig demo`` on a free port, opens ``/``
at the given width, adds a few points to the "Click to add points" figure, rests the pointer
on the "Lines" figure (its status line shows the coordinates), saves the whole page, and
stops the demo with Ctrl+C (SIGINT), as a user would. The animation's frame differs from run
to run; the rest does not.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import Locator, Page, sync_playwright

from benchmarks.common import CHROMIUM, CHROMIUM_FLAGS, REPOSITORY, free_port

DEMO_FIGURES = 4
# Where the points go, as fractions of the "Click to add points" canvas from its top-left
# (inside its axes).
POINTS = [(0.25, 0.7), (0.4, 0.45), (0.55, 0.55), (0.7, 0.3), (0.82, 0.4)]
START_TIMEOUT = 20.0  # seconds for the demo to serve
TIMEOUT_MS = 10_000


def wait_for_server(url: str, demo: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            if demo.poll() is not None:
                raise SystemExit(f"the demo ended with code {demo.returncode}") from None
            if time.monotonic() > deadline:
                raise SystemExit(f"the demo did not serve {url} in {START_TIMEOUT} s") from None
            time.sleep(0.1)


def card(page: Page, title: str) -> Locator:
    """The card of the figure titled ``title``."""
    return page.locator(".webfig-card", has=page.get_by_role("heading", name=title, exact=True))


def add_points(page: Page) -> None:
    canvas = card(page, "Click to add points").locator("canvas")
    box = canvas.bounding_box()
    assert box is not None
    for fx, fy in POINTS:
        before = canvas.evaluate("canvas => canvas.toDataURL()")
        canvas.click(position={"x": fx * box["width"], "y": fy * box["height"]})
        # The point is drawn by the script: wait for its frame.
        page.wait_for_function(
            "([canvas, before]) => canvas.toDataURL() !== before",
            arg=[canvas.element_handle(), before],
        )
    # Off the axes (matplotlib clears the coordinates then), and no focus ring.
    canvas.hover(position={"x": 2, "y": 2})
    page.wait_for_function(
        "(status) => status.textContent.trim() === ''",
        arg=card(page, "Click to add points").locator(".webfig-status").element_handle(),
    )
    canvas.evaluate("() => document.activeElement.blur()")


def point_at_lines(page: Page) -> None:
    lines = card(page, "Lines")
    canvas = lines.locator("canvas")
    box = canvas.bounding_box()
    assert box is not None
    canvas.hover(position={"x": 0.55 * box["width"], "y": 0.6 * box["height"]})
    page.wait_for_function(
        "(status) => status.textContent.trim() !== ''",
        arg=lines.locator(".webfig-status").element_handle(),
    )


def screenshot(url: str, width: int) -> bytes:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.wait_for_function(
            "(count) => document.querySelectorAll("
            "'.webfig-figure[data-state=open][data-painted]').length === count",
            arg=DEMO_FIGURES,
        )
        add_points(page)
        point_at_lines(page)
        shot = page.screenshot(full_page=True)
        browser.close()
        return shot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1280, help="the page's width in CSS px")
    parser.add_argument("--output", type=Path, default=REPOSITORY / "docs" / "screenshot.png")
    arguments = parser.parse_args()

    port = free_port()
    env = {**os.environ, "WEBFIG_PORT": str(port), "WEBFIG_OPEN_BROWSER": "0"}
    demo = subprocess.Popen([sys.executable, "-m", "webfig", "demo"], cwd=REPOSITORY, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_server(url, demo)
        shot = screenshot(url, arguments.width)
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=10)
    with Image.open(io.BytesIO(shot)) as image:
        image.save(arguments.output, optimize=True)
        print(f"{arguments.output}: {image.width} × {image.height} px")


if __name__ == "__main__":
    main()
