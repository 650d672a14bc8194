"""A figure server with two figures, for the pipeline benchmark's stall part:

    python benchmarks/two_figures.py webfig|webagg PORT

- figure 1, light: a 200-point sine whose phase moves every 40 ms (the backend's own timer,
  ``fig.canvas.new_timer``, then ``draw_idle``), 640 × 480 px;
- figure 3, heavy: a scatter of 100 000 points, 640 × 480 px, which takes seconds to save
  as PDF.

It uses only matplotlib's public API, so the same script runs webfig and WebAgg alike.
Warnings and errors are logged to stderr with their level first.
"""

from __future__ import annotations

import itertools
import logging
import sys

from common import use_backend

BACKEND, PORT = sys.argv[1], int(sys.argv[2])
use_backend(BACKEND, PORT)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

CHANGE_MS = 40
SCATTER_POINTS = 100_000


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    light = plt.figure(1, figsize=(6.4, 4.8), dpi=100)
    ax = light.subplots()
    x = np.linspace(0, 4 * np.pi, 200)
    (line,) = ax.plot(x, np.sin(x))
    ax.set_ylim(-1.2, 1.2)
    steps = itertools.count()

    def change() -> None:
        line.set_ydata(np.sin(x + next(steps) / 10))
        light.canvas.draw_idle()

    timer = light.canvas.new_timer(interval=CHANGE_MS)
    timer.add_callback(change)
    timer.start()

    heavy = plt.figure(3, figsize=(6.4, 4.8), dpi=100)
    spread = np.random.default_rng(3).normal(size=(2, SCATTER_POINTS))
    heavy.subplots().scatter(spread[0], spread[1], s=4)
    plt.show()


if __name__ == "__main__":
    main()
