"""Event handling: mouse clicks and key presses in the browser reach your callbacks.

Click in the axes to add a point, press ``r`` to add ten random points and ``c`` to clear
them all. The figure's label (the header above it in the page) says how many points there
are. Callbacks run on the figure's own thread, one at a time, while the canvas is locked.

Run it with ``python examples/events.py`` and open the printed URL; press ``q`` on the figure
(matplotlib's close key) to close it, after which ``plt.show()`` returns and the script logs
how many points it ended with. Ctrl+C stops it too.
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("webfig")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import KeyEvent, MouseButton, MouseEvent

log = logging.getLogger("events")


class PointPicker:
    """Points added by clicks and keys, shown on ``ax``."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.canvas = ax.figure.canvas
        (self.points,) = ax.plot([], [], "o", color="tab:red")
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.rng = np.random.default_rng()
        self.canvas.mpl_connect("button_press_event", self.on_click)
        self.canvas.mpl_connect("key_press_event", self.on_key)
        self.update()

    def on_click(self, event: MouseEvent) -> None:
        toolbar = self.canvas.toolbar
        if toolbar is not None and toolbar.mode:  # "" unless pan or zoom is on
            return
        if event.inaxes is not self.ax or event.button is not MouseButton.LEFT:
            return
        if event.xdata is not None and event.ydata is not None:
            self.xs.append(event.xdata)
            self.ys.append(event.ydata)
            self.update()

    def on_key(self, event: KeyEvent) -> None:
        if event.key == "c":
            self.xs.clear()
            self.ys.clear()
        elif event.key == "r":
            (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
            self.xs.extend(self.rng.uniform(x0, x1, 10))
            self.ys.extend(self.rng.uniform(y0, y1, 10))
        else:
            return
        self.update()

    def update(self) -> None:
        self.points.set_data(self.xs, self.ys)
        status = f"{len(self.xs)} point{'' if len(self.xs) == 1 else 's'}"
        if self.canvas.manager is not None:
            self.canvas.manager.set_window_title(f"Click to add points: {status}")
        log.info("%s", status)
        self.canvas.draw_idle()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # not a line per request
    # 'c' and 'r' are matplotlib's own keys for "back" and "home": free them for our use.
    plt.rcParams["keymap.back"].remove("c")
    plt.rcParams["keymap.home"].remove("r")
    _, ax = plt.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10), title="Click: add a point.  r: ten random ones.  c: clear")
    # matplotlib holds methods connected with mpl_connect weakly: keep the picker referenced.
    picker = PointPicker(ax)
    plt.show()
    log.info("%d points at the end", len(picker.xs))


if __name__ == "__main__":
    main()
