"""The package's shape: dependencies run one way, and no module grows past what one reads.

Imports are read from the source (inside functions too, but not those under
``if TYPE_CHECKING:``, which never run).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib

PACKAGE = Path(__file__).resolve().parents[1] / "webfig"
MAX_LINES = 400
# The backend's side of the Viewer and ServedFigure interfaces: it never talks to Tornado.
TRANSPORT_FREE = (
    "webfig.figure.canvas",
    "webfig.figure.manager",
    "webfig.frames.delivery",
    "webfig.frames.encoder",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(name: str) -> set[str]:
    """The modules ``name`` imports: webfig's by full name, others by their top package."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            # ``from . import outgoing`` imports a module; ``from . import __version__`` not.
            submodules = {f"{target}.{alias.name}" for alias in node.names}
            found.update((submodules & MODULES.keys()) or {target})
    return {item if item.startswith("webfig") else item.split(".")[0] for item in found}


GRAPH = {name: imports(name) & MODULES.keys() for name in MODULES}


def find_cycle() -> list[str] | None:
    """One import cycle among webfig's modules, as the modules along it, if there is one."""
    done: set[str] = set()
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        path.append(name)
        for imported in sorted(GRAPH[name]):
            if cycle := visit(imported):
                return cycle
        path.pop()
        done.add(name)
        return None

    return next((cycle for name in MODULES if (cycle := visit(name))), None)


def reachable(name: str) -> set[str]:
    seen = {name}
    stack = [name]
    while stack:
        for imported in GRAPH[stack.pop()] - seen:
            seen.add(imported)
            stack.append(imported)
    return seen


def test_the_reader_finds_imports_and_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"webfig.wire.interfaces", "webfig.frames.delivery", "matplotlib"} <= imports(
        "webfig.figure.manager"
    )
    assert "webfig.demo" in imports("webfig.__main__")  # inside a function
    # canvas.py imports the manager only for its type, under TYPE_CHECKING in manager.py.
    assert "webfig.figure.canvas" not in imports("webfig.figure.manager")
    assert "webfig.wire.outgoing" in imports(
        "webfig.server.handlers.sockets"
    )  # from .. import outgoing
    monkeypatch.setitem(GRAPH, "webfig.wire.browser_names", {"webfig.wire.incoming"})
    cycle = find_cycle()
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert sorted(cycle[:-1]) == ["webfig.wire.browser_names", "webfig.wire.incoming"]


def test_no_import_cycle() -> None:
    assert find_cycle() is None


@pytest.mark.parametrize("name", TRANSPORT_FREE)
def test_the_backend_side_imports_no_tornado(name: str) -> None:
    tornado_users = sorted(m for m in reachable(name) if "tornado" in imports(m))
    assert tornado_users == [], f"{name} reaches Tornado through {tornado_users}"


def test_only_the_composition_root_imports_the_server() -> None:
    outside = [m for m in MODULES if not m.startswith("webfig.server")]
    users = sorted(m for m in outside if any(i.startswith("webfig.server") for i in GRAPH[m]))
    assert users == ["webfig.backend"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_400_lines(name: str) -> None:
    assert len(MODULES[name].read_text().splitlines()) <= MAX_LINES


# The distribution that provides each top-level module webfig imports, where the two differ.
DISTRIBUTIONS = {"PIL": "pillow"}


def declared_dependencies() -> set[str]:
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    names = (re.match(r"[A-Za-z0-9_.-]+", spec) for spec in project["dependencies"])
    return {match.group(0).lower() for match in names if match}


def test_every_third_party_module_webfig_imports_is_a_declared_dependency() -> None:
    """A module that arrives through another package today (Pillow through matplotlib) may
    not tomorrow: each must be in pyproject.toml's dependencies itself."""
    third_party = {
        module
        for name in MODULES
        for module in imports(name)
        if not module.startswith("webfig") and module not in sys.stdlib_module_names
    }
    wanted = {DISTRIBUTIONS.get(module, module).lower() for module in third_party}
    assert wanted - declared_dependencies() == set()
    assert {"pillow", "isal", "tornado"} <= wanted  # the reader sees them
