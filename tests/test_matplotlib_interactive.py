"""matplotlib's own interactive-backend tests, run against webfig.

matplotlib tests its interactive backends with functions of its
``tests/test_backends_interactive.py`` that it runs in subprocesses: a window that closes on
``q`` with exactly one close event (with either toolbar), drawing from threads, blitting that
does not draw, repeating and single-shot timers, and Ctrl+C during ``show`` and ``pause``.
``matplotlib.tests`` cannot be imported without matplotlib's baseline images, so the file is
read as text here, as installed, and each test body is taken out of it with its module's
imports. Each runs in a process of its own on webfig, with a viewer of figure 1 (as a browser
tab would be) once the figure is served, and is judged as matplotlib judges it. One change:
matplotlib's check that the canvas comes from ``matplotlib.backends.backend_<name>`` becomes
a check that it comes from webfig.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pytest

from .conftest import WsClient
from .processes import TIMEOUT, URL_LINE, environment

MATPLOTLIB_TESTS = Path(matplotlib.__file__).parent / "tests" / "test_backends_interactive.py"
MODULE_CHECK = 'assert type(fig.canvas).__module__ == f"matplotlib.backends.backend_{backend}"'
WEBFIG_MODULE_CHECK = 'assert type(fig.canvas).__module__.startswith("webfig.")'
# The Ctrl+C test switches backends by name in a process that started on Agg. A backend's
# entry-point name ("webfig") works there only once something made matplotlib read the entry
# points, which switch_backend does not (matplotlib 3.11): module:// is the name that always
# works for a backend outside matplotlib.
BACKEND_BY_MODULE = "module://webfig.backend"


@dataclass(frozen=True)
class Case:
    """One of matplotlib's test bodies, and how matplotlib judges its run."""

    functions: tuple[str, ...]  # the functions it needs, the one to call last
    call: str
    judge: Callable[[str], bool]  # on the process' stdout; it must also exit 0
    args: tuple[str, ...] = ()
    backend: str = "webfig"  # MPLBACKEND; "Agg" where the body switches backends itself
    env: dict[str, str] = field(default_factory=dict)


def one_close_event(stdout: str) -> bool:
    return stdout.count("CloseEvent") == 1


CASES = {
    "interactive, toolbar2": Case(
        ("_test_toolbar_button_la_mode_icon", "_test_interactive_impl"),
        "_test_interactive_impl()",
        one_close_event,
        args=(json.dumps({"toolbar": "toolbar2"}),),
    ),
    "interactive, toolmanager": Case(
        ("_test_toolbar_button_la_mode_icon", "_test_interactive_impl"),
        "_test_interactive_impl()",
        one_close_event,
        args=(json.dumps({"toolbar": "toolmanager"}),),
    ),
    "thread safety": Case(("_test_thread_impl",), "_test_thread_impl()", one_close_event),
    "blitting events": Case(
        ("_test_number_of_draws_script",),
        "_test_number_of_draws_script()",
        lambda stdout: 0 < stdout.count("DrawEvent") < 5,
    ),
    "timers": Case(
        ("_impl_test_interactive_timers",),
        "_impl_test_interactive_timers()",
        lambda stdout: True,
    ),
    "Ctrl+C in show": Case(
        ("_test_sigint_impl",),
        f"_test_sigint_impl({BACKEND_BY_MODULE!r}, 'show', {{'block': True}})",
        lambda stdout: "SUCCESS" in stdout,
        backend="Agg",
    ),
    "Ctrl+C in pause": Case(
        ("_test_sigint_impl",),
        f"_test_sigint_impl({BACKEND_BY_MODULE!r}, 'pause', {{'interval': 10}})",
        lambda stdout: "SUCCESS" in stdout,
        backend="Agg",
    ),
}


def case_source(case: Case) -> str:
    """The code of ``case``: the test module's imports, the functions, the call."""
    assert MATPLOTLIB_TESTS.exists(), f"matplotlib's tests are not installed: {MATPLOTLIB_TESTS}"
    text = MATPLOTLIB_TESTS.read_text()
    tree = ast.parse(text)
    imports = [
        ast.get_source_segment(text, node)
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    lines = text.splitlines()
    bodies = []
    for name in case.functions:
        node = functions[name]
        first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        bodies.append("\n".join(lines[first - 1 : node.end_lineno]))
    code = "\n\n\n".join([*map(str, imports), *bodies, case.call]) + "\n"
    expected = 1 if "_test_interactive_impl" in case.functions else 0
    assert code.count(MODULE_CHECK) == expected, "matplotlib's module check changed"
    return code.replace(MODULE_CHECK, WEBFIG_MODULE_CHECK)


def watch_figure_one(process: subprocess.Popen[str], url: str) -> None:
    """Be a viewer of figure 1, as a browser tab would, from when it is served until the
    process ends (it may close the figure before a viewer ever gets to it)."""
    while process.poll() is None:
        try:
            viewer = WsClient(f"{url.replace('http', 'ws', 1)}1/ws")
        except Exception:  # not served yet (404), or gone: try again
            threading.Event().wait(0.05)
            continue
        try:
            viewer.send("supports_binary", value=True)
            viewer.send("send_image_mode")
            viewer.send("set_device_pixel_ratio", device_pixel_ratio=1)
            viewer.send("refresh")
            while True:
                viewer.receive(TIMEOUT)
        except Exception:  # the figure closed, or the process ended
            return
        finally:
            viewer.close()


@pytest.mark.parametrize("name", CASES)
def test_matplotlibs_own_test_body_passes_on_webfig(name: str) -> None:
    case = CASES[name]
    env = environment(MPLBACKEND=case.backend, SOURCE_DATE_EPOCH="0", **case.env)
    stdout_lines: list[str] = []
    viewer: threading.Thread | None = None
    with subprocess.Popen(
        [sys.executable, "-c", case_source(case), *case.args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:

        def read_stdout() -> None:
            nonlocal viewer
            assert process.stdout is not None
            for line in process.stdout:
                stdout_lines.append(line)
                if viewer is None and (match := URL_LINE.match(line.rstrip("\n"))):
                    viewer = threading.Thread(
                        target=watch_figure_one, args=(process, match.group(1)), daemon=True
                    )
                    viewer.start()

        reader = threading.Thread(target=read_stdout, daemon=True)
        reader.start()
        try:
            assert process.stderr is not None
            stderr = process.stderr.read()
            returncode = process.wait(TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
            reader.join(TIMEOUT)
            if viewer is not None:
                viewer.join(TIMEOUT)
    stdout = "".join(stdout_lines)
    assert returncode == 0, f"exit {returncode}\nstdout:\n{stdout}\nstderr:\n{stderr[-3000:]}"
    assert case.judge(stdout), f"stdout:\n{stdout}\nstderr:\n{stderr[-3000:]}"
