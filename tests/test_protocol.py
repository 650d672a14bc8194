"""Parsing of viewers' messages: every type, and every way a message can be wrong."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webfig.wire.browser_names import normalize_key
from webfig.wire.extensions import accepted_extensions
from webfig.wire.incoming import (
    MAX_COORDINATE,
    MAX_PINCH_SCALE,
    MAX_PIXEL_RATIO_ASK,
    MAX_RESIZE_SIDE,
    MAX_SCROLL_STEP,
    MAX_SEQ,
    MESSAGE_TYPES,
    MIN_PIXEL_RATIO_ASK,
    Command,
    Hello,
    Key,
    Mouse,
    Pinch,
    ProtocolError,
    Resize,
    SetPixelRatio,
    SupportsBinary,
    ToolbarButton,
    parse_message,
)


def parse(**content: object):
    return parse_message(json.dumps(content))


@pytest.mark.parametrize("kind", ["send_image_mode", "refresh", "draw", "ack"])
def test_commands(kind):
    assert parse(type=kind, figure_id=1) == Command(kind)


def test_supports_binary_and_hello():
    assert parse(type="supports_binary", value=False) == SupportsBinary(False)
    assert parse(type="webfig_hello", protocol=1, extensions=["x"]) == Hello(("x",))


def test_pixel_ratio_in_both_spellings():
    assert parse(type="set_device_pixel_ratio", device_pixel_ratio=2) == SetPixelRatio(2.0)
    assert parse(type="set_dpi_ratio", dpi_ratio=1.5) == SetPixelRatio(1.5)


def test_resize():
    assert parse(type="resize", width=640, height=480.5) == Resize(640.0, 480.5)


def test_sizes_and_ratios_up_to_their_bounds_are_accepted():
    """The protocol refuses what no screen has; what the figure renders is its own bound."""
    side = MAX_RESIZE_SIDE
    assert parse(type="resize", width=side, height=0.5) == Resize(side, 0.5)
    for ratio in (MIN_PIXEL_RATIO_ASK, MAX_PIXEL_RATIO_ASK):
        assert parse(type="set_device_pixel_ratio", device_pixel_ratio=ratio).ratio == ratio


@pytest.mark.parametrize(
    "kind",
    [
        "button_press",
        "button_release",
        "dblclick",
        "motion_notify",
        "scroll",
        "figure_enter",
        "figure_leave",
    ],
)
def test_mouse_events(kind):
    message = parse(
        type=kind,
        x=10.5,
        y=20,
        button=2,
        buttons=3,
        step=-1,
        modifiers=["ctrl", "meta"],
        guiEvent={"type": "pointerdown", "clientX": 3, "nested": {"dropped": True}},
    )
    assert message == Mouse(
        type=kind,
        x=10.5,
        y=20.0,
        button=2,
        buttons=3,
        step=-1.0,
        modifiers=frozenset({"ctrl", "super"}),
        gui_event={"type": "pointerdown", "clientX": 3},
    )


@pytest.mark.parametrize("kind", ["button_press", "motion_notify", "scroll", "figure_leave"])
def test_pointer_messages_may_carry_a_seq(kind):
    assert parse(type=kind, x=1, y=2).seq is None
    assert parse(type=kind, x=1, y=2, seq=0).seq == 0
    assert parse(type=kind, x=1, y=2, seq=MAX_SEQ - 1).seq == MAX_SEQ - 1


@pytest.mark.parametrize("seq", [True, 1.0, 1.5, "3", -1, MAX_SEQ, [1]])
def test_a_bad_seq_is_dropped_and_the_message_stands(seq):
    message = parse(type="motion_notify", x=1, y=2, buttons=1, seq=seq)
    assert (message.seq, message.buttons) == (None, 1)
    assert message.seq_problem is not None
    assert message.seq_problem.startswith("motion_notify: 'seq' must be an integer from 0")


def test_a_pinch_is_a_pointer_message_with_its_zoom_and_move():
    message = parse(type="pinch", x=100.5, y=80, scale=1.5, dx=-12.25, dy=3, seq=7)
    assert message == Pinch(
        "pinch", 100.5, 80.0, 0, 0, 0.0, frozenset(), None, seq=7, scale=1.5, dx=-12.25, dy=3.0
    )
    assert isinstance(message, Mouse)
    for scale in (1 / MAX_PINCH_SCALE, MAX_PINCH_SCALE):
        assert parse(type="pinch", x=1, y=1, scale=scale, dx=0, dy=0).scale == scale


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"x": 1, "y": 1, "dx": 0, "dy": 0}, "missing number field 'scale'"),
        ({"x": 1, "y": 1, "scale": 0, "dx": 0, "dy": 0}, "'scale' must be positive"),
        ({"x": 1, "y": 1, "scale": -2, "dx": 0, "dy": 0}, "'scale' must be positive"),
        ({"x": 1, "y": 1, "scale": 1025, "dx": 0, "dy": 0}, "'scale' must be at most 1024"),
        ({"x": 1, "y": 1, "scale": 1e-4, "dx": 0, "dy": 0}, "'scale' must be at least 1/1024"),
        ({"x": 1, "y": 1, "scale": "2", "dx": 0, "dy": 0}, "'scale' must be a number"),
        ({"x": 1, "y": 1, "scale": 2, "dx": 1e9, "dy": 0}, "'dx' must be within"),
        ({"x": 1, "y": 1, "scale": 2, "dx": 0}, "missing number field 'dy'"),
        ({"x": 1e6, "y": 1, "scale": 2, "dx": 0, "dy": 0}, "'x' must be within"),
        ({"y": 1, "scale": 2, "dx": 0, "dy": 0}, "missing number field 'x'"),
    ],
)
def test_a_bad_pinch_is_rejected_with_a_reason(fields, problem):
    with pytest.raises(ProtocolError, match=problem) as caught:
        parse(type="pinch", **fields)
    assert caught.value.kind.startswith("pinch: bad '")


def test_a_wheel_step_is_bounded():
    assert parse(type="scroll", x=1, y=1, step=-0.04).step == -0.04
    assert parse(type="scroll", x=1, y=1, step=MAX_SCROLL_STEP).step == MAX_SCROLL_STEP
    with pytest.raises(ProtocolError, match="'step' must be within"):
        parse(type="scroll", x=1, y=1, step=MAX_SCROLL_STEP + 1)


def test_extensions_are_accepted_as_the_settings_and_rect_frames_allow():
    everything = ("rect_frames", "motion_ack", "lossy_frames", "preview", "teleport")
    assert accepted_extensions(everything) == set(everything) - {"teleport"}
    assert accepted_extensions(("lossy_frames", "preview", "motion_ack")) == {"motion_ack"}
    assert accepted_extensions(everything, preview=False) == set(everything) - {
        "teleport",
        "preview",
    }
    assert accepted_extensions(everything, lossy=False) == {"rect_frames", "motion_ack", "preview"}


def test_key_events_are_normalised():
    assert parse(type="key_press", key="ctrl+alt+kx") == Key("key_press", "ctrl+alt+x", None)
    assert parse(type="key_release", key="kArrowLeft").key == "left"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ka", "a"),
        ("shift+kA", "A"),
        ("ctrl+shift+kA", "ctrl+A"),
        ("ctrl+alt+kx", "ctrl+alt+x"),
        ("alt+ctrl+kx", "ctrl+alt+x"),  # matplotlib's order, whatever the client's
        ("super+shift+kArrowUp", "super+shift+up"),
        ("meta+kz", "super+z"),
        ("kEscape", "escape"),
        ("kF5", "f5"),
        ("kk", "k"),
        ("ctrl+kControl", "control"),
        ("shift+kShift", "shift"),
        ("k ", " "),
    ],
)
def test_key_names(raw, expected):
    assert normalize_key(raw) == expected


def test_toolbar_buttons_are_limited_to_the_toolbar():
    assert parse(type="toolbar_button", name="pan") == ToolbarButton("pan")
    for name in ["__init__", "save_figure", "configure_subplots", "drag_pan", ""]:
        with pytest.raises(ProtocolError, match="toolbar_button name"):
            parse(type="toolbar_button", name=name)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not valid JSON"),
        ("", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"figure_id": 1}', "no string field 'type'"),
        ('{"type": 5}', "no string field 'type'"),
        ('{"type": "explode"}', "unknown message type"),
        ('{"type": "resize", "width": 10}', "missing number field 'height'"),
        ('{"type": "resize", "width": -5, "height": 10}', "must be positive"),
        ('{"type": "resize", "width": "wide", "height": 10}', "must be a number"),
        ('{"type": "resize", "width": true, "height": 10}', "must be a number"),
        ('{"type": "resize", "width": NaN, "height": 10}', "must be finite"),
        ('{"type": "resize", "width": Infinity, "height": 10}', "must be finite"),
        ('{"type": "set_device_pixel_ratio", "device_pixel_ratio": 0}', "must be positive"),
        # Sizes and ratios no screen has: a resize of 1e308 reached math.floor(inf).
        ('{"type": "resize", "width": 1e308, "height": 10}', "at most 65536 CSS pixels"),
        ('{"type": "resize", "width": 10, "height": 65537}', "'height' must be at most 65536"),
        ('{"type": "resize", "width": 10, "height": -1e308}', "'height' must be positive"),
        ('{"type": "set_device_pixel_ratio", "device_pixel_ratio": 1e308}', "at most 32"),
        ('{"type": "set_device_pixel_ratio", "device_pixel_ratio": 5e-324}', "at least 1/32"),
        ('{"type": "set_device_pixel_ratio", "device_pixel_ratio": NaN}', "must be finite"),
        ('{"type": "set_device_pixel_ratio", "device_pixel_ratio": -Infinity}', "be finite"),
        ('{"type": "set_dpi_ratio", "dpi_ratio": 33}', "'dpi_ratio' must be at most 32"),
        ('{"type": "set_dpi_ratio", "dpi_ratio": -2}', "'dpi_ratio' must be positive"),
        ('{"type": "button_press", "x": 1}', "missing number field 'y'"),
        ('{"type": "button_press", "x": 1, "y": 2, "button": 1.5}', "must be an integer"),
        ('{"type": "button_press", "x": 1, "y": 2, "button": 5}', "'button' must be 0 to 4"),
        ('{"type": "dblclick", "x": 1, "y": 2, "button": -1}', "'button' must be 0 to 4"),
        ('{"type": "motion_notify", "x": 1e308, "y": 2}', "'x' must be within"),
        ('{"type": "scroll", "x": 1, "y": -65537}', "'y' must be within"),
        ('{"type": "motion_notify", "x": 1, "y": 2, "buttons": -1}', "must not be negative"),
        ('{"type": "scroll", "x": 1, "y": 2, "modifiers": "ctrl"}', "list of strings"),
        ('{"type": "scroll", "x": 1, "y": 2, "modifiers": ["hyper"]}', "unknown modifier"),
        ('{"type": "scroll", "x": 1, "y": 2, "guiEvent": [1]}', "'guiEvent' must be an object"),
        ('{"type": "key_press"}', "'key' must be a string"),
        ('{"type": "key_press", "key": "ctrl+"}', "not of the form"),
        ('{"type": "key_press", "key": "k"}', "not of the form"),
        ('{"type": "supports_binary", "value": 1}', "must be true or false"),
        ('{"type": "webfig_hello"}', "integer 'protocol'"),
        ('{"type": "webfig_hello", "protocol": 1, "extensions": [1]}', "list of strings"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(text, problem):
    with pytest.raises(ProtocolError, match=problem):
        parse_message(text)


def test_overlong_fields_are_rejected():
    with pytest.raises(ProtocolError, match="longer than"):
        parse(type="key_press", key="k" + "x" * 100)
    with pytest.raises(ProtocolError, match="at most 32 fields"):
        parse(type="scroll", x=1, y=1, guiEvent={str(i): i for i in range(33)})


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_text_parses_or_raises_protocol_error(text):
    try:
        message = parse_message(text)
    except ProtocolError:
        return
    assert isinstance(
        message,
        Command | Hello | Key | Mouse | Resize | SetPixelRatio | SupportsBinary | ToolbarButton,
    )


def test_pointers_are_bounded_but_may_leave_the_canvas():
    assert parse(type="motion_notify", x=-MAX_COORDINATE, y=MAX_COORDINATE).x == -MAX_COORDINATE
    # Other pointer events carry a button too (-1 for a move, in pointer events); unread.
    assert parse(type="motion_notify", x=1, y=1, button=-1).button == -1


# Bugs fuzzing found: each of these escaped parse_message as another exception, which
# closed the viewer's connection.


def test_nesting_deeper_than_the_decoder_goes_is_not_json():
    with pytest.raises(ProtocolError, match="not valid JSON"):  # was RecursionError
        parse_message('{"type": "resize", "width": ' + "[" * 100_000 + "]" * 100_000 + "}")


@pytest.mark.parametrize("field", ["x", "step"])
def test_an_integer_beyond_every_float_is_not_finite(field):
    text = f'{{"type": "scroll", "x": 1, "y": 1, "{field}": 1{"0" * 400}}}'
    with pytest.raises(ProtocolError, match=f"'{field}' must be finite"):  # was OverflowError
        parse_message(text)


@pytest.mark.parametrize("button", [5, -1, 2**64])
def test_a_button_matplotlib_does_not_know_is_rejected(button):
    # Was passed on as button None, on which matplotlib's button_press_handler raised.
    with pytest.raises(ProtocolError, match="'button' must be 0 to 4"):
        parse(type="button_press", x=1, y=1, button=button, buttons=0)


# Kinds of problems: the same for every message wrong in the same way, and finitely many.

KIND = re.compile(
    r"(not JSON|not a JSON object|no type|unknown message type"
    rf"|({'|'.join(sorted(MESSAGE_TYPES))}): bad '\w+')"
)


def problem(text: str | bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse_message(text)
    return caught.value


def test_a_kind_names_the_problem_without_its_values():
    assert problem("{nope").kind == "not JSON"
    assert problem("[1]").kind == "not a JSON object"
    assert problem('{"type": null}').kind == "no type"
    assert problem('{"type": "explode"}').kind == problem('{"type": "boom"}').kind
    assert problem('{"type": "explode"}').kind == "unknown message type"
    widths = [-1, 0, "wide", None, [1], float("nan")]
    kinds = {problem(json.dumps({"type": "resize", "width": w, "height": 1})).kind for w in widths}
    assert kinds == {"resize: bad 'width'"}
    assert problem(json.dumps({"type": "key_press", "key": "hyper+kx"})).kind == (
        "key_press: bad 'key'"
    )
    assert problem(json.dumps({"type": "toolbar_button", "name": "x"})).kind == (
        "toolbar_button: bad 'name'"
    )


def test_the_message_keeps_the_details_shortened():
    error = problem(json.dumps({"type": "resize", "width": -5, "height": 1}))
    assert str(error) == "resize: 'width' must be positive, not -5.0"
    error = problem(json.dumps({"type": "x" * 10_000}))
    assert str(error).startswith("unknown message type 'xxx")
    assert len(str(error)) < 100
    error = problem(json.dumps({"type": "scroll", "x": 1, "y": 1, "step": [[[["deep"]]]] * 99}))
    assert len(str(error)) < 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(
    kind=st.sampled_from(sorted(MESSAGE_TYPES)) | st.text(max_size=10),
    fields=st.dictionaries(
        st.sampled_from(["x", "y", "button", "buttons", "step", "key", "modifiers", "guiEvent"])
        | st.sampled_from(["width", "height", "device_pixel_ratio", "dpi_ratio", "name"])
        | st.sampled_from(["value", "protocol", "extensions"]),
        json_values,
    ),
)
def test_every_problem_has_one_of_finitely_many_kinds(kind, fields):
    try:
        parse_message(json.dumps({**fields, "type": kind}))
    except ProtocolError as error:
        caught = error
    else:
        return
    assert KIND.fullmatch(caught.kind), caught.kind
    assert len(str(caught)) < 300
