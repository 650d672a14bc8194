"""What users read works as written: every Python block of README.md and docs/*.md, pasted
into a file of its own and run with ``python``, and ``python -m webfig --help``.

All blocks start at once (a module fixture), each in a directory of its own, with
``WEBFIG_PORT=0`` and ``WEBFIG_OPEN_BROWSER=0`` and a Redis server of the tests' own in
``REDIS_URL``, and webfig's default token; then each block's check looks at what it does. A
block that serves (a blocking ``plt.show()``, a web application) is waited for until it
prints its ``serving ... at URL`` line, visited there as a browser would (the token of the
URL kept in the cookie the server sets), asked for its pages, images or frames, then stopped
with Ctrl+C; a block that ends by itself must end with status 0. Either must print nothing on
stderr while it works.
"""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest
import redis
from PIL import Image

from .conftest import WsClient
from .processes import TIMEOUT, Visit, environment
from .servers import Servers
from .waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What a block that serves prints: webfig's own line, or a web application's.
SERVING = re.compile(r"^(?:webfig: )?serving (?:figures )?at (http://\S+)$", re.MULTILINE)
CARD = b'class="webfig-figure"'


@dataclass(frozen=True)
class Block:
    """One ```python block: where it is (the document, and the heading it is under)."""

    document: str
    heading: str
    line: int
    code: str

    @property
    def key(self) -> tuple[str, str]:
        return self.document, self.heading


def python_blocks(path: Path) -> list[Block]:
    """The ```python blocks of a Markdown file, each with the heading it is under (lines
    inside other fenced blocks, such as a shell block's comments, are no headings)."""
    blocks: list[Block] = []
    heading, fence, start, code = "", None, 0, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if fence is None and line.startswith("```"):
            fence, start, code = line[3:].strip(), number, []
        elif fence is not None and line == "```":
            if fence == "python":
                text = "\n".join(code) + "\n"
                blocks.append(Block(path.relative_to(ROOT).as_posix(), heading, start, text))
            fence = None
        elif fence is not None:
            code.append(line)
        elif match := re.match(r"#+ (.+)", line):
            heading = match.group(1)
    assert fence is None, f"{path}: the block at line {start} is not closed"
    return blocks


BLOCKS = [block for document in DOCUMENTS for block in python_blocks(document)]


class Run:
    """A block running as a script (``block.py``) in a directory of its own; what it prints
    goes to files there, read as it comes."""

    def __init__(self, block: Block, directory: Path, **env: str) -> None:
        self.block = block
        self.directory = directory
        self.env = env
        script = directory / "block.py"
        script.write_text(block.code)
        self._out: IO[str] = (directory / "stdout").open("w")
        self._err: IO[str] = (directory / "stderr").open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(script)],
            cwd=directory,
            env=environment(default_token=True, **env),
            stdout=self._out,
            stderr=self._err,
            text=True,
        )

    def stdout(self) -> str:
        return (self.directory / "stdout").read_text()

    def stderr(self) -> str:
        return (self.directory / "stderr").read_text()

    def __str__(self) -> str:
        return f"{self.block.document}:{self.block.line}"

    def url(self) -> str:
        """The URL the block prints once it serves; fails if it ends first."""
        match = wait_until(
            lambda: SERVING.search(self.stdout()) or self.process.poll() is not None,
            timeout=TIMEOUT,
            message=f"{self} to print where it serves",
        )
        assert isinstance(match, re.Match), (
            f"{self} ended with status {self.process.returncode} before it served:\n"
            f"{self.stdout()}{self.stderr()}"
        )
        return match.group(1)

    def ended(self) -> int:
        """The status of a block that ends by itself."""
        try:
            return self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self} still runs after {TIMEOUT} s:\n{self.stdout()}{self.stderr()}")

    def interrupt(self) -> None:
        """Ctrl+C, as a user stops a block that serves: it must end."""
        assert self.stderr() == "", f"{self} wrote on stderr while it served"
        self.process.send_signal(signal.SIGINT)
        self.ended()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(TIMEOUT)
        self._out.close()
        self._err.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    servers = Servers(tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{servers.start('redis').port}/0"
    servers.stop_all()


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[dict[tuple[str, str], Run]]:
    """Every block, started at once (each takes a second or two to import matplotlib)."""
    started = {
        block.key: Run(block, tmp_path_factory.mktemp("block"), REDIS_URL=redis_url)
        for block in BLOCKS
    }
    yield started
    for run in started.values():
        run.stop()


Connect = Callable[..., WsClient]


def figure_labels(viewer: WsClient) -> list[str]:
    return [m["label"] for m in viewer.json_messages() if m["type"] == "figure_label"]


def serves_figures(url: str, connect: Connect, labels: list[str]) -> list[WsClient]:
    """The printed ``url``, with its token, shows a card for each of ``labels``, in order;
    each figure's viewer, with the cookie of that visit, gets a PNG frame. The viewers, one
    per figure."""
    assert "?token=" in url, "webfig's default: a token in the printed URL"
    visit = Visit(url)
    page = visit.page
    assert visit.status == 200
    assert page.count(CARD) == len(labels), page
    assert [page.index(label.encode()) for label in labels] == sorted(
        page.index(label.encode()) for label in labels
    )
    viewers = [connect(visit, num) for num in range(1, len(labels) + 1)]
    for viewer, label in zip(viewers, labels, strict=True):
        assert viewer.receive_frame().startswith(PNG_SIGNATURE)
        assert figure_labels(viewer)[-1] == label
    return viewers


def check_one_figure(run: Run, connect: Connect) -> None:
    serves_figures(run.url(), connect, ["Figure 1"])
    run.interrupt()


def check_live_updates(run: Run, connect: Connect) -> None:
    (viewer,) = serves_figures(run.url(), connect, ["Figure 1"])
    # The script's thread changes the figure; frames come without the viewer asking.
    viewer.wait_until(lambda: len(viewer.frames()) >= 4)
    run.interrupt()


def check_several_figures(run: Run, connect: Connect) -> None:
    serves_figures(run.url(), connect, ["Lines", "Histogram"])
    run.interrupt()


def check_animation(run: Run, connect: Connect) -> None:
    (viewer,) = serves_figures(run.url(), connect, ["Figure 1"])
    viewer.wait_until(lambda: len(viewer.frames()) >= 6)
    run.interrupt()


def check_events(run: Run, connect: Connect) -> None:
    (viewer,) = serves_figures(run.url(), connect, ["Figure 1"])

    def label_becomes(label: str) -> None:
        viewer.wait_until(lambda: figure_labels(viewer)[-1:] == [label])

    # The middle of the 640 × 480 canvas is inside the axes.
    viewer.send("button_press", x=320, y=240, button=0, buttons=1)
    viewer.send("button_release", x=320, y=240, button=0, buttons=0)
    label_becomes("1 points")
    viewer.send("key_press", key="kc")
    label_becomes("0 points")
    run.interrupt()


def check_tornado_app(run: Run, connect: Connect) -> None:
    """The printed URL is that of the figures under /figures/; the home page links there."""
    figures = run.url()
    assert figures.split("?")[0].endswith("/figures/"), figures
    serves_figures(figures, connect, ["Figure 1"])
    status, _, page = Visit(figures).fetch("/")
    assert (status, page) == (200, b'<a href="/figures/">the figures</a>')
    run.interrupt()


def png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(body)) as image:
        return image.size


def check_image_endpoint(run: Run, size: tuple[int, int]) -> bytes:
    """The printed URL is a PNG of ``size`` with an ETag that revalidates; its bytes."""
    url = run.url()
    visit = Visit(url)
    status, headers, body = visit.status, visit.headers, visit.page
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert png_size(body) == size
    status, _, again = visit.fetch(url, {"If-None-Match": headers["Etag"]})
    assert (status, again) == (304, b"")
    return body


def check_png_endpoint(run: Run, connect: Connect) -> None:
    check_image_endpoint(run, (600, 350))
    run.interrupt()


def check_shared_cache(run: Run, connect: Connect) -> None:
    body = check_image_endpoint(run, (600, 400))
    client = redis.Redis.from_url(run.env["REDIS_URL"])
    try:
        keys = client.keys("myapp:*")
        assert keys, "nothing kept in Redis"
        assert any(body in (client.get(key) or b"") for key in keys)
    finally:
        client.close()
    run.interrupt()


def check_pillow(run: Run, connect: Connect) -> None:
    assert run.ended() == 0, run.stderr()
    assert run.stderr() == ""
    with Image.open(run.directory / "figure.jpg") as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (640, 480), "RGB")
        colours = image.getcolors(maxcolors=640 * 480)
    assert colours is not None
    assert len(colours) > 10  # a plot, not a blank picture


def check_ends_quietly(run: Run, connect: Connect) -> None:
    assert run.ended() == 0, run.stderr()
    assert (run.stdout(), run.stderr()) == ("", "")


CHECKS: dict[tuple[str, str], Callable[[Run, Connect], None]] = {
    ("README.md", "Using it"): check_one_figure,
    ("README.md", "Live while the script runs"): check_live_updates,
    ("README.md", "Several figures (`several_figures.py`)"): check_several_figures,
    ("README.md", "An animation with blitting (`animation.py`)"): check_animation,
    ("README.md", "Mouse and keyboard events (`events.py`)"): check_events,
    ("README.md", "In your own Tornado application, under a prefix (`tornado_app.py`)"): (
        check_tornado_app
    ),
    ("README.md", "Images from a web handler, with caching and ETags (`png_endpoint.py`)"): (
        check_png_endpoint
    ),
    ("README.md", "Several processes, one cache, renders on every core (`shared_cache.py`)"): (
        check_shared_cache
    ),
    ("README.md", "Pixels for numpy or Pillow (`rgba_to_pillow.py`)"): check_pillow,
    ("README.md", "Configuration"): check_one_figure,
    ("docs/reverse-proxy.md", "webfig's side"): check_ends_quietly,
}


def test_every_block_has_a_check() -> None:
    keys = [block.key for block in BLOCKS]
    assert len(set(keys)) == len(keys), "two blocks under one heading"
    assert set(keys) == set(CHECKS)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"{block.document}:{block.line}")
def test_block_runs_as_written(block: Block, runs: dict[tuple[str, str], Run], connect) -> None:
    CHECKS[block.key](runs[block.key], connect)


@pytest.mark.parametrize("command", [[], ["demo"]], ids=["webfig", "demo"])
def test_command_line_help_is_plain_text(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "webfig", *command, "--help"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"usage: python -m webfig {' '.join(command)}".rstrip())
    assert "`" not in result.stdout, result.stdout
    assert "WEBFIG_PORT" in result.stdout
    if not command:
        assert re.search(r"^    demo +serve a few demo figures until Ctrl\+C$", result.stdout, re.M)
