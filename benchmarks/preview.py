"""Preview: how soon a figure follows the pointer in Chromium, WebAgg against webfig with and
without its client-side preview (issues 11 and 27), in one run on one machine.

    PYTHONPATH=. python benchmarks/preview.py [--seconds S]

Run from the repository's root. Three columns: matplotlib's WebAgg; webfig with the preview
off (``WEBFIG_PREVIEW=0`` in the server's environment); webfig as it comes (the preview on,
where the checkout has one). Two figures (benchmarks/scene.py): light, "lines" (two
2000-point lines and a grid), and heavy, "scatter" (100 000 points), both 640 × 480 CSS
pixels. Each backend serves in a process of its own running this checkout's webfig, one after
the other, never at once. Headless Chromium opens the figure at device pixel ratio 2, a page
per gesture:

- pan: select pan (key "p", waiting for the pan button to be active), press in the middle of
  the canvas (inside the axes) and move the mouse for S seconds, each ``page.mouse.move``
  awaited (as fast as the browser takes them), in a sweep of ±150 × ±20 CSS pixels that stays
  on the axes, then release;
- wheel: click the middle of the canvas (so that WebAgg's page, which takes keys only once
  its canvas has focus, gets them too), hold control (``keyboard.down``), and turn the wheel
  there one step (``page.mouse.wheel``, 100 pixels) every WHEEL_STEP s for S seconds, four
  steps in, four out: matplotlib 3.11 zooms 0.85 per step about the pointer;
- pinch: two touch points (CDP ``Input.dispatchTouchEvent``, in a context with touch) 80 CSS
  pixels apart about the middle of the canvas, moving apart to 240 and back, each move
  awaited, for S seconds. WebAgg has no pinch (its page lets the browser have the touches):
  "n/a".

What is on screen is what counts, the same way for every column: Chromium's screencast
(CDP ``Page.startScreencast``, JPEG frames of the whole page as the compositor presented
them, each with its swap time, each acknowledged at once so the next comes) is recorded for
the whole gesture and its aftermath, and afterwards each frame's canvas area (an inset of 4
CSS pixels, clear of what JPEG blocks bleed from outside it, such as the status line) is
compared with the frame before: a frame that differs is a visual update, at its swap time.
A page's own pixel sampling (the canvas' ``getImageData``, as this script did before) no
longer sees webfig's preview, which moves a layer over the canvas on the compositor; the
screencast sees what the user sees, layers and all. Its cost is the browser's (it encodes
every presented frame), and the same for every column. On the pan's WebAgg and preview-off
columns, which draw only when a frame comes, the two methods see the same changes, the
screencast later by a frame or so (the swap, not the end of the page's callbacks): 16-26 ms
more at the median on the light figure, within the runs' noise on the heavy one
(docs/benchmarks.md, Preview).

A script injected before the page's own records, in ms of the page's clock (its
``performance.timeOrigin + performance.now()``, the same wall clock as the swap times), each
``pointermove``, ``wheel`` and ``touchmove`` (listeners on the window, capture phase), and
when the gesture starts and ends.

Moves per second are the page's pointermoves between the press and the release of the pan,
per second: how many moves the browser delivers to a page that is busy showing them. They
are counted in a second pan drag on the same page, once the screencast stopped and the page
settled (the screencast costs the browser an encode per presented frame, so most where the
page changes at every frame, as webfig's preview does), and in the watched one too. The
latency of an input (a pointermove of the pan, a wheel event, a touchmove of the pinch) is
the time from it to the first visual update after it (after the gesture too); p50 and p95
are over the gesture's inputs. An update may not reflect the latest input yet: this is the
time until the picture next changes. Once the pan's page settled (no frame received and
nothing drawn on the canvas for a second), its canvas is compared pixel for pixel with that
of a second page opened then on the same figure (once it settled).

This is a benchmark, not a test: it asserts nothing. A measurement that fails says so on
stderr and under the table, and the others still run. It prints the machine, the table, then
what the servers logged; the six runs take five minutes or so.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import functools
import io
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from common import (
    CANVAS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    PAN_ACTIVE,
    Server,
    canvas_rgba,
    compare,
    select_pan,
    sweep,
    sweep_mouse,
)
from frames import COUNT_FRAMES, machine
from PIL import Image
from pipeline import (
    COUNT_PAINTS,
    PAGE_TIMEOUT,
    Notes,
    attempt,
    load,
    page_quiet,
    print_table,
    progress,
    row,
)

FIGURES = {"lines": "light", "scatter": "heavy"}
# Column: backend, and the value of WEBFIG_PREVIEW in its environment (None: not set).
RUNS = {
    "WebAgg": ("webagg", None),
    "webfig, preview off": ("webfig", "0"),
    "webfig": ("webfig", None),
}
GESTURES = ("pan", "wheel", "pinch")
PREVIEW_SETTING = "WEBFIG_PREVIEW"
RATIO = 2
VIEWPORT = {"width": 1000, "height": 800}
WHEEL_STEP = 0.25  # seconds between wheel steps
WHEEL_DELTA = 100  # pixels a wheel step scrolls: one step to matplotlib
WHEEL_RUN = 4  # steps in one direction before turning back
PINCH_SPREAD = (40, 120)  # CSS px from the middle to each touch point, closest and farthest
PINCH_STRIDE = 2  # CSS px each touch point moves a step
CROP_INSET = 4  # CSS px the compared area keeps in from the canvas' edges
SCREENCAST_QUALITY = 80
# Every frame Chromium presents, as JPEG.
SCREENCAST_START = {"format": "jpeg", "quality": SCREENCAST_QUALITY, "everyNthFrame": 1}
AFTERMATH = 1.0  # seconds the screencast goes on after a gesture's last input
# What the page records: its input events, in ms of the wall clock the screencast uses.
RECORD_INPUT = """
window.benchmarkInput = { moves: [], wheels: [], touches: [], down: null, up: null }
{
  const record = window.benchmarkInput
  const now = () => performance.timeOrigin + performance.now()
  const capture = { capture: true }
  addEventListener("pointermove", () => record.moves.push(now()), capture)
  addEventListener("wheel", () => record.wheels.push(now()), capture)
  addEventListener("touchmove", () => record.touches.push(now()), capture)
  // The last press: the drag's, after the click that selects pan.
  addEventListener("pointerdown", () => { record.down = now() }, capture)
  addEventListener("pointerup", () => { record.up = now() }, capture)
}
"""
NOW = "performance.timeOrigin + performance.now()"


class Screencast:
    """Chromium's screencast of a page: every frame it presents (acknowledged at once, so the
    next comes), with its swap time, in ms of the wall clock."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.frames: list[tuple[float, bytes, dict[str, Any]]] = []
        self._acks: set[asyncio.Task[Any]] = set()

    def _received(self, params: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._acknowledge(params))
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)
        self._keep(params)

    def _acknowledge(self, params: dict[str, Any]) -> Any:
        """Tell Chromium the frame came, so that it sends the next (what the session's send
        returns: awaitable in async Playwright, the answer in sync Playwright)."""
        return self.session.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})

    def _keep(self, params: dict[str, Any]) -> None:
        metadata = params["metadata"]
        self.frames.append((metadata["timestamp"] * 1000, params["data"], metadata))

    async def __aenter__(self) -> Screencast:
        self.session.on("Page.screencastFrame", self._received)
        await self.session.send("Page.startScreencast", SCREENCAST_START)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.session.send("Page.stopScreencast")
        await asyncio.gather(*self._acks, return_exceptions=True)

    def changes(self, box: dict[str, float]) -> tuple[list[float], bool]:
        """The swap times of the frames whose view of ``box`` (CSS px of the viewport, inset
        by CROP_INSET) differs from the frame before's; and whether the page scrolled."""
        times: list[float] = []
        previous: np.ndarray | None = None
        scrolls = {(m.get("scrollOffsetX"), m.get("scrollOffsetY")) for *_, m in self.frames}
        for at, data, metadata in self.frames:
            with Image.open(io.BytesIO(base64.b64decode(data))) as image:
                pixels = np.asarray(image.convert("RGB"))
            scale = pixels.shape[1] / metadata["deviceWidth"]
            top = metadata.get("offsetTop", 0)
            x0 = round((box["x"] + CROP_INSET) * scale)
            y0 = round((box["y"] + top + CROP_INSET) * scale)
            x1 = round((box["x"] + box["width"] - CROP_INSET) * scale)
            y1 = round((box["y"] + top + box["height"] - CROP_INSET) * scale)
            area = pixels[y0:y1, x0:x1]
            if previous is not None and not np.array_equal(area, previous):
                times.append(at)
            previous = area
        return times, len(scrolls) > 1


@dataclass
class Gesture:
    start: float  # ms of the wall clock: the first input
    end: float  # the last input
    inputs: list[float]  # the gesture's input events: pointermoves, wheel events, touchmoves
    updates: list[float]  # visual updates from the start on, the aftermath too
    moves: list[float] = field(default_factory=list)  # the pan's pointermoves, press to release
    fresh: str = ""  # the pan: whether the settled canvas equals a fresh page's
    unwatched_moves_per_second: float = math.nan  # the pan: in a drag no screencast watched
    remarks: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / 1000

    @property
    def moves_per_second(self) -> float:
        return len(self.moves) / self.seconds

    @property
    def latencies(self) -> list[float]:
        """Ms from each input to the first update after it; an input no update followed has
        none."""
        found = [bisect.bisect_left(self.updates, at) for at in self.inputs]
        return [
            self.updates[index] - at
            for at, index in zip(self.inputs, found, strict=True)
            if index < len(self.updates)
        ]

    def latency(self, percent: float) -> float:
        latencies = self.latencies
        return float(np.percentile(latencies, percent)) if latencies else math.nan

    def remark(self) -> str:
        unanswered = len(self.inputs) - len(self.latencies)
        updates = bisect.bisect_right(self.updates, self.end)
        return f"{len(self.inputs)} inputs in {self.seconds:.1f} s, {updates} visual updates" + (
            f", {unanswered} inputs followed by no update" if unanswered else ""
        )


async def open_figure(context: Any, url: str, page_errors: list[str]) -> Any:
    """A new page of the figure once it settled."""
    page = await context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await page.goto(url, timeout=PAGE_TIMEOUT * 1000)
    await page.wait_for_function("window.benchmarkFrames.count > 0", timeout=PAGE_TIMEOUT * 1000)
    await page_quiet(page)
    return page


async def canvas_middle(page: Any) -> tuple[dict[str, float], float, float]:
    box = await page.locator(CANVAS).first.bounding_box()
    if box is None:
        raise RuntimeError("the figure's canvas is not shown")
    return box, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def pan(page: Any, seconds: float) -> tuple[list[float], list[float], float, float]:
    """The pan drag (pan selected first, unless the page has it on): its moves, them again
    (the pan's inputs), and when it started and ended."""
    if await page.locator(PAN_ACTIVE).count():
        _, x, y = await canvas_middle(page)
    else:
        _, (x, y) = await select_pan(page, PAGE_TIMEOUT)
    await page_quiet(page)
    await page.mouse.move(x, y)
    await page.mouse.down()
    await sweep_mouse(page, x, y, seconds)
    await page.mouse.up()
    record = await page.evaluate("window.benchmarkInput")
    start, end = record["down"], record["up"]
    if start is None or end is None:
        raise RuntimeError("the page saw no pointerdown or no pointerup")
    moves = [at for at in record["moves"] if start <= at <= end]
    return moves, moves, start, end


async def wheel(page: Any, seconds: float) -> tuple[list[float], float, float]:
    """Control and wheel steps over the canvas' middle: the wheel events, start and end."""
    _, x, y = await canvas_middle(page)
    await page.mouse.click(x, y)
    await page_quiet(page)
    steps = max(2 * WHEEL_RUN, round(seconds / WHEEL_STEP / (2 * WHEEL_RUN)) * 2 * WHEEL_RUN)
    await page.keyboard.down("Control")
    start = await page.evaluate(NOW)
    for step in range(steps):
        began = time.perf_counter()
        inwards = (step // WHEEL_RUN) % 2 == 0
        await page.mouse.wheel(0, -WHEEL_DELTA if inwards else WHEEL_DELTA)
        await asyncio.sleep(max(0.0, WHEEL_STEP - (time.perf_counter() - began)))
    end = await page.evaluate(NOW)
    await page.keyboard.up("Control")
    wheels = (await page.evaluate("window.benchmarkInput"))["wheels"]
    return [at for at in wheels if start <= at <= end], start, end


async def pinch(page: Any, seconds: float) -> tuple[list[float], float, float]:
    """Two touch points moving apart and together about the canvas' middle: the touchmoves
    the page saw, start and end."""
    _, x, y = await canvas_middle(page)
    session = await page.context.new_cdp_session(page)
    closest, farthest = PINCH_SPREAD
    reach = (farthest - closest) / 2

    def points(spread: float) -> list[dict[str, float]]:
        return [{"x": x - spread, "y": y, "id": 0}, {"x": x + spread, "y": y, "id": 1}]

    async def touch(kind: str, spread: float) -> None:
        touches = [] if kind == "touchEnd" else points(spread)
        await session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touches})

    start = await page.evaluate(NOW)
    await touch("touchStart", closest)
    began, step = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        step += 1
        # From the closest spread out to the farthest and back, again and again.
        await touch("touchMove", closest + reach + sweep(step, PINCH_STRIDE, reach) - reach)
    await touch("touchEnd", closest)
    end = await page.evaluate(NOW)
    touches = (await page.evaluate("window.benchmarkInput"))["touches"]
    return [at for at in touches if start <= at <= end], start, end


async def move_rate(page: Any, seconds: float) -> float:
    """Pointer moves per second a page in pan mode got during a pan drag that no screencast
    watched; then pan is off again, as a user turns it off (a click, key "p"), for the
    gestures that follow."""
    moves, _, start, end = await pan(page, seconds)
    await page_quiet(page)
    _, x, y = await canvas_middle(page)
    await page.mouse.click(x, y)
    await page.keyboard.press("p")
    await page.wait_for_selector(PAN_ACTIVE, state="detached", timeout=PAGE_TIMEOUT * 1000)
    return len(moves) / ((end - start) / 1000)


async def record_gesture(
    context: Any, url: str, gesture: str, seconds: float, page_errors: list[str]
) -> Gesture:
    """``gesture`` on a new page of the figure, with what the screen showed meanwhile."""
    page = await open_figure(context, url, page_errors)
    session = await context.new_cdp_session(page)
    moves: list[float] = []
    async with Screencast(session) as screencast:
        if gesture == "pan":
            moves, inputs, start, end = await pan(page, seconds)
        elif gesture == "wheel":
            inputs, start, end = await wheel(page, seconds)
        else:
            inputs, start, end = await pinch(page, seconds)
        await asyncio.sleep(AFTERMATH)
        await page_quiet(page)
    box, *_ = await canvas_middle(page)
    changes, scrolled = screencast.changes(box)
    remarks = []
    if scrolled:
        remarks.append("the page scrolled")
    if (scale := await page.evaluate("visualViewport.scale")) != 1:
        remarks.append(f"the browser zoomed the page to {scale:g}")
    if not inputs:
        raise RuntimeError(f"the page saw no input event of the {gesture}")
    result = Gesture(
        start=start,
        end=end,
        inputs=inputs,
        updates=[at for at in changes if at >= start],
        moves=moves,
        remarks=remarks,
    )
    if gesture == "pan":
        dragged = await canvas_rgba(page.locator(CANVAS).first)
        fresh_page = await open_figure(context, url, page_errors)
        fresh = await canvas_rgba(fresh_page.locator(CANVAS).first)
        result.fresh = compare(dragged, fresh, "the fresh page's")
        await fresh_page.close()
        result.unwatched_moves_per_second = await move_rate(page, seconds)
    await page.close()
    return result


async def measure(server: Server, gestures: tuple[str, ...], seconds: float) -> dict[str, Any]:
    """Each of ``gestures`` on the figure, a page each; page errors under "errors"."""
    from playwright.async_api import async_playwright

    results: dict[str, Any] = {}
    page_errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        try:
            for gesture in gestures:
                context = await browser.new_context(
                    viewport=VIEWPORT, device_scale_factor=RATIO, has_touch=gesture == "pinch"
                )
                await context.add_init_script(RECORD_INPUT + COUNT_FRAMES + COUNT_PAINTS)
                results[gesture] = await record_gesture(
                    context, f"{server.url}/1", gesture, seconds, page_errors
                )
                await context.close()
        finally:
            await browser.close()
    results["errors"] = page_errors
    return results


@contextlib.contextmanager
def preview_setting(value: str | None) -> Iterator[None]:
    """WEBFIG_PREVIEW set to ``value`` (unset for None) for the servers started meanwhile:
    Server gives them this process' environment."""
    saved = os.environ.pop(PREVIEW_SETTING, None)
    if value is not None:
        os.environ[PREVIEW_SETTING] = value
    try:
        yield
    finally:
        os.environ.pop(PREVIEW_SETTING, None)
        if saved is not None:
            os.environ[PREVIEW_SETTING] = saved


def gestures_of(backend: str) -> tuple[str, ...]:
    # WebAgg's page has no pinch: the browser gets the touches.
    return GESTURES if backend == "webfig" else ("pan", "wheel")


def run_notes(label: str, results: dict[str, Any]) -> list[str]:
    notes = []
    for gesture in GESTURES:
        if (result := results.get(gesture)) is not None:
            remarks = [result.remark(), *result.remarks]
            notes.append(f"{label}, {gesture}: " + "; ".join(remarks))
    if errors := results["errors"]:
        shown = "; ".join(f"`{error[:160]}`" for error in errors[:3])
        notes.append(f"{label}: the pages had {len(errors)} error(s): {shown}")
    return notes


def gesture_rows(weight: str, gesture: str, runs: list[dict[str, Any] | None]) -> list[Any]:
    """The latency rows of one gesture: "n/a" where the column has no such gesture."""

    def cells(value: Any, style: str) -> list[str]:
        return [
            "failed"
            if run is None
            else "n/a"
            if gesture not in run
            else style.format(value(run[gesture]))
            for run in runs
        ]

    what = {"pan": "pan drag", "wheel": "control + wheel", "pinch": "two-finger pinch"}[gesture]
    return [
        (
            f"{weight}: {what}, latency p50, input to changed pixels",
            cells(lambda g: g.latency(50), "{:.0f} ms"),
            "≤ 25 ms",
        ),
        (f"{weight}: {what}, latency p95", cells(lambda g: g.latency(95), "{:.0f} ms"), "≤ 50 ms"),
    ]


async def main(seconds: float) -> None:
    print(f"Machine: {machine()}\n", flush=True)
    notes = Notes()
    results: dict[tuple[str, str], dict[str, Any] | None] = {}
    for figure, weight in FIGURES.items():
        for column, (backend, setting) in RUNS.items():
            label = f"{weight} figure, {column}"
            with preview_setting(setting):
                results[figure, column] = result = await attempt(
                    label,
                    Server(backend, figure),
                    functools.partial(measure, gestures=gestures_of(backend), seconds=seconds),
                    notes,
                )
            if result is None:
                continue
            progress(
                "  "
                + ", ".join(
                    f"{gesture} p50 {result[gesture].latency(50):.0f} ms"
                    for gesture in GESTURES
                    if gesture in result
                )
                + f"; {result['pan'].unwatched_moves_per_second:.1f} moves/s unwatched, "
                f"{result['pan'].moves_per_second:.1f} watched"
            )
            notes.remarks.extend(run_notes(label, result))
    rows: list[Any] = []
    for figure, weight in FIGURES.items():
        runs = [results[figure, column] for column in RUNS]
        pans = [None if run is None else run["pan"] for run in runs]
        rows += [
            row(
                f"{weight}: pointer moves per s during the pan drag, no screencast",
                pans,
                lambda g: g.unwatched_moves_per_second,
                "{:.1f}",
            ),
            row(
                f"{weight}: the same, during the screencast",
                pans,
                lambda g: g.moves_per_second,
                "{:.1f}",
            ),
        ]
        for gesture in GESTURES:
            rows += gesture_rows(weight, gesture, runs)
        rows.append(
            (
                f"{weight}: canvas after the pan equals a fresh page's",
                ["failed" if g is None else g.fresh for g in pans],
                "yes",
            )
        )
    print_table(
        "Pan, wheel and pinch in Chromium at ratio 2: input to changed pixels on screen",
        f"Headless Chromium at device pixel ratio {RATIO}: a pan drag of {seconds:g} s (each "
        f"mouse move as soon as the browser took the last), control + wheel steps every "
        f"{WHEEL_STEP:g} s, a two-finger pinch of {seconds:g} s; what is on screen from "
        "Chromium's screencast. Light: two 2000-point lines, heavy: a 100 000-point scatter. "
        f"{load()} at the end.",
        list(RUNS),
        rows,
        notes,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of each gesture")
    asyncio.run(main(parser.parse_args().seconds))
