"""webfig's browser client as one ES module, for a host that runs a single module's source
rather than fetching modules from a server: a notebook widget's front end (anywidget imports
its module from a blob URL, where relative imports resolve to nothing).

A pure function of the sources, and no build step: each module becomes a block of its own
(so its private names stay its own), its imports the names an earlier block exported, and
the entry's chosen export the bundle's default. Only the forms webfig's modules use are
understood; any other ``import`` or ``export`` is an error, never silently passed through.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

# ``import { a, b as c } from "./x.js"``, over several lines or one.
_IMPORT: Final = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w.-]+\.js)"\s*;?[ \t]*$', re.M)
# ``export class X``, ``export function x``, ``export const X``...
_DECLARATION: Final = re.compile(
    r"^export\s+((?:async\s+)?(?:function\*?|class|const|let|var))\s+([A-Za-z_$][\w$]*)", re.M
)
_ANY_EXPORT: Final = re.compile(r"^export\b", re.M)
_ANY_IMPORT: Final = re.compile(r"^import\b", re.M)
_NAME: Final = re.compile(r"[A-Za-z_$][\w$]*")
# The object the blocks share their exports through; no module of webfig's uses the name.
_REGISTRY: Final = "__webfigModules"


class BundleError(ValueError):
    """The modules cannot be bundled: an import cycle, a missing module, or a form of
    ``import`` or ``export`` the bundler does not understand."""


def bundle_modules(read: Callable[[str], str], entry: str, default_export: str) -> str:
    """One ES module made of ``entry`` and every module it imports, in an order where each
    comes after those it imports; its default export is ``entry``'s ``default_export``.

    ``read(name)`` gives the source of the module ``name`` (``"figure-view.js"``).
    """
    order: list[str] = []
    sources: dict[str, str] = {}
    _visit(entry, read, sources, order, [])
    blocks = [f"const {_REGISTRY} = {{}}"]
    blocks += [_block(name, sources[name]) for name in order]
    blocks.append(f"export default {_REGISTRY}[{_quote(entry)}].{_name(default_export)}")
    return "\n\n".join(blocks) + "\n"


def bundle_directory(directory: Path, entry: str, default_export: str) -> str:
    """:func:`bundle_modules` of the modules in ``directory``."""
    return bundle_modules(
        lambda name: (directory / name).read_text(encoding="utf-8"), entry, default_export
    )


def _visit(
    name: str,
    read: Callable[[str], str],
    sources: dict[str, str],
    order: list[str],
    path: list[str],
) -> None:
    if name in sources:
        return
    if name in path:
        raise BundleError(f"import cycle: {' -> '.join([*path[path.index(name) :], name])}")
    try:
        source = read(name)
    except OSError as error:
        raise BundleError(f"cannot read module {name!r}: {error}") from None
    for match in _IMPORT.finditer(source):
        _visit(match.group(2), read, sources, order, [*path, name])
    sources[name] = source
    order.append(name)


def _block(name: str, source: str) -> str:
    """``source`` as a block: its imports read from the registry, its exports put there."""

    def imported(match: re.Match[str]) -> str:
        bindings = []
        for item in (part.strip() for part in match.group(1).split(",")):
            if not item:
                continue
            original, _, alias = (word.strip() for word in item.partition(" as "))
            bindings.append(f"{_name(original)}: {_name(alias)}" if alias else _name(original))
        return f"const {{ {', '.join(bindings)} }} = {_REGISTRY}[{_quote(match.group(2))}]"

    body = _IMPORT.sub(imported, source)
    exported = [match.group(2) for match in _DECLARATION.finditer(body)]
    body = _DECLARATION.sub(lambda match: f"{match.group(1)} {match.group(2)}", body)
    for pattern, what in ((_ANY_EXPORT, "export"), (_ANY_IMPORT, "import")):
        left = pattern.search(body)
        if left is not None:
            line = body[left.start() :].partition("\n")[0]
            raise BundleError(f"{name}: an {what} the bundler does not understand: {line!r}")
    registered = f"{_REGISTRY}[{_quote(name)}] = {{ {', '.join(exported)} }}"
    return f"// {name}\n{{\n{body.rstrip()}\n{registered}\n}}"


def _name(text: str) -> str:
    if not _NAME.fullmatch(text):
        raise BundleError(f"not a JavaScript name: {text!r}")
    return text


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
