"""A figure server for the benchmarks: one backend, one figure, driven through stdin.

    python benchmarks/scene.py webfig|webagg lines|blit|scatter PORT

"lines" is the benchmark figure (two 2000-point lines and a grid), "blit" the same with a
blitted animation over it, "scatter" a heavy figure instead: 100 000 points. It uses only
matplotlib's public API, so the same script runs webfig and matplotlib's WebAgg alike.
Commands, one per line on stdin, run on the backend's event loop (through a timer that
looks for them every 2 ms, or every ``SCENE_POLL_MS`` ms from the environment):

- ``pan``: shift the x limits by 1% and ``draw_idle`` (a full repaint of the axes);
- ``cursor``: move a vertical cursor line by one device pixel, by blitting where the canvas
  supports it (as matplotlib's widgets do) and by ``draw_idle`` where it does not;
- ``stats``: print ``{"draws", "cpu", "rss"}`` as one JSON line: the number of full draws,
  the process' CPU seconds (all threads), and its resident memory in bytes;
- ``drawtime N``: pan N times, each followed by one Agg draw of the figure alone (Agg's own
  ``draw``, not the backend's, so nothing is sent), and print ``{"draw", "width", "height"}``:
  the median seconds of one draw and the canvas' size in device pixels;
- ``png PATH``: draw the figure with Agg alone (as ``drawtime`` does, so a blitted cursor is
  drawn once, as viewers see it; ``savefig`` would draw it twice) and save Agg's buffer,
  the picture viewers should show at the canvas' size, as a PNG; print ``{"saved": PATH}``.

Warnings and errors are logged to stderr with their level first.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from common import use_backend

BACKEND, SCENE, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
use_backend(BACKEND, PORT)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from PIL import Image  # noqa: E402

SCATTER_POINTS = 100_000


def resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Scene:
    """The test figure, 640 × 480 CSS pixels: two 2000-point lines and a grid, or (``scatter``)
    100 000 points."""

    def __init__(self, scatter: bool = False) -> None:
        self.figure, self.ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
        if scatter:
            spread = np.random.default_rng(3).normal(size=(2, SCATTER_POINTS))
            self.ax.scatter(spread[0], spread[1], s=4)
        else:
            x = np.linspace(0, 20, 2000)
            self.ax.plot(x, np.sin(x), x, np.cos(x) * np.exp(-x / 20))
            self.ax.grid(True)
            self.ax.set_xlim(0, 10)
        self.draws = 0
        self.canvas = self.figure.canvas
        self.canvas.mpl_connect("draw_event", self._drawn)
        self.blit = self.canvas.supports_blit
        self.cursor_x = sum(self.ax.get_xlim()) / 2
        self.cursor = self.ax.axvline(self.cursor_x, color="black", lw=1, animated=self.blit)
        self.background: Any = None

    def _drawn(self, _: object) -> None:
        self.draws += 1
        if self.blit:
            self.background = self.canvas.copy_from_bbox(self.ax.bbox)
            self.ax.draw_artist(self.cursor)

    def pan(self, draw: bool = True) -> None:
        low, high = self.ax.get_xlim()
        step = (high - low) / 100
        self.ax.set_xlim(low + step, high + step)
        if draw:
            self.canvas.draw_idle()

    def draw_time(self, draws: int) -> float:
        """The median seconds of one Agg draw after a pan step."""
        times = []
        for _ in range(draws):
            self.pan(draw=False)
            start = time.perf_counter()
            FigureCanvasAgg.draw(self.canvas)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def move_cursor(self) -> None:
        low, high = self.ax.get_xlim()
        self.cursor_x += (high - low) / self.ax.bbox.width
        self.cursor.set_xdata([self.cursor_x, self.cursor_x])
        if self.blit and self.background is not None:
            self.canvas.restore_region(self.background)
            self.ax.draw_artist(self.cursor)
            self.canvas.blit(self.ax.bbox)
        else:
            self.canvas.draw_idle()


def blit_animation(scene: Scene) -> FuncAnimation:
    """A travelling wave, ``FuncAnimation(blit=True)``: blitted where the canvas can, redrawn
    in full where it cannot. (An artist made with ``animated=True`` would never show on a
    canvas that cannot blit, so this one is not.)"""
    x = np.linspace(0, 20, 2000)
    (wave,) = scene.ax.plot(x, np.sin(x), color="tab:red", lw=2)

    def step(frame: int) -> tuple[Any, ...]:
        wave.set_ydata(np.sin(x + frame / 10))
        return (wave,)

    return FuncAnimation(scene.figure, step, interval=5, blit=True, cache_frame_data=False)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    scene = Scene(scatter=SCENE == "scatter")
    # An animation stops when it is garbage collected: keep it while the figure is shown.
    _animation = blit_animation(scene) if SCENE == "blit" else None
    commands: queue.Queue[str] = queue.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            commands.put(line.strip())

    def run_commands() -> None:
        while True:
            try:
                command = commands.get_nowait()
            except queue.Empty:
                return
            name, _, argument = command.partition(" ")
            if name == "drawtime":
                draw = scene.draw_time(int(argument))
                width, height = scene.canvas.get_width_height(physical=True)
                print(json.dumps({"draw": draw, "width": width, "height": height}), flush=True)
            elif name == "png":
                FigureCanvasAgg.draw(scene.canvas)
                Image.fromarray(np.asarray(scene.canvas.buffer_rgba())).save(argument)
                print(json.dumps({"saved": argument}), flush=True)
            elif command == "pan":
                scene.pan()
            elif command == "cursor":
                scene.move_cursor()
            elif command == "stats":
                stats = {
                    "draws": scene.draws,
                    "cpu": time.process_time(),
                    "rss": resident_bytes(),
                    "sent": getattr(scene.canvas.manager, "frames_sent", -1),
                }
                print(json.dumps(stats), flush=True)

    threading.Thread(target=read_stdin, daemon=True).start()
    timer = scene.canvas.new_timer(interval=int(os.environ.get("SCENE_POLL_MS", "2")))
    timer.add_callback(run_commands)
    timer.start()
    plt.show()


if __name__ == "__main__":
    main()
