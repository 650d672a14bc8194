"""A script's own threads and the server's, on one figure at the same time."""

from __future__ import annotations

import json
import logging
import threading

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .imaging import paint

RED = (255, 0, 0)
BLUE = (0, 0, 255)
FRAMES = 60


class Hammer(threading.Thread):
    """A script thread that changes the figure as fast as it can: background and marker
    colour together (holding the canvas lock), and a line; it draws on its own thread
    one time in three and asks for a draw otherwise."""

    def __init__(self, figure: Figure, marker: Rectangle) -> None:
        super().__init__()
        self.figure = figure
        self.marker = marker
        self.stop = threading.Event()
        self.failures: list[BaseException] = []

    def run(self) -> None:
        rng = np.random.default_rng(0)
        line = self.figure.axes[0].lines[0]
        step = 0
        try:
            while not self.stop.is_set():
                step += 1
                colour = np.array(RED if step % 2 else BLUE) / 255
                with self.figure.canvas.lock:
                    self.figure.patch.set_facecolor(colour)
                    self.marker.set_facecolor(colour)
                    line.set_ydata(rng.random(3))
                if step % 3:
                    self.figure.canvas.draw_idle()
                else:
                    self.figure.canvas.draw()
        except BaseException as error:
            self.failures.append(error)


def marked_figure() -> tuple[Figure, Rectangle]:
    """A red figure with a red marker in its top right corner, drawn after everything."""
    figure = plt.figure(figsize=(4, 3), dpi=100, facecolor="red")
    ax = figure.add_axes((0.15, 0.15, 0.6, 0.6))
    ax.plot([0, 1, 2], [0, 1, 0])
    ax.set(xlim=(0, 2), ylim=(0, 1))
    marker = Rectangle(
        (0.9, 0.85), 0.1, 0.15, transform=figure.transFigure, zorder=100, color="red"
    )
    figure.add_artist(marker)
    return figure, marker


def test_a_script_thread_hammering_a_figure_while_viewers_pan(server, connect, caplog):
    """Every frame is one whole picture: the figure's background (drawn first) and the
    marker (drawn last) always have the same colour, whichever thread drew it."""
    caplog.set_level(logging.ERROR)
    figure, marker = marked_figure()
    panner, watcher = connect(server, figure.number), connect(server, figure.number)
    panner.receive_frame()
    watcher.receive_frame()
    panner.send("toolbar_button", name="pan")
    hammer = Hammer(figure, marker)
    hammer.start()
    try:
        rng = np.random.default_rng(1)
        for _ in range(FRAMES):
            pan_once(panner, 200 + int(rng.integers(-60, 60)))
            panner.receive_frame()
            watcher.receive_frame()
    finally:
        hammer.stop.set()
        hammer.join()
    assert not hammer.failures, hammer.failures
    assert check_every_picture(panner.received) >= FRAMES
    assert check_every_picture(watcher.received) >= FRAMES
    assert figure.axes[0].get_xlim() != (0, 2), "the viewer never panned"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def pan_once(client, x: int) -> None:
    client.send("button_press", x=200, y=150, button=0, buttons=1)
    client.send("motion_notify", x=x, y=170, buttons=1)
    client.send("button_release", x=x, y=170, button=0, buttons=0)


def check_every_picture(received: list[str | bytes]) -> int:
    """Paint the frames in order; each picture's background and marker must agree."""
    canvas, mode, count = None, "full", 0
    for message in received:
        if isinstance(message, str):
            content = json.loads(message)
            if content["type"] == "image_mode":
                mode = content["mode"]
            continue
        canvas = paint(canvas, mode, message)
        background = tuple(canvas[2, 2, :3])
        marker = tuple(canvas[10, canvas.shape[1] - 10, :3])
        assert background in (RED, BLUE), f"frame {count}: background {background}"
        assert marker == background, f"frame {count} is torn: {background} and {marker}"
        count += 1
    return count
