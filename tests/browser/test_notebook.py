"""webfig in a real JupyterLab: ``%matplotlib webfig`` shows a cell's figure live in its
output, over the kernel's own connection (every websocket the page opens is the Jupyter
server's, frames arrive as binary comm buffers, downloads come over the comm); a pan changes
the kernel's axes and every view of the figure; running the cell again, or clearing its
output, leaves no figure behind (closing the notebook keeps it, live when opened again); a
closed figure leaves its picture; the saved notebook holds a PNG of the picture the view
shows; the kernel serves no port of webfig's unless a view's "Open" asks for a tab, which
stays in sync; keys go to the figure, not JupyterLab; a kernel shut down leaves no process
or port."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

from benchmarks.jupyter_lab import JupyterLab, Notebook
from tests.waiting import wait_until

from .conftest import VIEWPORT
from .helpers import BLUE, canvas_pixels, colour_count, decode_png

pytestmark = pytest.mark.browser

MAKE_FIGURE = (
    "%matplotlib webfig\n"
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(5, 3.5))\n"
    "ax.plot([0, 1, 2, 3], [1, 3, 2, 4], color='blue', linewidth=3)"
)
FIGURE = ".jp-OutputArea .webfig-figure"
PAINTED = f"{FIGURE}[data-painted]"
CANVAS = f"{FIGURE} canvas.webfig-canvas"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def lab() -> Iterator[JupyterLab]:
    server = JupyterLab()
    yield server
    server.stop()


@contextlib.contextmanager
def notebooks_of(
    browser: Any, server: JupyterLab, front_end_script: str | None = None
) -> Iterator[Callable[..., Notebook]]:
    """Opens a new notebook of ``cells`` on ``server`` in a page of its own; at the end its
    kernel is shut down and the page closed. webfig's errors in the page fail the test, and
    any other uncaught error but one thrown in ``front_end_script`` (a part of the address
    of the front end's own script, whose errors are its own)."""

    def page_error(error: Any) -> None:
        first_frame = next((line for line in error.stack.splitlines() if "at " in line), "")
        if front_end_script is None or front_end_script not in first_frame:
            problems.append(f"pageerror: {error}")

    contexts: list[Any] = []
    notebooks: list[Notebook] = []
    problems: list[str] = []

    def open_(cells: list[str], watch_page: Callable[[Any], None] | None = None) -> Notebook:
        """``watch_page(page)`` is called before the page loads."""
        name = f"test-{len(contexts)}.ipynb"
        server.write_notebook(name, cells)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        if watch_page is not None:
            watch_page(page)
        page.on("pageerror", page_error)
        page.on(
            "console",
            lambda message: (
                problems.append(f"console: {message.text}")
                if message.type in ("error", "warning") and "webfig" in message.text
                else None
            ),
        )
        notebook = server.open(page, name)
        notebooks.append(notebook)
        return notebook

    yield open_
    for notebook in notebooks:
        notebook.shut_down_kernel()
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def open_notebook(browser: Any, lab: JupyterLab) -> Iterator[Callable[..., Notebook]]:
    """A new notebook of ``cells`` in JupyterLab (:func:`notebooks_of`)."""
    with notebooks_of(browser, lab) as open_:
        yield open_


def figure_shown(notebook: Notebook, view: int = 0) -> Any:
    """The canvas of the page's view number ``view``, once it shows the figure."""
    notebook.page.locator(PAINTED).nth(view).wait_for()
    canvas = notebook.page.locator(CANVAS).nth(view)
    wait_until(lambda: colour_count(canvas_pixels(canvas), BLUE, tolerance=40) > 100)
    return canvas


def pan_right(notebook: Notebook, canvas: Any, distance: float = 120, view: int = 0) -> None:
    """Select pan on view number ``view``'s toolbar and drag ``canvas`` (its) right."""
    figure = notebook.page.locator(FIGURE).nth(view)
    figure.locator('button[data-tool="pan"]').click()
    figure.locator('button[data-tool="pan"][aria-pressed="true"]').wait_for()
    page = notebook.page
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x + distance * step / 12, y)
    page.mouse.up()


def kernel_xlim(notebook: Notebook) -> tuple[float, float]:
    low, high = notebook.kernel_says("print(*map(float, ax.get_xlim()))").split()
    return float(low), float(high)


def test_a_cell_shows_its_figure_live_and_downloads_it_over_the_kernels_own_connection(
    open_notebook: Callable[..., Notebook], lab: JupyterLab
) -> None:
    sockets: list[str] = []
    binary_frames: list[int] = []

    def watch(socket: Any) -> None:
        sockets.append(socket.url)
        socket.on(
            "framereceived",
            lambda payload: (
                binary_frames.append(len(payload)) if isinstance(payload, bytes) else None
            ),
        )

    # Watched from before the page loads: every socket it opens.
    notebook = open_notebook([MAKE_FIGURE], watch_page=lambda page: page.on("websocket", watch))
    page = notebook.page
    notebook.run_cell(0)
    canvas = figure_shown(notebook)

    # The kernel draws on: what a later cell does shows in the earlier cell's output.
    before = canvas_pixels(canvas)
    notebook.kernel_says("ax.set_facecolor('black'); fig.canvas.draw_idle()")
    wait_until(lambda: colour_count(canvas_pixels(canvas), (0, 0, 0)) > 10_000)
    assert not np.array_equal(before, canvas_pixels(canvas))

    # A download comes over the comm too.
    page.locator(f"{FIGURE} select.webfig-format").select_option("svg")
    with page.expect_download() as downloading:
        page.locator(f'{FIGURE} button[data-tool="download"]').click()
    download = downloading.value
    assert download.suggested_filename == "Figure_1.svg"
    content = Path(download.path()).read_text()
    assert content.startswith("<?xml")
    assert "<svg" in content

    assert sockets
    assert all(url.startswith(f"ws://127.0.0.1:{lab.port}/api/") for url in sockets), sockets
    # Frames are the comm's binary buffers: the kernel's socket carried binary messages at
    # least as large as a frame of the figure (a base64 frame would be text).
    assert max(binary_frames, default=0) > 5_000
    assert page.locator(FIGURE).count() == 1


def figure_widgets(notebook: Notebook) -> int:
    """How many widgets of webfig's figures the kernel has."""
    return int(
        notebook.kernel_says(
            "import ipywidgets\n"
            "from webfig.notebook.figure_widget import FigureWidget\n"
            "print(sum(isinstance(w, FigureWidget) for w in ipywidgets.Widget.widgets.values()))"
        )
    )


def kernel_figures(notebook: Notebook) -> list[int]:
    """pyplot's open figures in the kernel, once the browser's messages so far are handled
    (by the event loop, then by each figure's thread)."""
    numbers = notebook.kernel_says(
        "for number in plt.get_fignums():\n"
        "    plt.figure(number).canvas.flush_events()\n"
        "print(*plt.get_fignums())"
    )
    return [int(number) for number in numbers.split()]


def test_running_the_cell_again_leaves_one_figure_and_closing_it_leaves_its_picture(
    open_notebook: Callable[..., Notebook],
) -> None:
    warn_early = "import matplotlib\nmatplotlib.rcParams['figure.max_open_warning'] = 2"
    notebook = open_notebook([warn_early, MAKE_FIGURE, "plt.close(fig)"])
    page = notebook.page
    notebook.run_cell(0)
    for _ in range(4):
        notebook.run_cell(1)
        canvas = figure_shown(notebook)
    assert notebook.kernel_says("print(len(plt.get_fignums()))").strip() == "1"
    assert page.locator(FIGURE).count() == 1
    outputs = page.locator(".jp-OutputArea").all_inner_texts()
    assert not any("More than 2 figures" in text for text in outputs), outputs
    # No figure's widget is left behind in the kernel either.
    assert figure_widgets(notebook) == 1

    # plt.close: the output keeps the figure's picture, and its widget goes.
    shown = canvas_pixels(canvas)
    notebook.run_cell(2)
    page.wait_for_selector(FIGURE, state="detached")
    image = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea img")
    png = base64.b64decode(image.get_attribute("src").partition(",")[2])
    assert np.array_equal(decode_png(png), shown)
    assert figure_widgets(notebook) == 0
    # And the kernel never listened on a port of webfig's.
    assert (
        notebook.kernel_says(
            "import webfig.backend as b; print(b._default is None or not b._default.running)"
        ).strip()
        == "True"
    )


def saved_picture(saved: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
    """The output of the saved notebook's first cell that shows the figure, and its PNG."""
    outputs = [o for o in saved["cells"][0]["outputs"] if "image/png" in o.get("data", {})]
    assert len(outputs) == 1, saved["cells"][0]["outputs"]
    return outputs[0], decode_png(base64.b64decode(outputs[0]["data"]["image/png"]))


def test_the_saved_notebook_holds_a_png_of_the_picture_the_view_shows(
    open_notebook: Callable[..., Notebook], lab: JupyterLab, tmp_path: Path
) -> None:
    notebook = open_notebook([MAKE_FIGURE])
    notebook.run_cell(0)
    canvas = figure_shown(notebook)
    output, first = saved_picture(notebook.save())
    assert WIDGET_VIEW in output["data"]  # live in JupyterLab; the PNG where there is no kernel
    assert np.array_equal(first, canvas_pixels(canvas))

    pan_right(notebook, canvas)
    wait_until(lambda: not np.array_equal(first, canvas_pixels(canvas)), page=notebook.page)
    # A second after the figure was left alone its outputs' picture is the panned one.
    wait_until(
        lambda: np.array_equal(saved_picture(notebook.save())[1], canvas_pixels(canvas)),
        page=notebook.page,
        message="the saved picture to be the panned one",
    )
    assert not np.array_equal(canvas_pixels(canvas), first)

    # nbconvert, as GitHub, shows the picture.
    html = tmp_path / "notebook.html"
    convert = [sys.executable, "-m", "nbconvert", "--to", "html", str(notebook.path)]
    subprocess.run(
        [*convert, "--output", str(html)],
        check=True,
        capture_output=True,
    )
    assert "data:image/png;base64," in html.read_text()


def test_clearing_a_cells_output_closes_its_figure_and_closing_the_notebook_does_not(
    open_notebook: Callable[..., Notebook],
) -> None:
    notebook = open_notebook([MAKE_FIGURE, "display(fig)"])
    notebook.run_cell(0)
    notebook.run_cell(1)
    figure_shown(notebook, 1)

    # A notebook closed is no clearing: open again, it shows the figure live in both cells.
    notebook.close_and_open_again()
    page = notebook.page
    canvas = figure_shown(notebook, 0)
    figure_shown(notebook, 1)
    assert kernel_figures(notebook) == [1]
    notebook.kernel_says("ax.set_facecolor('black'); fig.canvas.draw_idle()")
    wait_until(lambda: colour_count(canvas_pixels(canvas), (0, 0, 0)) > 10_000, page=page)

    # The output of the cell that showed it again is cleared: the figure stays in the first.
    notebook.clear_output(1)
    wait_until(lambda: page.locator(FIGURE).count() == 1, page=page)
    assert kernel_figures(notebook) == [1]
    # The first cell's output is cleared: no view of the figure is left, and it closes.
    notebook.clear_output(0)
    wait_until(lambda: kernel_figures(notebook) == [], page=page, message="the figure closed")
    assert page.locator(FIGURE).count() == 0
    assert figure_widgets(notebook) == 0


def test_a_pan_drag_changes_the_kernels_axes_and_every_view_of_the_figure(
    open_notebook: Callable[..., Notebook],
) -> None:
    notebook = open_notebook([MAKE_FIGURE, "fig"])  # a figure as a cell's value shows too
    notebook.run_cell(0)
    notebook.run_cell(1)
    first, second = figure_shown(notebook, 0), figure_shown(notebook, 1)
    page = notebook.page
    assert page.locator(FIGURE).count() == 2
    low, high = kernel_xlim(notebook)
    before = canvas_pixels(second)
    pan_right(notebook, first)
    # Dragged right: the axes show what lay to the left, by about a quarter of their width.
    wait_until(lambda: kernel_xlim(notebook)[0] < low - 0.2 * (high - low), page=page)
    new_low, new_high = kernel_xlim(notebook)
    assert new_high - new_low == pytest.approx(high - low)
    # The toolbar's mode is the figure's: both views say pan is on.
    page.locator(FIGURE).nth(1).locator('button[data-tool="pan"][aria-pressed="true"]').wait_for()
    wait_until(
        lambda: (
            not np.array_equal(canvas_pixels(second), before)
            and np.array_equal(canvas_pixels(second), canvas_pixels(first))
        ),
        page=page,
        message="the second view to show the first view's pan",
    )


def test_keys_on_the_figure_reach_it_and_not_jupyterlabs_shortcuts(
    open_notebook: Callable[..., Notebook],
) -> None:
    notebook = open_notebook(
        [f"{MAKE_FIGURE}\nkeys = []\nfig.canvas.mpl_connect('key_press_event', keys.append)"]
    )
    notebook.run_cell(0)
    canvas = figure_shown(notebook)
    page = notebook.page
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    canvas.click()
    # The figure has the keyboard (the click's focus lands as the page handles it).
    page.wait_for_function("document.activeElement?.closest('.webfig-figure') != null")
    # In JupyterLab's command mode "a" and "b" add a cell and "m" makes it Markdown; "g" is
    # matplotlib's grid.
    for key in "abmg":
        page.keyboard.press(key)

    def keys_received() -> list[str]:
        return notebook.kernel_says("print(*(event.key for event in keys))").split()

    wait_until(
        lambda: keys_received() == ["a", "b", "m", "g"],
        page=page,
        message=lambda: f"the figure to get every key (it got {keys_received()})",
    )
    gridded = "print(all(line.get_visible() for line in ax.xaxis.get_gridlines()))"
    assert notebook.kernel_says(gridded).strip() == "True"
    assert page.locator(".jp-Notebook .jp-Cell").count() == cells
    assert page.locator(".jp-Notebook .jp-Cell.jp-MarkdownCell").count() == 0


def open_tab(notebook: Notebook) -> Any:
    """The figure's page in webfig's own server, opened with the view's "Open" link."""
    with notebook.page.context.expect_page() as opening:
        notebook.page.locator(f"{FIGURE} a.webfig-open-link").click()
    tab = opening.value
    tab.locator(".webfig-figure[data-painted]").wait_for()
    return tab


def test_open_shows_the_figure_in_a_tab_of_webfigs_own_server_in_sync(
    open_notebook: Callable[..., Notebook], lab: JupyterLab
) -> None:
    notebook = open_notebook([MAKE_FIGURE])
    notebook.run_cell(0)
    canvas = figure_shown(notebook)
    tab = open_tab(notebook)
    assert urlsplit(tab.url).port != lab.port
    in_tab = tab.locator("canvas.webfig-canvas")
    wait_until(lambda: np.array_equal(canvas_pixels(in_tab), canvas_pixels(canvas)), page=tab)
    before = canvas_pixels(in_tab)
    pan_right(notebook, canvas)
    wait_until(
        lambda: (
            not np.array_equal(canvas_pixels(in_tab), before)
            and np.array_equal(canvas_pixels(in_tab), canvas_pixels(canvas))
        ),
        page=notebook.page,
        message="the tab to show the notebook view's pan",
    )


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_shutting_down_the_kernel_leaves_no_process_nor_port_and_the_picture(
    open_notebook: Callable[..., Notebook],
) -> None:
    """Also: what the kernel sends as it exits arrives whole (the fixture fails on the
    page's errors; JupyterLab reports a message cut short as one)."""
    notebook = open_notebook([MAKE_FIGURE])
    notebook.run_cell(0)
    canvas = figure_shown(notebook)
    port = urlsplit(open_tab(notebook).url).port
    assert port is not None
    pid = int(notebook.kernel_says("import os; print(os.getpid())"))
    shown = canvas_pixels(canvas)
    notebook.shut_down_kernel()
    wait_until(lambda: process_gone(pid), message="the kernel's process to end")
    wait_until(lambda: refuses_connections(port), message="webfig's port to close")
    # The output still shows the figure.
    assert np.array_equal(canvas_pixels(canvas), shown)


def test_in_notebook_7_a_cell_shows_its_figure_live_and_a_pan_reaches_the_kernel(
    browser: Any,
) -> None:
    server = JupyterLab(front_end="notebook")
    try:
        # Notebook 7.6 throws in its keyboard shortcuts' settings as it starts, with or without
        # webfig (a notebook of "1 + 1" does too).
        with notebooks_of(browser, server, "/static/notebook/notebook_core.") as open_notebook_7:
            notebook = open_notebook_7([MAKE_FIGURE])
            notebook.run_cell(0)
            canvas = figure_shown(notebook)
            low, high = kernel_xlim(notebook)
            pan_right(notebook, canvas)
            wait_until(
                lambda: kernel_xlim(notebook)[0] < low - 0.2 * (high - low), page=notebook.page
            )
    finally:
        server.stop()
