"""The package's shape: subpackages by layer, dependencies that run one way, no circle at any
level.

Imports are read from the source, those inside functions and under ``if TYPE_CHECKING:``
too: an import for a type alone is still a dependency, and a circle of them is still a
circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest
import tomllib

PACKAGE = Path(__file__).resolve().parents[1] / "webfig"
TYPE_CHECKING = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})

# Each layer, and the layers (or top-level modules) it may import. Nothing below the server
# reaches Tornado, and the wire (what travels between browser and server, and where the
# figure side and the server meet) reaches nothing at all.
LAYERS: Mapping[str, frozenset[str]] = {
    "webfig.wire": frozenset(),
    "webfig.runtime": frozenset(),
    "webfig.frames": frozenset({"webfig.wire", "webfig.runtime"}),
    "webfig.rendering": frozenset({"webfig.runtime"}),
    "webfig.figure": frozenset(
        {"webfig.wire", "webfig.frames", "webfig.runtime", "webfig.rendering", "webfig.config"}
    ),
    "webfig.hub": frozenset({"webfig.wire", "webfig.runtime", "webfig.rendering", "webfig.config"}),
    "webfig.notebook": frozenset(
        {"webfig.wire", "webfig.runtime", "webfig.rendering", "webfig.figure", "webfig.config"}
    ),
    "webfig.server": frozenset(
        {"webfig.wire", "webfig.runtime", "webfig.rendering", "webfig.hub", "webfig.config"}
    ),
}
# What stays at the top: matplotlib's entry point and the composition roots (pyplot's and the
# hub's), the settings, the demo and its command line, and the public names.
TOP_LEVEL = frozenset(
    {"webfig", "webfig.__main__", "webfig.backend", "webfig.config", "webfig.demo", "webfig.serve"}
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _nodes(tree: ast.AST, *, runtime_only: bool) -> Iterator[ast.AST]:
    """Every node of ``tree``; with ``runtime_only``, none under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if runtime_only and isinstance(node, ast.If) and ast.unparse(node.test) in TYPE_CHECKING:
            children: Iterable[ast.AST] = node.orelse
        else:
            yield node
            children = [node]
        for child in children:
            yield from _nodes(child, runtime_only=runtime_only)


def imports_in(
    source: str, name: str, is_package: bool, known: Iterable[str], *, runtime_only: bool = False
) -> set[str]:
    """The modules the module ``name`` (with ``source``) imports: webfig's by full name (a
    submodule where ``from . import x`` names one of ``known``), others by their top package.
    ``runtime_only``: not those under ``if TYPE_CHECKING:``."""
    known = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _nodes(ast.parse(source), runtime_only=runtime_only):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
                continue
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            submodules = {f"{target}.{alias.name}" for alias in node.names}
            found.update((submodules & known) or {target})
    return {item if item.startswith("webfig") else item.split(".")[0] for item in found}


def imports(name: str, *, runtime_only: bool = False) -> set[str]:
    path = MODULES[name]
    return imports_in(
        path.read_text(), name, path.name == "__init__.py", MODULES, runtime_only=runtime_only
    )


GRAPH = {name: imports(name) & MODULES.keys() for name in MODULES}


def layer_of(name: str) -> str:
    """The subpackage ``name`` is in, or the top-level module it is."""
    package = ".".join(name.split(".")[:2])
    return package if package in LAYERS else name


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, as the nodes along it (the first again at the end), if any."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for successor in sorted(graph.get(node, set())):
            if cycle := visit(successor):
                return cycle
        path.pop()
        done.add(node)
        return None

    return next((cycle for node in sorted(graph) if (cycle := visit(node))), None)


def layer_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, imported in GRAPH.items():
        edges = graph.setdefault(layer_of(name), set())
        edges.update(layer_of(other) for other in imported if layer_of(other) != layer_of(name))
    return graph


def reachable(name: str) -> set[str]:
    seen = {name}
    stack = [name]
    while stack:
        for imported in GRAPH[stack.pop()] - seen:
            seen.add(imported)
            stack.append(imported)
    return seen


def test_the_reader_sees_every_import_and_cycle() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import outgoing, __version__\n"
        "from ..frames.encoder import Pixels\n"
        "if TYPE_CHECKING:\n"
        "    from ..figure.canvas import WebfigCanvas\n"
        "def later():\n"
        "    import tornado.web\n"
    )
    known = {"webfig.wire.outgoing", "webfig.frames.encoder", "webfig.figure.canvas"}
    assert imports_in(source, "webfig.wire.x", False, known) == {
        "typing",
        "webfig.wire.outgoing",
        "webfig.frames.encoder",
        "webfig.figure.canvas",
        "tornado",
    }
    assert "webfig.figure.canvas" not in imports_in(
        source, "webfig.wire.x", False, known, runtime_only=True
    )
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_of("webfig.figure.canvas") == "webfig.figure"
    assert layer_of("webfig.server.handlers.sockets") == "webfig.server"
    assert layer_of("webfig.backend") == "webfig.backend"


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(GRAPH) is None


def test_no_import_cycle_between_layers() -> None:
    assert find_cycle(layer_graph()) is None


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = LAYERS[layer] | {layer}
    wrong = {
        f"{name} imports {other}"
        for name in GRAPH
        if layer_of(name) == layer
        for other in GRAPH[name]
        if layer_of(other) not in allowed
    }
    assert sorted(wrong) == []


def test_the_top_level_is_the_backend_config_demo_and_the_public_names() -> None:
    top = {name for name in MODULES if layer_of(name) == name and name not in LAYERS}
    assert top == TOP_LEVEL
    assert {name for name in MODULES if name.count(".") == 1} - TOP_LEVEL == set(LAYERS)


def test_tornado_is_imported_only_inside_the_server() -> None:
    users = {name for name in MODULES if "tornado" in imports(name)}
    assert users
    assert {layer_of(name) for name in users} == {"webfig.server"}


@pytest.mark.parametrize("layer", sorted(set(LAYERS) - {"webfig.server"}))
def test_no_layer_below_the_server_reaches_tornado(layer: str) -> None:
    for name in (m for m in MODULES if layer_of(m) == layer):
        users = sorted(m for m in reachable(name) if "tornado" in imports(m))
        assert users == [], f"{name} reaches Tornado through {users}"


def test_the_wire_reaches_no_matplotlib() -> None:
    for name in (m for m in MODULES if layer_of(m) == "webfig.wire"):
        users = sorted(m for m in reachable(name) if "matplotlib" in imports(m))
        assert users == [], f"{name} reaches matplotlib through {users}"


def test_only_the_composition_root_reaches_the_server() -> None:
    outside = [m for m in MODULES if layer_of(m) != "webfig.server"]
    users = sorted(m for m in outside if any(layer_of(i) == "webfig.server" for i in GRAPH[m]))
    assert users == ["webfig.backend", "webfig.serve"]


def starts_processes(name: str) -> bool:
    """Whether the module ``name`` can start a process: it imports ``subprocess``, or any of
    ``multiprocessing`` but the connection framing a worker talks over."""
    path = MODULES[name]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
            if node.module == "multiprocessing":
                modules = [f"multiprocessing.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            if module == "subprocess" or (
                module.startswith("multiprocessing") and module != "multiprocessing.connection"
            ):
                return True
    return False


def test_exactly_one_module_starts_worker_processes() -> None:
    assert starts_processes("webfig.rendering.process_pool")
    assert [name for name in sorted(MODULES) if starts_processes(name)] == [
        "webfig.rendering.process_pool"
    ]


# The distribution that provides each top-level module webfig imports, where the two differ.
DISTRIBUTIONS = {"PIL": "pillow"}


# The layers that need an optional extra, which only they may import.
EXTRAS = {"webfig.notebook": "notebook"}


def declared_dependencies(extra: str | None = None) -> set[str]:
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    names = (re.match(r"[A-Za-z0-9_.-]+", spec) for spec in specs)
    return {match.group(0).lower() for match in names if match}


def third_party_imports(names: Iterable[str]) -> set[str]:
    """The distributions the modules ``names`` import at run time, webfig's and the
    standard library's aside."""
    modules = {
        module
        for name in names
        for module in imports(name, runtime_only=True)
        if not module.startswith("webfig") and module not in sys.stdlib_module_names
    }
    return {DISTRIBUTIONS.get(module, module).lower() for module in modules}


def test_every_third_party_module_webfig_imports_is_a_declared_dependency() -> None:
    """A module that arrives through another package today (Pillow through matplotlib) may
    not tomorrow: each must be in pyproject.toml's dependencies itself, or, in a layer that
    needs an extra, in the extra's. (Imports for type checking alone are mypy's business.)"""
    base = [name for name in MODULES if layer_of(name) not in EXTRAS]
    wanted = third_party_imports(base)
    assert wanted - declared_dependencies() == set()
    assert {"pillow", "isal", "tornado"} <= wanted  # the reader sees them
    for layer, extra in EXTRAS.items():
        wanted = third_party_imports(name for name in MODULES if layer_of(name) == layer)
        assert wanted - declared_dependencies() - declared_dependencies(extra) == set()
        assert "anywidget" in wanted


def test_the_extras_layers_are_imported_only_lazily() -> None:
    """A plain install (no extra) imports webfig whole: an extra's layer is reached only
    from inside a function, where a missing extra is an ImportError to report."""
    for layer in EXTRAS:
        users = sorted(
            name
            for name in MODULES
            if layer_of(name) != layer
            and any(layer_of(other) == layer for other in imports(name, runtime_only=True))
            and any(layer_of(other) == layer for other in _top_level_imports(name))
        )
        assert users == []


def _top_level_imports(name: str) -> set[str]:
    """The webfig modules ``name`` imports at module level, outside any function."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            found |= imports_in(ast.unparse(node), name, path.name == "__init__.py", MODULES)
    return found
