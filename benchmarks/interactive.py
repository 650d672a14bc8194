"""Interactive mode (``plt.ion()``): what an unchanged figure costs while a tab shows it, and
how many steps of a live-plot loop a viewer sees, WebAgg against webfig in one run.

    PYTHONPATH=. python benchmarks/interactive.py [--seconds S] [--runs N]

Run from the repository's root. Each backend serves benchmarks/ion_scene.py in a process of its
own running this checkout's webfig, one after the other, never at once; headless Chromium opens
the figure's page (``/1``) at 1000 × 800, device pixel ratio 1, and counts the binary frames
its websocket receives (inside the page, as frames.py does).

- idle: ``plt.ion()``, a 200-point line, ``plt.pause(0.1)``, then the script sleeps. Once the
  page painted its first frame and a second passed, for S seconds (default 10): the script's
  CPU time per second (all its threads; 1.0 is a whole core), its full draws per second
  (``draw_event``) and the frames per second the page received. The picture never changes,
  so the ideal is 0 draws, 0 frames and next to no CPU.
- loop: the usual live plot, 60 steps of ``line.set_ydata(...)`` then ``plt.pause(0.05)``,
  started once the page painted. Steps per second the script made, and per step the frames
  the page received (counted until a second after the last step) and the figure's draws.
  Each step changes the picture, so the ideal is one frame and one draw per step.

This is a benchmark, not a test: it asserts nothing. It prints the machine, a Markdown table
with one row per backend and run, then what the servers logged at WARNING and above.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import CHROMIUM, CHROMIUM_FLAGS, Server, machine
from frames import COUNT_FRAMES, frame_counts

SCENE = Path(__file__).with_name("ion_scene.py")
BACKENDS = ("webagg", "webfig")
TIMEOUT = 20.0  # seconds for a page's first frame
SETTLE = 1.0  # seconds after the first frame before measuring, and after the loop's last step
# Seconds a loop has to start after "go": WebAgg's plt.pause never returns.
LOOP_START_TIMEOUT = 5.0
LOOP_TIMEOUT = 60.0


@dataclass
class Idle:
    cpu: float  # CPU seconds per second
    draws: float  # per second
    frames: float  # per second


@dataclass
class Loop:
    steps_per_second: float
    frames_per_step: float
    draws_per_step: float


async def open_page(playwright: Any, server: Server) -> tuple[Any, Any]:
    """Chromium on the figure's page, once it received its first frame."""
    browser = await playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=list(CHROMIUM_FLAGS)
    )
    page = await browser.new_page(viewport={"width": 1000, "height": 800})
    await page.add_init_script(COUNT_FRAMES)
    await page.goto(f"{server.url}/1")
    await page.wait_for_function("window.benchmarkFrames.count > 0", timeout=TIMEOUT * 1000)
    await asyncio.sleep(SETTLE)
    return browser, page


async def measure_idle(backend: str, seconds: float) -> Idle:
    from playwright.async_api import async_playwright

    async with Server(backend, "idle", script=SCENE) as server, async_playwright() as playwright:
        browser, page = await open_page(playwright, server)
        before, (frames_before, _) = await server.stats(), await frame_counts(page)
        start = time.perf_counter()
        await asyncio.sleep(seconds)
        after, (frames_after, _) = await server.stats(), await frame_counts(page)
        elapsed = time.perf_counter() - start
        await browser.close()
        log(server)
    return Idle(
        cpu=(after["cpu"] - before["cpu"]) / elapsed,
        draws=(after["draws"] - before["draws"]) / elapsed,
        frames=(frames_after - frames_before) / elapsed,
    )


async def measure_loop(backend: str) -> Loop | None:
    """None where the loop never started."""
    from playwright.async_api import async_playwright

    async with Server(backend, "loop", script=SCENE) as server, async_playwright() as playwright:
        browser, page = await open_page(playwright, server)
        before, (frames_before, _) = await server.stats(), await frame_counts(page)
        await server.command("go")
        try:
            await server.line(lambda line: '"started"' in line, LOOP_START_TIMEOUT)
        except TimeoutError:
            await browser.close()
            log(server)
            return None
        done = json.loads(await server.line(lambda line: '"steps"' in line, LOOP_TIMEOUT))
        await asyncio.sleep(SETTLE)
        after, (frames_after, _) = await server.stats(), await frame_counts(page)
        await browser.close()
        log(server)
    steps = done["steps"]
    return Loop(
        steps_per_second=steps / done["seconds"],
        frames_per_step=(frames_after - frames_before) / steps,
        draws_per_step=(after["draws"] - before["draws"]) / steps,
    )


_logs: list[str] = []


def log(server: Server) -> None:
    if text := server.log().strip():
        _logs.append(f"{server.backend}:\n{text}")


def row(backend: str, run: int, idle: Idle, loop: Loop | None) -> str:
    cells = [backend, str(run), f"{idle.cpu:.3f}", f"{idle.draws:.1f}", f"{idle.frames:.1f}"]
    if loop is None:
        cells += ["never returns"] * 3
    else:
        cells += [
            f"{loop.steps_per_second:.1f}",
            f"{loop.frames_per_step:.2f}",
            f"{loop.draws_per_step:.2f}",
        ]
    return "| " + " | ".join(cells) + " |"


async def main(seconds: float, runs: int) -> None:
    print(machine())
    print(f"\nidle: {seconds:g} s with the page open; loop: 60 steps of plt.pause(0.05)")
    print('("never returns": plt.pause() serves until Ctrl+C, so the loop never runs)\n')
    print(
        "| backend | run | idle: CPU s/s | idle: draws/s | idle: frames/s "
        "| loop: steps/s | loop: frames/step | loop: draws/step |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for run in range(1, runs + 1):
        for backend in BACKENDS:
            idle = await measure_idle(backend, seconds)
            loop = await measure_loop(backend)
            print(row(backend, run, idle, loop), flush=True)
    if _logs:
        print("\nWhat the servers logged:", file=sys.stderr)
        print("\n".join(_logs), file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.runs))
