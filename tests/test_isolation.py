"""One figure's slow or broken work holds up no other figure and no request: each figure's
events, timers and draws run on its own thread, off the event loop."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backend_bases import MouseButton, MouseEvent

from .imaging import decode_png
from .test_server import fetch
from .waiting import TIMEOUT, wait_until

POINTER = {"modifiers": [], "guiEvent": {"type": "x"}}


def light_figure():
    figure, ax = plt.subplots(figsize=(3, 2), dpi=100)
    (line,) = ax.plot([0, 1, 2], [0, 1, 0], lw=3)
    ax.set(xlim=(0, 2), ylim=(0, 1))
    return figure, line


def test_a_locked_figure_holds_up_no_other_figure_and_no_request(server, connect):
    """Figure 2 is busy (its lock held, as a script or a slow save would) while its viewer
    sends events and a download of it waits; figure 1's frames and pages still come."""
    light, line = light_figure()
    busy, _ = light_figure()
    presses: list[float] = []
    busy.canvas.mpl_connect("button_press_event", lambda event: presses.append(event.x))
    watcher = connect(server, light.number)
    busy_viewer = connect(server, busy.number)
    watcher.receive_frame()
    busy_viewer.receive_frame()

    with ThreadPoolExecutor(1) as downloads:
        with busy.canvas.lock:
            for x in (10, 20, 30):
                busy_viewer.send("button_press", x=x, y=50, button=0, buttons=1, **POINTER)
                busy_viewer.send("button_release", x=x, y=50, button=0, buttons=0, **POINTER)
            download = downloads.submit(fetch, server, f"/{busy.number}/download.png")
            for step in range(3):
                line.set_ydata([0, 0.2 * step, 0])
                light.canvas.draw_idle()
                watcher.receive_frame()
            status, _, _ = fetch(server, "/")
            assert status == 200
            assert not download.done()
            assert presses == []
        # Once free, figure 2 catches up: every press, in order, and the download.
        status, _, body = download.result(TIMEOUT)
    assert status == 200
    assert decode_png(body).shape[:2] == (200, 300)
    busy_viewer.sync()
    assert presses == [10, 20, 30]


class Exploding(Artist):
    """An artist whose draw raises, as a figure broken by its script's bug would."""

    def draw(self, renderer) -> None:
        raise RuntimeError("this artist cannot be drawn")


def test_a_figure_whose_draw_raises_keeps_the_others_working(server, connect, caplog):
    caplog.set_level(logging.ERROR, logger="webfig")
    light, line = light_figure()
    broken, broken_line = light_figure()
    watcher = connect(server, light.number)
    broken_viewer = connect(server, broken.number)
    watcher.receive_frame()
    broken_viewer.receive_frame()

    exploding = broken.add_artist(Exploding())
    broken.canvas.draw_idle()
    for step in range(3):
        line.set_ydata([0, 0.3 * step, 0])
        light.canvas.draw_idle()
        watcher.receive_frame()
    assert any("drawing figure" in r.getMessage() for r in caplog.records)
    # Fixed, the broken figure draws again.
    exploding.remove()
    broken_line.set_color("red")
    broken.canvas.draw_idle()
    picture = decode_png(broken_viewer.receive_frame())
    assert picture.shape[:2] == (200, 300)


def test_a_drag_through_the_worker_ends_where_every_event_in_order_would(server, connect):
    """Moves that piled up while the figure was busy coalesce; the view after the release
    is the one handling every move would give (pan follows the last pointer position)."""
    dragged, _ = light_figure()
    reference, _ = light_figure()
    viewer = connect(server, dragged.number)
    viewer.receive_frame()
    viewer.send("toolbar_button", name="pan")
    viewer.sync()  # the figure's thread is idle
    reference.canvas.manager.toolbar.pan()
    press, moves = (150, 100), [(150 + 3 * n, 100 + n % 7) for n in range(60)]

    handled: list[tuple[float, float]] = []
    dragged.canvas.mpl_connect("motion_notify_event", lambda e: handled.append((e.x, e.y)))
    with dragged.canvas.lock:  # busy: the moves pile up behind the press
        viewer.send("button_press", x=press[0], y=press[1], button=0, buttons=1, **POINTER)
        for x, y in moves:
            viewer.send("motion_notify", x=x, y=y, buttons=1, **POINTER)
        viewer.send("button_release", x=x, y=y, button=0, buttons=0, **POINTER)
        # The press waits for the lock; behind it, all the moves made one, then the release.
        wait_until(lambda: dragged.canvas.figure_thread.pending == 3, message="the moves to merge")
    viewer.sync()

    drive(reference, "button_press_event", *press)
    for x, y in moves:
        drive(reference, "motion_notify_event", x, y)
    drive(reference, "button_release_event", *moves[-1])
    assert handled == [(moves[-1][0], dragged.bbox.height - moves[-1][1])]
    assert dragged.axes[0].get_xlim() != (0, 2), "the drag did not pan"
    np.testing.assert_allclose(dragged.axes[0].get_xlim(), reference.axes[0].get_xlim())
    np.testing.assert_allclose(dragged.axes[0].get_ylim(), reference.axes[0].get_ylim())


def drive(figure, name: str, x: float, y: float) -> None:
    """Hand ``figure`` a left-button event at once, as a desktop backend would (``x``, ``y``
    in pixels from the top left, as viewers send them)."""
    y = figure.bbox.height - y
    if name == "motion_notify_event":
        event = MouseEvent(name, figure.canvas, x, y, buttons={MouseButton.LEFT})
    else:
        event = MouseEvent(name, figure.canvas, x, y, MouseButton.LEFT)
    figure.canvas.callbacks.process(name, event)


def change_and_render(figure, line, viewer, step: int) -> None:
    """Change ``line`` for ``step``, ask for a draw, and wait until the render has run."""
    line.set_ydata([0, 0.2 * step, 0])
    figure.canvas.draw_idle()
    viewer.sync()  # the render was asked for...
    figure.canvas.figure_thread.run_sync(lambda: None)  # ...and has run


def test_a_figure_that_keeps_failing_to_draw_logs_it_once_until_it_draws(server, connect, caplog):
    broken, line = light_figure()
    viewer = connect(server, broken.number)
    viewer.receive_frame()
    exploding = broken.add_artist(Exploding())
    manager = broken.canvas.manager
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for step in range(4):
            change_and_render(broken, line, viewer, step)
        exploding.remove()
        broken.canvas.draw_idle()
        viewer.receive_frame()
        broken.add_artist(Exploding())
        broken.canvas.draw_idle()
        viewer.sync()
        broken.canvas.figure_thread.run_sync(lambda: None)
    levels = [r.levelno for r in caplog.records if "drawing figure" in r.getMessage()]
    # Four failures, one error; it drew again; the next failure is news again.
    assert levels == [logging.ERROR, *[logging.DEBUG] * 3, logging.ERROR]
    assert manager.viewer_count == 1


class ExplodingAnew(Artist):
    """An artist whose draw raises with another message every time, as a script's error that
    names a value or a counter would."""

    def __init__(self) -> None:
        super().__init__()
        self.draws = 0

    def draw(self, renderer) -> None:
        self.draws += 1
        raise ValueError(f"no value at draw {self.draws}")


def test_a_draw_failing_with_a_new_message_each_time_is_still_logged_once(server, connect, caplog):
    broken, line = light_figure()
    viewer = connect(server, broken.number)
    viewer.receive_frame()
    exploding = broken.add_artist(ExplodingAnew())
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for step in range(3):
            change_and_render(broken, line, viewer, step)
    records = [r for r in caplog.records if "drawing figure" in r.getMessage()]
    assert exploding.draws == 3
    assert [r.levelno for r in records] == [logging.ERROR, logging.DEBUG, logging.DEBUG]
    # The quiet ones still say what went wrong, for whoever turns debug logs on.
    assert "ValueError: no value at draw 3" in records[-1].getMessage()
