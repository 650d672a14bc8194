"""Preview: how soon a pan drag shows in Chromium, WebAgg against webfig with and without its
client-side preview (issue 11), in one run on one machine.

    PYTHONPATH=. python benchmarks/preview.py [--seconds S]

Run from the repository's root. Three columns: matplotlib's WebAgg; webfig with the preview
off (``WEBFIG_PREVIEW=0`` in the server's environment); webfig as it comes (the preview on,
where the checkout has one). Two figures (benchmarks/scene.py): light, "lines" (two
2000-point lines and a grid), and heavy, "scatter" (100 000 points), both 640 × 480 CSS
pixels. Each backend serves in a process of its own running this checkout's webfig, one after
the other, never at once.

For each, headless Chromium opens the figure at device pixel ratio 2, selects pan (key "p",
as frames.py does, and waits for the pan button to be active), presses in the middle of the
canvas (inside the axes) and moves the mouse for S seconds, each ``page.mouse.move`` awaited
(as fast as the browser takes them), in a sweep of ±150 × ±20 CSS pixels that stays on the
axes, then releases. A script injected before the page's own:

- records each ``pointermove``'s ``performance.now()`` (a listener on the window, capture
  phase, so before the page's), and ``pointerdown`` and ``pointerup``, which bound the drag;
- on every animation frame, after the page's own requestAnimationFrame callbacks (it runs
  them itself, in order, from one callback of its own, so that what they draw counts in
  their own frame), samples the visible figure canvas (``canvas.webfig-canvas``, else mpl.js'
  ``canvas.mpl-canvas``; never a canvas outside the document, such as one the preview may
  draw from): five rows across the middle 40% of its width, at 30-70% of its height (inside
  the axes), read with ``getImageData`` and compared with the previous frame's. A frame
  whose rows differ counts as a visual update, at the time it was sampled.

The sampling is timed in every frame and printed under the table: 0.25-0.35 ms a frame on
average (2% of a 60 Hz frame; Chromium's canvases are in software here) where the page draws
only when a frame comes, 2-2.5 ms where webfig's preview draws the canvas in every animation
frame of the drag: ``getImageData`` first rasterizes what was drawn, which Chromium would
otherwise do as it composites the frame. Turned off, in eight pairs of runs (four with the
preview on), the sampling changed the frames painted per second (pipeline.py's count) by
2-13% either way, as much as two runs alike differ; with the preview on, the moves per
second were 2-8% higher without it.

Moves per second and visual updates per second are the page's pointermoves and updates
between the press and the release, per second; updates per move, their ratio. The latency of
a move is the time from it to the first update at or after it (after the release too); p50
and p95 are over the drag's moves. An update may not reflect the latest move yet: this is
the time until the picture next changes, what the issue asks for. Where the client draws in
the animation frame that follows the move, as the preview does, it is the time to the end of
that frame's callbacks, a few ms; the frame is on screen once Chromium presents it, which
the page cannot see. Once the page settled (no frame received and nothing drawn on the
canvas for a second), its canvas is compared pixel for pixel with that of a second page
opened then on the same figure (once it settled).

This is a benchmark, not a test: it asserts nothing. A measurement that fails says so on
stderr and under the table, and the others still run. It prints the machine, the table, then
what the servers logged; the six runs take two minutes or so.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import functools
import json
import math
import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from common import (
    CANVAS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    Server,
    canvas_rgba,
    compare,
    select_pan,
    sweep_mouse,
)
from frames import COUNT_FRAMES, machine
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
PREVIEW_SETTING = "WEBFIG_PREVIEW"
WEBAGG_CANVAS = (
    ": mpl.js sizes it from ResizeObserver's devicePixelContentBoxSize, which headless "
    "Chromium's emulated ratio reports in CSS pixels, and draws the server's frames (at "
    "ratio 2) on it unscaled, so it shows their top-left quarter; the sampled rows are still "
    "inside the axes"
)
RATIO = 2
# The sampled rows (fractions of the canvas' height) and their extent (of its width): the
# middle 40%, inside the axes. Rows, not columns: a column strides through memory and costs
# several times as much to read.
SAMPLED_ROWS = (0.3, 0.4, 0.5, 0.6, 0.7)
SAMPLED_ACROSS = (0.3, 0.7)
# What the page records: its pointer events, and its animation frames with whether the
# figure's canvas changed in each and what the sampling took; times in ms of performance.now().
SAMPLE_PIXELS = (
    """
window.benchmarkPixels = {
  moves: [], dispatchDelays: [], changes: [], frames: [], samplingCosts: [],
  down: null, up: null,
}
{
  const record = window.benchmarkPixels
  const capture = { capture: true }
  addEventListener("pointermove", (event) => {
    const now = performance.now()
    record.moves.push(now)
    record.dispatchDelays.push(now - event.timeStamp)
  }, capture)
  addEventListener("pointerdown", () => { record.down = performance.now() }, capture)
  addEventListener("pointerup", () => { record.up = performance.now() }, capture)

  const [left, right] = SAMPLED_ACROSS
  // The sampled rows of the canvas as they are now, RGBA pixels as 32-bit words.
  const sample = (canvas) => {
    const { width, height } = canvas
    const context = canvas.getContext("2d")
    const [x, across] = [Math.round(width * left), Math.round(width * (right - left))]
    return SAMPLED_ROWS.map((fraction) => {
      const y = Math.floor(height * fraction)
      return new Uint32Array(context.getImageData(x, y, across, 1).data.buffer)
    })
  }
  const same = (a, b) => {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  let previous = []
  const look = () => {
    const canvas = document.querySelector(CANVAS)
    if (!canvas || canvas.width === 0 || canvas.height === 0) return
    const start = performance.now()
    const strips = sample(canvas)
    if (strips.length !== previous.length || strips.some((strip, i) => !same(strip, previous[i]))) {
      record.changes.push(start)
    }
    previous = strips
    record.frames.push(start)
    record.samplingCosts.push(performance.now() - start)
  }

  // The page's animation frame callbacks run from this one, in the order they were asked
  // for, and the canvas is sampled after them: what they draw counts in their own frame.
  const requestFrame = window.requestAnimationFrame.bind(window)
  let due = new Map()
  let running = new Map()
  let nextId = 1
  window.requestAnimationFrame = (callback) => {
    due.set(nextId, callback)
    return nextId++
  }
  window.cancelAnimationFrame = (id) => {
    due.delete(id)
    running.delete(id)
  }
  const frame = (time) => {
    running = due
    due = new Map()
    // A Map's iteration skips what cancelAnimationFrame deletes meanwhile.
    for (const callback of running.values()) {
      try {
        callback(time)
      } catch (error) {
        reportError(error)
      }
    }
    running = new Map()
    look()
    requestFrame(frame)
  }
  requestFrame(frame)
}
""".replace("CANVAS", json.dumps(CANVAS))
    .replace("SAMPLED_ROWS", json.dumps(SAMPLED_ROWS))
    .replace("SAMPLED_ACROSS", json.dumps(SAMPLED_ACROSS))
)


@dataclass
class Drag:
    press: float  # ms, the page's performance.now()
    release: float
    moves: list[float]  # the page's pointermoves between the press and the release
    updates: list[float]  # visual updates from the press on, the release's aftermath too
    mouse_moves: int  # page.mouse.move calls during the drag
    frames: int  # animation frames between the press and the release
    sampling: list[float]  # ms each of those frames' sample took
    dispatch_delays: list[float]  # ms from each move's event.timeStamp to its listener
    canvas: tuple[int, int]  # the canvas' size, device pixels
    css_size: tuple[float, float]  # its size on the page, CSS pixels
    fresh: str  # whether the settled canvas equals a fresh page's
    page_errors: list[str]

    @property
    def seconds(self) -> float:
        return (self.release - self.press) / 1000

    @property
    def drag_updates(self) -> int:
        return bisect.bisect_right(self.updates, self.release)

    @property
    def moves_per_second(self) -> float:
        return len(self.moves) / self.seconds

    @property
    def updates_per_second(self) -> float:
        return self.drag_updates / self.seconds

    @property
    def updates_per_move(self) -> float:
        return self.drag_updates / max(len(self.moves), 1)

    @property
    def latencies(self) -> list[float]:
        """Ms from each move to the first update at or after it; a move no update followed
        has none."""
        found = [bisect.bisect_left(self.updates, move) for move in self.moves]
        return [
            self.updates[index] - move
            for move, index in zip(self.moves, found, strict=True)
            if index < len(self.updates)
        ]

    def latency(self, percent: float) -> float:
        latencies = self.latencies
        return float(np.percentile(latencies, percent)) if latencies else math.nan

    def remark(self) -> str:
        unanswered = len(self.moves) - len(self.latencies)
        delay = statistics.median(self.dispatch_delays)
        return (
            f"sampling took {statistics.mean(self.sampling):.2f} ms an animation frame "
            f"(longest {max(self.sampling):.2f} ms) at {self.frames / self.seconds:.0f} frames "
            f"per s; a pointermove reached its listener {delay:.0f} ms after its timeStamp "
            f"(median); {self.mouse_moves} mouse moves made "
            f"{len(self.moves)} pointermoves"
            + (f", {unanswered} of them followed by no update" if unanswered else "")
        )


def drag_of(record: dict[str, Any], **measured: Any) -> Drag:
    """The drag in what the page recorded: its moves and frames between the press and the
    release, its updates from the press on."""
    press, release = record["down"], record["up"]
    if press is None or release is None:
        raise RuntimeError("the page saw no pointerdown or no pointerup")
    during = [press <= move <= release for move in record["moves"]]
    frames = [
        cost
        for at, cost in zip(record["frames"], record["samplingCosts"], strict=True)
        if press <= at <= release
    ]
    if not any(during) or not frames:
        raise RuntimeError("the page saw no pointermove or no animation frame during the drag")
    return Drag(
        press=press,
        release=release,
        moves=[move for move, inside in zip(record["moves"], during, strict=True) if inside],
        dispatch_delays=[
            delay for delay, inside in zip(record["dispatchDelays"], during, strict=True) if inside
        ],
        updates=[change for change in record["changes"] if change >= press],
        frames=len(frames),
        sampling=frames,
        **measured,
    )


async def open_figure(context: Any, url: str, page_errors: list[str]) -> Any:
    """A new page of the figure once it settled."""
    page = await context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await page.goto(url, timeout=PAGE_TIMEOUT * 1000)
    await page.wait_for_function("window.benchmarkFrames.count > 0", timeout=PAGE_TIMEOUT * 1000)
    await page_quiet(page)
    return page


async def measure(server: Server, seconds: float) -> Drag:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        try:
            context = await browser.new_context(
                viewport={"width": 1000, "height": 800}, device_scale_factor=RATIO
            )
            await context.add_init_script(SAMPLE_PIXELS + COUNT_FRAMES + COUNT_PAINTS)
            page_errors: list[str] = []
            page = await open_figure(context, f"{server.url}/1", page_errors)
            # The canvas' middle, where the drag starts, is inside the axes.
            canvas, (x, y) = await select_pan(page, PAGE_TIMEOUT)
            await page_quiet(page)
            await page.mouse.move(x, y)
            await page.mouse.down()
            mouse_moves, _ = await sweep_mouse(page, x, y, seconds)
            await page.mouse.up()
            await page_quiet(page)
            record = await page.evaluate("window.benchmarkPixels")
            width, height, css_width, css_height = await canvas.evaluate(
                "canvas => [canvas.width, canvas.height, canvas.clientWidth, canvas.clientHeight]"
            )
            dragged = await canvas_rgba(canvas)
            fresh_page = await open_figure(context, f"{server.url}/1", page_errors)
            fresh = await canvas_rgba(fresh_page.locator(CANVAS).first)
        finally:
            await browser.close()
    return drag_of(
        record,
        mouse_moves=mouse_moves,
        canvas=(width, height),
        css_size=(css_width, css_height),
        fresh=compare(dragged, fresh, "the fresh page's"),
        page_errors=page_errors,
    )


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


def run_notes(label: str, backend: str, drag: Drag) -> list[str]:
    """What the table says under it of one run."""
    notes = [f"{label}: {drag.remark()}"]
    if drag.page_errors:
        errors = "; ".join(f"`{error[:160]}`" for error in drag.page_errors[:3])
        notes.append(f"{label}: the page had {len(drag.page_errors)} error(s): {errors}")
    (width, height), (css_width, css_height) = drag.canvas, drag.css_size
    if (width, height) != (round(css_width * RATIO), round(css_height * RATIO)):
        notes.append(
            f"{label}: the canvas is {width}×{height} device pixels for "
            f"{css_width:g}×{css_height:g} CSS pixels at ratio {RATIO}"
            + (WEBAGG_CANVAS if backend == "webagg" else "")
        )
    return notes


async def main(seconds: float) -> None:
    print(f"Machine: {machine()}\n", flush=True)
    notes = Notes()
    results: dict[tuple[str, str], Drag | None] = {}
    for figure, weight in FIGURES.items():
        for column, (backend, setting) in RUNS.items():
            label = f"{weight} figure, {column}"
            with preview_setting(setting):
                results[figure, column] = result = await attempt(
                    label,
                    Server(backend, figure),
                    functools.partial(measure, seconds=seconds),
                    notes,
                )
            if result is None:
                continue
            progress(
                f"  {result.moves_per_second:.1f} moves/s, "
                f"{result.updates_per_second:.1f} updates/s, "
                f"p50 {result.latency(50):.0f} ms, p95 {result.latency(95):.0f} ms"
            )
            notes.remarks.extend(run_notes(label, backend, result))
    rows = []
    for figure, weight in FIGURES.items():
        drags = [results[figure, column] for column in RUNS]
        rows += [
            row(f"{weight}: pointer moves per s", drags, lambda r: r.moves_per_second, "{:.1f}"),
            row(
                f"{weight}: visual updates per s",
                drags,
                lambda r: r.updates_per_second,
                "{:.1f}",
            ),
            row(
                f"{weight}: visual updates per move",
                drags,
                lambda r: r.updates_per_move,
                "{:.2f}",
                "≥ 0.8",
            ),
            row(
                f"{weight}: latency p50, move to changed pixels",
                drags,
                lambda r: r.latency(50),
                "{:.0f} ms",
                "≤ 25 ms",
            ),
            row(f"{weight}: latency p95", drags, lambda r: r.latency(95), "{:.0f} ms", "≤ 50 ms"),
            (
                f"{weight}: canvas after the drag equals a fresh page's",
                ["failed" if r is None else r.fresh for r in drags],
                "yes",
            ),
        ]
    print_table(
        "Pan drag in Chromium at ratio 2: pointer move to changed pixels",
        f"Headless Chromium at device pixel ratio {RATIO} drags in pan mode for {seconds:g} s, "
        "each mouse move as soon as the browser took the last; light: two 2000-point lines, "
        f"heavy: a 100 000-point scatter. {load()} at the end.",
        list(RUNS),
        rows,
        notes,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of each drag")
    asyncio.run(main(parser.parse_args().seconds))
