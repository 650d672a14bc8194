"""Parsing and checking of the messages viewers send (see ``docs/protocol.md``).

Every message is turned into a small frozen dataclass or rejected with a
:class:`ProtocolError` that says what is wrong, so nothing downstream ever sees a malformed
field. Pure functions only: no matplotlib, no Tornado.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, get_args

from .browser_names import DOM_BUTTONS, MODIFIER_NAMES, normalize_key

MouseType = Literal[
    "button_press",
    "button_release",
    "dblclick",
    "motion_notify",
    "scroll",
    "figure_enter",
    "figure_leave",
    "pinch",
]
KeyType = Literal["key_press", "key_release"]
CommandType = Literal["send_image_mode", "refresh", "draw", "ack", "close_figure", "subplots_reset"]
ToolName = Literal["home", "back", "forward", "pan", "zoom", "subplots", "download"]

TOOL_NAMES: Final[tuple[ToolName, ...]] = get_args(ToolName)

# Plain values of the browser event, handed to callbacks as ``event.guiEvent``.
GuiEvent: TypeAlias = Mapping[str, "str | int | float | bool | None"]
_MAX_GUI_EVENT_FIELDS: Final = 32
# Pointer positions are device pixels from the canvas' corner. A canvas has at most 16384 on
# a side (the most ``max_pixels`` allows), and a pointer dragged beyond it stays on some
# screen: further than this is no pointer's position, and only feeds matplotlib's navigation
# infinite limits.
MAX_COORDINATE: Final = 2**16
# A wheel turns a few notches per event; more than this is no wheel's, and 0.85 to its power
# (matplotlib's zoom per notch) is no view a figure can show.
MAX_SCROLL_STEP: Final = 2**10
# A pinch scales the view by at most this much either way: more than fingers on any screen
# spread or close.
MAX_PINCH_SCALE: Final = 2**10
# A resize asks for at most this many CSS pixels a side: more than any screen shows. (The
# figure refuses what exceeds its ``max_pixels`` too; this refuses what is no size at all.)
MAX_RESIZE_SIDE: Final = 2**16
# A device pixel ratio is within these: a browser's ``devicePixelRatio`` at any zoom is. (The
# figure renders within 0.5 and 4, and within ``max_pixels``, whatever the ask.)
MIN_PIXEL_RATIO_ASK: Final = 1 / 32
MAX_PIXEL_RATIO_ASK: Final = 32
_BUTTON_TYPES: Final = frozenset({"button_press", "button_release", "dblclick"})
# Pointer messages' ``seq`` is below this: every such integer is exact in a JavaScript number.
MAX_SEQ: Final = 2**53
_MAX_KEY_LENGTH: Final = 64
_MAX_TOOL_NAME_LENGTH: Final = 128
# The figure's subplot parameters (``Figure.subplots_adjust``), as the subplot tool sends them.
SUBPLOT_PARAMS: Final = ("left", "right", "bottom", "top", "wspace", "hspace")


class ProtocolError(ValueError):
    """A message a viewer sent cannot be used.

    ``str(error)`` says what is wrong, with the offending value; ``kind`` names the problem
    in a few words that are the same for every message wrong in the same way, whatever its
    values (``"resize: bad 'width'"``, ``"unknown message type"``). There are finitely many
    kinds, so a log that reports each kind once cannot be flooded.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Hello:
    """webfig's client introduces itself and asks for protocol extensions.

    Its protocol version must be an integer, and is not kept: a server speaks with clients
    of any version, and its welcome says which version it speaks.
    """

    extensions: tuple[str, ...]


@dataclass(frozen=True)
class SupportsBinary:
    value: bool


@dataclass(frozen=True)
class Command:
    """A message with no fields: ``send_image_mode``, ``refresh``, ``draw``, ``ack``,
    ``close_figure`` (the close button: close the figure, as ``q`` would),
    ``subplots_reset`` (the subplot tool's reset)."""

    type: CommandType


@dataclass(frozen=True)
class SetPixelRatio:
    """The viewer's screen's device pixel ratio, from MIN_PIXEL_RATIO_ASK to
    MAX_PIXEL_RATIO_ASK."""

    ratio: float


@dataclass(frozen=True)
class Resize:
    """A resize asked for by a viewer, in CSS pixels: above 0 and at most MAX_RESIZE_SIDE."""

    width: float
    height: float


@dataclass(frozen=True)
class Mouse:
    """A pointer event; ``x`` and ``y`` in device pixels from the canvas' top-left corner."""

    type: MouseType
    x: float
    y: float
    button: int
    buttons: int
    step: float
    modifiers: frozenset[str]
    gui_event: GuiEvent | None
    # The client's number for the message (the ``preview`` extension), if it sent a good one.
    seq: int | None = None
    # What was wrong with the ``seq`` it sent instead; the message stands without it.
    seq_problem: str | None = None


@dataclass(frozen=True)
class Pinch(Mouse):
    """A two-finger pinch, ended (the ``pinch`` extension): the data under the fingers' first
    midpoint (``x``, ``y``) moved by ``dx``, ``dy`` device pixels, about which the view was
    scaled by ``scale`` (above 1: zoomed in). One view change for the axes under (``x``,
    ``y``); a pointer message like the others, so it carries a ``seq`` too."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0


@dataclass(frozen=True)
class Visibility:
    """Whether the viewer's page can be seen (the ``visibility`` extension): a hidden one, a
    background tab, gets no frames until it is shown again."""

    visible: bool


@dataclass(frozen=True)
class Key:
    """A key event; ``key`` is already in matplotlib's naming (``"ctrl+alt+x"``)."""

    type: KeyType
    key: str
    gui_event: GuiEvent | None


@dataclass(frozen=True)
class ToolbarButton:
    name: ToolName


@dataclass(frozen=True)
class TriggerTool:
    """A button of a ToolManager toolbar: ``name`` is a tool's (whether the figure has that
    tool is the figure's business)."""

    name: str


@dataclass(frozen=True)
class AdjustSubplots:
    """The subplot tool's sliders: the figure's subplot parameters, all six at once."""

    params: Mapping[str, float]


ClientMessage: TypeAlias = (
    Hello
    | SupportsBinary
    | Command
    | SetPixelRatio
    | Resize
    | Mouse
    | Key
    | ToolbarButton
    | TriggerTool
    | AdjustSubplots
    | Visibility
)

# Every message type a viewer may send.
MESSAGE_TYPES: Final[frozenset[str]] = frozenset(
    {
        *get_args(MouseType),
        *get_args(KeyType),
        *get_args(CommandType),
        "set_device_pixel_ratio",
        "set_dpi_ratio",
        "resize",
        "toolbar_button",
        "trigger_tool",
        "subplots_adjust",
        "supports_binary",
        "webfig_hello",
        "webfig_visibility",
    }
)

# Error messages show a bad value shortened: they go to the log, and a viewer chose them.
_REPR: Final = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 60
_REPR.maxlevel = 2


def _show(value: object) -> str:
    return _REPR.repr(value)


def parse_message(text: str | bytes) -> ClientMessage:
    """The message in ``text``, checked; raises :class:`ProtocolError` if it is not usable."""
    try:
        content = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # (RecursionError: nested deeper than the decoder goes.)
        raise ProtocolError("message is not valid JSON", kind="not JSON") from None
    if not isinstance(content, dict):
        raise ProtocolError("message is not a JSON object", kind="not a JSON object")
    message_type = content.get("type")
    if not isinstance(message_type, str):
        raise ProtocolError("message has no string field 'type'", kind="no type")
    if message_type not in MESSAGE_TYPES:
        raise ProtocolError(
            f"unknown message type {_show(message_type)}", kind="unknown message type"
        )
    return _parse_typed(_Fields(message_type, content))


class _Fields:
    """The fields of one message of a known type, read with checks.

    A bad field raises a :class:`ProtocolError` that names the message type and the field,
    and whose kind is the same whatever the value.
    """

    def __init__(self, message_type: str, content: Mapping[str, object]) -> None:
        self.type = message_type
        self.content = content

    def error(self, field: str, problem: str) -> ProtocolError:
        return ProtocolError(f"{self.type}: {problem}", kind=f"{self.type}: bad {field!r}")

    def number(self, field: str, default: float | None = None, *, bound: float = math.inf) -> float:
        """A finite number, at most ``bound`` either side of zero."""
        value = self.content.get(field, default)
        if value is None:
            raise self.error(field, f"missing number field {field!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(field, f"{field!r} must be a number, not {_show(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer beyond every float
            number = math.inf
        if not math.isfinite(number):
            raise self.error(field, f"{field!r} must be finite, not {_show(value)}")
        if abs(number) > bound:
            raise self.error(field, f"{field!r} must be within ±{bound}, not {_show(value)}")
        return number

    def positive(self, field: str, at_most: float, unit: str) -> float:
        """A number above 0 and at most ``at_most`` (of ``unit``, for the message)."""
        value = self.number(field)
        if value <= 0:
            raise self.error(field, f"{field!r} must be positive, not {_show(value)}")
        if value > at_most:
            raise self.error(
                field, f"{field!r} must be at most {at_most:g} {unit}, not {_show(value)}"
            )
        return value

    def pixel_ratio(self, field: str) -> float:
        """A device pixel ratio, from MIN_PIXEL_RATIO_ASK to MAX_PIXEL_RATIO_ASK."""
        value = self.positive(field, MAX_PIXEL_RATIO_ASK, "(a screen's devicePixelRatio)")
        if value < MIN_PIXEL_RATIO_ASK:
            raise self.error(
                field,
                f"{field!r} must be at least 1/{1 / MIN_PIXEL_RATIO_ASK:g}"
                f" (a screen's devicePixelRatio), not {_show(value)}",
            )
        return value

    def integer(self, field: str, default: int) -> int:
        value = self.content.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(field, f"{field!r} must be an integer, not {_show(value)}")
        return value

    def boolean(self, field: str) -> bool:
        value = self.content.get(field)
        if not isinstance(value, bool):
            raise self.error(field, f"{field!r} must be true or false, not {_show(value)}")
        return value

    def string(self, field: str, max_length: int = 256) -> str:
        value = self.content.get(field)
        if not isinstance(value, str):
            raise self.error(field, f"{field!r} must be a string, not {_show(value)}")
        if len(value) > max_length:
            raise self.error(field, f"{field!r} is longer than {max_length} characters")
        return value

    def strings(self, field: str) -> list[str]:
        value = self.content.get(field, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(field, f"{field!r} must be a list of strings, not {_show(value)}")
        return value

    def key(self) -> str:
        raw = self.string("key", max_length=_MAX_KEY_LENGTH)
        try:
            return normalize_key(raw)
        except ValueError as error:
            raise self.error("key", str(error)) from None

    def modifiers(self) -> frozenset[str]:
        names = self.strings("modifiers")
        unknown = [name for name in names if name not in MODIFIER_NAMES]
        if unknown:
            raise self.error("modifiers", f"unknown modifier {_show(unknown[0])}")
        return frozenset(MODIFIER_NAMES[name] for name in names)

    def gui_event(self) -> GuiEvent | None:
        raw = self.content.get("guiEvent")
        if raw is None:
            return None
        if not isinstance(raw, dict) or len(raw) > _MAX_GUI_EVENT_FIELDS:
            raise self.error(
                "guiEvent",
                f"'guiEvent' must be an object of at most {_MAX_GUI_EVENT_FIELDS} fields",
            )
        return {
            str(name): value
            for name, value in raw.items()
            if value is None or isinstance(value, str | int | float | bool)
        }


def _parse_typed(fields: _Fields) -> ClientMessage:
    kind = fields.type
    if kind == "pinch":
        return _parse_pinch(fields)
    if kind in get_args(MouseType):
        return _parse_mouse(fields)
    if kind in get_args(KeyType):
        return Key(type=kind, key=fields.key(), gui_event=fields.gui_event())  # type: ignore[arg-type]
    if kind in get_args(CommandType):
        return Command(kind)  # type: ignore[arg-type]
    return _PARSERS[kind](fields)


def _parse_resize(fields: _Fields) -> Resize:
    return Resize(
        fields.positive("width", MAX_RESIZE_SIDE, "CSS pixels"),
        fields.positive("height", MAX_RESIZE_SIDE, "CSS pixels"),
    )


def _parse_toolbar_button(fields: _Fields) -> ToolbarButton:
    name = fields.string("name")
    if name not in TOOL_NAMES:
        raise ProtocolError(
            f"toolbar_button name must be one of {', '.join(TOOL_NAMES)}, not {_show(name)}",
            kind="toolbar_button: bad 'name'",
        )
    return ToolbarButton(name)


def _parse_hello(fields: _Fields) -> Hello:
    version = fields.content.get("protocol")
    if not isinstance(version, int) or isinstance(version, bool):
        raise fields.error("protocol", "webfig_hello needs an integer 'protocol'")
    return Hello(tuple(fields.strings("extensions")))


def _parse_mouse(fields: _Fields) -> Mouse:
    button = fields.integer("button", default=0)
    # (Other pointer events carry a button too, and nothing reads it.)
    if fields.type in _BUTTON_TYPES and not 0 <= button < len(DOM_BUTTONS):
        raise fields.error(
            "button",
            f"'button' must be 0 to {len(DOM_BUTTONS) - 1} (DOM numbering), not {_show(button)}",
        )
    buttons = fields.integer("buttons", default=0)
    if buttons < 0:
        raise fields.error("buttons", f"'buttons' must not be negative, not {_show(buttons)}")
    seq, seq_problem = _parse_seq(fields)
    return Mouse(
        type=fields.type,  # type: ignore[arg-type]
        x=fields.number("x", bound=MAX_COORDINATE),
        y=fields.number("y", bound=MAX_COORDINATE),
        button=button,
        buttons=buttons,
        step=fields.number("step", default=0.0, bound=MAX_SCROLL_STEP),
        modifiers=fields.modifiers(),
        gui_event=fields.gui_event(),
        seq=seq,
        seq_problem=seq_problem,
    )


def _parse_pinch(fields: _Fields) -> Pinch:
    scale = fields.positive("scale", MAX_PINCH_SCALE, "(a pinch's zoom)")
    if scale < 1 / MAX_PINCH_SCALE:
        raise fields.error(
            "scale",
            f"'scale' must be at least 1/{MAX_PINCH_SCALE} (a pinch's zoom), not {_show(scale)}",
        )
    seq, seq_problem = _parse_seq(fields)
    return Pinch(
        type="pinch",
        x=fields.number("x", bound=MAX_COORDINATE),
        y=fields.number("y", bound=MAX_COORDINATE),
        button=0,
        buttons=0,
        step=0.0,
        modifiers=fields.modifiers(),
        gui_event=None,
        seq=seq,
        seq_problem=seq_problem,
        scale=scale,
        dx=fields.number("dx", bound=MAX_COORDINATE),
        dy=fields.number("dy", bound=MAX_COORDINATE),
    )


def _parse_subplots(fields: _Fields) -> AdjustSubplots:
    """Each of SUBPLOT_PARAMS from 0 to 1, with room between left and right, bottom and top
    (matplotlib refuses less)."""
    params = {name: fields.number(name) for name in SUBPLOT_PARAMS}
    for name, value in params.items():
        if not 0 <= value <= 1:
            raise fields.error(name, f"{name!r} must be from 0 to 1, not {_show(value)}")
    for low, high in (("left", "right"), ("bottom", "top")):
        if params[low] >= params[high]:
            raise fields.error(low, f"{low!r} must be less than {high!r}")
    return AdjustSubplots(params)


def _parse_seq(fields: _Fields) -> tuple[int | None, str | None]:
    """A pointer message's optional ``seq``, or what is wrong with it. A bad one does not
    reject the message: the event is real, only the client's numbering is off."""
    seq = fields.content.get("seq")
    if seq is None:
        return None, None
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < MAX_SEQ:
        return seq, None
    return None, f"{fields.type}: 'seq' must be an integer from 0 to 2**53 - 1, not {_show(seq)}"


# The parser of each message type that is not a pointer, key or command message.
_PARSERS: Final[Mapping[str, Callable[[_Fields], ClientMessage]]] = {
    "set_device_pixel_ratio": lambda fields: SetPixelRatio(
        fields.pixel_ratio("device_pixel_ratio")
    ),
    # The name older WebAgg clients use.
    "set_dpi_ratio": lambda fields: SetPixelRatio(fields.pixel_ratio("dpi_ratio")),
    "resize": _parse_resize,
    "toolbar_button": _parse_toolbar_button,
    "trigger_tool": lambda fields: TriggerTool(
        fields.string("name", max_length=_MAX_TOOL_NAME_LENGTH)
    ),
    "subplots_adjust": _parse_subplots,
    "supports_binary": lambda fields: SupportsBinary(fields.boolean("value")),
    "webfig_hello": _parse_hello,
    "webfig_visibility": lambda fields: Visibility(fields.boolean("visible")),
}
