"""Notebook: how soon a figure shown inline in JupyterLab follows a pan drag, ipympl
(``%matplotlib widget``) against webfig (``%matplotlib webfig``), in one run on one machine.

    PYTHONPATH=. python benchmarks/notebook.py [--seconds S]

Run from the repository's root. One real JupyterLab (benchmarks/jupyter_lab.py: a server of
its own on a free port, in a temporary folder, with settings of its own) serves every
notebook. Two figures, built as benchmarks/scene.py builds them (its code reads the command
line when imported, so a cell cannot import it; the cells say the same): light, two
2000-point lines and a grid, and heavy, a 100 000-point scatter, both 640 × 480 CSS pixels
(figsize 6.4 × 4.8 at dpi 100). For each figure, each backend gets a new notebook of one
cell, ``%matplotlib widget`` or ``%matplotlib webfig`` and the figure, and a kernel of its
own, one after the other, never at once: headless Chromium (device pixel ratio 2, a
1000 × 800 viewport, JupyterLab's left sidebar collapsed) opens the notebook, runs the cell,
waits for the figure to be shown and the kernel's websocket to be quiet for a second, and
selects pan with the figure's toolbar button as a user does (webfig's
``button[data-tool="pan"]``, until ``aria-pressed="true"``; ipympl's toolbar shows on hover,
its pan button is the one titled "Left button pans...", until it has ``mod-active``). Then
it presses in the middle of the figure's canvas and moves the mouse for S seconds, each
``page.mouse.move`` awaited (as fast as the browser takes them), in the sweep of ±150 × ±20
CSS pixels benchmarks/preview.py uses, and releases.

What is on screen is measured as benchmarks/preview.py measures it (its ``Screencast`` and
``Gesture``, the same probe): Chromium's screencast of the page is recorded from just before
the press until the page settled after the release (one second, then no kernel message for
a second), and each frame's view of the canvas (an inset of 4 CSS pixels) is compared with
the frame before's; a frame that differs is a visual update, at its swap time. A script
injected before the page's own (preview's) records each pointermove and the press and the
release, in ms of the same clock. The latency of a pointermove of the drag is the time from
it to the first visual update after it; p50 and p95 are over the drag's pointermoves. "first
change" is that time for the drag's first pointermove (the figure's first response). Updates
per second are the visual updates between the press and the release, per second of the
drag; moves per second the pointermoves the page got meanwhile, per second: how many moves
the browser delivers to a page busy showing them. The harness drives the page with sync
Playwright; preview's Screencast is async, so a subclass here acknowledges each frame in its
event handler instead (Playwright runs handlers whenever the script waits on the browser,
as it does all through the drag).

Bytes: the messages the page receives on the kernel's websocket (``page.on("websocket")``,
``framereceived``) from the press to the release. JupyterLab 4 speaks Jupyter's v1 kernel
websocket protocol, in which every message is binary (offsets, the channel, header, parent
header, metadata and content, then the buffers), so "binary" says nothing: a frame is a
``comm_msg`` that carries buffers, which for both backends is a picture of the figure
(ipympl's PNG, webfig's frame). Bytes per frame are the bytes of those messages (whole, with
their headers) over their number; total bytes are every message on the socket during the
drag (status and comm messages too). Received means handed to this script by Playwright,
which happens when it next waits on the browser: a message that came just before the
release may be counted just after.

This is a benchmark, not a test: it asserts nothing. A measurement that fails says so on
stderr and in the table, and the others still run. It prints the machine, the table, then
notes; the four notebooks take two minutes or so.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from common import CHROMIUM, CHROMIUM_FLAGS, machine, sweep
from pipeline import load, progress
from playwright.sync_api import sync_playwright
from preview import (
    AFTERMATH,
    RATIO,
    RECORD_INPUT,
    SCREENCAST_START,
    VIEWPORT,
    Gesture,
    Screencast,
)

from benchmarks.jupyter_lab import TOKEN, JupyterLab, Notebook

FIGURE_START = """\
%matplotlib {magic}
import matplotlib.pyplot as plt
import numpy as np
fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
"""
# benchmarks/scene.py's figures, as its Scene builds them.
FIGURES = {
    "light": """\
x = np.linspace(0, 20, 2000)
ax.plot(x, np.sin(x), x, np.cos(x) * np.exp(-x / 20))
ax.grid(True)
ax.set_xlim(0, 10);
""",
    "heavy": """\
spread = np.random.default_rng(3).normal(size=(2, 100_000))
ax.scatter(spread[0], spread[1], s=4);
""",
}


@dataclass(frozen=True)
class Backend:
    magic: str  # what follows %matplotlib
    figure: str  # the figure in the cell's output
    canvas: str  # the area whose pixels count
    pan_button: str
    pan_active: str  # the pan button once pan is on
    hover_first: bool = False  # the toolbar shows only while the pointer is on the figure


IPYMPL_PAN = '.jupyter-matplotlib-toolbar button[title^="Left button pans"]'
WEBFIG_PAN = '.jp-OutputArea .webfig-figure button[data-tool="pan"]'
BACKENDS = {
    "ipympl": Backend(
        magic="widget",
        figure=".jp-OutputArea .jupyter-matplotlib",
        canvas=".jp-OutputArea .jupyter-matplotlib-canvas-div",
        pan_button=IPYMPL_PAN,
        pan_active=f"{IPYMPL_PAN}.mod-active",
        hover_first=True,
    ),
    "webfig": Backend(
        magic="webfig",
        figure=".jp-OutputArea .webfig-figure[data-painted]",
        canvas=".jp-OutputArea .webfig-figure canvas.webfig-canvas",
        pan_button=WEBFIG_PAN,
        pan_active=f'{WEBFIG_PAN}[aria-pressed="true"]',
    ),
}
PAGE_TIMEOUT = 60.0  # seconds for a figure to show, or a page to settle
QUIET = 1.0  # seconds without a kernel message that make a page settled
LATENCY_GOAL = 25.0  # ms, webfig's p50
RATE_GOAL = 5.0  # webfig's updates per second over ipympl's


class SyncScreencast(Screencast):
    """preview's Screencast in sync Playwright: each frame acknowledged in its handler."""

    def _received(self, params: dict[str, Any]) -> None:
        self._acknowledge(params)
        self._keep(params)

    def __enter__(self) -> SyncScreencast:
        self.session.on("Page.screencastFrame", self._received)
        self.session.send("Page.startScreencast", SCREENCAST_START)
        return self

    def __exit__(self, *_: object) -> None:
        self.session.send("Page.stopScreencast")


@dataclass(frozen=True)
class Message:
    at: float  # time.perf_counter() when Playwright handed it over
    size: int  # bytes
    frame: bool  # a comm_msg with buffers: a picture of the figure


class KernelTraffic:
    """The messages a page receives on its kernel's websocket (v1 protocol: a count of
    offsets, 8 bytes little-endian, then the offsets, then channel, header, parent header,
    metadata, content and the buffers, each part from its offset to the next)."""

    def __init__(self, page: Any) -> None:
        self.messages: list[Message] = []
        page.on("websocket", self._opened)

    def _opened(self, socket: Any) -> None:
        if "/api/kernels/" in socket.url and socket.url.split("?")[0].endswith("/channels"):
            socket.on("framereceived", self._received)

    def _received(self, payload: bytes | str) -> None:
        at = time.perf_counter()
        if isinstance(payload, str):  # the legacy protocol's JSON: no buffers
            self.messages.append(Message(at, len(payload.encode()), frame=False))
            return
        count = int.from_bytes(payload[:8], "little")
        offsets = [int.from_bytes(payload[8 * i : 8 * i + 8], "little") for i in range(1, 3 + 1)]
        header = json.loads(payload[offsets[1] : offsets[2]])
        # Channel, header, parent header, metadata, content: 6 offsets with the end's.
        frame = header.get("msg_type") == "comm_msg" and count > 6
        self.messages.append(Message(at, len(payload), frame))

    def frames(self) -> int:
        return sum(message.frame for message in self.messages)


@dataclass
class Result:
    gesture: Gesture
    frames: int  # pictures received during the drag
    frame_bytes: int  # their bytes
    total_bytes: int  # everything received on the kernel's socket during the drag
    backend_in_kernel: str
    box: dict[str, float]

    @property
    def updates_per_second(self) -> float:
        updates = bisect.bisect_right(self.gesture.updates, self.gesture.end)
        return updates / self.gesture.seconds

    @property
    def bytes_per_frame(self) -> float:
        return self.frame_bytes / self.frames if self.frames else math.nan

    @property
    def first_change(self) -> float:
        """Ms from the drag's first pointermove to the first visual update after it."""
        inputs, updates = self.gesture.inputs, self.gesture.updates
        index = bisect.bisect_left(updates, inputs[0])
        return updates[index] - inputs[0] if index < len(updates) else math.nan


def settle(page: Any, traffic: KernelTraffic) -> None:
    """Until no kernel message came for QUIET (at most PAGE_TIMEOUT); waiting on the page
    lets Playwright hand over what came meanwhile."""
    deadline = time.perf_counter() + PAGE_TIMEOUT
    count, since = len(traffic.messages), time.perf_counter()
    while time.perf_counter() - since < QUIET and time.perf_counter() < deadline:
        page.wait_for_timeout(100)
        if len(traffic.messages) != count:
            count, since = len(traffic.messages), time.perf_counter()


def sweep_mouse(page: Any, x: float, y: float, seconds: float) -> None:
    """common.sweep_mouse in sync Playwright: the mouse back and forth around (``x``,
    ``y``), ±150 × ±20 CSS pixels, for ``seconds``, each move as soon as the browser took
    the last."""
    moves = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        moves += 1
        page.mouse.move(x + sweep(moves, 3, 150), y + sweep(moves, 1, 20))


def box_of(page: Any, selector: str) -> dict[str, float]:
    box: dict[str, float] | None = page.locator(selector).first.bounding_box()
    if box is None:
        raise RuntimeError(f"{selector} is not shown")
    return box


def select_pan(page: Any, backend: Backend) -> None:
    if backend.hover_first:
        page.locator(backend.figure).first.hover()
    page.locator(backend.pan_button).first.click()
    page.wait_for_selector(backend.pan_active, timeout=PAGE_TIMEOUT * 1000)


def pan_drag(
    notebook: Notebook, traffic: KernelTraffic, backend: Backend, seconds: float
) -> Result:
    """The figure shown, pan selected, the drag under the screencast."""
    page = notebook.page
    notebook.run_cell(0)
    page.wait_for_selector(backend.figure, timeout=PAGE_TIMEOUT * 1000)
    page.wait_for_function(
        "selector => document.querySelector(selector)?.getBoundingClientRect().width > 0",
        arg=backend.canvas,
        timeout=PAGE_TIMEOUT * 1000,
    )
    settle(page, traffic)
    if not traffic.frames():
        raise RuntimeError("the page received no picture of the figure")
    said = notebook.kernel_says("import matplotlib; print(matplotlib.get_backend())").strip()
    select_pan(page, backend)
    # JupyterLab scrolls the notebook as the cell runs and the toolbar is clicked: the whole
    # canvas in view, for the screencast to see.
    page.locator(backend.canvas).first.evaluate(
        "canvas => canvas.scrollIntoView({block: 'center'})"
    )
    page.wait_for_timeout(200)
    box = box_of(page, backend.canvas)
    if box["y"] < 0 or box["y"] + box["height"] > VIEWPORT["height"]:
        raise RuntimeError(f"the canvas is not all in view: {box}")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    settle(page, traffic)
    session = page.context.new_cdp_session(page)
    with SyncScreencast(session) as screencast:
        first = len(traffic.messages)
        page.mouse.down()
        sweep_mouse(page, x, y, seconds)
        page.mouse.up()
        during = traffic.messages[first:]
        page.wait_for_timeout(AFTERMATH * 1000)
        settle(page, traffic)
    record = page.evaluate("window.benchmarkInput")
    start, end = record["down"], record["up"]
    if start is None or end is None:
        raise RuntimeError("the page saw no pointerdown or no pointerup")
    moves = [at for at in record["moves"] if start <= at <= end]
    if not moves:
        raise RuntimeError("the page saw no pointermove during the drag")
    changes, scrolled = screencast.changes(box)
    gesture = Gesture(
        start=start,
        end=end,
        inputs=moves,
        updates=[at for at in changes if at >= start],
        moves=moves,
    )
    if scrolled:
        gesture.remarks.append("the page scrolled")
    if (after := box_of(page, backend.canvas)) != box:
        gesture.remarks.append(f"the canvas moved from {box} to {after}")
    frames = [message for message in during if message.frame]
    return Result(
        gesture=gesture,
        frames=len(frames),
        frame_bytes=sum(message.size for message in frames),
        total_bytes=sum(message.size for message in during),
        backend_in_kernel=said,
        box=box,
    )


def measure(
    lab: JupyterLab, browser: Any, figure: str, backend_name: str, seconds: float
) -> tuple[Result, list[str]]:
    """One notebook of one cell, in a new page and a kernel of its own, shut down after."""
    backend = BACKENDS[backend_name]
    name = f"{figure}-{backend_name}.ipynb"
    # JupyterLab would reopen the notebooks measured before (its workspace remembers them),
    # each with a kernel again, and show one of them instead.
    for workspace in lab_api(lab, "/lab/api/workspaces")["workspaces"]["ids"]:
        lab_api(lab, f"/lab/api/workspaces/{workspace}", "DELETE")
    if running := lab_api(lab, "/api/kernels"):
        raise RuntimeError(f"{len(running)} kernel(s) running already")
    lab.write_notebook(name, [FIGURE_START.format(magic=backend.magic) + FIGURES[figure]])
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=RATIO)
    context.add_init_script(RECORD_INPUT)
    page_errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        traffic = KernelTraffic(page)  # before the page opens the kernel's socket
        notebook = lab.open(page, name)
        try:
            page.evaluate("window.jupyterapp.shell.collapseLeft()")
            return pan_drag(notebook, traffic, backend, seconds), page_errors
        finally:
            notebook.shut_down_kernel()
    finally:
        context.close()


def lab_api(lab: JupyterLab, path: str, method: str = "GET") -> Any:
    """What JupyterLab's REST API answers (JSON), or None when it answers nothing."""
    request = urllib.request.Request(f"{lab.url}{path}?token={TOKEN}", method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def cell(value: float, style: str) -> str:
    return "n/a" if math.isnan(value) else style.format(value)


def print_table(
    results: dict[tuple[str, str], Result | None], seconds: float, notes: list[str]
) -> None:
    print(
        "### Pan drag inline in JupyterLab: ipympl against webfig\n\n"
        f"Headless Chromium at device pixel ratio {RATIO}, a pan drag of {seconds:g} s (each "
        "mouse move as soon as the browser took the last); what is on screen from Chromium's "
        "screencast. Latency: a pointermove to the first changed picture after it. Light: "
        "two 2000-point lines and a grid; heavy: a 100 000-point scatter; 640 × 480 CSS px. "
        f"{load()} at the end.\n"
    )
    print(
        "| figure | backend | latency p50 | p95 | first change | updates/s | moves/s "
        "| frames/s received | bytes/frame | bytes during the drag | updates/s webfig/ipympl |"
    )
    print("| --- | --- |" + " ---: |" * 9)
    for figure in FIGURES:
        peer = results.get((figure, "ipympl"))
        for backend in BACKENDS:
            result = results.get((figure, backend))
            if result is None:
                print(f"| {figure} | {backend} |" + " failed |" * 9)
                continue
            gesture = result.gesture
            ratio = (
                cell(result.updates_per_second / peer.updates_per_second, "{:.1f}×")
                if backend == "webfig" and peer is not None and peer.updates_per_second
                else ""
            )
            cells = [
                cell(gesture.latency(50), "{:.0f} ms"),
                cell(gesture.latency(95), "{:.0f} ms"),
                cell(result.first_change, "{:.0f} ms"),
                cell(result.updates_per_second, "{:.1f}"),
                cell(gesture.moves_per_second, "{:.1f}"),
                cell(result.frames / gesture.seconds, "{:.1f}"),
                cell(result.bytes_per_frame / 1000, "{:.1f} kB"),
                f"{result.total_bytes / 1e6:.2f} MB",
                ratio,
            ]
            print(f"| {figure} | {backend} | " + " | ".join(cells) + " |")
    print(
        f"\nGoal for webfig: latency p50 < {LATENCY_GOAL:g} ms, updates/s ≥ {RATE_GOAL:g}× "
        "ipympl's. Bytes: comm messages with buffers (the pictures) on the kernel's websocket, "
        "whole; during the drag: every message on that socket from the press to the release.\n"
    )
    for note in notes:
        print(f"- {note}")
    print(flush=True)


def main(seconds: float) -> None:
    import ipympl

    print(f"Machine: {machine()}, ipympl {ipympl.__version__}\n", flush=True)
    results: dict[tuple[str, str], Result | None] = {}
    notes: list[str] = []
    lab = JupyterLab()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
            )
            for figure in FIGURES:
                for backend in BACKENDS:
                    label = f"{figure} figure, {backend}"
                    progress(f"{label} ...")
                    try:
                        result, page_errors = measure(lab, browser, figure, backend, seconds)
                    except Exception as error:  # a failed measurement is reported, not raised
                        last = (str(error).strip().splitlines() or [""])[-1]
                        progress(f"{label}: failed: {type(error).__name__}: {error}")
                        notes.append(f"{label}: failed: {type(error).__name__}: {last}")
                        results[figure, backend] = None
                        continue
                    results[figure, backend] = result
                    gesture = result.gesture
                    progress(
                        f"  p50 {gesture.latency(50):.0f} ms, {result.updates_per_second:.1f} "
                        f"updates/s, {gesture.moves_per_second:.1f} moves/s"
                    )
                    box = result.box
                    remarks = [
                        gesture.remark(),
                        f"{result.frames} frames received",
                        f"the kernel's backend {result.backend_in_kernel}",
                        f"canvas {box['width']:g} × {box['height']:g} CSS px",
                        *gesture.remarks,
                    ]
                    if page_errors:
                        shown = "; ".join(f"`{error[:160]}`" for error in page_errors[:3])
                        remarks.append(f"the page had {len(page_errors)} error(s): {shown}")
                    notes.append(f"{label}: " + "; ".join(remarks))
            browser.close()
    finally:
        lab.stop()
    print_table(results, seconds, notes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds of each drag")
    main(parser.parse_args().seconds)
