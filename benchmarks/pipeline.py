"""Pipeline: matplotlib's WebAgg against webfig, side by side, in one run on one machine.

    PYTHONPATH=. python benchmarks/pipeline.py [drag] [stall] [link] [--seconds S] [--saves N]

Run from the repository's root; name parts to run only those (all three by default). Each
backend serves its figures in a process of its own running this checkout's webfig
(benchmarks/scene.py or benchmarks/two_figures.py); the backends run one after the other,
never at once. Each part prints a Markdown table, then what the servers logged.

- drag, a pan drag at the draw limit: a websocket viewer of the benchmark figure (scene.py's
  "lines") at device pixel ratio 2 (1280 × 960 device pixels) selects pan, presses in the
  axes, sends a motion every 16 ms, 4 device pixels each, for S seconds, and releases.
  Frames received per second during the drag, against the draw limit: 1 / the time of one
  Agg draw of the same figure after a pan step, timed in the server process (scene.py's
  ``drawtime``: Agg's own draw, nothing sent; the mean of the medians of 20 draws just
  before the drag and 20 just after). Two viewers: a
  plain WebAgg client, against both backends, that behaves as mpl.js (it answers ``draw``,
  one at a time, and acknowledges every frame on receipt); and webfig's own client, against
  webfig, that also negotiates rect_frames and motion_ack and keeps one motion in flight.
- stall, one figure does not stall another: two_figures.py's figure 1 changes every 40 ms
  (the backend's own timer) while figure 3, a 100 000-point scatter, is downloaded as PDF
  over HTTP, N times, and a viewer of figure 3 sends a pointer motion every 16 ms. For each
  save: its duration, figure 1's frames during it and the longest time between them.
- link, a slow link: headless Chromium (device pixel ratio 2) opens the figure page through
  benchmarks/slow_link.py (10 Mbit/s and 25 ms each way), selects pan (key "p", as
  frames.py does) and drags with the mouse, each move as soon as the browser took the last,
  for S seconds. Frames painted per second (display frames in which the figure's canvas was
  drawn on), frames received per second (binary websocket messages, counted as frames.py
  does), and bytes per frame received (everything the proxy carried from the server to the
  browser during the drag). Once the page settled: whether the canvas' pixels equal Agg's
  picture of the figure, which the server saves as a PNG (scene.py's ``png``: the canvas'
  size and dpi).

This is a benchmark, not a test: it asserts nothing. A measurement that fails says so on
stderr and in its table's notes. Each part takes a minute or two.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from common import (
    CANVAS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    Server,
    canvas_rgba,
    compare,
    rgba,
    select_pan,
    sweep,
    sweep_mouse,
)
from frames import COUNT_FRAMES, TIMEOUT, machine, wait_for
from slow_link import SlowLink
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import WebSocketClientConnection, websocket_connect

TWO_FIGURES = Path(__file__).with_name("two_figures.py")
BACKENDS = ("webagg", "webfig")
NAMES = {"webagg": "WebAgg", "webfig": "webfig"}
PARTS = ("drag", "stall", "link")
TICK = 0.016  # seconds between pointer events: one per display frame at 60 Hz
MOTION_ACK_TIMEOUT = 0.25  # webfig's client sends the next move anyway after this long
DRAW_TIMINGS = 20  # Agg draws timed for the draw limit
DRAG_POLL_MS = 50  # how often the drag's scene looks for commands
DOWNLOAD_TIMEOUT = 120.0
PAGE_TIMEOUT = 30.0  # seconds for a page to load or settle over the slow link
PAGE_QUIET = 1.0  # seconds without a frame after which a page counts as settled
LOG_LINES = 3  # server log lines shown per run
LOG_PROBLEMS = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception")
# Display frames in which the figure's canvas was drawn on: frames the user saw.
COUNT_PAINTS = """
window.benchmarkPaints = { count: 0 }
{
  let drawn = false
  const drawImage = CanvasRenderingContext2D.prototype.drawImage
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    if (this.canvas.matches?.(CANVAS)) drawn = true
    return drawImage.apply(this, args)
  }
  const count = () => {
    if (drawn) window.benchmarkPaints.count += 1
    drawn = false
    requestAnimationFrame(count)
  }
  requestAnimationFrame(count)
}
""".replace("CANVAS", json.dumps(CANVAS))

T = TypeVar("T")
R = TypeVar("R")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def every_tick(action: Callable[[int], object], seconds: float) -> None:
    """Call ``action(step)`` every TICK for ``seconds``, on a schedule that does not drift."""
    start = time.perf_counter()
    step = 0
    while time.perf_counter() < start + seconds:
        action(step)
        step += 1
        await asyncio.sleep(max(0.0, start + step * TICK - time.perf_counter()))


@dataclass(eq=False)
class PointerViewer:
    """A websocket viewer of one figure that behaves as a browser client, and moves the
    pointer over it.

    As mpl.js: it answers ``draw`` with ``draw``, one at a time (not again before a frame
    came), and acknowledges every frame on receipt. As webfig's own client (``own``): it
    negotiates rect_frames and motion_ack first, and then keeps at most one motion in flight:
    a move made while one is unanswered goes at the next tick after the answer.
    """

    port: int
    figure: int = 1
    ratio: float = 1
    own: bool = False
    frame_times: list[float] = field(default_factory=list)
    bytes: int = 0
    motions: int = 0
    mode: str = ""
    extensions: list[str] = field(default_factory=list)
    waiting: bool = False  # asked for a draw, no frame since
    motion_sent: float | None = None  # when the motion still awaiting motion_ack left
    pending: tuple[float, float, int] | None = None  # a move not sent yet
    connection: WebSocketClientConnection | None = None
    task: asyncio.Task[None] | None = None

    @property
    def frames(self) -> int:
        return len(self.frame_times)

    @property
    def last_frame(self) -> float:
        return self.frame_times[-1] if self.frame_times else 0.0

    async def connect(self) -> PointerViewer:
        url = f"ws://127.0.0.1:{self.port}/{self.figure}/ws"
        self.connection = await websocket_connect(url, max_message_size=1 << 30)
        if self.own:
            self.send("webfig_hello", protocol=1, extensions=["rect_frames", "motion_ack"])
        self.send("supports_binary", value=True)
        self.send("send_image_mode")
        self.send("set_device_pixel_ratio", device_pixel_ratio=self.ratio)
        self.send("refresh")
        self.task = asyncio.create_task(self._read())
        return self

    def send(self, type: str, **fields: Any) -> None:
        assert self.connection is not None
        message = {"type": type, "figure_id": self.figure, **fields}
        self.connection.write_message(json.dumps(message))

    def move(self, x: float, y: float, buttons: int) -> None:
        """The pointer moved (device pixels from the top left, buttons held as a DOM mask)."""
        self.pending = (x, y, buttons)
        if self.motion_sent is None or time.perf_counter() - self.motion_sent > MOTION_ACK_TIMEOUT:
            self._send_pending()

    def button(self, type: str, x: float, y: float, buttons: int) -> None:
        """A left-button ``button_press`` or ``button_release``; an unsent move goes first,
        as in both clients."""
        self._send_pending()
        self._pointer(type, x, y, buttons)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        if self.task is not None:
            self.task.cancel()

    def _send_pending(self) -> None:
        if self.pending is None:
            return
        x, y, buttons = self.pending
        self.pending = None
        self._pointer("motion_notify", x, y, buttons)
        self.motions += 1
        if "motion_ack" in self.extensions:
            self.motion_sent = time.perf_counter()

    def _pointer(self, type: str, x: float, y: float, buttons: int) -> None:
        # The fields mpl.js sends (WebAgg reads ``button`` on every pointer event).
        self.send(type, x=x, y=y, button=0, buttons=buttons, modifiers=[], guiEvent={})

    async def _read(self) -> None:
        assert self.connection is not None
        while (message := await self.connection.read_message()) is not None:
            if isinstance(message, bytes):
                self.frame_times.append(time.perf_counter())
                self.bytes += len(message)
                self.waiting = False
                self.send("ack")
                continue
            content = json.loads(message)
            kind = content.get("type")
            if kind == "draw" and not self.waiting:
                self.waiting = True
                self.send("draw")
            elif kind == "navigate_mode":
                self.mode = content["mode"]
            elif kind == "webfig_welcome":
                self.extensions = content["extensions"]
            elif kind == "motion_ack":
                self.motion_sent = None


async def quiet(last_frame: Callable[[], float], seconds: float, timeout: float) -> None:
    """Wait until no frame came for ``seconds`` (at most ``timeout``)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() - last_frame() < seconds and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


# Running and reporting


@dataclass
class Notes:
    """What a table says under it: failures and remarks, then what the servers logged."""

    remarks: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)


async def attempt(
    label: str, server: Server, measure: Callable[[Server], Awaitable[T]], notes: Notes
) -> T | None:
    """``measure(server)`` with the server running; None, and a note, if it failed. Either
    way, what the server logged goes to the notes."""
    progress(f"{label} ...")
    try:
        async with server:
            return await measure(server)
    except Exception as error:  # a failed measurement is reported, not raised
        progress(f"{label}: failed: {type(error).__name__}: {error}")
        # In the table, the last line says it (the server's log is below anyway).
        last = (str(error).strip().splitlines() or [""])[-1]
        notes.remarks.append(f"{label}: failed: {type(error).__name__}: {last}")
        return None
    finally:
        notes.logs.extend(log_notes(label, server.log()))


def log_notes(label: str, log: str) -> list[str]:
    lines = [line for line in log.splitlines() if line.strip()]
    problems = [line for line in lines if line.startswith(LOG_PROBLEMS)]
    if not lines:
        return []
    shown = "; ".join(f"`{line.strip()[:160]}`" for line in (problems or lines)[:LOG_LINES])
    return [f"{label}: the server logged {len(lines)} line(s), {len(problems)} problem(s): {shown}"]


Row = tuple[str, Sequence[str], str]  # metric, a cell per column, target


def row(
    metric: str,
    results: Iterable[R | None],
    value: Callable[[R], float],
    style: str,
    target: str = "",
) -> Row:
    """One table row: ``value`` of each result in ``style``; "failed" for a failed one."""
    cells = ["failed" if r is None else style.format(value(r)) for r in results]
    return metric, cells, target


def print_table(
    title: str,
    about: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    notes: Notes,
) -> None:
    print(f"### {title}\n\n{about}\n")
    print("| metric | " + " | ".join(columns) + " | target |")
    print("| --- |" + " ---: |" * len(columns) + " --- |")
    for metric, cells, target in rows:
        print(f"| {metric} | " + " | ".join(cells) + f" | {target} |")
    print()
    for note in notes.remarks + (notes.logs or ["The servers logged nothing."]):
        print(f"- {note}")
    print(flush=True)


def load() -> str:
    return "load average {:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())


# (a) Pan drag at the draw limit


@dataclass
class Drag:
    frames_per_second: float
    motions_per_second: float
    frame_bytes: float
    # Seconds of one Agg draw after a pan step, timed just before the drag and just after
    # (the machine is shared: the two say how steady it was).
    draw_before: float
    draw_after: float
    size: tuple[int, int]  # the canvas, device pixels

    @property
    def draw(self) -> float:
        return (self.draw_before + self.draw_after) / 2

    @property
    def of_limit(self) -> float:
        return self.frames_per_second * self.draw


async def measure_drag(server: Server, own: bool, seconds: float) -> Drag:
    viewer = await PointerViewer(server.port, ratio=2, own=own).connect()
    await wait_for(lambda: viewer.frames > 0, "the first frame")
    await quiet(lambda: viewer.last_frame, 0.3, TIMEOUT)
    before = await server.ask(f"drawtime {DRAW_TIMINGS}")
    viewer.send("toolbar_button", name="pan")
    await wait_for(lambda: viewer.mode == "PAN", "pan mode")
    x, y = 640, 480  # the axes' middle, at ratio 2
    viewer.button("button_press", x, y, buttons=1)
    frames, received, motions = viewer.frames, viewer.bytes, viewer.motions
    start = time.perf_counter()
    await every_tick(lambda step: viewer.move(x + sweep(step, 4, 240), y, buttons=1), seconds)
    elapsed = time.perf_counter() - start
    frames, received = viewer.frames - frames, viewer.bytes - received
    motions = viewer.motions - motions
    viewer.button("button_release", x, y, buttons=0)
    await quiet(lambda: viewer.last_frame, 0.3, TIMEOUT)
    after = await server.ask(f"drawtime {DRAW_TIMINGS}")
    viewer.close()
    return Drag(
        frames_per_second=frames / elapsed,
        motions_per_second=motions / elapsed,
        frame_bytes=received / max(frames, 1),
        draw_before=before["draw"],
        draw_after=after["draw"],
        size=(int(after["width"]), int(after["height"])),
    )


async def part_drag(seconds: float) -> None:
    runs = {
        "WebAgg, plain client": ("webagg", False),
        "webfig, plain client": ("webfig", False),
        "webfig, own client": ("webfig", True),
    }
    notes = Notes()
    results: dict[str, Drag | None] = {}
    for label, (backend, own) in runs.items():
        results[label] = result = await attempt(
            f"drag, {label}",
            # No commands during the drag: polling for them slowly keeps the scene's
            # own timer from taking the draw's time.
            Server(backend, "lines", poll_ms=DRAG_POLL_MS),
            functools.partial(measure_drag, own=own, seconds=seconds),
            notes,
        )
        if result is not None:
            progress(
                f"  {result.frames_per_second:.1f} frames/s, {result.of_limit:.2f} of the limit"
            )
    done = [r for r in results.values() if r is not None]
    size = "{}×{}".format(*done[0].size) if done else "?"
    drags = results.values()
    rows = [
        row(
            "frames received per s during the drag", drags, lambda r: r.frames_per_second, "{:.1f}"
        ),
        row("motion events sent per s", drags, lambda r: r.motions_per_second, "{:.1f}"),
        row(
            f"one Agg draw after a pan step, {size}, just before the drag",
            drags,
            lambda r: r.draw_before * 1000,
            "{:.1f} ms",
        ),
        row("the same, just after the drag", drags, lambda r: r.draw_after * 1000, "{:.1f} ms"),
        row("draw limit (1 / their mean)", drags, lambda r: 1 / r.draw, "{:.1f} fps"),
        row("frames/s ÷ draw limit", drags, lambda r: r.of_limit, "{:.2f}", "webfig ≥ 0.85"),
        row("bytes per frame", drags, lambda r: r.frame_bytes / 1000, "{:.1f} kB"),
    ]
    print_table(
        "(a) Pan drag at the draw limit",
        f"A websocket viewer at device pixel ratio 2 drags in pan mode for {seconds:g} s, "
        "one motion every 16 ms. The draws are timed in the same server process (median of "
        f"{DRAW_TIMINGS} each), just before and just after the drag. "
        f"{load()} at the end.",
        list(runs),
        rows,
        notes,
    )


# (b) One figure does not stall another


@dataclass
class Stall:
    baseline: float  # figure 1's frames per second before the saves
    durations: list[float]
    frames: list[int]  # figure 1's frames during each save
    gaps: list[float]  # the longest time without a figure 1 frame during each save
    pdf_bytes: int


def longest_gap(times: Sequence[float], start: float, end: float) -> float:
    """The longest time in ``start``–``end`` without one of ``times``."""
    inside = [start, *(t for t in times if start < t < end), end]
    return max(b - a for a, b in itertools.pairwise(inside))


async def measure_stall(server: Server, saves: int) -> Stall:
    light = await PointerViewer(server.port, figure=1).connect()
    heavy = await PointerViewer(server.port, figure=3).connect()
    await wait_for(lambda: light.frames > 0 and heavy.frames > 0, "both figures' first frames")
    client = AsyncHTTPClient()

    async def download(query: str) -> tuple[float, int]:
        start = time.perf_counter()
        url = f"{server.url}/3/download.pdf{query}"
        response = await client.fetch(url, request_timeout=DOWNLOAD_TIMEOUT)
        return time.perf_counter() - start, len(response.body)

    _, size = await download("")  # the first save loads the PDF backend and its fonts
    await asyncio.sleep(1)
    before = light.frames
    await asyncio.sleep(2)
    baseline = (light.frames - before) / 2
    # The pointer wanders over figure 3's axes (640 × 480) until the saves are done.
    wander = asyncio.create_task(
        every_tick(lambda step: heavy.move(320 + sweep(step, 3, 150), 240, buttons=0), math.inf)
    )
    durations, frames, gaps = [], [], []
    try:
        for index in range(saves):
            # webfig keeps a recent download of an unchanged figure: a dpi not asked before
            # (for WebAgg, which takes no options, the same file) makes each save a new one.
            start = time.perf_counter()
            duration, _ = await download(f"?dpi={100 + index}")
            end = time.perf_counter()
            durations.append(duration)
            frames.append(sum(start < t < end for t in light.frame_times))
            gaps.append(longest_gap(light.frame_times, start, end))
            progress(
                f"  save {index + 1}: {duration:.2f} s, {frames[-1]} frames, gap {gaps[-1]:.2f} s"
            )
            await asyncio.sleep(1)
    finally:
        wander.cancel()
    light.close()
    heavy.close()
    return Stall(baseline, durations, frames, gaps, size)


async def part_stall(saves: int) -> None:
    notes = Notes()
    results = {
        backend: await attempt(
            f"stall, {NAMES[backend]}",
            Server(backend, script=TWO_FIGURES),
            functools.partial(measure_stall, saves=saves),
            notes,
        )
        for backend in BACKENDS
    }

    stalls = results.values()
    rows = [
        row(
            "figure 1 frames per s before the saves",
            stalls,
            lambda r: r.baseline,
            "{:.1f}",
            "25 (a change every 40 ms)",
        ),
        row(
            f"PDF save of figure 3, median of {saves}",
            stalls,
            lambda r: statistics.median(r.durations),
            "{:.2f} s",
        ),
        row(
            "figure 1 frames during a save, median",
            stalls,
            lambda r: statistics.median(r.frames),
            "{:.0f}",
        ),
        row(
            "figure 1 frames per s during the saves",
            stalls,
            lambda r: sum(r.frames) / sum(r.durations),
            "{:.1f}",
        ),
        row(
            f"longest gap between figure 1 frames during a save, worst of {saves}",
            stalls,
            lambda r: max(r.gaps) * 1000,
            "{:.0f} ms",
            "webfig ≤ 300 ms",
        ),
        row(
            "longest gap, median over the saves",
            stalls,
            lambda r: statistics.median(r.gaps) * 1000,
            "{:.0f} ms",
        ),
        row("PDF size", stalls, lambda r: r.pdf_bytes / 1e6, "{:.2f} MB"),
    ]
    print_table(
        "(b) One figure does not stall another",
        "Figure 1 changes every 40 ms (the backend's timer); figure 3 (100 000 points) is "
        "downloaded as PDF while its viewer sends a motion every 16 ms. "
        f"{load()} at the end.",
        [NAMES[b] for b in BACKENDS],
        rows,
        notes,
    )


# (c) Slow link


@dataclass
class LinkDrag:
    painted: float  # frames painted per second
    received: float  # frames received per second
    frame_bytes: float
    moves: float  # mouse moves per second the browser took
    settled: str  # whether the settled canvas equals the server's PNG
    page_errors: list[str]


async def page_counts(page: Any) -> tuple[int, int]:
    """Frames received and frames painted so far."""
    counts = await page.evaluate("[window.benchmarkFrames.count, window.benchmarkPaints.count]")
    return int(counts[0]), int(counts[1])


async def page_quiet(page: Any) -> None:
    """Wait until the page got no frame for PAGE_QUIET (at most PAGE_TIMEOUT)."""
    deadline = time.perf_counter() + PAGE_TIMEOUT
    last, since = await page_counts(page), time.perf_counter()
    while time.perf_counter() - since < PAGE_QUIET and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        if (counts := await page_counts(page)) != last:
            last, since = counts, time.perf_counter()


async def measure_link(server: Server, seconds: float) -> LinkDrag:
    from playwright.async_api import async_playwright

    async with SlowLink(server.port) as link, async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1000, "height": 800}, device_scale_factor=2
            )
            page = await context.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            await page.add_init_script(COUNT_FRAMES + COUNT_PAINTS)
            await page.goto(f"http://127.0.0.1:{link.port}/1", timeout=PAGE_TIMEOUT * 1000)
            await page.wait_for_function(
                "window.benchmarkFrames.count > 0", timeout=PAGE_TIMEOUT * 1000
            )
            canvas, (x, y) = await select_pan(page, PAGE_TIMEOUT)
            await page_quiet(page)
            await page.mouse.move(x, y)
            await page.mouse.down()
            before, carried = await page_counts(page), link.down.bytes
            moves, elapsed = await sweep_mouse(page, x, y, seconds)
            after, carried = await page_counts(page), link.down.bytes - carried
            await page.mouse.up()
            await page_quiet(page)
            shown = await canvas_rgba(canvas)
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory, "figure.png")
                await server.ask(f"png {path}")
                saved = rgba(path.read_bytes())
        finally:
            await browser.close()
    frames = after[0] - before[0]
    return LinkDrag(
        painted=(after[1] - before[1]) / elapsed,
        received=frames / elapsed,
        frame_bytes=carried / max(frames, 1),
        moves=moves / elapsed,
        settled=compare(shown, saved, "Agg's"),
        page_errors=page_errors,
    )


async def part_link(seconds: float) -> None:
    notes = Notes()
    results = {
        backend: await attempt(
            f"link, {NAMES[backend]}",
            Server(backend, "lines"),
            functools.partial(measure_link, seconds=seconds),
            notes,
        )
        for backend in BACKENDS
    }
    for backend, result in results.items():
        if result is not None and result.page_errors:
            errors = "; ".join(f"`{error[:160]}`" for error in result.page_errors[:LOG_LINES])
            notes.remarks.append(
                f"{NAMES[backend]}'s page had {len(result.page_errors)} error(s): {errors}"
            )
    webagg, webfig = results["webagg"], results["webfig"]
    if webagg is not None and webagg.settled.startswith("no: the canvas"):
        notes.remarks.append(
            "WebAgg's canvas is 640×480 here: mpl.js sizes it from ResizeObserver's "
            "devicePixelContentBoxSize, which headless Chromium's emulated device scale factor "
            "reports in CSS pixels, so it shows the top-left quarter of its 1280×960 frames."
        )
    ratio = (
        f"{webfig.painted / webagg.painted:.1f}×" if webagg and webfig and webagg.painted else "–"
    )

    drags = results.values()
    rows = [
        row(
            "frames painted per s during the drag",
            drags,
            lambda r: r.painted,
            "{:.1f}",
            f"webfig ≥ 3× WebAgg (now {ratio})",
        ),
        row("frames received per s during the drag", drags, lambda r: r.received, "{:.1f}"),
        row(
            "mouse moves per s (as fast as the browser took them)",
            drags,
            lambda r: r.moves,
            "{:.0f}",
        ),
        row(
            "bytes per frame received (at the proxy)",
            drags,
            lambda r: r.frame_bytes / 1000,
            "{:.1f} kB",
        ),
        (
            "settled picture equal to Agg's",
            ["failed" if r is None else r.settled for r in drags],
            "yes",
        ),
    ]
    print_table(
        "(c) Slow link: 10 Mbit/s, 25 ms each way",
        f"Headless Chromium at device pixel ratio 2 drags in pan mode for {seconds:g} s "
        f"through the proxy. {load()} at the end.",
        [NAMES[b] for b in BACKENDS],
        rows,
        notes,
    )


async def main(parts: Sequence[str], seconds: float, saves: int) -> None:
    print(f"Machine: {machine()}\n", flush=True)
    if "drag" in parts:
        await part_drag(seconds)
    if "stall" in parts:
        await part_stall(saves)
    if "link" in parts:
        await part_link(seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", metavar="part", help=f"one of {', '.join(PARTS)} (all)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of each drag")
    parser.add_argument("--saves", type=int, default=3, help="PDF saves in the stall part")
    arguments = parser.parse_args()
    if unknown := set(arguments.parts) - set(PARTS):
        parser.error(
            f"unknown part(s): {', '.join(sorted(unknown))}; the parts: {', '.join(PARTS)}"
        )
    asyncio.run(main(arguments.parts or PARTS, arguments.seconds, arguments.saves))
