"""What the benchmark scripts share: free ports, the machine line, Chromium, choosing a
backend in a scene script, running a scene server subprocess driven through stdin, and
driving a figure's page in Chromium (pan, a drag, the canvas' pixels). (The browser tests
launch Chromium from here too.)"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import matplotlib
import numpy as np
import tornado
from PIL import Image

# Debian's Chromium: Playwright cannot download a browser of its own on these machines.
CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root, with no display; the background-networking flags stop Chromium from
# calling hosts this closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# The figure's canvas on a page: webfig's, then mpl.js'.
CANVAS = "canvas.webfig-canvas, canvas.mpl-canvas"
# The pan button once pan is on: webfig's toolbar, then mpl.js'.
PAN_ACTIVE = 'button[data-tool="pan"][aria-pressed="true"], button.mpl-widget.active'
SCENE = Path(__file__).with_name("scene.py")
REPOSITORY = Path(__file__).resolve().parents[1]
SERVER_TIMEOUT = 10.0  # seconds for a server to start, or to answer a command


def free_port(address: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


def machine(*extra: str) -> str:
    """The machine and the versions that matter, for the top of a report."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = [
        f"Python {platform.python_version()}",
        f"matplotlib {matplotlib.__version__}",
        f"tornado {tornado.version}",
        *extra,
    ]
    return f"{os.cpu_count()} cores ({model}), " + ", ".join(versions)


async def read_line(
    process: asyncio.subprocess.Process,
    wanted: Callable[[str], bool],
    timeout: float,
    ended: Callable[[], str],
) -> str:
    """The first line ``process`` prints that is ``wanted``; ``ended()`` says why when the
    process ends first."""
    assert process.stdout is not None
    while True:
        raw = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not raw:
            raise RuntimeError(ended())
        if wanted(line := raw.decode().strip()):
            return line


def use_backend(backend: str, port: int) -> None:
    """Make ``backend`` (``webfig`` or ``webagg``) pyplot's, serving on ``port`` without opening
    a browser. A scene script calls this before it imports pyplot."""
    matplotlib.use(backend)
    matplotlib.rcParams.update(
        {"webagg.port": port, "webagg.port_retries": 1, "webagg.open_in_browser": False}
    )
    if backend == "webfig":
        import webfig

        # No token, as WebAgg has none: the benchmarks' clients connect to both alike.
        webfig.configure(port=port, open_browser=False, token="")


class Server:
    """One backend serving a scene script in a process of its own, driven through stdin:
    ``script BACKEND *arguments PORT``. It runs this checkout's webfig, whatever is installed,
    and keeps its stderr (the server's log) for :meth:`log`."""

    def __init__(
        self, backend: str, *arguments: str, script: Path = SCENE, poll_ms: int | None = None
    ) -> None:
        """``poll_ms``: how often scene.py looks for commands (its ``SCENE_POLL_MS``)."""
        self.backend = backend
        self.poll_ms = poll_ms
        self.arguments = arguments
        self.script = script
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __aexit__
        self._log = ""  # what it logged, once the file is closed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Server:
        path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        env.pop("MPLBACKEND", None)
        if self.poll_ms is not None:
            env["SCENE_POLL_MS"] = str(self.poll_ms)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(self.script), self.backend, *self.arguments, str(self.port),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env,
        )  # fmt: skip
        try:
            await self.line(lambda line: f":{self.port}" in line)
        except BaseException:
            await self.__aexit__()  # a server that never served must not outlive us
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self._log = self.log()
        self.stderr.close()

    async def command(self, command: str) -> None:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()

    async def ask(self, command: str) -> dict[str, float]:
        """Send ``command`` and read the JSON line it answers with."""
        await self.command(command)
        answer: dict[str, float] = json.loads(await self.line(lambda line: line.startswith("{")))
        return answer

    async def stats(self) -> dict[str, float]:
        return await self.ask("stats")

    async def line(self, wanted: Callable[[str], bool], timeout: float = SERVER_TIMEOUT) -> str:
        """The next line the server prints that is ``wanted``."""
        assert self.process is not None
        return await read_line(
            self.process,
            wanted,
            timeout,
            lambda: f"the {self.backend} server ended: {self.log()[-2000:]}",
        )

    def log(self) -> str:
        """What the server wrote to stderr so far. (pread: the server shares the file's offset,
        so moving it would make the server write over its own log.)"""
        if self.stderr.closed:
            return self._log
        descriptor = self.stderr.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")


def sweep(step: int, stride: float, reach: float) -> float:
    """An offset that goes from 0 back and forth between ±``reach``, ``stride`` a step: a
    drag that keeps moving and stays on the canvas."""
    phase = (step * stride + reach) % (4 * reach)
    return phase - reach if phase < 2 * reach else 3 * reach - phase


async def select_pan(page: Any, timeout: float) -> tuple[Any, tuple[float, float]]:
    """Select pan on a figure's page (Playwright's) as a user does, a click on the canvas and
    key "p", and wait for the pan button to be active: the canvas (a locator) and its
    middle, in the page's coordinates."""
    canvas = page.locator(CANVAS).first
    box = await canvas.bounding_box()
    if box is None:
        raise RuntimeError("the figure's canvas is not shown")
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.click(x, y)
    await page.keyboard.press("p")
    await page.wait_for_selector(PAN_ACTIVE, timeout=timeout * 1000)
    return canvas, (x, y)


async def sweep_mouse(page: Any, x: float, y: float, seconds: float) -> tuple[int, float]:
    """Move the mouse back and forth around (``x``, ``y``), ±150 × ±20 CSS pixels, for
    ``seconds``, each move as soon as the browser took the last: the moves made and the
    seconds they took."""
    moves = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        moves += 1
        await page.mouse.move(x + sweep(moves, 3, 150), y + sweep(moves, 1, 20))
    return moves, time.perf_counter() - start


def rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


async def canvas_rgba(canvas: Any) -> np.ndarray:
    """The pixels of a canvas on a page (a Playwright locator)."""
    data_url = await canvas.evaluate("canvas => canvas.toDataURL('image/png')")
    return rgba(base64.b64decode(data_url.split(",", 1)[1]))


def compare(shown: np.ndarray, expected: np.ndarray, whose: str) -> str:
    """Whether the canvas' pixels equal ``expected``, the picture ``whose`` says (as "Agg's");
    for pictures of another size, how their common top-left part compares."""
    height = min(shown.shape[0], expected.shape[0])
    width = min(shown.shape[1], expected.shape[1])
    difference = np.abs(
        shown[:height, :width].astype(np.int16) - expected[:height, :width].astype(np.int16)
    )
    largest = int(difference.max())
    differing = f"{int(difference.any(axis=2).sum())} pixels differ"
    if shown.shape != expected.shape:
        return (
            f"no: the canvas is {shown.shape[1]}×{shown.shape[0]}, {whose} {expected.shape[1]}×"
            f"{expected.shape[0]} (their top-left {width}×{height}: max difference {largest}, "
            f"{differing})"
        )
    return (
        "yes (max difference 0)" if largest == 0 else f"no (max difference {largest}, {differing})"
    )
