"""Frames: webfig against matplotlib's WebAgg, side by side, in one run on one machine.

    python benchmarks/frames.py [--changes N] [--no-browser]

Each backend serves the same figure (benchmarks/scene.py) in a process of its own; the two
run one after the other, never at once. Measured from outside, the same way for both:

- server CPU (all threads) and bytes per frame for a small change (a one-pixel cursor move)
  and a full repaint (a pan step), at 640 × 480 and 1280 × 960 (device pixel ratio 2);
- renders and frames per change, and server CPU per change, with 1 and 4 viewers;
- the server's memory growth while one viewer stops reading;
- frames per second of a pan drag and of a blit animation in headless Chromium, at device
  pixel ratio 1 and 2, with bytes per frame.

Viewers are websocket clients that behave as the real ones do: WebAgg's answers ``draw`` and
acknowledges frames; webfig's also negotiates its extensions. The table goes to stdout as
Markdown. This is a benchmark, not a test: it asserts nothing and takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import common
from common import CHROMIUM, CHROMIUM_FLAGS, Server
from tornado.websocket import WebSocketClientConnection, websocket_connect

BACKENDS = ("webagg", "webfig")
TIMEOUT = 10.0
SETTLE = 0.05  # seconds without a frame after which a change counts as delivered


@dataclass
class Viewer:
    """A websocket viewer of figure 1, counting frames and bytes."""

    server: Server
    ratio: float = 1
    reading: bool = True
    frames: int = 0
    bytes: int = 0
    last_frame: float = field(default_factory=time.perf_counter)
    connection: WebSocketClientConnection | None = None
    task: asyncio.Task[None] | None = None

    async def connect(self) -> Viewer:
        url = f"ws://127.0.0.1:{self.server.port}/1/ws"
        self.connection = await websocket_connect(url, max_message_size=1 << 30)
        if self.server.backend == "webfig":
            self.send("webfig_hello", protocol=1, extensions=["rect_frames", "motion_ack"])
        self.send("supports_binary", value=True)
        self.send("send_image_mode")
        self.send("set_device_pixel_ratio", device_pixel_ratio=self.ratio)
        self.send("refresh")
        if self.reading:
            self.task = asyncio.create_task(self._read())
        return self

    def send(self, type: str, **fields: Any) -> None:
        assert self.connection is not None
        self.connection.write_message(json.dumps({"type": type, "figure_id": 1, **fields}))

    async def _read(self) -> None:
        assert self.connection is not None
        while (message := await self.connection.read_message()) is not None:
            if isinstance(message, bytes):
                self.frames += 1
                self.bytes += len(message)
                self.last_frame = time.perf_counter()
                self.send("ack")
            elif json.loads(message).get("type") == "draw":
                self.send("draw")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        if self.task is not None:
            self.task.cancel()


async def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + TIMEOUT
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"waited {TIMEOUT} s for {what}")
        await asyncio.sleep(0.001)


async def settle(viewers: list[Viewer], counts: list[int]) -> None:
    """Wait until every viewer got a new frame and no frame came for SETTLE seconds."""
    await wait_for(
        lambda: all(v.frames > c for v, c in zip(viewers, counts, strict=True)), "a frame"
    )
    while time.perf_counter() - max(v.last_frame for v in viewers) < SETTLE:
        await asyncio.sleep(0.01)


@dataclass
class ChangeCost:
    cpu_ms: float
    bytes: float
    draws: float
    frames_per_viewer: float


async def idle_cpu_rate(server: Server, windows: int = 3, seconds: float = 0.5) -> float:
    """The server's CPU seconds per second with nothing to do: the least of a few windows, so
    that the tail of earlier work (a render still running) does not count as idle."""
    rates = []
    for _ in range(windows):
        start, started = await server.stats(), time.perf_counter()
        await asyncio.sleep(seconds)
        end = await server.stats()
        rates.append((end["cpu"] - start["cpu"]) / (time.perf_counter() - started))
    return min(rates)


async def measure_changes(
    backend: str, change: str, *, viewers: int = 1, ratio: float = 1, changes: int = 30
) -> ChangeCost:
    """Server CPU, draws and frames per change, and bytes per frame, over ``changes``.

    The server's idle CPU (its event loop and the scene's command timer, see
    :func:`idle_cpu_rate`) is subtracted, so what remains is the cost of the changes themselves.
    """
    async with Server(backend, "lines") as server:
        clients = [await Viewer(server, ratio).connect() for _ in range(viewers)]
        await settle(clients, [0] * viewers)
        for _ in range(5):  # warm up
            await server.command(change)
            await settle(clients, [c.frames for c in clients])
        idle_rate = await idle_cpu_rate(server)
        before = await server.stats()
        start = time.perf_counter()
        frames_before = [c.frames for c in clients]
        bytes_before = clients[0].bytes
        for _ in range(changes):
            await server.command(change)
            await settle(clients, [c.frames for c in clients])
        after = await server.stats()
        after["cpu"] -= idle_rate * (time.perf_counter() - start)
        frames = [c.frames - f for c, f in zip(clients, frames_before, strict=True)]
        for client in clients:
            client.close()
    return ChangeCost(
        cpu_ms=(after["cpu"] - before["cpu"]) * 1000 / changes,
        bytes=(clients[0].bytes - bytes_before) / max(frames[0], 1),
        draws=(after["draws"] - before["draws"]) / changes,
        frames_per_viewer=sum(frames) / viewers / changes,
    )


async def measure_stalled_memory(backend: str, changes: int = 1000) -> float:
    """Server memory growth (MB) over ``changes`` pans while one viewer does not read (after
    200 pans that fill the kernel's socket buffers and settle the allocator)."""
    async with Server(backend, "lines") as server:
        lively = await Viewer(server).connect()
        stalled = await Viewer(server, reading=False).connect()
        await settle([lively], [0])

        async def pan(times: int) -> None:
            for _ in range(times):
                count = lively.frames
                await server.command("pan")
                await wait_for(lambda c=count: lively.frames > c, "the lively viewer's frame")

        await pan(200)
        before = await server.stats()
        await pan(changes)
        after = await server.stats()
        lively.close()
        stalled.close()
    return (after["rss"] - before["rss"]) / 1e6


async def measure_browser(backend: str, scene: str, ratio: float) -> tuple[float, float]:
    """Frames per second and bytes per frame in headless Chromium: a pan drag or a blit
    animation."""
    async with Server(backend, scene) as server:
        return await browser_frames(f"{server.url}/1", ratio, drag=scene != "blit", server=server)


async def browser_frames(
    url: str, ratio: float, *, drag: bool, server: Server | None = None
) -> tuple[float, float]:
    """Frames per second and bytes per frame of the figure page at ``url`` in headless
    Chromium: during a pan drag of three seconds at 60 moves a second (``drag``), else over
    three seconds of whatever the figure does by itself (a blit animation). With ``server``
    (the scene's), what its draws cost goes to stderr."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
        )
        context = await browser.new_context(
            viewport={"width": 1000, "height": 800}, device_scale_factor=ratio
        )
        page = await context.new_page()
        # Count binary frames inside the page: Playwright's own websocket events would ship
        # every frame to Python through the devtools protocol and slow the browser down.
        await page.add_init_script(COUNT_FRAMES)
        await page.goto(url)
        await wait_async_page(page, "window.benchmarkFrames.count > 0")
        canvas = page.locator("canvas.webfig-canvas, canvas.mpl-canvas").first
        box = await canvas.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        if not drag:
            await page.wait_for_timeout(1000)
            before, start = await frame_counts(page), time.perf_counter()
            await page.wait_for_timeout(3000)
        else:
            await page.mouse.click(x, y)
            await page.keyboard.press("p")
            await page.wait_for_timeout(300)
            await page.mouse.move(x, y)
            await page.mouse.down()
            stats = await server.stats() if server else None
            before, start = await frame_counts(page), time.perf_counter()
            for step in range(180):  # three seconds of a steady drag at 60 events/s
                await page.mouse.move(x - step * 2, y + (step % 20))
                await page.wait_for_timeout(16)
            await page.mouse.up()
            if server is not None and stats is not None:
                after = await server.stats()
                print(
                    f"  {server.backend} drag: {after['draws'] - stats['draws']:.0f} draws,"
                    f" {(after['cpu'] - stats['cpu']):.2f} s CPU,"
                    f" {after['sent'] - stats['sent']} sent",
                    file=sys.stderr,
                )
        elapsed = time.perf_counter() - start
        after_count, after_bytes = await frame_counts(page)
        await browser.close()
    frames = after_count - before[0]
    return frames / elapsed, (after_bytes - before[1]) / max(frames, 1)


COUNT_FRAMES = """
window.benchmarkFrames = { count: 0, bytes: 0 }
window.WebSocket = class extends window.WebSocket {
  constructor(...args) {
    super(...args)
    this.addEventListener("message", ({ data }) => {
      if (typeof data === "string") return
      window.benchmarkFrames.count += 1
      window.benchmarkFrames.bytes += data.size ?? data.byteLength
    })
  }
}
"""


async def frame_counts(page: Any) -> tuple[int, int]:
    counts = await page.evaluate("[window.benchmarkFrames.count, window.benchmarkFrames.bytes]")
    return int(counts[0]), int(counts[1])


async def wait_async_page(page: Any, condition: str) -> None:
    await page.wait_for_function(condition, timeout=TIMEOUT * 1000)


def machine() -> str:
    chromium = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return common.machine(chromium)


class Table:
    """The results, one row per metric, WebAgg against webfig."""

    def __init__(self) -> None:
        self.rows: list[str] = []

    def add(self, metric: str, values: dict[str, float], unit: str, target: str = "") -> None:
        webagg, webfig = values["webagg"], values["webfig"]
        ratio = f"{webfig / webagg:.2f}×" if webagg else "–"
        cells = [metric, f"{webagg:.1f} {unit}", f"{webfig:.1f} {unit}", ratio, target]
        self.rows.append("| " + " | ".join(cells) + " |")

    def print(self) -> None:
        print(f"Machine: {machine()}\n")
        print("| metric | WebAgg | webfig | webfig / WebAgg | target |")
        print("| --- | ---: | ---: | ---: | --- |")
        print("\n".join(self.rows))


async def main(changes: int, browser: bool) -> None:
    table = Table()
    for ratio, size in [(1, "640×480"), (2, "1280×960")]:
        for change, name in [("cursor", "small change"), ("pan", "full repaint")]:
            cost = {
                b: await measure_changes(b, change, ratio=ratio, changes=changes) for b in BACKENDS
            }
            cpu = {b: c.cpu_ms for b, c in cost.items()}
            table.add(
                f"server CPU per frame, {name}, {size}",
                cpu,
                "ms",
                "≤ 0.25×" if change == "cursor" else "",
            )
            table.add(
                f"bytes per frame, {name}, {size}",
                {b: c.bytes / 1000 for b, c in cost.items()},
                "kB",
            )
    for viewers in (1, 4):
        cost = {
            b: await measure_changes(b, "pan", viewers=viewers, changes=changes) for b in BACKENDS
        }
        table.add(
            f"renders per change, {viewers} viewer(s)",
            {b: c.draws for b, c in cost.items()},
            "",
            "1",
        )
        frames = {b: c.frames_per_viewer for b, c in cost.items()}
        table.add(f"frames per change per viewer, {viewers} viewer(s)", frames, "", "1")
        cpu = {b: c.cpu_ms for b, c in cost.items()}
        table.add(
            f"server CPU per change, {viewers} viewer(s)",
            cpu,
            "ms",
            "≤ 0.35×" if viewers == 4 else "",
        )
    memory = {b: await measure_stalled_memory(b) for b in BACKENDS}
    table.add("server memory growth, 1000 changes, 1 stalled viewer", memory, "MB", "≈ 1 frame")
    if browser:
        for scene, name in [("lines", "pan drag"), ("blit", "blit animation")]:
            for ratio in (1, 2):
                result = {b: await measure_browser(b, scene, ratio) for b in BACKENDS}
                target = "≥ 2×" if scene == "blit" or ratio == 2 else ""
                fps = {b: r[0] for b, r in result.items()}
                table.add(f"{name} frames/s in Chromium, ratio {ratio}", fps, "fps", target)
                size = {b: r[1] / 1000 for b, r in result.items()}
                table.add(
                    f"{name} bytes per frame, ratio {ratio}",
                    size,
                    "kB",
                    "≤ 0.5×" if scene == "blit" else "",
                )
    table.print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=30, help="changes per measurement")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.changes, not arguments.no_browser))
