"""An animation with blitting: ``FuncAnimation(..., blit=True)``.

With ``blit=True`` only the animated artists are redrawn for each frame, and webfig sends only
the pixels that changed, so the animation stays smooth even over a slow link.

Run it with ``python examples/animation.py``, open the printed URL; Ctrl+C stops it.
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("webfig")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # not a line per request
    fig, ax = plt.subplots(num="Travelling wave")
    x = np.linspace(0, 4 * np.pi, 400)
    ax.set(xlim=(x[0], x[-1]), ylim=(-1.2, 1.2), title="FuncAnimation with blit=True")
    ax.grid(True)  # drawn once, in the background that blitting restores
    (wave,) = ax.plot(x, np.sin(x), lw=2)
    (dot,) = ax.plot([], [], "o", color="tab:red", markersize=10)
    label = ax.text(0.02, 0.95, "", transform=ax.transAxes, va="top")

    def update(frame: int) -> tuple[Artist, ...]:
        phase = frame / 10
        wave.set_ydata(np.sin(x + phase))
        position = (frame / 20) % (4 * np.pi)
        dot.set_data([position], [np.sin(position + phase)])
        label.set_text(f"frame {frame}")
        return wave, dot, label  # with blit=True: every artist that changed

    # Keep a reference while it runs: an animation that is garbage collected stops.
    animation = FuncAnimation(fig, update, interval=30, blit=True, cache_frame_data=False)
    plt.show()
    animation.pause()  # the server has stopped: no more frames to draw


if __name__ == "__main__":
    main()
