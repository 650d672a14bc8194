"""matplotlib's events in the browser as a script's callbacks get them on a desktop: a click
on a line's or a scatter's point picks it (``pick_event``), and keys pressed and released
over an axes reach ``key_press_event`` and ``key_release_event`` with matplotlib's names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.backend_bases import KeyEvent, PickEvent

from ..waiting import wait_until
from .helpers import RED, colour_count, data_per_css_px, on_server
from .people import click, settles_on_agg, shown, small_figure

pytestmark = pytest.mark.browser


def test_a_click_on_a_point_picks_it_from_its_line_or_scatter(open_page: Any) -> None:
    figure, ax = small_figure()
    ax.set(xlim=(0, 4), ylim=(0, 4))
    (line,) = ax.plot([0.5, 1.5, 2.5], [1, 3, 1], "o-", color="blue", picker=5)
    dots = ax.scatter([1, 2, 3], [0.5, 2, 3.5], s=80, color="green", picker=True)
    (mark,) = ax.plot([], [], "s", color="red", markersize=14)
    picks: list[tuple[Any, list[int]]] = []

    def picked(event: PickEvent) -> None:
        picks.append((event.artist, [int(i) for i in event.ind]))  # type: ignore[attr-defined]
        mark.set_data([event.mouseevent.xdata], [event.mouseevent.ydata])
        figure.canvas.draw_idle()

    figure.canvas.mpl_connect("pick_event", picked)  # type: ignore[arg-type]
    view = shown(open_page, figure)
    for x, y, artist, index in [(1.5, 3, line, 1), (3, 3.5, dots, 2), (1, 0.5, dots, 0)]:
        count = len(picks)
        click(view, view.data_to_page(figure, ax, x, y))
        wait_until(lambda c=count: len(picks) > c, page=view.page, message=f"a pick at {x, y}")
        assert picks[count:] == [(artist, [index])]
        settles_on_agg(view, figure)
        assert colour_count(view.pixels(), RED) > 100
    # A click on nothing pickable picks nothing.
    count = len(picks)
    click(view, view.data_to_page(figure, ax, 3.5, 0.5))
    click(view, view.data_to_page(figure, ax, 1.5, 3))
    wait_until(lambda: len(picks) > count, page=view.page, message="the pick after the miss")
    assert picks[count:] == [(line, [1])]


def test_keys_reach_press_and_release_callbacks_with_matplotlibs_names(open_page: Any) -> None:
    figure, ax = small_figure()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    (line,) = ax.plot([0, 1], [0, 1], color="blue", lw=6)
    events: list[tuple[str, str | None, bool, float | None]] = []

    def record(event: KeyEvent) -> None:
        events.append((event.name, event.key, event.inaxes is ax, event.xdata))
        if event.name == "key_press_event" and event.key == "x":
            line.set_color("red")
            figure.canvas.draw_idle()

    figure.canvas.mpl_connect("key_press_event", record)  # type: ignore[arg-type]
    figure.canvas.mpl_connect("key_release_event", record)  # type: ignore[arg-type]
    view = shown(open_page, figure)
    page = view.page
    point = view.data_to_page(figure, ax, 0.25, 0.5)
    page.mouse.move(point.x, point.y, steps=3)
    for key in ["x", "Shift+X", "Control+y", "Alt+z", "Enter", "Escape", "ArrowDown", "F7"]:
        page.keyboard.press(key)
    expected = [
        ("key_press_event", "x"),
        ("key_release_event", "x"),
        ("key_press_event", "shift"),
        ("key_press_event", "X"),
        ("key_release_event", "X"),
        ("key_release_event", "shift"),
        ("key_press_event", "control"),
        ("key_press_event", "ctrl+y"),
        ("key_release_event", "ctrl+y"),
        ("key_release_event", "control"),
        ("key_press_event", "alt"),
        ("key_press_event", "alt+z"),
        ("key_release_event", "alt+z"),
        ("key_release_event", "alt"),
        *[
            (kind, name)
            for name in ["enter", "escape", "down", "f7"]
            for kind in ("key_press_event", "key_release_event")
        ],
    ]
    wait_until(
        lambda: len(events) >= len(expected),
        page=page,
        message=lambda: f"{len(expected)} key events, not {events}",
    )
    assert [(name, key) for name, key, _, _ in events] == expected
    # Each carries where the pointer is, as on a desktop.
    step, _ = data_per_css_px(figure, ax)
    assert all(inside for _, _, inside, _ in events)
    assert np.allclose([x for *_, x in events], 0.25, atol=2 * step)
    assert on_server(line.get_color) == "red"
    settles_on_agg(view, figure)
