"""Frame delivery: rect frames, flow control per viewer, one render per change, blitting."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from webfig.frames import delivery
from webfig.frames.encode_retries import ATTEMPTS, RETRY
from webfig.frames.encoder import RECT_FRAME_MAGIC
from webfig.frames.viewer_state import WINDOW
from webfig.wire.extensions import RECT_FRAMES
from webfig.wire.incoming import parse_message

from .imaging import unpack_rect_frame
from .test_manager import acknowledging_viewer, join, on_loop, send, settle
from .viewers import RecordingViewer
from .waiting import TIMEOUT, wait_until


def rect_viewer(manager: Any, *, acknowledging: bool = True) -> RecordingViewer:
    """A viewer that negotiated rect frames, connected and painted once."""
    viewer = acknowledging_viewer(manager) if acknowledging else RecordingViewer()
    on_loop(lambda: manager.add_viewer(viewer))
    send(manager, viewer, "webfig_hello", protocol=1, extensions=["rect_frames", "motion_ack"])
    send(manager, viewer, "refresh")
    viewer.wait_for_frame()
    return viewer


def change_and_wait(figure, viewers: list[RecordingViewer], value: float) -> None:
    """Change the line, and wait until every viewer shows exactly the new picture.

    Until the change is drawn, Agg's buffer still holds the old picture, which the viewers
    show already: only a frame sent after the change can show the new one.
    """
    marks = [len(viewer.messages) for viewer in viewers]
    figure.axes[0].lines[0].set_ydata([0, value, 0])
    figure.canvas.draw_idle()
    for viewer, mark in zip(viewers, marks, strict=True):
        viewer.wait_for(
            lambda m, v=viewer: (
                isinstance(m, bytes) and np.array_equal(v.picture(), figure.canvas.pixels())
            ),
            after=mark,
        )


def test_rect_frames_carry_only_the_change_and_rebuild_the_figure(figure):
    manager = figure.canvas.manager
    viewer = rect_viewer(manager)
    first = viewer.frames()[0]
    assert first.startswith(RECT_FRAME_MAGIC)
    assert unpack_rect_frame(first).full
    mark = len(viewer.messages)
    figure.axes[0].set_title("a new title")
    figure.canvas.draw_idle()
    frame = unpack_rect_frame(viewer.wait_for_frame(after=mark))
    assert not frame.full
    covered = sum(tile.rect.width * tile.rect.height for tile in frame.tiles)
    assert covered < 400 * 300 / 4  # the title's rows, not the canvas
    assert all(tile.rect.y < 40 for tile in frame.tiles)
    on_loop(lambda: None)
    np.testing.assert_array_equal(viewer.picture(), figure.canvas.pixels())
    assert viewer.of_type("image_mode") == []  # rect viewers need no image modes


def test_each_change_is_rendered_once_and_encoded_once_for_many_viewers(figure):
    manager = figure.canvas.manager
    viewers = [rect_viewer(manager) for _ in range(4)]
    draws: list[object] = []
    figure.canvas.mpl_connect("draw_event", draws.append)
    marks = [len(v.frames()) for v in viewers]
    for value in np.linspace(0.2, 0.8, 5):
        change_and_wait(figure, viewers, value)
    assert len(draws) == 5
    new_frames = [v.frames()[mark:] for v, mark in zip(viewers, marks, strict=True)]
    assert [len(frames) for frames in new_frames] == [5] * 4
    for frames in zip(*new_frames, strict=True):
        assert all(frame is frames[0] for frame in frames)  # one encode, sent four times


def test_a_stalled_viewer_gets_no_backlog_and_then_the_newest_state(figure):
    manager = figure.canvas.manager
    stalled = rect_viewer(manager, acknowledging=False)
    lively = rect_viewer(manager)
    for value in np.linspace(0.1, 0.9, 12):
        change_and_wait(figure, [lively], value)
    on_loop(lambda: None)
    # One frame unacknowledged from connecting, plus at most WINDOW - 1 more: no backlog.
    assert len(stalled.frames()) <= WINDOW
    assert len(lively.frames()) == 13
    state = on_loop(lambda: manager._delivery.state(stalled))
    assert state.in_flight == WINDOW
    # The stalled viewer acknowledges: one frame brings it to the newest picture.
    count = len(stalled.frames())
    for _ in range(WINDOW):
        send(manager, stalled, "ack")
    stalled.wait_for(lambda _: np.array_equal(stalled.picture(), figure.canvas.pixels()))
    on_loop(lambda: None)
    assert len(stalled.frames()) == count + 1


def test_standard_and_rect_viewers_side_by_side(figure):
    manager = figure.canvas.manager
    standard, rects = join(manager), rect_viewer(manager)
    change_and_wait(figure, [standard, rects], 0.4)
    assert not standard.frames()[-1].startswith(RECT_FRAME_MAGIC)
    assert standard.image_mode_of(standard.frames()[-1]) == "diff"
    assert rects.frames()[-1].startswith(RECT_FRAME_MAGIC)


def test_motion_is_acknowledged_for_viewers_that_asked(figure):
    manager = figure.canvas.manager
    paced, plain = rect_viewer(manager), join(manager)
    for viewer in (paced, plain):
        send(manager, viewer, "motion_notify", x=10, y=10, buttons=0)
    assert paced.of_type("motion_ack") == [{"type": "motion_ack"}]
    assert plain.of_type("motion_ack") == []


def test_motion_is_acknowledged_on_arrival_even_while_the_figure_is_busy(figure):
    """The client may send its next move at once: moves queued for a busy figure merge."""
    manager = figure.canvas.manager
    paced = rect_viewer(manager)
    moves: list[float] = []
    figure.canvas.mpl_connect("motion_notify_event", lambda event: moves.append(event.x))
    with figure.canvas.lock:
        for x in (10, 20, 30):
            message = parse_message(json.dumps({"type": "motion_notify", "x": x, "y": 10}))
            on_loop(lambda message=message: manager.handle_message(paced, message))
        assert len(paced.of_type("motion_ack")) == 3
        assert moves == []
    manager.canvas.figure_thread.run_sync(lambda: None)
    # The moves waiting behind the lock merged (one may have been running already).
    assert moves[-1] == 30
    assert len(moves) < 3


def blitting_animation(color: str) -> tuple[Any, FuncAnimation, list[int]]:
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set(xlim=(-0.5, 10.5), ylim=(-1.2, 1.2))  # the wave stays clear of the spines
    x = np.linspace(0, 10, 200)
    (wave,) = ax.plot(x, np.sin(x), color=color, lw=3, animated=True)
    shown: list[int] = []

    def step(frame: int) -> tuple[Any, ...]:
        wave.set_ydata(np.sin(x + frame / 5))
        shown.append(frame)
        return (wave,)

    animation = FuncAnimation(fig, step, interval=10, blit=True, cache_frame_data=False)
    return fig, animation, shown


def test_a_blitted_animation_shows_exactly_what_a_full_draw_would(figure):
    plt.close(figure)
    fig, animation, shown = blitting_animation("tab:red")
    assert fig.canvas.supports_blit
    draws: list[object] = []
    fig.canvas.mpl_connect("draw_event", draws.append)
    viewer = rect_viewer(fig.canvas.manager)
    viewer.wait_for(lambda _: len(viewer.frames()) >= 6)
    on_loop(animation.pause)
    on_loop(lambda: None)
    viewer.wait_for(lambda _: np.array_equal(viewer.picture(), fig.canvas.pixels()))
    # Blitting: one full draw at the start, then only the axes travel: the background is
    # stored on the viewer once and restored there, and the tiles hold the wave.
    assert len(draws) == 1
    ax_box = fig.axes[0].bbox
    steps = [[tile.kind for tile in unpack_rect_frame(m).tiles] for m in viewer.frames()[1:]]
    assert sum(kinds.count("store") for kinds in steps) == 1
    assert all(kinds[kinds.index("restore") + 1 :] for kinds in steps[1:])
    for message in viewer.frames()[1:]:
        for tile in unpack_rect_frame(message).tiles:
            assert ax_box.x0 - 2 <= tile.rect.x
            assert tile.rect.x + tile.rect.width <= ax_box.x1 + 2
    # The animated artist is there, and the picture equals a full draw of the same state.
    reference, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set(xlim=(-0.5, 10.5), ylim=(-1.2, 1.2))  # the wave stays clear of the spines
    x = np.linspace(0, 10, 200)
    ax.plot(x, np.sin(x + shown[-1] / 5), color="tab:red", lw=3)
    reference.canvas.draw()
    expected = np.asarray(reference.canvas.buffer_rgba())
    np.testing.assert_array_equal(viewer.picture(), expected)


def test_hello_lists_the_extensions_it_accepted(figure):
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "webfig_hello", protocol=1, extensions=["motion_ack", "teleport"])
    assert viewer.of_type("webfig_welcome")[-1]["extensions"] == ["motion_ack"]
    assert json.dumps(viewer.of_type("webfig_welcome")[-1])


def test_a_viewer_leaving_while_its_frame_encodes_stalls_no_other(figure):
    """The frame of a group whose first viewer left goes to the others, and they keep
    getting frames."""
    manager = figure.canvas.manager
    leaving, staying = rect_viewer(manager), rect_viewer(manager)
    on_loop(lambda: None)

    def change_then_leave() -> None:
        figure.axes[0].lines[0].set_ydata([0, 0.3, 0])
        manager.canvas.render_agg()
        manager._delivery.publish(manager.canvas.pixels())  # the encode task starts later
        manager.remove_viewer(leaving)

    on_loop(change_then_leave)
    change_and_wait(figure, [staying], 0.6)


def test_an_encode_that_keeps_failing_backs_off_gives_up_and_logs_once(figure, monkeypatch, caplog):
    manager = figure.canvas.manager
    viewer = join(manager)
    attempts: list[float] = []

    def broken(*args: object) -> None:
        attempts.append(time.monotonic())
        raise MemoryError("no room for the frame")

    monkeypatch.setattr(delivery, "encode_frame", broken)
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        figure.axes[0].lines[0].set_ydata([0, 0.3, 0])
        figure.canvas.draw_idle()
        wait_until(lambda: len(attempts) == ATTEMPTS)
        # Given up on this picture: no retry due, none starts until the figure changes.
        frames = manager._delivery
        assert on_loop(lambda: frames._failures.holds(frames.current))
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert [gap >= RETRY * 2**n * 0.9 for n, gap in enumerate(gaps)] == [True] * (ATTEMPTS - 1)
    failures = [r for r in caplog.records if "encoding a frame failed" in r.getMessage()]
    assert [r.levelno for r in failures] == [logging.ERROR] + [logging.DEBUG] * (ATTEMPTS - 1)

    # The figure changes, the encoder works again: the viewer catches up.
    monkeypatch.undo()
    mark = len(viewer.messages)
    figure.axes[0].lines[0].set_ydata([0, 0.6, 0])
    figure.canvas.draw_idle()
    viewer.wait_for(
        lambda m: isinstance(m, bytes) and np.array_equal(viewer.picture(), figure.canvas.pixels()),
        after=mark,
    )


def test_a_blit_shows_the_buffer_as_it_is_even_when_the_figure_is_stale(figure):
    """matplotlib's blitting pattern with a new artist each step: the figure is stale, but a
    blit asks for no draw (one would wipe what was blitted), and flush_events waits for it."""
    manager = figure.canvas.manager
    viewer = join(manager)
    settle(manager)
    draws: list[object] = []
    figure.canvas.mpl_connect("draw_event", draws.append)
    ax = figure.axes[0]
    background = figure.canvas.copy_from_bbox(figure.bbox)
    for step in range(5):
        mark = len(viewer.messages)
        figure.canvas.restore_region(background)
        (line,) = ax.plot([0, 2], [0.1 * step, 0.5], color="green", lw=4)
        ax.draw_artist(line)
        figure.canvas.blit(figure.bbox)
        figure.canvas.flush_events()
        assert figure.stale
        blitted = figure.canvas.pixels()
        viewer.wait_for(
            lambda m, blitted=blitted: (
                isinstance(m, bytes) and np.array_equal(viewer.picture(), blitted)
            ),
            after=mark,
        )
    assert draws == []


class GatedPool(Executor):
    """Runs each job only once the test opens the gate: an encode the test holds in flight."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self._threads = ThreadPoolExecutor(1)

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        def gated() -> Any:
            self.gate.wait(TIMEOUT)
            return fn(*args, **kwargs)

        return self._threads.submit(gated)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.gate.set()
        self._threads.shutdown(wait, cancel_futures=cancel_futures)


def test_a_frame_encoded_in_a_format_its_viewer_no_longer_speaks_is_not_sent():
    """A viewer that negotiates rect frames while a PNG frame for it encodes (it had just
    joined) never gets that frame, which its client could not read: it gets its full
    picture as a rect frame instead."""
    pixels = np.zeros((30, 40, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[5:10, 5:20, 0] = 200
    pool = GatedPool()
    viewer = RecordingViewer()

    async def run() -> None:
        frames = delivery.FrameDelivery(asyncio.get_running_loop(), pool)
        frames.add(viewer)
        frames.publish(pixels)
        frames.request_full(viewer)  # a PNG frame starts encoding, held at the gate
        frames.state(viewer).negotiated(frozenset({RECT_FRAMES}))
        pool.gate.set()
        while not viewer.frames():
            await asyncio.sleep(0.001)

    try:
        asyncio.run(run())
    finally:
        pool.shutdown()
    assert [frame[: len(RECT_FRAME_MAGIC)] for frame in viewer.frames()] == [RECT_FRAME_MAGIC]
    assert unpack_rect_frame(viewer.frames()[0]).full
    np.testing.assert_array_equal(viewer.picture(), pixels)
