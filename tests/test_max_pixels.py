"""What one viewer's asks cost everyone: a figure is rendered at most ``max_pixels`` device
pixels a side, whatever pixel ratio and size its viewers ask for.

The pixel ratio is lowered as far as the figure's size needs; a resize beyond ``max_pixels``
CSS pixels a side is refused, with one warning, and only the viewer that asked is told the
size again. The last test measures the memory of a server process whose viewer asks for the
most the protocol lets through.
"""

from __future__ import annotations

import json
import logging
import struct
from collections.abc import Callable

import pytest
from matplotlib.figure import Figure

from webfig.config import DEFAULT_MAX_PIXELS
from webfig.figure.canvas import MAX_PIXEL_RATIO, MIN_PIXEL_RATIO, render_ratio
from webfig.server import FigureServer
from webfig.wire.incoming import MAX_PIXEL_RATIO_ASK, MAX_RESIZE_SIDE

from .conftest import WsClient
from .processes import Script
from .test_manager import join, on_loop, send, settle
from .viewers import RecordingViewer

# A small bound, so that renders at the bound take no time.
SMALL = 1024


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> int:
    """``WEBFIG_MAX_PIXELS`` for viewers that connect from now on."""
    monkeypatch.setenv("WEBFIG_MAX_PIXELS", str(SMALL))
    return SMALL


def frame_size(frame: bytes) -> tuple[int, int]:
    """A PNG frame's width and height, from its header (without decoding it)."""
    assert frame[:8] == b"\x89PNG\r\n\x1a\n", frame[:8]
    width, height = struct.unpack(">II", frame[16:24])
    return width, height


def gets_a_frame_of(viewer: RecordingViewer, size: tuple[int, int]) -> None:
    viewer.wait_for(lambda m: isinstance(m, bytes) and frame_size(m) == size)


def device_size(figure: Figure) -> tuple[int, int]:
    return figure.canvas.get_width_height(physical=True)


@pytest.mark.parametrize(
    ("asked", "css_size", "expected"),
    [
        (2, (400, 300), 2),  # room to spare
        (4, (2000, 1000), 2.048),  # lowered to fit 4096
        (4, (4096, 100), 1),
        (0.5, (4096, 100), 0.5),
        (100, (10, 10), MAX_PIXEL_RATIO),
        (0.01, (10, 10), MIN_PIXEL_RATIO),
        # The script made it larger than the bound: its own size, never enlarged.
        (2, (10_000, 100), 1),
        (0.75, (10_000, 100), 0.75),
        (2, (0, 0), 2),  # a figure of no size
    ],
)
def test_the_rendered_ratio_keeps_each_side_within_max_pixels(
    asked: float, css_size: tuple[int, int], expected: float
) -> None:
    ratio = render_ratio(asked, css_size, DEFAULT_MAX_PIXELS)
    assert ratio == pytest.approx(expected)
    if max(css_size) <= DEFAULT_MAX_PIXELS:
        assert max(css_size) * ratio <= DEFAULT_MAX_PIXELS


@pytest.mark.usefixtures("small_bound")
def test_a_high_pixel_ratio_is_lowered_to_fit_the_bound(figure: Figure) -> None:
    """400 × 300 CSS pixels at ratio 4 would be 1600 × 1200: the bound makes it 2.56."""
    manager = figure.canvas.manager
    sharp, plain = join(manager), join(manager)
    send(manager, sharp, "set_device_pixel_ratio", device_pixel_ratio=4)
    assert figure.canvas.device_pixel_ratio == pytest.approx(SMALL / 400)
    assert device_size(figure) == (SMALL, 768)
    gets_a_frame_of(plain, (SMALL, 768))
    # The CSS size is everyone's, as it was.
    assert plain.of_type("resize")[-1]["size"] == [400, 300]


@pytest.mark.usefixtures("small_bound")
def test_a_resize_beyond_the_bound_is_refused_with_one_warning(
    figure: Figure, caplog: pytest.LogCaptureFixture
) -> None:
    manager = figure.canvas.manager
    asking, other = join(manager), join(manager)
    marks = len(asking.messages), len(other.messages)
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for side in (SMALL + 1, 2 * SMALL, MAX_RESIZE_SIDE):
            send(manager, asking, "resize", width=side, height=100)
    assert device_size(figure) == (400, 300)
    refusals = [r for r in caplog.records if "refused a viewer's resize" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert f"at most {SMALL} a side (WEBFIG_MAX_PIXELS)" in refusals[0].getMessage()
    # The viewer that asked is told the size it has (its page previewed another); the
    # other is told nothing, and gets no new frame.
    told = [m for m in asking.messages[marks[0] :] if isinstance(m, dict)]
    assert [m for m in told if m["type"] == "resize"] == [
        {"type": "resize", "size": [400, 300], "forward": False}
    ] * 3
    assert other.messages[marks[1] :] == []


@pytest.mark.usefixtures("small_bound")
def test_a_resize_within_the_bound_lowers_the_ratio_and_a_smaller_one_raises_it_again(
    figure: Figure,
) -> None:
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "set_device_pixel_ratio", device_pixel_ratio=2)
    assert device_size(figure) == (800, 600)
    send(manager, viewer, "resize", width=SMALL, height=100)
    assert figure.canvas.device_pixel_ratio == 1
    assert device_size(figure) == (SMALL, 100)
    gets_a_frame_of(viewer, (SMALL, 100))
    send(manager, viewer, "resize", width=200, height=100)
    assert figure.canvas.device_pixel_ratio == 2
    assert device_size(figure) == (400, 200)


@pytest.mark.usefixtures("small_bound")
def test_the_scripts_resize_keeps_the_bound_too(figure: Figure) -> None:
    manager = figure.canvas.manager
    viewer = join(manager)
    send(manager, viewer, "set_device_pixel_ratio", device_pixel_ratio=2)
    figure.set_size_inches(6, 3)  # 600 × 300 CSS pixels: 1200 × 600 at ratio 2
    settle(manager)
    assert device_size(figure) == (SMALL, 512)
    # A figure the script makes larger than the bound is rendered at its own size.
    figure.set_size_inches(12, 3)
    settle(manager)
    assert device_size(figure) == (1200, 300)
    assert viewer.of_type("resize")[-1]["size"] == [1200, 300]


def test_a_viewer_that_leaves_takes_its_ratio_along(figure: Figure) -> None:
    manager = figure.canvas.manager
    plain = join(manager)
    sharp = join(manager)
    send(manager, sharp, "set_device_pixel_ratio", device_pixel_ratio=MAX_PIXEL_RATIO_ASK)
    assert figure.canvas.device_pixel_ratio == MAX_PIXEL_RATIO
    on_loop(lambda: manager.remove_viewer(sharp))
    settle(manager)
    assert figure.canvas.device_pixel_ratio == 1
    assert device_size(figure) == (400, 300)
    assert plain.of_type("resize")[-1]["size"] == [400, 300]


def test_absurd_sizes_and_ratios_are_protocol_errors_not_tracebacks(
    server: FigureServer,
    connect: Callable[..., WsClient],
    figure: Figure,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resize of 1e308 reached math.floor(inf) on the figure's thread, which logged a
    traceback; now the message is refused as it arrives."""
    client = connect(server, 1)
    client.receive_frame()
    client.send("set_device_pixel_ratio", device_pixel_ratio=4)
    with caplog.at_level(logging.WARNING, logger="webfig"):
        for width in (1e308, 2**64, MAX_RESIZE_SIDE + 1):
            client.send("resize", width=width, height=100)
        client.send_raw(json.dumps({"type": "resize", "width": float("nan"), "height": 1}))
        client.send("set_device_pixel_ratio", device_pixel_ratio=1e308)
        client.sync()
    messages = [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], messages
    assert any("'width' must be at most 65536 CSS pixels, not 1e+308" in m for m in messages)
    assert any("'device_pixel_ratio' must be at most 32" in m for m in messages)
    assert device_size(figure) == (1600, 1200)


# Memory, measured --------------------------------------------------------------------------

SERVE_ONE_FIGURE = """
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
ax.plot([0, 1, 2], [0, 1, 0], lw=3)
plt.show()
"""
# Bytes of one RGBA picture at the bound: Agg's buffer, each snapshot, each encode's input.
PICTURE_AT_THE_BOUND = DEFAULT_MAX_PIXELS**2 * 4
# A server holds a few such pictures at once (measured: about four, with a diff frame
# encoding); this allows seven, and 64 MB for the rest. A viewer that got 8192 device pixels
# a side, as before the bound, cost 740 MB and more.
MEMORY_ALLOWED = 7 * PICTURE_AT_THE_BOUND + 64 * 2**20


def peak_memory(pid: int) -> int:
    """The highest resident memory of process ``pid`` so far, in bytes (Linux: VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def test_a_viewers_largest_ask_costs_the_server_a_bounded_amount_of_memory() -> None:
    """A server process at the default bound; its one viewer asks for the highest ratio and
    the largest sizes the protocol lets through, then changes the figure (diff frames). The
    server's peak memory grows by at most MEMORY_ALLOWED."""
    script = Script("-c", SERVE_ONE_FIGURE, WEBFIG_TOKEN="")
    try:
        base = script.url().split("?")[0]
        client = WsClient(f"{base.replace('http', 'ws', 1)}1/ws")
        try:
            client.send("supports_binary", value=True)
            client.send("set_device_pixel_ratio", device_pixel_ratio=1)
            client.send("refresh")
            assert frame_size(client.receive_frame()) == (400, 300)
            before = peak_memory(script.process.pid)

            client.send("set_device_pixel_ratio", device_pixel_ratio=MAX_PIXEL_RATIO_ASK)
            for side in (MAX_RESIZE_SIDE, DEFAULT_MAX_PIXELS):
                client.send("resize", width=side, height=side)
            client.send("refresh")
            frame = client.receive_until(
                lambda m: isinstance(m, bytes) and frame_size(m)[0] >= DEFAULT_MAX_PIXELS, 60
            )
            assert isinstance(frame, bytes)
            assert frame_size(frame) == (DEFAULT_MAX_PIXELS, DEFAULT_MAX_PIXELS)
            # Changes, each a diff frame: the pointer over the axes, the grid on and off.
            client.send("motion_notify", x=DEFAULT_MAX_PIXELS / 2, y=DEFAULT_MAX_PIXELS / 2)
            for key in ("kg", "kg"):
                count = len(client.frames())
                client.send("key_press", key=key)
                client.receive_until(lambda _, n=count: len(client.frames()) > n, 60)
            client.sync()
            grown = peak_memory(script.process.pid) - before
        finally:
            client.close()
    finally:
        script.stop()
    assert grown <= MEMORY_ALLOWED, f"{grown / 2**20:.0f} MiB more at the peak"
    assert "Traceback" not in script.stderr, script.stderr
