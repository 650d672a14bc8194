"""The ``preview`` extension: the axes' geometry, and which pointer message each frame shows."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import matplotlib.pyplot as plt
import pytest

from webfig.figure.preview_geometry import AxesIds, Geometry, axes_geometry
from webfig.frames.delivery import FrameDelivery
from webfig.runtime.event_loop import encoder_pool, server_thread
from webfig.wire.incoming import parse_message

from .fake_clock import Clock
from .imaging import unpack_rect_frame
from .test_delivery import blitting_animation, change_and_wait
from .test_lossy import frame_after, is_lossy, picture
from .test_manager import acknowledging_viewer, data_to_top_left, join, on_loop, send, settle
from .viewers import RecordingViewer
from .waiting import wait_until

# Geometry -----------------------------------------------------------------------------------


def drawn_geometry(figure, ids: AxesIds | None = None):
    """The geometry of ``figure`` as a render takes it: right after the draw."""
    figure.canvas.render_agg()
    return axes_geometry(figure, ids or AxesIds())


@pytest.mark.parametrize(
    ("ratio", "size", "box"),
    [
        # The axes' bbox is (50, 33) to (360, 264) at ratio 1, from the bottom-left; the
        # spines are 0.8 pt wide, 1.11 device px at ratio 1: 0.56 px on each side comes off,
        # and half a pixel of antialiasing.
        (1, (400, 300), (52, 38, 306, 227)),
        (2, (800, 600), (102, 74, 616, 458)),
    ],
)
def test_a_plain_axes_box_is_its_bbox_inside_the_spines_from_the_top(ratio, size, box):
    figure, _ = plt.subplots(figsize=(4, 3), dpi=100)
    figure.canvas.set_pixel_ratio(ratio)
    assert figure.canvas.device_pixel_ratio == ratio
    assert figure.dpi == 100 * ratio  # the figure's dpi includes the ratio
    geometry = drawn_geometry(figure)
    assert geometry.size == size
    (axes,) = geometry.axes
    assert axes.box == box
    assert (axes.pan, axes.zoom, axes.sharex, axes.sharey) == (True, True, (), ())
    assert axes.face == "rgba(255, 255, 255, 1)"
    assert axes.equal is False
    # The box holds none of the spines, which are right around it.
    x, y, width, height = box
    dark = (figure.canvas.pixels()[..., :3] < 128).all(axis=-1)
    assert not dark[y : y + height, x : x + width].any()
    row, column = y + height // 2, x + width // 2
    assert dark[row, x - 3 : x].any()
    assert dark[row, x + width : x + width + 3].any()
    assert dark[y - 3 : y, column].any()
    assert dark[y + height : y + height + 3, column].any()


def test_subplots_that_share_an_axis_list_each_other():
    figure, (top, middle, bottom) = plt.subplots(3, sharex=True)
    middle.sharey(bottom)
    ids = AxesIds()
    first, second, third = drawn_geometry(figure, ids).axes
    assert [a.id for a in (first, second, third)] == [ids.of(ax) for ax in (top, middle, bottom)]
    assert first.sharex == (second.id, third.id)
    assert second.sharex == (first.id, third.id)
    assert (first.sharey, second.sharey, third.sharey) == ((), (third.id,), (second.id,))
    assert first.box[1] + first.box[3] < second.box[1]  # from the top down


def test_a_twin_shares_x_and_lies_over_its_axes():
    figure, ax = plt.subplots()
    twin = ax.twinx()
    ids = AxesIds()
    base, over = drawn_geometry(figure, ids).axes
    assert (base.id, over.id) == (ids.of(ax), ids.of(twin))
    assert (base.sharex, over.sharex) == ((over.id,), (base.id,))
    assert (base.sharey, over.sharey) == ((), ())
    assert base.box == over.box


def test_only_visible_rectilinear_axes_are_listed():
    figure = plt.figure()
    plain = figure.add_subplot(131)
    figure.add_subplot(132, projection="polar")
    hidden = figure.add_subplot(133)
    hidden.set_visible(False)
    ids = AxesIds()
    assert [a.id for a in drawn_geometry(figure, ids).axes] == [ids.of(plain)]


def test_axes_that_do_not_navigate_are_flagged():
    figure, (fixed, _, square) = plt.subplots(1, 3)
    fixed.set_navigate(False)
    square.set_aspect("equal")
    geometry = drawn_geometry(figure)
    assert [(a.pan, a.zoom, a.equal) for a in geometry.axes] == [
        (False, False, False),
        (True, True, False),
        (True, True, True),
    ]


def test_the_face_is_the_axes_background_over_the_figures():
    figure, (tinted, clear, bare) = plt.subplots(1, 3)
    figure.set_facecolor("#0000ff")
    tinted.set_facecolor((1, 0, 0, 0.5))
    clear.set_facecolor("none")
    bare.axis("off")  # no background drawn, and no spines to keep clear of
    geometry = drawn_geometry(figure)
    assert [a.face for a in geometry.axes] == [
        "rgba(128, 0, 128, 1)",
        "rgba(0, 0, 255, 1)",
        "rgba(0, 0, 255, 1)",
    ]
    left, bottom, right, top = bare.bbox.extents
    x, y = math.ceil(left), math.ceil(480 - top)  # rounded inwards, and nothing more
    assert geometry.axes[2].box == (x, y, math.floor(right) - x, math.floor(480 - bottom) - y)
    figure.set_facecolor((0, 0, 0, 0))
    clear.set_facecolor((0, 0.5, 0, 0.25))
    assert [a.face for a in drawn_geometry(figure).axes][1:] == [
        "rgba(0, 128, 0, 0.25)",
        "rgba(0, 0, 0, 0)",
    ]


def test_ids_are_kept_for_each_axes_and_never_reused():
    figure, ax = plt.subplots()
    ids = AxesIds()
    first = ids.of(ax)
    other = figure.add_subplot(222)
    assert ids.of(ax) == first
    assert drawn_geometry(figure, ids).axes[0].id == first
    second = ids.of(other)
    other.remove()
    assert second != first
    assert ids.of(figure.add_subplot(223)) not in {first, second}


# Negotiation and messages -------------------------------------------------------------------

PREVIEWING = ["rect_frames", "motion_ack", "preview"]
PREVIEW_TYPES = {"preview_geometry": "geometry", "frame_seq": "seq"}


def preview_viewer(manager: Any, *, extensions: list[str] = PREVIEWING) -> RecordingViewer:
    """A viewer that negotiated ``extensions`` (the preview, by default), connected and
    painted once; it acknowledges its frames."""
    viewer = acknowledging_viewer(manager)
    on_loop(lambda: manager.add_viewer(viewer))
    send(manager, viewer, "webfig_hello", protocol=1, extensions=extensions)
    send(manager, viewer, "set_device_pixel_ratio", device_pixel_ratio=1)
    send(manager, viewer, "refresh")
    viewer.wait_for_frame()
    return viewer


def sequence(viewer: RecordingViewer) -> list[str]:
    """The preview's messages and the frames the viewer got, in order."""
    return [
        "frame" if isinstance(m, bytes) else PREVIEW_TYPES[m["type"]]
        for m in list(viewer.messages)
        if isinstance(m, bytes) or m["type"] in PREVIEW_TYPES
    ]


def frame_seqs(viewer: RecordingViewer) -> list[tuple[int, bool]]:
    return [(m["seq"], m["frame"]) for m in viewer.of_type("frame_seq")]


def wait_for_seq(viewer: RecordingViewer, seq: int) -> dict[str, Any]:
    message = viewer.wait_for(
        lambda m: isinstance(m, dict) and m["type"] == "frame_seq" and m["seq"] == seq
    )
    assert isinstance(message, dict)
    return message


def test_the_preview_is_accepted_only_with_rect_frames_and_when_turned_on(figure, monkeypatch):
    manager = figure.canvas.manager
    viewer = RecordingViewer()
    on_loop(lambda: manager.add_viewer(viewer))
    for extensions, accepted in [
        (["rect_frames", "preview"], ["preview", "rect_frames"]),
        (["preview", "motion_ack"], ["motion_ack"]),
    ]:
        send(manager, viewer, "webfig_hello", protocol=1, extensions=extensions)
        assert viewer.of_type("webfig_welcome")[-1]["extensions"] == accepted
    monkeypatch.setenv("WEBFIG_PREVIEW", "0")
    send(manager, viewer, "webfig_hello", protocol=1, extensions=["rect_frames", "preview"])
    assert viewer.of_type("webfig_welcome")[-1]["extensions"] == ["rect_frames"]


def test_geometry_then_seq_then_frame_and_the_geometry_again_when_the_layout_changes(figure):
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    assert sequence(viewer) == ["geometry", "seq", "frame"]
    (geometry,) = viewer.of_type("preview_geometry")
    assert geometry == {
        "type": "preview_geometry",
        "size": [400, 300],
        "axes": [
            {
                "id": 0,
                "box": [52, 38, 306, 227],
                "bounds": [50.0, 36.0, 310.0, 231.0],
                "pan": True,
                "zoom": True,
                "sharex": [],
                "sharey": [],
                "face": "rgba(255, 255, 255, 1)",
                "equal": False,
                "twins": [],
            }
        ],
        "stack": [{"id": 0}],
        "wheel_zoom": True,
        "pinch_zoom": True,
    }
    assert viewer.of_type("frame_seq") == [{"type": "frame_seq", "seq": -1, "frame": True}]

    change_and_wait(figure, [viewer], 0.5)  # the same layout: no geometry
    assert sequence(viewer)[3:] == ["seq", "frame"]
    mark = len(viewer.messages)
    send(manager, viewer, "resize", width=500, height=250)
    assert viewer.wait_for_json("preview_geometry", after=mark)["size"] == [500, 250]
    mark = len(viewer.messages)
    with figure.canvas.lock:
        figure.add_subplot(224)
    figure.canvas.draw_idle()
    axes = viewer.wait_for_json("preview_geometry", after=mark)["axes"]
    assert [entry["id"] for entry in axes] == [0, 1]
    viewer.wait_for_frame(after=mark)
    kinds = sequence(viewer)
    starts = [i for i, kind in enumerate(kinds) if kind == "geometry"]
    assert len(starts) == 3
    assert all(kinds[i + 1 : i + 3] == ["seq", "frame"] for i in starts)


def test_a_pan_drag_through_the_toolbar_reports_the_seqs_it_handled(figure):
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    plain, rects = join(manager), preview_viewer(manager, extensions=["rect_frames"])
    send(manager, viewer, "toolbar_button", name="pan")
    x, y = data_to_top_left(figure.axes[0], 1, 0.5)
    send(manager, viewer, "button_press", x=x, y=y, button=0, buttons=1, seq=1)
    for seq, step in enumerate(range(10, 50, 10), start=2):
        send(manager, viewer, "motion_notify", x=x + step, y=y, buttons=1, seq=seq)
    send(manager, viewer, "button_release", x=x + 40, y=y, button=0, buttons=0, seq=6)
    wait_for_seq(viewer, 6)
    assert figure.axes[0].get_xlim()[0] < 0  # panned right: the view moved left
    seqs = [seq for seq, _ in frame_seqs(viewer)]
    assert seqs == sorted(seqs)
    assert set(seqs) <= {-1, *range(1, 7)}
    # Every frame the viewer got came right after its seq.
    kinds = sequence(viewer)
    assert all(kinds[i - 1] == "seq" for i, kind in enumerate(kinds) if kind == "frame")
    for other in (plain, rects):
        assert other.of_type("frame_seq") == other.of_type("preview_geometry") == []


def test_a_release_that_changes_nothing_still_gets_its_seq(figure):
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    frames = len(viewer.frames())
    send(manager, viewer, "button_press", x=200, y=150, button=0, buttons=1, seq=0)
    send(manager, viewer, "button_release", x=200, y=150, button=0, buttons=0, seq=1)
    assert wait_for_seq(viewer, 1) == {"type": "frame_seq", "seq": 1, "frame": False}
    settle(manager)
    assert len(viewer.frames()) == frames
    assert frame_seqs(viewer) == [(-1, True), (1, False)]


def test_a_wheel_step_that_zooms_nothing_still_gets_its_seq(figure):
    """A plain wheel step (no key: matplotlib's wheel zoom does not act) tells the previewing
    viewer it was handled, as a release does; a viewer that does not preview gets nothing."""
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    other = preview_viewer(manager, extensions=["rect_frames"])
    frames = len(viewer.frames())
    send(manager, viewer, "scroll", x=200, y=150, step=1, seq=3)
    assert wait_for_seq(viewer, 3) == {"type": "frame_seq", "seq": 3, "frame": False}
    send(manager, other, "scroll", x=200, y=150, step=1)
    settle(manager)
    assert len(viewer.frames()) == frames
    assert other.of_type("frame_seq") == []


def test_moves_that_merge_keep_the_latest_seq(figure):
    manager = figure.canvas.manager
    viewer = preview_viewer(manager)
    moves: list[float] = []
    figure.canvas.mpl_connect("motion_notify_event", lambda event: moves.append(event.x))
    with figure.canvas.lock:
        for seq, x in enumerate((10, 20, 30), start=10):
            message = parse_message(
                json.dumps({"type": "motion_notify", "x": x, "y": 10, "seq": seq})
            )
            on_loop(lambda message=message: manager.handle_message(viewer, message))
    settle(manager)
    assert len(moves) < 3
    assert moves[-1] == 30
    change_and_wait(figure, [viewer], 0.5)
    assert frame_seqs(viewer)[-1] == (12, True)


def test_a_bad_seq_is_warned_about_once_per_viewer_and_the_event_is_handled(figure, caplog):
    manager = figure.canvas.manager
    first, second = preview_viewer(manager), preview_viewer(manager)
    moves: list[float] = []
    figure.canvas.mpl_connect("motion_notify_event", lambda event: moves.append(event.x))
    for viewer in (first, second):
        for seq in ("7", 1.5, -3, True):
            send(manager, viewer, "motion_notify", x=10, y=10, seq=seq)
    assert len(moves) == 8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "'seq' must be an integer" in warnings[0]


def test_blitted_frames_come_after_their_seq_too(figure):
    plt.close(figure)
    fig, animation, _ = blitting_animation("tab:green")
    viewer = preview_viewer(fig.canvas.manager)
    viewer.wait_for(lambda _: len(viewer.frames()) >= 4)
    on_loop(animation.pause)
    steps = [tile.kind for tile in unpack_rect_frame(viewer.frames()[2]).tiles]
    assert "restore" in steps
    assert sequence(viewer)[:7] == ["geometry", "seq", "frame", "seq", "frame", "seq", "frame"]


def test_lossy_frames_come_after_their_seq_too():
    """A slow link (each frame acknowledged half a second after it left), then motion."""
    clock = Clock()
    delivery = FrameDelivery(server_thread().loop, encoder_pool(), clock=clock)
    viewer = RecordingViewer()
    geometry = Geometry((160, 96), ())

    def add() -> None:
        delivery.add(viewer)
        delivery.state(viewer).negotiated(frozenset({"rect_frames", "lossy_frames", "preview"}))
        delivery.request_full(viewer)

    def publish(seed: int, seq: int) -> None:
        on_loop(
            lambda: delivery.publish(
                picture(seed), render_time=0.01, seqs={viewer: seq}, geometry=geometry
            )
        )

    on_loop(add)
    for count, seed in enumerate((1, 3), start=1):
        publish(seed, count)
        wait_until(lambda count=count: len(viewer.frames()) == count, message="a frame")
        clock.now += 0.5
        on_loop(lambda: delivery.acknowledge(viewer))
        clock.now += 1.0
    delivery.note_change()
    clock.now += 0.02
    delivery.note_change()
    publish(2, 3)
    assert is_lossy(frame_after(viewer, viewer.frames()[1]))
    assert sequence(viewer) == ["geometry", "seq", "frame", "seq", "frame", "seq", "frame"]
    assert frame_seqs(viewer) == [(1, True), (2, True), (3, True)]
    on_loop(delivery.clear)


def test_with_no_previewing_viewer_renders_read_no_geometry(figure):
    manager = figure.canvas.manager
    plain, previewing = join(manager), preview_viewer(manager)
    # (The snapshot the plain viewer got had no geometry: a render that has one came.)
    assert sequence(previewing) == ["geometry", "seq", "frame"]
    assert manager._delivery.current.geometry is not None
    on_loop(lambda: manager.remove_viewer(previewing))
    change_and_wait(figure, [plain], 0.5)
    assert manager._delivery.current.geometry is None
    assert manager._delivery.current.seqs == {}
