"""Message handling and frame delivery in the figure manager, with recording viewers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest

from webfig.config import DEFAULT_MAX_PIXELS
from webfig.figure.canvas import MAX_PIXEL_RATIO, MIN_CANVAS_SIDE
from webfig.runtime.event_loop import server_thread
from webfig.wire.incoming import parse_message

from .imaging import decode_png
from .viewers import RecordingViewer
from .waiting import TIMEOUT

T = TypeVar("T")


def on_loop(function: Callable[[], T]) -> T:
    return server_thread().run_sync(function)


def send(manager: Any, viewer: RecordingViewer, type: str, **fields: Any) -> None:
    message = parse_message(__import__("json").dumps({"type": type, **fields}))
    on_loop(lambda: manager.handle_message(viewer, message))
    settle(manager)


def settle(manager: Any) -> None:
    """Wait until the figure's thread, then the loop, did what they were handed."""
    manager.canvas.figure_thread.run_sync(lambda: None)
    on_loop(lambda: None)


def acknowledging_viewer(manager: Any) -> RecordingViewer:
    """A viewer that acknowledges each frame, as browsers do, once the loop is free."""
    ack = parse_message('{"type": "ack"}')

    def acknowledge() -> None:
        server_thread().loop.call_soon(manager.handle_message, viewer, ack)

    viewer = RecordingViewer(on_frame=acknowledge)
    return viewer


def join(manager: Any, viewer: RecordingViewer | None = None) -> RecordingViewer:
    """A viewer that went through the usual connection sequence and got its first frame;
    by default one that acknowledges its frames."""
    viewer = viewer or acknowledging_viewer(manager)
    on_loop(lambda: manager.add_viewer(viewer))
    send(manager, viewer, "send_image_mode")
    send(manager, viewer, "set_device_pixel_ratio", device_pixel_ratio=1)
    send(manager, viewer, "refresh")
    viewer.wait_for_frame()
    return viewer


def data_to_top_left(ax, x: float, y: float) -> tuple[float, float]:
    """Where a browser would report the data point (x, y), in device px from the top."""
    px, py = ax.transData.transform((x, y))
    return float(px), float(ax.figure.bbox.height - py)


def test_a_new_viewer_gets_label_size_mode_and_a_full_frame(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    assert viewer.messages[0] == {"type": "figure_label", "label": "Figure 1"}
    assert viewer.messages[1] == {"type": "resize", "size": [400, 300], "forward": True}
    frame = viewer.frames()[0]
    assert viewer.image_mode_of(frame) == "full"
    np.testing.assert_array_equal(decode_png(frame), figure.canvas.pixels())
    assert viewer.of_type("history_buttons") == [
        {"type": "history_buttons", "Back": False, "Forward": False}
    ]
    assert viewer.of_type("navigate_mode") == [{"type": "navigate_mode", "mode": "NONE"}]


def test_a_press_reaches_callbacks_at_the_right_data_point(figure):
    ax = figure.axes[0]
    seen: list[tuple[Any, ...]] = []
    figure.canvas.mpl_connect(
        "button_press_event",
        lambda e: seen.append((e.button, e.xdata, e.ydata, e.dblclick, e.modifiers)),
    )
    manager = figure.canvas.manager
    viewer = join(manager)
    x, y = data_to_top_left(ax, 1.5, 0.25)
    send(manager, viewer, "button_press", x=x, y=y, button=2, buttons=2, modifiers=["shift"])
    send(manager, viewer, "dblclick", x=x, y=y, button=0, buttons=0, modifiers=[])
    (button, xdata, ydata, dblclick, modifiers), (button2, *_, dblclick2, _) = seen
    assert (button.name, dblclick, modifiers) == ("RIGHT", False, frozenset({"shift"}))
    assert (xdata, ydata) == pytest.approx((1.5, 0.25))
    assert (button2.name, dblclick2) == ("LEFT", True)


def test_motion_scroll_enter_leave_and_release_become_matplotlib_events(figure):
    names: list[tuple[str, Any]] = []
    for name in [
        "motion_notify_event",
        "scroll_event",
        "button_release_event",
        "figure_enter_event",
        "figure_leave_event",
    ]:
        figure.canvas.mpl_connect(
            name,
            lambda e: names.append(
                (e.name, getattr(e, "buttons", None) or getattr(e, "step", None))
            ),
        )
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "figure_enter", x=5, y=5)
    send(manager, viewer, "motion_notify", x=50, y=50, buttons=5)
    send(manager, viewer, "scroll", x=50, y=50, step=-1)
    send(manager, viewer, "button_release", x=50, y=50, button=0, buttons=0)
    send(manager, viewer, "figure_leave", x=5, y=5)
    assert [n for n, _ in names] == [
        "figure_enter_event",
        "motion_notify_event",
        "scroll_event",
        "button_release_event",
        "figure_leave_event",
    ]
    assert {b.name for b in names[1][1]} == {"LEFT", "MIDDLE"}
    assert names[2][1] == -1


def test_keys_reach_callbacks_with_matplotlib_names_and_pointer_position(figure):
    keys: list[tuple[str, Any, Any]] = []
    figure.canvas.mpl_connect("key_press_event", lambda e: keys.append((e.key, e.x, e.y)))
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "motion_notify", x=100, y=100, buttons=0)
    send(manager, viewer, "key_press", key="ctrl+alt+kx")
    send(manager, viewer, "key_press", key="shift+kQ")
    assert keys == [("ctrl+alt+x", 100, 200), ("Q", 100, 200)]


def test_matplotlib_key_bindings_work(figure):
    ax = figure.axes[0]
    manager = figure.canvas.manager
    viewer = join(manager)
    x, y = data_to_top_left(ax, 1, 0.5)  # grid keys act on the axes under the pointer
    send(manager, viewer, "motion_notify", x=x, y=y, buttons=0)
    send(manager, viewer, "key_press", key="kg")
    assert ax.xaxis.get_gridlines()[0].get_visible()
    send(manager, viewer, "key_press", key="kp")
    assert viewer.of_type("navigate_mode")[-1] == {"type": "navigate_mode", "mode": "PAN"}


def test_one_frame_is_encoded_once_for_every_viewer(figure):
    manager = figure.canvas.manager
    viewers = [join(manager) for _ in range(3)]
    marks = [len(v.messages) for v in viewers]
    figure.axes[0].lines[0].set_color("red")
    figure.canvas.draw_idle()
    frames = [v.wait_for_frame(after=mark) for v, mark in zip(viewers, marks, strict=True)]
    assert frames[0] is frames[1] is frames[2]
    assert [v.image_mode_of(f) for v, f in zip(viewers, frames, strict=True)] == ["diff"] * 3


def test_draw_idle_calls_coalesce_into_one_render(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    draws: list[str] = []
    figure.canvas.mpl_connect("draw_event", lambda _: draws.append(threading.current_thread().name))
    mark = len(viewer.messages)

    def change_many_times() -> None:
        for value in np.linspace(0.1, 0.5, 20):
            figure.axes[0].lines[0].set_ydata([0, value, 0])
            figure.canvas.draw_idle()

    on_loop(change_many_times)
    viewer.wait_for_frame(after=mark)
    settle(manager)  # anything scheduled has run
    # One draw, on the figure's thread: not on the loop the changes came from.
    assert draws == [figure.canvas.figure_thread.name]
    assert len(viewer.frames()) == 2


def test_a_change_on_the_figures_worker_is_drawn_while_the_loop_is_busy(figure):
    """An event handler's draw_idle (on the figure's thread) queues its render at once: the thread
    does not sit idle until the loop gets round to it."""
    manager = figure.canvas.manager
    join(manager)
    drawn = threading.Event()
    figure.canvas.mpl_connect("draw_event", lambda _: drawn.set())
    loop_free = threading.Event()
    server_thread().call_soon(lambda: loop_free.wait(TIMEOUT))
    try:

        def change() -> None:
            figure.axes[0].lines[0].set_ydata([0, 0.5, 0])
            figure.canvas.draw_idle()

        figure.canvas.figure_thread.submit(change)
        assert drawn.wait(TIMEOUT)
        assert not loop_free.is_set()
    finally:
        loop_free.set()


def test_a_late_viewer_gets_a_full_frame_and_the_others_a_diff(figure):
    manager = figure.canvas.manager
    early = join(manager)
    late = join(manager)
    assert late.image_mode_of(late.frames()[0]) == "full"
    mark = len(early.messages)
    figure.axes[0].set_title("changed")
    figure.canvas.draw_idle()
    diff = early.wait_for_frame(after=mark)
    assert early.image_mode_of(diff) == "diff"
    on_loop(lambda: None)  # anything scheduled has run
    np.testing.assert_array_equal(early.picture(), figure.canvas.pixels())
    np.testing.assert_array_equal(late.picture(), figure.canvas.pixels())


def test_resize_resizes_the_figure_and_tells_every_viewer(figure):
    manager = figure.canvas.manager
    asking, other = join(manager), join(manager)
    send(manager, asking, "resize", width=500, height=250)
    assert tuple(figure.get_size_inches() * figure.dpi) == (500, 250)
    for viewer in (asking, other):
        assert viewer.wait_for_json("resize", after=3) == {
            "type": "resize",
            "size": [500.0, 250.0],
            "forward": False,
        }
        frame = viewer.wait_for(
            lambda m: isinstance(m, bytes) and decode_png(m).shape == (250, 500, 4)
        )
        assert viewer.image_mode_of(frame) == "full"


def test_tiny_sizes_are_bounded_and_huge_ones_refused(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "resize", width=DEFAULT_MAX_PIXELS, height=0.001)
    assert tuple(figure.canvas.get_width_height()) == (DEFAULT_MAX_PIXELS, MIN_CANVAS_SIDE)
    send(manager, viewer, "resize", width=DEFAULT_MAX_PIXELS + 1, height=100)
    assert tuple(figure.canvas.get_width_height()) == (DEFAULT_MAX_PIXELS, MIN_CANVAS_SIDE)


def test_pixel_ratio_renders_more_pixels_at_the_same_css_size(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "set_device_pixel_ratio", device_pixel_ratio=2)
    assert viewer.of_type("resize")[-1] == {
        "type": "resize",
        "size": [400.0, 300.0],
        "forward": False,
    }
    viewer.wait_for(lambda m: isinstance(m, bytes) and decode_png(m).shape == (600, 800, 4))
    send(manager, viewer, "set_dpi_ratio", dpi_ratio=30)
    assert figure.canvas.device_pixel_ratio == MAX_PIXEL_RATIO


def test_toolbar_buttons_and_their_state_reach_every_viewer(figure):
    manager = figure.canvas.manager
    first, second = join(manager), join(manager)
    marks = len(first.messages), len(second.messages)
    send(manager, first, "toolbar_button", name="zoom")
    for viewer, mark in zip((first, second), marks, strict=True):
        assert viewer.wait_for_json("navigate_mode", after=mark)["mode"] == "ZOOM"
    # A zoom drag: rubberband while dragging, history afterwards.
    send(manager, first, "button_press", x=100, y=100, button=0, buttons=1)
    send(manager, first, "motion_notify", x=200, y=180, buttons=1)
    rubberband = second.wait_for_json("rubberband")
    assert (rubberband["x0"], rubberband["y0"]) == (100, 200)
    send(manager, first, "button_release", x=200, y=180, button=0, buttons=0)
    assert (
        second.wait_for_json("rubberband", after=second.messages.index(rubberband) + 1)["x0"] == -1
    )
    assert second.of_type("history_buttons")[-1] == {
        "type": "history_buttons",
        "Back": True,
        "Forward": False,
    }
    send(manager, second, "toolbar_button", name="back")
    assert figure.axes[0].get_xlim() == pytest.approx((0, 2))


def test_save_goes_only_to_the_viewer_that_asked(figure):
    manager = figure.canvas.manager
    asking, other = join(manager), join(manager)
    send(manager, asking, "key_press", key="ctrl+ks")
    send(manager, asking, "toolbar_button", name="download")
    assert asking.of_type("save") == [{"type": "save"}, {"type": "save"}]
    assert other.of_type("save") == []


def test_changes_from_the_script_reach_viewers(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    mark = len(viewer.messages)
    manager.set_window_title("Temperatures")
    figure.canvas.set_capture_scroll(True)
    assert viewer.wait_for_json("figure_label", after=mark)["label"] == "Temperatures"
    assert viewer.wait_for_json("capture_scroll", after=mark)["capture_scroll"] is True
    figure.set_size_inches(5, 2, forward=True)
    assert viewer.wait_for_json("resize", after=mark) == {
        "type": "resize",
        "size": [500.0, 200.0],
        "forward": True,
    }


def test_cursor_and_message_follow_the_pointer(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "toolbar_button", name="pan")
    x, y = data_to_top_left(figure.axes[0], 1, 0.5)
    send(manager, viewer, "motion_notify", x=x, y=y, buttons=0)
    assert viewer.wait_for_json("cursor")["cursor"] in {"move", "wait"}
    assert (
        "(1.000, 0.500)"
        in viewer.wait_for(
            lambda m: isinstance(m, dict) and m["type"] == "message" and m["message"] != ""
        )["message"]
    )


def test_a_draw_request_publishes_changes_the_script_made(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    mark = len(viewer.messages)
    figure.axes[0].lines[0].set_linewidth(8)  # stale, but nobody called draw_idle
    send(manager, viewer, "draw")
    send(manager, viewer, "ack")
    frame = viewer.wait_for_frame(after=mark)
    assert viewer.image_mode_of(frame) == "diff"
    on_loop(lambda: None)  # anything scheduled has run
    np.testing.assert_array_equal(viewer.picture(), figure.canvas.pixels())


def test_hello_negotiates_no_unknown_extension(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "webfig_hello", protocol=1, extensions=["teleport"])
    assert viewer.wait_for_json("webfig_welcome") == {
        "type": "webfig_welcome",
        "protocol": 1,
        "extensions": [],
    }


def test_a_removed_viewer_gets_nothing_more(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    on_loop(lambda: manager.remove_viewer(viewer))
    count = len(viewer.messages)
    figure.canvas.draw_idle()
    manager.set_window_title("after")
    on_loop(lambda: None)
    on_loop(lambda: None)
    assert len(viewer.messages) == count


def test_a_viewer_that_leaves_before_its_refresh_and_hello_ran_is_forgotten(figure, caplog):
    """Found by the soak run: a refresh (and a hello) wait for the figure's pending work,
    and the viewer may be gone by then."""
    manager = figure.canvas.manager
    viewer = join(manager)
    busy, release = threading.Event(), threading.Event()
    manager.canvas.figure_thread.submit(lambda: (busy.set(), release.wait(TIMEOUT)))
    assert busy.wait(TIMEOUT)
    hello = parse_message('{"type": "webfig_hello", "protocol": 1, "extensions": ["preview"]}')
    for message in (parse_message('{"type": "refresh"}'), hello):
        on_loop(lambda message=message: manager.handle_message(viewer, message))
    count = len(viewer.messages)
    on_loop(lambda: manager.remove_viewer(viewer))
    release.set()
    with caplog.at_level(logging.WARNING):
        settle(manager)
        on_loop(lambda: None)
    assert [r.getMessage() for r in caplog.records] == []
    assert len(viewer.messages) == count
    assert viewer not in manager._renders._seqs  # not previewing after it left


def test_a_connecting_viewer_gets_frames_only_once_it_asks(figure):
    manager = figure.canvas.manager
    first = join(manager)
    second = RecordingViewer()
    on_loop(lambda: manager.add_viewer(second))
    mark = len(first.messages)
    figure.axes[0].set_title("changed while the second viewer connects")
    figure.canvas.draw_idle()
    first.wait_for_frame(after=mark)
    assert second.frames() == []
    send(manager, second, "refresh")
    second.wait_for_frame()
    on_loop(lambda: None)  # anything scheduled has run
    assert len(second.frames()) == 1
    np.testing.assert_array_equal(second.picture(), figure.canvas.pixels())


def test_status_updates_are_coalesced_but_the_latest_always_arrives(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    mark = len(viewer.messages)

    def many_updates() -> None:
        for index in range(50):
            manager.toolbar.set_message(f"update {index}")

    on_loop(many_updates)
    viewer.wait_for(lambda m: isinstance(m, dict) and m.get("message") == "update 49")
    statuses = [
        m["message"]
        for m in viewer.messages[mark:]
        if isinstance(m, dict) and m["type"] == "message"
    ]
    assert statuses == ["update 0", "update 49"]
