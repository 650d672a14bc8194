"""Lossy frames on slow links: only for viewers that asked, only while the figure moves and
the link limits the frame rate, and always followed by the exact picture."""

from __future__ import annotations

import numpy as np

from webfig.frames.delivery import FrameDelivery
from webfig.frames.encoder import Pixels
from webfig.frames.viewer_state import ViewerState
from webfig.runtime.event_loop import server_thread

from .fake_clock import Clock
from .imaging import unpack_rect_frame
from .test_manager import send
from .viewers import RecordingViewer
from .waiting import wait_until

SIZE = (96, 160)  # rows, columns: two tiles of rows would be more than this


def on_loop(function):
    return server_thread().run_sync(function)


def picture(seed: int, size: tuple[int, int] = SIZE) -> Pixels:
    """An opaque image unlike any other seed's in every pixel (a pan changes them all)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (*size, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    return pixels


def frame_after(viewer: RecordingViewer, frame: bytes) -> bytes:
    """The first frame ``viewer`` got after ``frame``, waiting for it."""
    return viewer.wait_for_frame(
        after=next(i for i, m in enumerate(viewer.messages) if m is frame) + 1
    )


def is_lossy(frame: bytes) -> bool:
    """A rect frame whose tiles are lossy WebP ("VP8 " chunks; lossless is "VP8L")."""
    images = [tile.image for tile in unpack_rect_frame(frame).tiles]
    return bool(images) and all(image[12:16] == b"VP8 " for image in images)


def watch(delivery: FrameDelivery, *, fmt: str = "rect", lossy: bool = True) -> RecordingViewer:
    viewer = RecordingViewer()

    def add() -> None:
        delivery.add(viewer)
        state = delivery.state(viewer)
        assert isinstance(state, ViewerState)
        state.format = fmt  # type: ignore[assignment]
        state.lossy_allowed = lossy
        delivery.request_full(viewer)

    on_loop(add)
    return viewer


def slow_link_then_motion(
    delivery: FrameDelivery,
    clock: Clock,
    viewers: list[RecordingViewer],
    size: tuple[int, int] = SIZE,
) -> None:
    """Two lossless frames each (the first full, the second a change), each acknowledged
    0.5 s after it left (a slow link); then the figure changes twice in quick succession and
    a new picture comes."""
    for count, seed in enumerate((1, 3), start=1):
        on_loop(lambda seed=seed: delivery.publish(picture(seed, size), render_time=0.01))
        for viewer in viewers:
            wait_until(
                lambda viewer=viewer, count=count: len(viewer.frames()) == count,
                message="a frame",
            )
        clock.now += 0.5
        for viewer in viewers:
            on_loop(lambda viewer=viewer: delivery.acknowledge(viewer))
        clock.now += 1.0  # not motion yet
    delivery.note_change()
    clock.now += 0.02
    delivery.note_change()
    on_loop(lambda: delivery.publish(picture(2, size), render_time=0.01))


def test_small_frames_are_never_lossy(delivery, clock):
    viewer = watch(delivery)
    slow_link_then_motion(delivery, clock, [viewer], size=(40, 40))
    frame = frame_after(viewer, viewer.frames()[1])
    assert not is_lossy(frame)
    np.testing.assert_array_equal(viewer.picture(), picture(2, (40, 40)))


def test_a_slow_link_gets_lossy_frames_while_moving_then_the_exact_picture(delivery, clock):
    viewer = watch(delivery)
    slow_link_then_motion(delivery, clock, [viewer])
    moving = frame_after(viewer, viewer.frames()[1])
    assert is_lossy(moving)
    lossy_picture = viewer.picture()
    assert lossy_picture.shape == picture(2).shape
    assert not np.array_equal(lossy_picture, picture(2))
    # The changes stop: a lossless frame of the whole picture follows on its own.
    on_loop(lambda: delivery.acknowledge(viewer))
    clock.now += 1.0
    settled = frame_after(viewer, moving)
    assert not is_lossy(settled)
    assert unpack_rect_frame(settled).full
    np.testing.assert_array_equal(viewer.picture(), picture(2))


def test_plain_clients_and_clients_that_did_not_ask_never_get_lossy_frames(delivery, clock):
    plain = watch(delivery, fmt="png", lossy=False)
    rects = watch(delivery, lossy=False)
    slow_link_then_motion(delivery, clock, [plain, rects])
    for viewer in (plain, rects):
        frame_after(viewer, viewer.frames()[1])
    assert not is_lossy(rects.frames()[-1])
    np.testing.assert_array_equal(plain.picture(), picture(2))
    np.testing.assert_array_equal(rects.picture(), picture(2))


def test_a_fast_link_gets_lossless_frames_while_moving(delivery, clock):
    viewer = watch(delivery)
    on_loop(lambda: delivery.publish(picture(1), render_time=0.05))
    viewer.wait_for_frame()
    clock.now += 0.005  # acknowledged at once: the link is not what limits
    on_loop(lambda: delivery.acknowledge(viewer))
    delivery.note_change()
    clock.now += 0.02
    delivery.note_change()
    on_loop(lambda: delivery.publish(picture(2), render_time=0.05))
    frame = frame_after(viewer, viewer.frames()[0])
    assert not is_lossy(frame)
    np.testing.assert_array_equal(viewer.picture(), picture(2))


def test_only_webfigs_own_rect_clients_may_negotiate_lossy_frames(figure, monkeypatch):
    manager = figure.canvas.manager
    own, plain_hello = RecordingViewer(), RecordingViewer()
    for viewer, extensions in (
        (own, ["rect_frames", "lossy_frames"]),
        (plain_hello, ["lossy_frames"]),
    ):
        on_loop(lambda viewer=viewer: manager.add_viewer(viewer))
        send(manager, viewer, "webfig_hello", protocol=1, extensions=extensions)
    assert own.of_type("webfig_welcome")[-1]["extensions"] == ["lossy_frames", "rect_frames"]
    assert plain_hello.of_type("webfig_welcome")[-1]["extensions"] == []
    monkeypatch.setenv("WEBFIG_LOSSY", "0")
    send(manager, own, "webfig_hello", protocol=1, extensions=["rect_frames", "lossy_frames"])
    assert own.of_type("webfig_welcome")[-1]["extensions"] == ["rect_frames"]
