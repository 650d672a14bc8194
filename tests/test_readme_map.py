"""The README's map of the package (its "Layout" section) lists every package and module
there is, once, and nothing that is not there."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "webfig"
CLIENT = PACKAGE / "static" / "js"
# A map row: its first cell, a path in backticks.
ROW = re.compile(r"^\| `([^`]+)` \|", re.MULTILINE)


def layout_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### Layout")
    end = readme.find("\n#", start + 1)
    return readme[start : end if end != -1 else None]


def mapped() -> Counter[str]:
    return Counter(ROW.findall(layout_section()))


def python_entries() -> set[str]:
    """Each package as its folder (``webfig/figure/``), each other module as its file."""
    entries = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if path.name == "__init__.py" and path.parent != PACKAGE:
            entries.add(relative.removesuffix("__init__.py"))
        else:
            entries.add(relative)
    return entries


def client_entries() -> set[str]:
    return {path.name for path in CLIENT.glob("*.js")}


def test_the_map_lists_every_python_package_and_module() -> None:
    listed = {entry for entry in mapped() if entry.startswith("webfig/")}
    assert sorted(python_entries() - listed) == [], "not in the README's map"
    assert sorted(listed - python_entries()) == [], "in the README's map, not in the tree"


def test_the_map_lists_every_client_module() -> None:
    listed = {entry for entry in mapped() if entry.endswith(".js")}
    assert sorted(client_entries() - listed) == [], "not in the README's map"
    assert sorted(listed - client_entries()) == [], "in the README's map, not in the tree"


def test_the_map_lists_each_once() -> None:
    assert [entry for entry, count in mapped().items() if count > 1] == []


def test_the_reader_sees_the_rows() -> None:
    rows = mapped()
    assert rows["webfig/backend.py"] == 1
    assert rows["webfig/figure/"] == 1
    assert rows["mpl.js"] == 1
    assert len(rows) == len(python_entries()) + len(client_entries())
