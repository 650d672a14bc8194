"""What browsers call keys, modifiers and mouse buttons, and what matplotlib calls them.

Tables and pure functions only; :mod:`webfig.wire.incoming` checks what clients send against
them, and the canvas maps the buttons to matplotlib's.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Final

# The buttons by DOM ``MouseEvent.button`` number, and each one's bit in ``MouseEvent.buttons``
# (the same buttons, in another order).
DOM_BUTTONS: Final = ("left", "middle", "right", "back", "forward")
DOM_BUTTON_BITS: Final = {"left": 1, "right": 2, "middle": 4, "back": 8, "forward": 16}

# DOM ``KeyboardEvent.key`` names whose matplotlib name differs.
KEY_NAMES: Final[Mapping[str, str]] = {
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

# Modifier names as clients send them, to matplotlib's names, and matplotlib's order.
MODIFIER_NAMES: Final[Mapping[str, str]] = {
    "ctrl": "ctrl",
    "control": "ctrl",
    "alt": "alt",
    "super": "super",
    "meta": "super",
    "cmd": "cmd",
    "shift": "shift",
}
MODIFIER_ORDER: Final = ("ctrl", "alt", "super", "cmd", "shift")


def key_name(modifiers: Set[str], dom_key: str) -> str:
    """matplotlib's name for the DOM key ``dom_key`` pressed with ``modifiers`` (matplotlib's
    modifier names): ``({"alt", "ctrl"}, "x")`` → ``"ctrl+alt+x"``."""
    value = KEY_NAMES.get(dom_key, dom_key)
    held = set(modifiers)
    if len(value) == 1:
        held.discard("shift")  # the case says it already
    # A modifier key pressed alone is reported by its own name only.
    held.discard(MODIFIER_NAMES.get(value, value))
    return "+".join([*(name for name in MODIFIER_ORDER if name in held), value])


def normalize_key(raw: str) -> str:
    """matplotlib's name for a key as clients send it: modifier prefixes, ``k``, DOM key.

    ``"ctrl+alt+kx"`` → ``"ctrl+alt+x"``, ``"shift+kA"`` → ``"A"`` (the case already says
    shift), ``"kArrowLeft"`` → ``"left"``.
    """
    marker = raw.find("k")
    if marker < 0 or marker == len(raw) - 1:
        raise ValueError(f"key {raw!r} is not of the form '<modifiers>k<key>'")
    prefix, dom_key = raw[:marker], raw[marker + 1 :]
    names = [name for name in prefix.split("+") if name]
    unknown = [name for name in names if name not in MODIFIER_NAMES]
    if unknown:
        raise ValueError(f"unknown modifier {unknown[0]!r}")
    return key_name({MODIFIER_NAMES[name] for name in names}, dom_key)
