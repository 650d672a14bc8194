"""Bad input thrown at a live server: a clear answer, and no harm to anyone.

Hypothesis sends batches of random and almost-right messages over one viewer's socket. After
each batch a fresh viewer must get exactly the picture Agg draws of the figure as it is then
(some fuzzed messages legitimately change it: a resize, a pixel ratio, a toolbar button, a
key binding such as ``l`` for a log scale, a pan drag), the fuzzing viewer must still be
connected, a viewer that was there before must still get frames, the canvas and every frame
any viewer got must stay within the bounds (``max_pixels`` device pixels a side, a pixel
ratio from 0.5 to 4), the figure must still be open (no viewer may close a figure that is not
closable, by any key or message), nothing may be logged as an error, and rejected messages
must be logged as warnings at most once per kind of problem. Bad HTTP requests get a 4xx with
a message.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import math
import struct
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from webfig.config import DEFAULT_MAX_PIXELS
from webfig.figure import canvas as webfig_canvas
from webfig.figure.manager import WebfigManager
from webfig.frames.encoder import RECT_FRAME_HEADER, RECT_FRAME_MAGIC, Pixels
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer
from webfig.wire.incoming import (
    MAX_PIXEL_RATIO_ASK,
    MAX_RESIZE_SIDE,
    MESSAGE_TYPES,
    MIN_PIXEL_RATIO_ASK,
    TOOL_NAMES,
    ClientMessage,
    Hello,
    ProtocolError,
    parse_message,
)

from .conftest import TIMEOUT, WsClient
from .imaging import paint, paint_rect_frame

# The fuzz bounds rendering at this many device pixels a side (WEBFIG_MAX_PIXELS) instead of
# the default 4096, so that a resize to the bound renders in milliseconds rather than
# seconds; the bounding code is the same. (test_sizes_and_ratios_are_bounded_at_the_default
# checks the default bound.)
FUZZ_MAX_PIXELS = 1024

# Strategies --------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
edge_numbers = st.sampled_from(
    [
        *(0, -0.0, -1, 0.5, 5e-324, 1e-300, 1e308, -1e308),
        *(2**31, 2**53 + 1, 2**64, -(2**64), 10**400, NAN, INF, -INF),
    ]
)
# (Longer than any string field may be, though short enough for Hypothesis' reports.)
odd_strings = st.sampled_from(["", " ", "k", "+", "\x00", "\ud800", "é", "x" * 300])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | edge_numbers
    | odd_strings
    | st.text(max_size=20)
)
# Any JSON value: every type, and objects and lists nested a few levels deep.
weird = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)

# Fields as a well-behaved client sends them, for every message type webfig knows. Values
# stay near a 400 × 300 canvas, so that drags, zooms and key bindings really happen.
coordinate = st.floats(-50, 500)
modifiers = st.lists(st.sampled_from(["ctrl", "alt", "shift", "meta"]), max_size=2, unique=True)
gui_event = st.none() | st.fixed_dictionaries({"type": st.just("pointerdown"), "x": coordinate})
# (A seq is optional; almost_right leaves it out, or sends a weird one, as often as not.)
seq = st.integers(0, 2**53 - 1)
pointer = {
    "x": coordinate,
    "y": coordinate,
    "modifiers": modifiers,
    "guiEvent": gui_event,
    "seq": seq,
}
button = {"button": st.integers(0, 4), "buttons": st.integers(0, 31)}
# matplotlib's key bindings among them: l and k log scales, g grids, p pan, o zoom, h home,
# c and v back and forward, ctrl+s save, q and ctrl+w quit, Q quit_all (bound below; the
# figure is made not closable, so none may close it).
keys = st.sampled_from(
    [
        *("kl", "kk", "kg", "kG", "kp", "ko", "kh", "kr", "kc", "kv", "kArrowLeft", "kArrowRight"),
        *("ctrl+ks", "kx", "shift+kA", "alt+kF5", "kBackspace", "kEscape", "kf", "kControl"),
        *("kq", "ctrl+kw", "shift+kQ"),
    ]
)
# Ratios and sizes up to the protocol's bounds and the figure's, and just beyond each.
ratio = (
    st.floats(MIN_PIXEL_RATIO_ASK, MAX_PIXEL_RATIO_ASK)
    | st.floats(0.1, 10)
    | st.sampled_from([MIN_PIXEL_RATIO_ASK, MAX_PIXEL_RATIO_ASK, 0.5, 4, 4.5, 32.5, 0.03])
)
size = st.floats(1, 1500) | st.sampled_from(
    [
        *(FUZZ_MAX_PIXELS - 1, FUZZ_MAX_PIXELS, FUZZ_MAX_PIXELS + 1, DEFAULT_MAX_PIXELS),
        *(MAX_RESIZE_SIDE, MAX_RESIZE_SIDE + 1, 0.001, 1e308),
    ]
)
GOOD_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "button_press": {**pointer, **button},
    "button_release": {**pointer, **button},
    "dblclick": {**pointer, **button},
    "motion_notify": {**pointer, "buttons": button["buttons"]},
    "scroll": {**pointer, "step": st.floats(-5, 5)},
    "figure_enter": pointer,
    "figure_leave": pointer,
    # Two fingers' pinch: zoom by scale about (x, y), moved by (dx, dy); near and at its bounds.
    "pinch": {
        **pointer,
        "scale": st.floats(0.2, 5) | st.sampled_from([1 / 1024, 1024, 1]),
        "dx": st.floats(-200, 200),
        "dy": st.floats(-200, 200),
    },
    "key_press": {"key": keys, "guiEvent": gui_event},
    "key_release": {"key": keys, "guiEvent": gui_event},
    "send_image_mode": {},
    "refresh": {},
    "draw": {},
    "ack": {},
    "set_device_pixel_ratio": {"device_pixel_ratio": ratio},
    "set_dpi_ratio": {"dpi_ratio": ratio},
    "resize": {"width": size, "height": size},
    "toolbar_button": {"name": st.sampled_from(TOOL_NAMES)},
    "close_figure": {},
    "trigger_tool": {
        "name": st.sampled_from(["home", "pan", "zoom", "help", "quit", "quit_all", "no such"])
    },
    "subplots_adjust": {
        **dict.fromkeys(("left", "bottom"), st.floats(0, 0.45)),
        **dict.fromkeys(("right", "top"), st.floats(0.55, 1)),
        **dict.fromkeys(("wspace", "hspace"), st.floats(0, 1)),
    },
    "subplots_reset": {},
    "supports_binary": {"value": st.booleans()},
    "webfig_hello": {
        "protocol": st.just(1),
        "extensions": st.lists(
            st.sampled_from(
                ["rect_frames", "motion_ack", "lossy_frames", "preview", "visibility", "other"]
            )
        ),
    },
    "webfig_visibility": {"visible": st.booleans()},
}


@st.composite
def good_message(draw: st.DrawFn) -> dict[str, object]:
    """A valid message of any type."""
    kind = draw(st.sampled_from(sorted(GOOD_FIELDS)))
    fields = {name: draw(value) for name, value in GOOD_FIELDS[kind].items()}
    return {"type": kind, "figure_id": 1, **fields}


@st.composite
def almost_right(draw: st.DrawFn, kind: str | None = None) -> dict[str, object]:
    """A message of a known type (``kind``, or any) whose fields may be missing, of the
    wrong type, NaN, infinite, negative, huge, empty, nested or long; perhaps with fields
    nobody asked for."""
    kind = kind or draw(st.sampled_from(sorted(GOOD_FIELDS)))
    message: dict[str, object] = {"type": kind}
    for name, good in GOOD_FIELDS[kind].items():
        how = draw(st.sampled_from(["good", "weird", "missing"]))
        if how != "missing":
            message[name] = draw(good if how == "good" else weird)
    extra = st.dictionaries(st.sampled_from(["figure_id", "extra", "Type", ""]), weird)
    return {**draw(extra), **message}


unknown_type = st.fixed_dictionaries(
    {"type": st.text(max_size=30).filter(lambda kind: kind not in MESSAGE_TYPES) | weird},
    optional={"figure_id": weird, "x": weird},
)


def as_json(messages: st.SearchStrategy[Any]) -> st.SearchStrategy[str | bytes]:
    """Messages as a client sends them: JSON text (``NaN`` and ``Infinity`` literals
    included), sometimes as a binary message, which the server reads as JSON too."""
    text = messages.map(json.dumps)
    return text | text.map(str.encode)


@dataclass(frozen=True)
class Nested:
    """A message nested ``depth`` levels deep, deeper than a JSON decoder recurses (its
    repr stays short in Hypothesis' reports)."""

    depth: int

    def __str__(self) -> str:
        nested = "[" * self.depth + "]" * self.depth
        return f'{{"type": "resize", "width": {nested}, "height": 1}}'


# An integer beyond every float, in a number field.
huge_integer = st.sampled_from(
    [
        ("scroll", "x"),
        ("scroll", "step"),
        ("resize", "width"),
        ("button_press", "button"),
        ("set_device_pixel_ratio", "device_pixel_ratio"),
    ]
).map(
    lambda where: (
        f'{{"type": "{where[0]}", "x": 1, "y": 1, "width": 1, "height": 1, '
        f'"{where[1]}": 1{"0" * 400}}}'
    )
)
wire_message = st.one_of(
    st.text(max_size=100),
    st.binary(max_size=100),
    st.builds(Nested, st.integers(1_000, 20_000)),  # (within the server's 64 KiB limit)
    huge_integer,
    as_json(weird),
    as_json(unknown_type),
    as_json(almost_right()),
    as_json(good_message()),
)

# A burst: messages of one type, each wrong in its own way, as a fuzzer or a broken client
# sends them (the log must not get one warning per value).
burst = st.sampled_from(sorted(GOOD_FIELDS)).flatmap(
    lambda kind: st.lists(as_json(almost_right(kind)), min_size=2, max_size=6)
)
batches = st.lists(wire_message.map(lambda message: [message]) | burst, min_size=1, max_size=10)


def test_every_message_type_is_fuzzed() -> None:
    assert set(GOOD_FIELDS) == MESSAGE_TYPES


# Viewers -----------------------------------------------------------------------------------


def parsed(message: str | bytes) -> ClientMessage | ProtocolError:
    try:
        return parse_message(message)
    except ProtocolError as error:
        return error


class Viewer:
    """A test viewer that paints the frames it gets, as a browser would, and knows how many
    ``webfig_welcome`` answers it has coming (so it can wait for the server to catch up)."""

    def __init__(self, server: FigureServer, num: int, extensions: list[str] | None) -> None:
        """``extensions``: webfig's client asking for these; None: a client that starts as
        WebAgg's does (it gets standard frames either way, unless it asks for rect frames)."""
        self.client = WsClient(f"ws://127.0.0.1:{server.port}/{num}/ws")
        self.extensions = extensions
        self.hellos = 0
        self.rect = False
        self._painted = 0
        self._picture: Pixels | None = None
        self._mode = "full"
        self._regions: dict[int, Pixels] = {}
        if extensions is None:
            self.send(type="supports_binary", value=True)
            self.send(type="send_image_mode")
        else:
            self.send(type="webfig_hello", protocol=1, extensions=extensions)
            self.rect = "rect_frames" in extensions
        self.send(type="set_device_pixel_ratio", device_pixel_ratio=1)
        self.send(type="refresh")

    def send(self, raw: str | bytes | None = None, **content: object) -> None:
        message = json.dumps(content) if raw is None else raw
        if isinstance(parsed(message), Hello):
            self.hellos += 1
        self.client.send_raw(message)

    def welcomes(self) -> int:
        return sum(
            isinstance(m, str) and m.startswith("{") and json.loads(m)["type"] == "webfig_welcome"
            for m in self.client.received
        )

    def settle(self) -> None:
        """Wait until the server has handled everything sent so far (messages keep order)."""
        self.send(type="webfig_hello", protocol=1, extensions=self.extensions or [])
        self.client.wait_until(lambda: self.welcomes() == self.hellos)

    def picture(self) -> Pixels | None:
        """What the viewer's canvas shows after the frames received so far."""
        for message in self.client.received[self._painted :]:
            self._painted += 1
            if isinstance(message, bytes) and self.rect:
                self._picture = paint_rect_frame(self._picture, message, self._regions)
            elif isinstance(message, bytes):
                self._picture = paint(self._picture, self._mode, message)
            elif message.startswith("data:image/png;base64,"):
                png = base64.b64decode(message.removeprefix("data:image/png;base64,"))
                self._picture = paint(self._picture, self._mode, png)
            elif json.loads(message)["type"] == "image_mode":
                self._mode = json.loads(message)["mode"]
        return self._picture

    def frame_count(self) -> int:
        return sum(isinstance(m, bytes) for m in self.client.received)

    def largest_frame(self) -> int:
        """The longest side of any frame received so far, in device pixels, read from the
        frames' headers (a fuzzed hello may have changed the format of the frames)."""
        sides = [0]
        for message in self.client.received:
            frame = message
            if isinstance(message, str) and message.startswith("data:image/png;base64,"):
                frame = base64.b64decode(message.removeprefix("data:image/png;base64,"))
            if isinstance(frame, bytes) and frame.startswith(RECT_FRAME_MAGIC):
                sides += RECT_FRAME_HEADER.unpack_from(frame)[4:6]
            elif isinstance(frame, bytes):
                assert frame.startswith(b"\x89PNG\r\n\x1a\n"), frame[:8]
                sides += struct.unpack(">II", frame[16:24])
        return max(sides)

    def comes_to_show(self, expected: Pixels) -> None:
        """Read frames until the viewer shows ``expected``, pixel for pixel."""

        def shows() -> bool:
            picture = self.picture()
            return picture is not None and np.array_equal(picture, expected)

        try:
            self.client.wait_until(shows, TIMEOUT)
        except TimeoutError:
            picture = self.picture()
            if picture is None:
                raise AssertionError("the viewer got no frame") from None
            if picture.shape != expected.shape:
                raise AssertionError(
                    f"the viewer shows {picture.shape}, Agg draws {expected.shape}"
                ) from None
            differ = np.any(picture != expected, axis=-1).sum()
            raise AssertionError(f"{differ} pixels differ from Agg's picture") from None

    def close(self) -> None:
        self.client.close()


def canvas_of(figure: Figure) -> webfig_canvas.WebfigCanvas:
    return cast("webfig_canvas.WebfigCanvas", figure.canvas)


def agg_picture(figure: Figure) -> Pixels:
    """The figure as Agg draws it now. On the server's loop, where everything a viewer's
    message does to the figure happens: drawn between two of those, never during one."""
    canvas = canvas_of(figure)

    def draw() -> Pixels:
        canvas.render_agg()
        return canvas.pixels()

    return server_thread().run_sync(draw)


def canvas_size(figure: Figure) -> tuple[int, int, float]:
    """The canvas' size in device pixels, and its pixel ratio."""
    canvas = canvas_of(figure)
    return server_thread().run_sync(
        lambda: (*canvas.get_width_height(physical=True), canvas.device_pixel_ratio)
    )


def assert_within_bounds(figure: Figure, max_pixels: int, *viewers: Viewer) -> None:
    """The canvas renders at most ``max_pixels`` device pixels a side (at least the smallest
    side at the lowest ratio), at a ratio within bounds; no viewer got a larger picture."""
    width, height, ratio = canvas_size(figure)
    low = math.floor(webfig_canvas.MIN_CANVAS_SIDE * webfig_canvas.MIN_PIXEL_RATIO)
    assert low <= width <= max_pixels, f"canvas width {width} (ratio {ratio})"
    assert low <= height <= max_pixels, f"canvas height {height} (ratio {ratio})"
    assert webfig_canvas.MIN_PIXEL_RATIO <= ratio <= webfig_canvas.MAX_PIXEL_RATIO
    for viewer in viewers:
        assert viewer.largest_frame() <= max_pixels


def plot() -> Figure:
    """A figure with positive data, so that log scales (keys l and k) take it."""
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([1, 2, 3], [1, 3, 2], lw=3)
    ax.set(xlim=(0.5, 3.5), ylim=(0.5, 3.5))
    return figure


@pytest.fixture
def not_closable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A viewer may close a closable figure (q, ctrl+w, the close button): legitimate, but
    then there is nothing left to check. So the fuzzed figure is not closable, and Q is bound
    to quit_all (matplotlib binds it to nothing): no key or message may close any figure."""
    monkeypatch.setitem(mpl.rcParams, "keymap.quit_all", ["Q"])
    monkeypatch.setattr(WebfigManager, "closable", property(lambda manager: False))


@pytest.fixture
def fuzz_bounds(monkeypatch: pytest.MonkeyPatch) -> int:
    """``WEBFIG_MAX_PIXELS`` for the viewers that connect from now on."""
    monkeypatch.setenv("WEBFIG_MAX_PIXELS", str(FUZZ_MAX_PIXELS))
    return FUZZ_MAX_PIXELS


@pytest.fixture
def viewers() -> Iterator[list[Viewer]]:
    """Viewers to close at the end of a test (or of an example: the list is emptied)."""
    opened: list[Viewer] = []
    yield opened
    close_all(opened)


def close_all(opened: list[Viewer]) -> None:
    while opened:
        opened.pop().close()


# What matplotlib's navigation says when a drag takes the view to absurd limits. Warnings,
# as they are in production; pytest would make them errors, and raise them on the server.
NAVIGATION_WARNINGS = pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:divide by zero encountered:RuntimeWarning",
    "ignore:invalid value encountered:RuntimeWarning",
    "ignore:Attempting to set identical:UserWarning",
    "ignore:Attempt to set non-positive:UserWarning",
)


# The tests ---------------------------------------------------------------------------------


@settings(
    max_examples=30,
    deadline=None,
    # One server for every example is fine: each example makes its own figure and viewers.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=batches.map(lambda parts: [message for part in parts for message in part]))
@pytest.mark.usefixtures("not_closable", "fuzz_bounds")
@NAVIGATION_WARNINGS
def test_fuzzed_messages_harm_no_viewer(
    server: FigureServer,
    viewers: list[Viewer],
    caplog: pytest.LogCaptureFixture,
    batch: list[str | bytes | Nested],
) -> None:
    caplog.set_level(logging.DEBUG, logger="webfig")
    figure = plot()
    num = figure.number
    try:
        watching = Viewer(server, num, ["rect_frames", "motion_ack", "preview"])
        fuzzing = Viewer(server, num, None)
        viewers += [watching, fuzzing]
        watching.settle()
        fuzzing.settle()
        watching.comes_to_show(agg_picture(figure))
        caplog.clear()

        sent = [str(message) if isinstance(message, Nested) else message for message in batch]
        for message in sent:
            fuzzing.send(message)
        fuzzing.settle()  # still connected, and everything it sent has been handled

        assert plt.fignum_exists(num)
        assert_within_bounds(figure, FUZZ_MAX_PIXELS, watching, fuzzing)
        # Each kind of bad message is logged as a warning once, however often it comes.
        kinds = {error.kind for error in map(parsed, sent) if isinstance(error, ProtocolError)}
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "ignored a message" in r.getMessage()
        ]
        assert len(warnings) <= len(kinds), warnings

        # A new viewer gets the figure as it is now; so does the one that was there.
        fresh = Viewer(server, num, None)
        viewers.append(fresh)
        fresh.settle()
        expected = agg_picture(figure)
        fresh.comes_to_show(expected)
        watching.comes_to_show(expected)

        # And every one of them gets the script's next change.
        counts = [viewer.frame_count() for viewer in (watching, fresh)]
        server_thread().run_sync(lambda: figure.set_facecolor("#ffe4c4"))
        figure.canvas.draw_idle()
        expected = agg_picture(figure)
        for viewer, count in zip((watching, fresh), counts, strict=True):
            viewer.comes_to_show(expected)
            assert viewer.frame_count() > count
        fuzzing.settle()
        assert_within_bounds(figure, FUZZ_MAX_PIXELS, watching, fuzzing, fresh)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors
    finally:
        close_all(viewers)
        plt.close(figure)


@NAVIGATION_WARNINGS
def test_a_zoom_matplotlib_fails_on_closes_no_connection(
    server: FigureServer, viewers: list[Viewer]
) -> None:
    """In zoom mode, a right-button drag (zoom out) from the axes' right edge outwards is a
    rectangle of zero width, on which matplotlib fails ("Axis limits cannot be NaN or Inf").
    The viewer stays connected, and the figure keeps working for it."""
    figure = plot()
    viewer = Viewer(server, figure.number, None)
    viewers.append(viewer)
    viewer.settle()
    limits = figure.axes[0].get_xlim(), figure.axes[0].get_ylim()
    viewer.send(type="toolbar_button", name="zoom")
    viewer.send(type="button_press", x=360, y=100, button=2, buttons=2)  # the right edge
    viewer.send(type="button_release", x=500, y=200, button=2, buttons=0)
    viewer.settle()
    assert (figure.axes[0].get_xlim(), figure.axes[0].get_ylim()) == limits
    server_thread().run_sync(lambda: figure.set_facecolor("#ffe4c4"))
    figure.canvas.draw_idle()
    viewer.comes_to_show(agg_picture(figure))
    plt.close(figure)


def test_sizes_and_ratios_are_bounded_at_the_default(
    server: FigureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Huge and tiny sizes and ratios, in every order, keep the canvas within bounds: the
    protocol refuses what no screen has, the figure what exceeds ``max_pixels``.

    (The viewer never asks for frames, so nothing as large as the bound is rendered.)
    """
    monkeypatch.delenv("WEBFIG_MAX_PIXELS", raising=False)
    figure = plot()
    client = WsClient(f"ws://127.0.0.1:{server.port}/{figure.number}/ws")
    try:
        steps: Sequence[dict[str, object]] = [
            {"type": "resize", "width": 1e308, "height": 2**64},
            {"type": "set_device_pixel_ratio", "device_pixel_ratio": 1e308},
            {"type": "set_device_pixel_ratio", "device_pixel_ratio": 5e-324},
            {"type": "resize", "width": MAX_RESIZE_SIDE, "height": 5e-324},
            {"type": "set_device_pixel_ratio", "device_pixel_ratio": MAX_PIXEL_RATIO_ASK},
            {"type": "resize", "width": DEFAULT_MAX_PIXELS, "height": DEFAULT_MAX_PIXELS},
            {"type": "resize", "width": DEFAULT_MAX_PIXELS / 3, "height": 5e-324},
            {"type": "resize", "width": 5e-324, "height": 5e-324},
            {"type": "set_device_pixel_ratio", "device_pixel_ratio": MIN_PIXEL_RATIO_ASK},
        ]
        for step in steps:
            client.send_raw(json.dumps(step))
            client.sync()
            assert_within_bounds(figure, DEFAULT_MAX_PIXELS)
        # At the bound, or as near as the ratio allows.
        assert canvas_size(figure) == (8, 8, webfig_canvas.MIN_PIXEL_RATIO)
    finally:
        client.close()
        plt.close(figure)


def test_the_same_kind_of_bad_message_is_logged_once(
    server: FigureServer, viewers: list[Viewer], caplog: pytest.LogCaptureFixture
) -> None:
    """A hundred bad messages of each kind, each with other values: one warning per kind,
    with the details of the first."""
    figure = plot()
    viewer = Viewer(server, figure.number, None)
    viewers.append(viewer)
    viewer.settle()
    caplog.set_level(logging.DEBUG, logger="webfig")
    for i in range(100):
        viewer.send(type="resize", width=-1 - i, height=10)
        viewer.send(type=f"explode{i}")
        viewer.send(f"{{not json {i}")
        viewer.send(type="key_press", key=f"hyper{i}+kx")
        viewer.send(type="scroll", x=1, y=1, modifiers=["ctrl", f"hyper{i}"])
    viewer.settle()
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("webfig") and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 5, warnings
    for detail in [
        "resize: 'width' must be positive, not -1.0",
        "unknown message type 'explode0'",
        "not valid JSON",
        "key_press: unknown modifier 'hyper0'",
        "scroll: unknown modifier 'hyper0'",
    ]:
        assert sum(detail in warning for warning in warnings) == 1, (detail, warnings)
    # The viewer is still served.
    server_thread().run_sync(lambda: figure.set_facecolor("#ffe4c4"))
    figure.canvas.draw_idle()
    viewer.comes_to_show(agg_picture(figure))
    plt.close(figure)


# HTTP ----------------------------------------------------------------------------------------


def get(server: FigureServer, path: str) -> tuple[int, bytes]:
    """The status and body of ``GET path``, sent as it is."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path",
    [
        "/99",
        "/99/ws",
        "/99/download.png",
        "/1/download.exe",
        "/1/download.png/",
        "/1/ws",  # no upgrade
        "/" + "9" * 5000,  # more digits than Python turns into an int
        "/" + "9" * 5000 + "/ws",
        "/" + "9" * 5000 + "/download.png",
        "/static/%00",
        "/js/%00",
        "/js/%ff",
        "/js/..%2f..%2fhandlers.py",
        "/%ff%fe",
    ],
    ids=lambda path: path if len(path) < 40 else f"{path[:8]}...{path[-12:]}",
)
def test_bad_requests_get_a_4xx_with_a_message(server: FigureServer, path: str) -> None:
    plot()
    status, body = get(server, path)
    assert 400 <= status < 500, (status, body[:200])
    assert body.strip()


segment = st.sampled_from(["1", "99", "ws", "js", "static", "download.png", "..", "%00", "%ff"]) | (
    st.text(max_size=12).map(lambda text: urllib.parse.quote(text, safe=""))
)


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segment, min_size=1, max_size=4))
def test_no_path_is_a_server_error(server: FigureServer, parts: list[str]) -> None:
    if not plt.fignum_exists(1):
        plot()
    status, body = get(server, "/" + "/".join(parts))
    assert status < 500, (status, body[:200])
