"""A figure server for the load benchmark: many figures, each redrawn all the time.

    python benchmarks/load_scene.py webfig|webagg FIGURES RATE ADDRESS PORT

Each of the FIGURES figures (400 × 300 px, one 500-point sine) changes RATE times a second:
a script thread moves the sine's phase and calls ``draw_idle``, the figures in turn, at a
steady pace (it skips what it missed rather than catch up in a burst). webfig's ``draw_idle``
may be called from any thread; WebAgg's may not (it writes to its websockets at once), so for
WebAgg the thread hands each change to the server's IOLoop with ``add_callback``, as a script
using WebAgg from a thread has to.

It prints ``ready PORT`` once it serves. On stdin, ``stats`` prints ``{"changes", "draws",
"blocks"}`` as one JSON line: the changes applied and the full draws made, all figures
together, and the memory blocks Python's allocator holds (``sys.getallocatedblocks``: a
leak of Python objects makes it grow; the allocator's own high-water mark does not).
``stop`` stops the changes (answering ``{"stopped": CHANGES}``), ``pictures`` answers
``{"pictures": {NUM: [HEIGHT, WIDTH, SHA256]}}``: each figure's picture as Agg last drew it,
the RGBA bytes' digest, for a viewer to compare with what it shows, and ``sockets``
answers ``{"sockets": N}``: the websocket handlers still alive after a garbage collection,
which a leak of connections makes grow. The process
ends when its stdin closes, so it never outlives the benchmark that started it. Warnings and
errors are logged to stderr with their level first.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext

import matplotlib

BACKEND, FIGURES, RATE = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ADDRESS, PORT = sys.argv[4], int(sys.argv[5])
matplotlib.use(BACKEND)
matplotlib.rcParams.update(
    {
        "webagg.address": ADDRESS,
        "webagg.port": PORT,
        "webagg.port_retries": 1,
        "webagg.open_in_browser": False,
    }
)
if BACKEND == "webfig":
    import webfig

    # No token, as WebAgg has none: the load's viewers connect to both alike.
    webfig.configure(port=PORT, address=ADDRESS, open_browser=False, token="")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backend_bases import DrawEvent  # noqa: E402
from tornado.websocket import WebSocketHandler  # noqa: E402

Apply = Callable[[Callable[[], object]], object]


class Wave:
    """One figure: a sine whose phase moves at every change."""

    def __init__(self) -> None:
        self.figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
        self.x = np.linspace(0, 4 * np.pi, 500)
        (self.line,) = ax.plot(self.x, np.sin(self.x))
        ax.set_ylim(-1.2, 1.2)
        self.phase = 0.0
        self.changes = 0
        self.draws = 0
        self.figure.canvas.mpl_connect("draw_event", self._drawn)

    def _drawn(self, _: DrawEvent) -> None:
        self.draws += 1

    def picture(self) -> list[int | str]:
        """The RGBA picture Agg last drew, as [height, width, sha256 of its bytes]."""
        canvas = self.figure.canvas
        with getattr(canvas, "lock", nullcontext()):
            pixels = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
            digest = hashlib.sha256(pixels.tobytes()).hexdigest()
        return [pixels.shape[0], pixels.shape[1], digest]

    def change(self) -> None:
        self.phase += 0.05
        self.line.set_ydata(np.sin(self.x + self.phase))
        self.changes += 1
        self.figure.canvas.draw_idle()


# Set by ``stop``: the script makes no more changes.
stopped = threading.Event()


def run_script(waves: list[Wave], rate: float, apply: Apply) -> None:
    """Change the figures in turn, ``rate`` changes per figure per second, until stopped."""
    period = 1 / (rate * len(waves))
    next_at = time.perf_counter()
    index = 0
    while not stopped.is_set():
        apply(waves[index % len(waves)].change)
        index += 1
        next_at += period
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1:  # more than a second behind: skip what was missed
            next_at = time.perf_counter()


def serve_stdin(waves: list[Wave]) -> None:
    """Answer ``stats``, ``stop`` and ``pictures`` lines; end the process when stdin closes."""
    for line in sys.stdin:
        command = line.strip()
        if command == "stats":
            answer: dict[str, object] = {
                "changes": sum(w.changes for w in waves),
                "draws": sum(w.draws for w in waves),
                "blocks": sys.getallocatedblocks(),
            }
        elif command == "stop":
            stopped.set()
            answer = {"stopped": sum(w.changes for w in waves)}
        elif command == "pictures":
            answer = {"pictures": {w.figure.number: w.picture() for w in waves}}
        elif command == "sockets":
            gc.collect()
            answer = {"sockets": sum(isinstance(o, WebSocketHandler) for o in gc.get_objects())}
        else:
            continue
        print(json.dumps(answer), flush=True)
    os._exit(0)


def announce() -> None:
    print(f"ready {PORT}", flush=True)


def call_now(function: Callable[[], object]) -> object:
    return function()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    waves = [Wave() for _ in range(FIGURES)]
    threading.Thread(target=serve_stdin, args=(waves,), daemon=True).start()
    if BACKEND == "webfig":
        plt.show(block=False)  # serving from here on, on webfig's own thread
        announce()
        run_script(waves, RATE, call_now)  # this (main) thread is the script's thread
        threading.Event().wait()  # stopped: serve on until stdin closes
    else:
        from tornado.ioloop import IOLoop

        loop = IOLoop.current()  # the loop WebAgg's plt.show() runs on this thread
        loop.add_callback(announce)
        script = threading.Thread(
            target=run_script, args=(waves, RATE, loop.add_callback), daemon=True
        )
        script.start()
        plt.show()


if __name__ == "__main__":
    main()
