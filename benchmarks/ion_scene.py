"""A script in pyplot's interactive mode, for benchmarks/interactive.py:

    python benchmarks/ion_scene.py webfig|webagg idle|loop PORT

Both start as a user's script does: ``plt.ion()``, a line plot of 200 points (640 × 480 px),
``plt.pause(0.1)``. Then:

- ``idle``: nothing more; the main thread sleeps, the figure does not change;
- ``loop``: on ``go`` (a line on stdin), it prints ``{"started": true}``, then makes STEPS
  steps, each moving the line's phase and calling ``plt.pause(PAUSE)``, as the usual "live
  plot" loop does; then it prints ``{"steps", "seconds"}`` as one JSON line and sleeps.

``stats`` on stdin, at any time, prints ``{"draws", "cpu"}``: the figure's full draws so far
(``draw_event``) and the process' CPU seconds (all threads). Both use only matplotlib's public
API, so the same script runs webfig and WebAgg alike. (WebAgg's ``plt.pause`` serves in the
caller's thread until Ctrl+C, so its loop never starts: the benchmark says so.)
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time

from common import use_backend

BACKEND, MODE, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
use_backend(BACKEND, PORT)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

STEPS = 60
PAUSE = 0.05


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    draws = 0

    def drawn(_: object) -> None:
        nonlocal draws
        draws += 1

    go = threading.Event()

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps({"draws": draws, "cpu": time.process_time()}), flush=True)
            elif line.strip() == "go":
                go.set()

    threading.Thread(target=read_stdin, daemon=True).start()
    plt.ion()
    figure = plt.figure(1, figsize=(6.4, 4.8), dpi=100)
    figure.canvas.mpl_connect("draw_event", drawn)
    x = np.linspace(0, 4 * np.pi, 200)
    (line,) = plt.plot(x, np.sin(x))
    plt.pause(0.1)
    if MODE == "loop":
        go.wait()
        print(json.dumps({"started": True}), flush=True)
        start = time.perf_counter()
        for step in range(STEPS):
            line.set_ydata(np.sin(x + (step + 1) / 5))  # each step a new picture
            plt.pause(PAUSE)
        seconds = time.perf_counter() - start
        print(json.dumps({"steps": STEPS, "seconds": seconds}), flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
