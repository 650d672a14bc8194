"""Parsing and checking of the messages viewers send (see ``docs/protocol.md``).

Every message is turned into a small frozen dataclass or rejected with a
:class:`ProtocolError` that says what is wrong, so nothing downstream ever sees a malformed
field. Pure functions only: no matplotlib, no Tornado.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, get_args

PROTOCOL_VERSION: Final = 1
# Frames that carry only the changed rectangles (see webfig.frames).
RECT_FRAMES: Final = "rect_frames"
# The server answers each motion_notify, so a client keeps at most one in flight.
MOTION_ACK: Final = "motion_ack"
SUPPORTED_EXTENSIONS: Final[frozenset[str]] = frozenset({RECT_FRAMES, MOTION_ACK})

MouseType = Literal[
    "button_press",
    "button_release",
    "dblclick",
    "motion_notify",
    "scroll",
    "figure_enter",
    "figure_leave",
]
KeyType = Literal["key_press", "key_release"]
CommandType = Literal["send_image_mode", "refresh", "draw", "ack"]
ToolName = Literal["home", "back", "forward", "pan", "zoom", "download"]

TOOL_NAMES: Final[tuple[ToolName, ...]] = get_args(ToolName)

# Plain values of the browser event, handed to callbacks as ``event.guiEvent``.
GuiEvent: TypeAlias = Mapping[str, "str | int | float | bool | None"]
_MAX_GUI_EVENT_FIELDS: Final = 32
_MAX_KEY_LENGTH: Final = 64

# DOM ``KeyboardEvent.key`` names whose matplotlib name differs.
_KEY_NAMES: Final[Mapping[str, str]] = {
    "Control": "control",
    "Shift": "shift",
    "Alt": "alt",
    "AltGraph": "alt",
    "Meta": "super",
    "OS": "super",
    "CapsLock": "caps_lock",
    "NumLock": "num_lock",
    "ScrollLock": "scroll_lock",
    "Enter": "enter",
    "Tab": "tab",
    "ArrowDown": "down",
    "ArrowLeft": "left",
    "ArrowRight": "right",
    "ArrowUp": "up",
    "End": "end",
    "Home": "home",
    "PageDown": "pagedown",
    "PageUp": "pageup",
    "Backspace": "backspace",
    "Delete": "delete",
    "Insert": "insert",
    "Escape": "escape",
    "Pause": "pause",
    "Select": "select",
    "Dead": "dead",
    **{f"F{number}": f"f{number}" for number in range(1, 25)},
}

# Modifier names as clients send them, to matplotlib's names in matplotlib's order.
_MODIFIER_NAMES: Final[Mapping[str, str]] = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "super": "super",
    "meta": "super",
    "cmd": "cmd",
    "shift": "shift",
}
_MODIFIER_ORDER: Final = ("ctrl", "alt", "super", "cmd", "shift")


class ProtocolError(ValueError):
    """A message a viewer sent cannot be used; the text says why."""


@dataclass(frozen=True)
class Hello:
    """webfig's client introduces itself and asks for protocol extensions."""

    protocol: int
    extensions: tuple[str, ...]


@dataclass(frozen=True)
class SupportsBinary:
    value: bool


@dataclass(frozen=True)
class Command:
    """A message with no fields: ``send_image_mode``, ``refresh``, ``draw``, ``ack``."""

    type: CommandType


@dataclass(frozen=True)
class SetPixelRatio:
    ratio: float


@dataclass(frozen=True)
class Resize:
    """A resize asked for by a viewer, in CSS pixels."""

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


@dataclass(frozen=True)
class Key:
    """A key event; ``key`` is already in matplotlib's naming (``"ctrl+alt+x"``)."""

    type: KeyType
    key: str
    gui_event: GuiEvent | None


@dataclass(frozen=True)
class ToolbarButton:
    name: ToolName


ClientMessage: TypeAlias = (
    Hello | SupportsBinary | Command | SetPixelRatio | Resize | Mouse | Key | ToolbarButton
)


def parse_message(text: str | bytes) -> ClientMessage:
    """The message in ``text``, checked; raises :class:`ProtocolError` if it is not usable."""
    try:
        content = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("message is not valid JSON") from None
    if not isinstance(content, dict):
        raise ProtocolError("message is not a JSON object")
    kind = content.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("message has no string field 'type'")
    return _parse_typed(kind, content)


def _parse_typed(kind: str, content: Mapping[str, object]) -> ClientMessage:  # noqa: PLR0911
    if kind in get_args(MouseType):
        return _parse_mouse(kind, content)  # type: ignore[arg-type]
    if kind in get_args(KeyType):
        return Key(
            type=kind,  # type: ignore[arg-type]
            key=normalize_key(_string(content, "key", max_length=_MAX_KEY_LENGTH)),
            gui_event=_gui_event(content),
        )
    if kind in get_args(CommandType):
        return Command(kind)  # type: ignore[arg-type]
    if kind == "set_device_pixel_ratio":
        return SetPixelRatio(_positive(content, "device_pixel_ratio"))
    if kind == "set_dpi_ratio":  # the name older WebAgg clients use
        return SetPixelRatio(_positive(content, "dpi_ratio"))
    if kind == "resize":
        return Resize(_positive(content, "width"), _positive(content, "height"))
    if kind == "toolbar_button":
        name = _string(content, "name")
        if name not in TOOL_NAMES:
            raise ProtocolError(
                f"toolbar_button name must be one of {', '.join(TOOL_NAMES)}, not {name!r}"
            )
        return ToolbarButton(name)
    if kind == "supports_binary":
        return SupportsBinary(_boolean(content, "value"))
    if kind == "webfig_hello":
        protocol = content.get("protocol")
        if not isinstance(protocol, int) or isinstance(protocol, bool):
            raise ProtocolError("webfig_hello needs an integer 'protocol'")
        extensions = content.get("extensions", [])
        if not isinstance(extensions, list) or not all(isinstance(e, str) for e in extensions):
            raise ProtocolError("webfig_hello 'extensions' must be a list of strings")
        return Hello(protocol, tuple(extensions))
    raise ProtocolError(f"unknown message type {kind!r}")


def _parse_mouse(kind: MouseType, content: Mapping[str, object]) -> Mouse:
    buttons = _integer(content, "buttons", default=0)
    if buttons < 0:
        raise ProtocolError(f"'buttons' must not be negative, not {buttons}")
    return Mouse(
        type=kind,
        x=_number(content, "x"),
        y=_number(content, "y"),
        button=_integer(content, "button", default=0),
        buttons=buttons,
        step=_number(content, "step", default=0.0),
        modifiers=_modifiers(content),
        gui_event=_gui_event(content),
    )


def normalize_key(raw: str) -> str:
    """matplotlib's name for a key as clients send it: modifier prefixes, ``k``, DOM key.

    ``"ctrl+alt+kx"`` → ``"ctrl+alt+x"``, ``"shift+kA"`` → ``"A"`` (the case already says
    shift), ``"kArrowLeft"`` → ``"left"``.
    """
    marker = raw.find("k")
    if marker < 0 or marker == len(raw) - 1:
        raise ProtocolError(f"key {raw!r} is not of the form '<modifiers>k<key>'")
    prefix, value = raw[:marker], raw[marker + 1 :]
    modifiers = {_modifier(name) for name in prefix.split("+") if name}
    value = _KEY_NAMES.get(value, value)
    if len(value) == 1:
        modifiers.discard("shift")
    # A modifier key pressed alone is reported by its own name only.
    modifiers.discard(_MODIFIER_NAMES.get(value, value))
    ordered = [name for name in _MODIFIER_ORDER if name in modifiers]
    return "+".join([*ordered, value])


def _modifier(name: str) -> str:
    try:
        return _MODIFIER_NAMES[name]
    except KeyError:
        raise ProtocolError(f"unknown modifier {name!r}") from None


def _modifiers(content: Mapping[str, object]) -> frozenset[str]:
    raw = content.get("modifiers", [])
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ProtocolError("'modifiers' must be a list of strings")
    return frozenset(_modifier(name) for name in raw)


def _gui_event(content: Mapping[str, object]) -> GuiEvent | None:
    raw = content.get("guiEvent")
    if raw is None:
        return None
    if not isinstance(raw, dict) or len(raw) > _MAX_GUI_EVENT_FIELDS:
        raise ProtocolError(
            f"'guiEvent' must be an object of at most {_MAX_GUI_EVENT_FIELDS} fields"
        )
    return {
        str(name): value
        for name, value in raw.items()
        if value is None or isinstance(value, str | int | float | bool)
    }


def _number(content: Mapping[str, object], field: str, default: float | None = None) -> float:
    value = content.get(field, default)
    if value is None:
        raise ProtocolError(f"missing number field {field!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{field!r} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ProtocolError(f"{field!r} must be finite, not {value!r}")
    return float(value)


def _positive(content: Mapping[str, object], field: str) -> float:
    value = _number(content, field)
    if value <= 0:
        raise ProtocolError(f"{field!r} must be positive, not {value!r}")
    return value


def _integer(content: Mapping[str, object], field: str, default: int) -> int:
    value = content.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{field!r} must be an integer, not {value!r}")
    return value


def _boolean(content: Mapping[str, object], field: str) -> bool:
    value = content.get(field)
    if not isinstance(value, bool):
        raise ProtocolError(f"{field!r} must be true or false, not {value!r}")
    return value


def _string(content: Mapping[str, object], field: str, max_length: int = 256) -> str:
    value = content.get(field)
    if not isinstance(value, str):
        raise ProtocolError(f"{field!r} must be a string, not {value!r}")
    if len(value) > max_length:
        raise ProtocolError(f"{field!r} is longer than {max_length} characters")
    return value
