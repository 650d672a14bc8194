"""Accessibility in Chromium: axe-core finds nothing serious on webfig's pages; the toolbars
work from the keyboard, with a focus ring; the canvas frame's description follows the figure;
coordinates fill the status line without being announced, a copy is announced.

axe-core comes from the npm registry: scripts/test.sh installs it in .test-tools/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, WebSocket, expect

from webfig.server import FigureServer

from .helpers import BLUE, FigureOnPage, colour_count, line_figure, on_server, wait_until

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[2] / ".test-tools" / "node_modules" / "axe-core" / "axe.min.js"

# axe's violations of serious or critical impact: each rule with the elements it found.
SERIOUS_VIOLATIONS = """async () => {
    const { violations } = await axe.run(document, { resultTypes: ["violations"] })
    return violations
        .filter(({ impact }) => impact === "serious" || impact === "critical")
        .map(({ id, help, nodes }) => `${id} (${help}): ${nodes.map((n) => n.html).join(" | ")}`)
}"""


def serious_violations(page: Page) -> list[str]:
    assert AXE.exists(), f"no axe-core at {AXE}: scripts/test.sh installs it"
    page.add_script_tag(path=AXE)
    violations: list[str] = page.evaluate(SERIOUS_VIOLATIONS)
    return violations


def test_axe_finds_nothing_serious_on_the_pages(
    open_page: Any, browser: Any, server: FigureServer
) -> None:
    figure, ax, _ = line_figure("Lines")
    ax.set(title="A line", xlabel="x", ylabel="y")
    single = FigureOnPage.shown(open_page, figure)
    assert serious_violations(single.page) == []

    gallery = open_page("/")
    FigureOnPage(gallery, figure.number).wait_ready()
    assert serious_violations(gallery) == []

    # A context of its own: Chromium logs the page's 404 as a console error.
    context = browser.new_context()
    try:
        missing = context.new_page()
        missing.goto(server.url.rstrip("/") + "/nowhere")
        expect(missing.locator(".webfig-error-code")).to_have_text("404")
        assert serious_violations(missing) == []
    finally:
        context.close()


def focus_by_tab(page: Page, target: Locator, most: int = 20) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves to it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{most} presses of Tab never reached {target}")


def has_focus_ring(button: Locator) -> bool:
    ring: bool = button.evaluate(
        "b => b.matches(':focus-visible') && getComputedStyle(b).boxShadow !== 'none'"
    )
    return ring


def test_toolbar_buttons_work_from_the_keyboard_with_a_focus_ring(open_page: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    toolbar = figure.canvas.toolbar
    expect(view.frame).to_be_focused()

    focus_by_tab(view.page, view.tool("pan"))
    assert has_focus_ring(view.tool("pan"))
    view.page.keyboard.press("Enter")
    expect(view.tool("pan")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: on_server(lambda: str(toolbar.mode)) == "pan/zoom", message="pan mode")

    view.page.keyboard.press("Tab")
    expect(view.tool("zoom")).to_be_focused()
    assert has_focus_ring(view.tool("zoom"))
    view.page.keyboard.press(" ")
    expect(view.tool("zoom")).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: on_server(lambda: str(toolbar.mode)) == "zoom rect", message="zoom mode")


@pytest.mark.usefixtures("toolmanager")
def test_a_toolmanager_toolbar_works_from_the_keyboard(open_page: Any) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    tools = figure.canvas.manager.toolmanager
    pan = view.root.locator('button[data-tool-name="pan"]')
    expect(pan).to_be_enabled()

    focus_by_tab(view.page, pan)
    assert has_focus_ring(pan)
    view.page.keyboard.press("Enter")
    expect(pan).to_have_attribute("aria-pressed", "true")
    wait_until(lambda: tools.active_toggle["default"] == "pan", message="the pan tool on")


def test_the_frames_description_follows_the_figure_and_comes_when_it_changed(
    open_page: Any,
) -> None:
    figure, ax, line = line_figure("Described")
    ax.set_title("Before")
    descriptions: list[str] = []

    def record(socket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            if isinstance(payload, str) and '"type": "description"' in payload:
                descriptions.append(payload)

        socket.on("framereceived", received)

    # Every description message of a page from its start: the page loaded once and ready
    # (its socket open), so that only the reloaded page's socket is heard.
    view = FigureOnPage.shown(open_page, figure)
    page = view.page
    page.on("websocket", record)
    page.reload()
    view.wait_ready()
    expect(view.frame).to_have_accessible_description(
        'Plot, "Before": x axis from -0.5 to 2.5; y axis from -0.5 to 1.5. It holds 1 line.'
    )
    assert len(descriptions) == 1

    def restyle() -> None:
        line.set_color("blue")  # drawn, but nothing the description says
        figure.canvas.draw_idle()

    on_server(restyle)
    view.wait_pixels(lambda pixels: colour_count(pixels, BLUE) > 100, "the blue line")

    def retitle() -> None:
        ax.set_title("After")
        ax.set_xlabel("time (s)")
        figure.canvas.draw_idle()

    on_server(retitle)
    expect(view.frame).to_have_accessible_description(
        'Plot, "After": x axis "time (s)" from -0.5 to 2.5; y axis from -0.5 to 1.5.'
        " It holds 1 line."
    )
    assert len(descriptions) == 2


def test_coordinates_fill_the_status_line_unannounced_and_a_copy_is_announced(
    open_page: Any,
) -> None:
    figure, _, _ = line_figure()
    view = FigureOnPage.shown(open_page, figure)
    announcer = view.root.locator(".webfig-announcer")
    expect(view.status).to_have_attribute("aria-live", "off")
    expect(announcer).to_have_attribute("role", "status")
    box = view.canvas.bounding_box()
    assert box is not None
    for step in range(5):
        view.page.mouse.move(box["x"] + 100 + 20 * step, box["y"] + 150)
    expect(view.status).to_contain_text("(x, y) =")
    expect(announcer).to_have_text("")

    # Chromium lets a focused page write the clipboard.
    view.tool("copy").click()
    expect(announcer).to_have_text("Copied the figure to the clipboard")
    expect(view.status).to_have_text("Copied the figure to the clipboard")
