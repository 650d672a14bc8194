"""The browser client spells the wire protocol's names in one module, wire.js: no other module
writes a message type, an extension's name or a close code itself.

A static check of the JavaScript sources (no browser): the names are read from wire.js, then
looked for in every other module's code, comments left out. A DOM event that happens to be
spelt like a message (a WebSocket's "message", a "dblclick") is a DOM name, not a wire one.
"""

from __future__ import annotations

import re
from pathlib import Path

import webfig.backend

JS = Path(webfig.backend.__file__).parent / "static" / "js"
WIRE = JS / "wire.js"
# The groups of names in wire.js this test guards, as `export const GROUP = Object.freeze({`.
NAME_GROUPS = ("TO_SERVER", "FROM_SERVER", "EXTENSION")

# A JavaScript string literal or comment (this client writes no regular expression literals).
TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)"""
    r"""|(?P<comment>//[^\n]*|/\*.*?\*/)""",
    re.DOTALL,
)
# Where a string names a DOM event: a listener's registration, or an entry of a listener table.
DOM_EVENT_BEFORE = re.compile(r"(?:add|remove)EventListener\(\s*$|\[\s*$")
DOM_EVENT_AFTER = re.compile(r"^\s*[,)]\s*(?:this\.#|\{|$)")
CLOSE_CODE = re.compile(r"\b4\d{3}\b")


def wire_names() -> set[str]:
    source = WIRE.read_text()
    names: set[str] = set()
    for group in NAME_GROUPS:
        body = re.search(rf"export const {group} = Object\.freeze\(\{{(.*?)\}}\)", source, re.S)
        assert body, f"wire.js has no {group}"
        names.update(re.findall(r'^\s*[A-Z_]+: "([a-z_]+)",$', body[1], re.M))
    return names


def wire_close_codes() -> set[str]:
    return set(CLOSE_CODE.findall(TOKEN.sub("", WIRE.read_text())))


def spelt_out(path: Path, names: set[str], codes: set[str]) -> list[str]:
    """Each place in ``path``'s code that writes one of ``names`` or ``codes`` itself."""
    source = path.read_text()
    found: list[str] = []
    code = []
    position = 0
    for token in TOKEN.finditer(source):
        code.append(source[position : token.start()])
        position = token.end()
        if token["comment"]:
            continue
        value = token["string"][1:-1]
        if value not in names:
            continue
        before = source[max(0, token.start() - 40) : token.start()]
        after = source[token.end() : token.end() + 40]
        if DOM_EVENT_BEFORE.search(before) and DOM_EVENT_AFTER.match(after):
            continue
        line = source.count("\n", 0, token.start()) + 1
        found.append(f"{path.name}:{line}: {token['string']}")
    code.append(source[position:])
    for number in CLOSE_CODE.finditer("".join(code)):
        if number[0] in codes:
            found.append(f"{path.name}: close code {number[0]}")
    return found


def test_wire_js_holds_the_protocol_names() -> None:
    names = wire_names()
    # The parse found the groups whole: a name of each, the first and the last.
    assert {"webfig_hello", "close_figure", "webfig_welcome", "figures"} <= names
    assert {"rect_frames", "heartbeat"} <= names
    assert {"4000", "4001"} <= wire_close_codes()


def test_no_other_module_spells_a_wire_name() -> None:
    names = wire_names()
    codes = wire_close_codes()
    modules = sorted(path for path in JS.glob("*.js") if path != WIRE)
    assert len(modules) > 10
    found = [place for path in modules for place in spelt_out(path, names, codes)]
    assert found == [], "\n".join(found)
