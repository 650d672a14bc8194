"""The client bundled into one ES module for a notebook widget's front end: what each module
imports is what the module it names exported, private names stay private, and anything the
bundler does not understand, or an import cycle, is refused rather than passed through."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from webfig.notebook.bundle import BundleError, bundle_directory, bundle_modules

STATIC_JS = Path(__file__).resolve().parents[1] / "webfig" / "static" / "js"
NODE = shutil.which("node")


def run_module(source: str, tmp_path: Path, script: str) -> object:
    """Import ``source`` as an ES module in Node and print ``script``'s JSON (``module`` is
    the imported namespace)."""
    if NODE is None:
        pytest.fail("the bundle tests need Node.js (scripts/test.sh installs it)")
    path = tmp_path / "bundle.mjs"
    path.write_text(source)
    program = (
        f"const module = await import({json.dumps(path.as_uri())});"
        f"console.log(JSON.stringify({script}))"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", program],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_imports_get_what_was_exported_and_private_names_stay_apart(tmp_path: Path) -> None:
    sources = {
        "main.js": (
            'import { double, LIMIT } from "./numbers.js"\n'
            'import {\n  Greeter as Hello,\n} from "./greeter.js"\n'
            "const helper = () => 'main'\n"
            "export const widget = { value: double(LIMIT), greeting: new Hello().greet(),"
            " helper: helper() }\n"
        ),
        "numbers.js": (
            "const helper = () => 2\n"
            "export const LIMIT = 21\n"
            "export function double(x) {\n  return x * helper()\n}\n"
        ),
        "greeter.js": (
            'import { LIMIT } from "./numbers.js"\n'
            "export class Greeter {\n  #name = 'webfig'\n"
            "  greet() {\n    return `${this.#name} ${LIMIT}`\n  }\n}\n"
        ),
    }
    bundle = bundle_modules(sources.__getitem__, "main.js", "widget")
    assert bundle.count("// numbers.js") == 1  # imported twice, bundled once
    assert (
        bundle.index("// numbers.js") < bundle.index("// greeter.js") < bundle.index("// main.js")
    )
    assert run_module(bundle, tmp_path, "module.default") == {
        "value": 42,
        "greeting": "webfig 21",
        "helper": "main",
    }


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ('import * as all from "./numbers.js"\nexport const widget = 1\n', "an import"),
        ('import { x } from "https://example.com/x.js"\nexport const widget = 1\n', "an import"),
        ("export default 1\n", "an export"),
        ('export { double } from "./numbers.js"\n', "an export"),
        ('import { x-y } from "./numbers.js"\n', "not a JavaScript name"),
    ],
)
def test_forms_it_does_not_understand_are_refused(source: str, problem: str) -> None:
    sources = {"main.js": source, "numbers.js": "export function double(x) {\n  return x\n}\n"}
    with pytest.raises(BundleError, match=problem):
        bundle_modules(sources.__getitem__, "main.js", "widget")


def test_an_import_cycle_or_a_missing_module_is_refused() -> None:
    cycle = {
        "a.js": 'import { b } from "./b.js"\nexport const a = 1\n',
        "b.js": 'import { a } from "./a.js"\nexport const b = 2\n',
    }
    with pytest.raises(BundleError, match=r"import cycle: a\.js -> b\.js -> a\.js"):
        bundle_modules(cycle.__getitem__, "a.js", "a")

    def read(name: str) -> str:
        if name == "main.js":
            return 'import { gone } from "./gone.js"\nexport const widget = gone\n'
        raise FileNotFoundError(name)

    with pytest.raises(BundleError, match=r"cannot read module 'gone\.js'"):
        bundle_modules(read, "main.js", "widget")


def test_webfigs_notebook_client_bundles_into_a_module_anywidget_can_run(tmp_path: Path) -> None:
    bundle = bundle_directory(STATIC_JS, "notebook.js", "widget")
    for name in ("notebook.js", "notebook-view.js", "comm-connection.js", "figure-view.js"):
        assert bundle.count(f"// {name}\n{{") == 1
    assert "mpl.js" not in bundle  # the pages' entry module is not the widget's
    assert run_module(bundle, tmp_path, "typeof module.default.render") == "function"
