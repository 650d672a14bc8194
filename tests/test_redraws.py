"""When a viewer's event has the figure drawn: when a callback asks (``draw_idle``), as on a
desktop, never because the figure is stale; blitting callbacks keep their picture."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backend_bases import Event, MouseEvent
from matplotlib.widgets import RectangleSelector

from .test_interactive import count_draws, interactive  # noqa: F401  # the fixture
from .test_manager import data_to_top_left, join, send, settle
from .test_preview import preview_viewer, wait_for_seq

RED = (255, 0, 0, 255)


def test_a_callback_that_changes_the_figure_without_asking_is_not_drawn(figure):
    ax = figure.axes[0]
    manager = figure.canvas.manager
    viewer = join(manager)
    draws = count_draws(figure)
    figure.canvas.mpl_connect("button_press_event", lambda _: ax.set_facecolor("red"))
    frames = len(viewer.frames())
    send(manager, viewer, "button_press", x=200, y=150, button=0, buttons=1)
    send(manager, viewer, "button_release", x=200, y=150, button=0, buttons=0)
    settle(manager)
    assert figure.stale
    assert (draws, len(viewer.frames())) == ([], frames)
    # Asked for, the change is drawn.
    figure.canvas.draw_idle()
    viewer.wait_for(lambda _: tuple(viewer.picture()[150, 200]) == RED, after=frames)
    assert len(draws) == 1


def test_a_release_ends_the_preview_without_drawing_a_stale_figure(figure):
    """The release's frame (for the viewer's preview) publishes the picture as it is."""
    ax = figure.axes[0]
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    draws = count_draws(figure)
    figure.canvas.mpl_connect("button_release_event", lambda _: ax.set_facecolor("red"))
    send(manager, viewer, "button_press", x=200, y=150, button=0, buttons=1, seq=1)
    send(manager, viewer, "button_release", x=200, y=150, button=0, buttons=0, seq=2)
    assert wait_for_seq(viewer, 2)["frame"] is False
    assert draws == []


def test_a_callback_that_fails_halfway_still_ends_the_preview_and_draws_nothing(figure):
    ax = figure.axes[0]
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    draws = count_draws(figure)

    def fail_halfway(event: Event) -> None:
        ax.set_facecolor("red")
        raise RuntimeError("the callback's second step failed")

    figure.canvas.mpl_connect("button_release_event", fail_halfway)
    send(manager, viewer, "button_press", x=200, y=150, button=0, buttons=1, seq=1)
    send(manager, viewer, "button_release", x=200, y=150, button=0, buttons=0, seq=2)
    wait_for_seq(viewer, 2)
    assert draws == []
    assert tuple(viewer.picture()[150, 200]) != RED


def test_a_blitted_crosshair_follows_the_pointer_with_no_draw(figure):
    """The pattern of matplotlib's ``cursor_demo``: the background is taken at each draw with
    the crosshair hidden, and each move restores it and blits the crosshair over it; the
    figure stays stale all along."""
    ax = figure.axes[0]
    manager = figure.canvas.manager
    viewer = join(manager)
    vertical = ax.axvline(1, color="red", lw=3, visible=False)
    saved: list[object] = []

    def take_background(_: Event) -> None:
        vertical.set_visible(False)
        figure.canvas.draw()
        saved[:] = [figure.canvas.copy_from_bbox(ax.bbox)]
        vertical.set_visible(True)

    def follow(event: Event) -> None:
        assert isinstance(event, MouseEvent)
        if not saved:
            take_background(event)
        vertical.set_xdata([event.xdata])
        figure.canvas.restore_region(saved[0])
        ax.draw_artist(vertical)
        figure.canvas.blit(ax.bbox)

    figure.canvas.mpl_connect("motion_notify_event", follow)
    draws = count_draws(figure)
    for x in (0.5, 1.0, 1.5):
        column, row = (round(v) for v in data_to_top_left(ax, x, 0.5))
        mark = len(viewer.messages)
        send(manager, viewer, "motion_notify", x=column, y=row, buttons=0)
        viewer.wait_for(lambda _, c=column, r=row: tuple(viewer.picture()[r, c]) == RED, after=mark)
        np.testing.assert_array_equal(viewer.picture(), figure.canvas.pixels())
    assert figure.stale
    assert len(draws) == 1  # the background's, and no other


def test_a_blitting_selector_moves_with_no_draw_and_its_picture_is_aggs():
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.scatter(*np.random.default_rng(0).normal(size=(2, 2000)), s=2)
    selector = RectangleSelector(
        ax, lambda *_: None, useblit=True, interactive=True, props={"facecolor": "red"}
    )
    manager = figure.canvas.manager
    viewer = join(manager)
    draws = count_draws(figure)
    x, y = data_to_top_left(ax, -1, -1)
    send(manager, viewer, "button_press", x=x, y=y, button=0, buttons=1)
    for step in range(1, 6):
        send(manager, viewer, "motion_notify", x=x + 20 * step, y=y - 15 * step, buttons=1)
    # update_background's draw, with the selector hidden, when the first move shows it.
    assert len(draws) <= 1
    send(manager, viewer, "button_release", x=x + 100, y=y - 75, button=0, buttons=0)
    settle(manager)
    assert selector.extents[0] == -1
    assert len(draws) <= 1
    viewer.wait_for(lambda _: np.array_equal(viewer.picture(), figure.canvas.pixels()))


def test_a_refresh_draws_a_stale_figure_but_keeps_a_blitted_one(figure):
    """A page that opens gets the figure as it is, drawn anew if it changed without a draw
    (as a window that opens is drawn), unless the script is blitting: that would wipe the
    blit."""
    ax = figure.axes[0]
    manager = figure.canvas.manager
    first = join(manager)
    ax.set_facecolor("red")  # no draw asked for
    second = join(manager)
    assert tuple(second.picture()[150, 200]) == RED
    artist = ax.axvline(1, color="blue", lw=9)
    artist.set_visible(False)
    figure.canvas.draw()
    artist.set_visible(True)
    ax.draw_artist(artist)
    figure.canvas.blit(ax.bbox)
    settle(manager)
    blitted = figure.canvas.pixels()
    third = join(manager)
    np.testing.assert_array_equal(third.picture(), blitted)
    np.testing.assert_array_equal(first.picture(), blitted)


def test_in_interactive_mode_pyplot_asks_for_the_draw_of_a_callbacks_change(interactive):  # noqa: F811
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1])
    manager = figure.canvas.manager
    viewer = join(manager)
    figure.canvas.mpl_connect("button_press_event", lambda _: ax.set_facecolor("red"))
    mark = len(viewer.messages)
    send(manager, viewer, "button_press", x=200, y=150, button=0, buttons=1)
    viewer.wait_for(lambda _: tuple(viewer.picture()[150, 200]) == RED, after=mark)
