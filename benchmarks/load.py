"""Load: many viewers of many figures that redraw all the time, webfig against WebAgg.

    python benchmarks/load.py [--viewers 100] [--figures 10] [--seconds 60]
                              [--backend webfig|webagg|both] [--rate 20] [--warmup 20]

Each backend serves FIGURES figures (benchmarks/load_scene.py) that its script thread changes
RATE times a second each, in a process of its own on the loopback interface; the backends run
one after the other, never at once. VIEWERS websocket viewers, spread evenly over the figures,
run in one asyncio loop here and behave as each backend's browser client does:

- webfig's negotiates ``rect_frames`` with ``webfig_hello`` and acknowledges every frame;
- WebAgg's behaves as matplotlib's ``mpl.js``: it answers a ``draw`` message with ``draw``
  (one at a time: not again before a frame came) and acknowledges every frame, which
  WebAgg ignores. WebAgg renders only when asked by a ``draw``, so a viewer that did not
  answer would never get a frame.

Once every viewer is connected and has its first frame, and after WARMUP seconds of load
(long enough for the allocator to reach its working size: webfig's resident memory steps up
by a few MB once in its first half minute, then stays flat),
the run measures for SECONDS: frames and bytes delivered, and how many frames changed nothing
(WebAgg renders once per viewer's ``draw``, so most of its frames are blank diffs of an
unchanged picture); errors from the connections on (failed connections, closes the viewer
did not ask for, messages that break the protocol, warnings and errors in the server's log);
the server's resident memory (``/proc/<pid>/status``, sampled every SAMPLE seconds: before,
after, peak and slope) and its CPU time (``/proc/<pid>/stat``). What the server logs while
the viewers leave, all at once at the end, is counted apart. Progress goes to stderr; the
table to stdout, as Markdown. Bounded: loopback addresses only, at most MAX_VIEWERS viewers
and MAX_SECONDS seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
from common import free_port, machine, read_line
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

SCENE: Final = Path(__file__).with_name("load_scene.py")
REPOSITORY: Final = Path(__file__).resolve().parents[1]
BACKENDS: Final = ("webagg", "webfig")
NAMES: Final = {"webagg": "WebAgg", "webfig": "webfig"}
MAX_VIEWERS: Final = 500
MAX_FIGURES: Final = 100
MAX_SECONDS: Final = 600
MAX_WARMUP: Final = 60
MAX_RATE: Final = 100
START_TIMEOUT: Final = 30.0  # seconds for the server to start and a viewer to connect
FIRST_FRAME_TIMEOUT: Final = 30.0  # seconds for every viewer's first frame, at most
CLOSE_TIMEOUT: Final = 5.0
MB: Final = 1e6
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
RECT_MAGIC: Final = b"WFRM"
RECT_HEADER: Final = struct.Struct("<4sBBHHH")  # magic, version, flags, tiles, width, height
RECT_TILE: Final = struct.Struct("<HHHHBxHI")  # x, y, width, height, kind, slot, length
RECT_RESTORE: Final = 3
BLANK_CANDIDATE: Final = 4096  # bytes: a blank 400 × 300 PNG is far smaller, any change not
# How the server's log records begin (load_scene.py logs the level first), and a thread's
# uncaught exception.
SERVER_PROBLEMS: Final = ("WARNING", "ERROR", "CRITICAL", "Exception in thread")
EXAMPLES: Final = 3  # errors of each kind shown as they happen


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Arguments


def bounded(low: float, high: float, kind: type[int] | type[float] = int) -> Callable[[str], Any]:
    """An argparse type: a number from ``low`` to ``high``."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {text}")
        return value

    return parse


def loopback(text: str) -> str:
    """An argparse type: a loopback IP address (``localhost`` stands for 127.0.0.1)."""
    address = "127.0.0.1" if text == "localhost" else text
    try:
        is_loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r}") from None
    if not is_loopback:
        raise argparse.ArgumentTypeError(f"{text} is not a loopback address; this load stays local")
    return address


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--viewers", type=bounded(1, MAX_VIEWERS), default=100, help="websocket viewers")
    add("--figures", type=bounded(1, MAX_FIGURES), default=10, help="figures served")
    add("--seconds", type=bounded(1, MAX_SECONDS, float), default=60.0, help="measured time")
    add("--warmup", type=bounded(0, MAX_WARMUP, float), default=20.0, help="load before it")
    add("--rate", type=bounded(0.1, MAX_RATE, float), default=20.0, help="changes/s per figure")
    add("--sample", type=bounded(0.5, 60, float), default=2.0, help="seconds between samples")
    add("--backend", choices=[*BACKENDS, "both"], default="both")
    add("--address", type=loopback, default="127.0.0.1", help="a loopback address")
    add("--logs", type=Path, help="a directory to keep each server's log in, as BACKEND.log")
    return parser.parse_args(argv)


# The server


def proc_text(pid: int, name: str) -> str:
    """``/proc/<pid>/<name>``; empty once the process is gone."""
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return ""


def resident_bytes(pid: int) -> int:
    for line in proc_text(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of every thread of ``pid``."""
    fields = proc_text(pid, "stat").rsplit(")", 1)[-1].split()
    if len(fields) < 13:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


class SceneServer:
    """One backend serving the load scene in a process of its own."""

    def __init__(self, backend: str, options: argparse.Namespace) -> None:
        self.backend = backend
        self.options = options
        self.address: str = options.address
        self.port = free_port(self.address)
        self.process: asyncio.subprocess.Process | None = None
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __aexit__

    def url(self, figure: int) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"ws://{host}:{self.port}/{figure}/ws"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def __aenter__(self) -> SceneServer:
        # This checkout's webfig, whatever is installed.
        path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
        # The scene configures the backend itself; no setting may come from outside.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("WEBFIG_") and name != "MPLBACKEND"
        }
        env = {**inherited, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
        arguments = [self.options.figures, self.options.rate, self.address, self.port]
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(SCENE), self.backend, *map(str, arguments),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
        )  # fmt: skip
        await self._line(lambda line: line == f"ready {self.port}", START_TIMEOUT)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.alive:
            assert self.process is not None
            self.process.kill()
        if self.process is not None:
            await self.process.wait()
        self.log.close()

    async def stats(self) -> dict[str, int]:
        """The scene's changes and draws so far."""
        stats: dict[str, int] = await self.ask("stats")
        return stats

    async def ask(self, command: str) -> Any:
        """Send ``command`` (load_scene.py's) and read the JSON line it answers with."""
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        return json.loads(await self._line(lambda line: line.startswith("{")))

    async def _line(self, wanted: Callable[[str], bool], timeout: float = 10.0) -> str:
        assert self.process is not None
        return await read_line(
            self.process,
            wanted,
            timeout,
            lambda: f"the {self.backend} server ended: {self.log_text()[-2000:]}",
        )

    def log_bytes(self) -> bytes:
        self.log.seek(0)
        return self.log.read()

    def log_text(self) -> str:
        return self.log_bytes().decode(errors="replace")

    def log_size(self) -> int:
        return self.log.seek(0, os.SEEK_END)

    def problems(self, start: int = 0, end: int | None = None) -> list[str]:
        """The warnings and errors in the server's log (from byte ``start`` to ``end``), one
        line each (a traceback follows its record)."""
        lines = self.log_bytes()[start:end].decode(errors="replace").splitlines()
        return [line for line in lines if line.startswith(SERVER_PROBLEMS)]


# The viewers


@dataclass
class Errors:
    connect: int = 0
    closed: int = 0
    protocol: int = 0

    def note(self, kind: str, what: str) -> None:
        """Count an error of ``kind``; the first few of each kind are shown."""
        count = getattr(self, kind) + 1
        setattr(self, kind, count)
        if count <= EXAMPLES:
            progress(f"  error, {kind}: {what}")


def rect_frame_problem(frame: bytes) -> str | None:
    """What is wrong with a ``rect_frames`` frame (docs/protocol.md), if anything."""
    if len(frame) < RECT_HEADER.size:
        return f"a rect frame of {len(frame)} bytes"
    magic, version, _, tiles, _, _ = RECT_HEADER.unpack_from(frame)
    if magic != RECT_MAGIC or version != 1:
        return f"a rect frame starting {frame[:5]!r}"
    offset = RECT_HEADER.size
    for _ in range(tiles):
        if offset + RECT_TILE.size > len(frame):
            return "a rect frame cut short"
        *_, kind, _, length = RECT_TILE.unpack_from(frame, offset)
        offset += RECT_TILE.size
        image = frame[offset : offset + length]
        offset += length
        if kind > RECT_RESTORE or (kind != RECT_RESTORE and not is_image(image)):
            return f"a rect frame step of kind {kind} with {image[:8]!r}"
    return None if offset == len(frame) else "a rect frame with bytes left over"


def is_image(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def png_chunks(png: bytes) -> dict[bytes, bytes]:
    """A PNG's chunks by type, the data of repeated ones (IDAT) joined."""
    chunks: dict[bytes, bytes] = {}
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(png):
        length, kind = struct.unpack_from(">I4s", png, offset)
        chunks[kind] = chunks.get(kind, b"") + png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return chunks


@functools.lru_cache(maxsize=256)  # WebAgg's blank frames of one size are the same bytes
def is_blank_png(png: bytes) -> bool:
    """Whether an 8-bit RGBA PNG is all transparent black: a WebAgg diff frame of a picture
    that did not change. (Every PNG row filter turns zero bytes into zero bytes and back, so
    the image is blank exactly when its filtered rows are.)"""
    if len(png) > BLANK_CANDIDATE:
        return False
    chunks = png_chunks(png)
    header = chunks.get(b"IHDR", b"")
    if len(header) != 13 or header[8:10] != bytes([8, 6]):  # bit depth 8, RGBA
        return False
    width = int.from_bytes(header[:4], "big")
    try:
        raw = zlib.decompress(chunks.get(b"IDAT", b""))
        rows = np.frombuffer(raw, np.uint8).reshape(-1, width * 4 + 1)
    except (zlib.error, ValueError):
        return False
    return not rows[:, 1:].any()


def server_message(text: str) -> tuple[dict[str, Any] | None, str]:
    """A text message from the server as a dict with a string ``type``; else None and what
    is wrong with it."""
    try:
        message = json.loads(text)
    except ValueError:
        return None, f"not JSON: {text[:60]!r}"
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return None, f"no type: {text[:60]!r}"
    return message, ""


@dataclass
class Counts:
    """What one viewer received."""

    frames: int = 0
    # Frames that changed nothing: WebAgg's diff frames of a picture drawn again unchanged.
    blank: int = 0
    received: int = 0  # bytes of frames

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.frames - other.frames, self.blank - other.blank, self.received - other.received
        )


@dataclass(eq=False)
class LoadViewer:
    """One websocket viewer of one figure, behaving as its backend's browser client."""

    backend: str
    url: str
    errors: Errors
    counts: Counts = field(default_factory=Counts)
    connected: bool = False
    closing: bool = False
    # mpl.js asks for one draw at a time: not again before a frame came.
    waiting: bool = False
    window_start: float | None = None
    last_frame: float = 0.0
    longest_gap: float = 0.0
    connection: WebSocketClientConnection | None = None
    task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        try:
            request = HTTPRequest(
                self.url, connect_timeout=START_TIMEOUT, request_timeout=START_TIMEOUT
            )
            self.connection = await websocket_connect(request)
        except Exception as error:  # any failure to connect is counted
            self.errors.note("connect", f"{self.url}: {error!r}")
            return
        self.connected = True
        if self.backend == "webfig":
            self.send("webfig_hello", protocol=1, extensions=["rect_frames"])
        self.send("supports_binary", value=True)
        self.send("send_image_mode")
        self.send("set_device_pixel_ratio", device_pixel_ratio=1)
        self.send("refresh")
        self.task = asyncio.create_task(self._read())

    def send(self, type: str, **fields: Any) -> None:
        assert self.connection is not None
        try:
            written = self.connection.write_message(json.dumps({"type": type, **fields}))
        except WebSocketClosedError:
            return  # the read loop sees the close
        written.add_done_callback(lambda done: done.exception())

    async def _read(self) -> None:
        assert self.connection is not None
        while (message := await self.connection.read_message()) is not None:
            if isinstance(message, bytes):
                self._frame(message)
            else:
                self._text(message)
        if not self.closing:
            connection = self.connection
            self.errors.note(
                "closed", f"{self.url}: {connection.close_code} {connection.close_reason}"
            )

    def _frame(self, frame: bytes) -> None:
        now = time.perf_counter()
        if self.window_start is not None:
            self.longest_gap = max(self.longest_gap, now - max(self.last_frame, self.window_start))
        self.counts.frames += 1
        self.counts.received += len(frame)
        self.last_frame = now
        self.waiting = False
        self.send("ack")
        if self.backend == "webfig":
            problem = rect_frame_problem(frame)
        else:
            problem = None if frame.startswith(PNG_SIGNATURE) else f"a frame of {frame[:8]!r}"
            self.counts.blank += is_blank_png(frame)
        if problem is not None:
            self.errors.note("protocol", f"{self.url}: {problem}")

    def _text(self, text: str) -> None:
        message, problem = server_message(text)
        if message is None:
            self.errors.note("protocol", f"{self.url}: {problem}")
        elif message["type"] == "draw" and not self.waiting:
            self.waiting = True
            self.send("draw")

    def start_window(self, start: float) -> Counts:
        """Measure gaps from ``start`` on; what was received so far."""
        self.window_start = start
        self.longest_gap = 0.0
        return replace(self.counts)

    def end_window(self, end: float) -> float:
        """The longest time without a frame in the window."""
        assert self.window_start is not None
        return max(self.longest_gap, end - max(self.last_frame, self.window_start))

    def close(self) -> None:
        self.closing = True
        if self.connection is not None:
            self.connection.close()


async def close_all(viewers: list[LoadViewer]) -> None:
    """Close every viewer at once, and wait (a while) for the server to see them go."""
    for viewer in viewers:
        viewer.close()
    tasks = [viewer.task for viewer in viewers if viewer.task is not None]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
        for task in pending:
            task.cancel()
    await asyncio.sleep(0.5)


async def connect_all(viewers: list[LoadViewer]) -> None:
    """Connect the viewers, twenty at a time, as a crowd of tabs opening would."""
    gate = asyncio.Semaphore(20)

    async def connect(viewer: LoadViewer) -> None:
        async with gate:
            await viewer.connect()

    await asyncio.gather(*(connect(viewer) for viewer in viewers))


async def wait_for_first_frames(viewers: list[LoadViewer]) -> None:
    deadline = time.perf_counter() + FIRST_FRAME_TIMEOUT
    connected = [v for v in viewers if v.connected]
    while any(v.counts.frames == 0 for v in connected) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    waiting = sum(v.counts.frames == 0 for v in connected)
    if waiting:
        progress(f"  {waiting} viewer(s) still without a frame after {FIRST_FRAME_TIMEOUT:.0f} s")


# Measurement


@dataclass
class Memory:
    """The server's resident memory, sampled: (seconds since the start, bytes)."""

    samples: list[tuple[float, int]] = field(default_factory=list)

    def add(self, at: float, rss: int) -> None:
        self.samples.append((at, rss))

    @property
    def before(self) -> int:
        return self.samples[0][1]

    @property
    def after(self) -> int:
        return self.samples[-1][1]

    @property
    def peak(self) -> int:
        return max(rss for _, rss in self.samples)

    def slope(self, since: float = 0.0) -> float:
        """Growth in MB per minute, by least squares over the samples from ``since`` on."""
        samples = [(t, rss) for t, rss in self.samples if t >= since]
        if len(samples) < 2:
            return 0.0
        times = [t for t, _ in samples]
        sizes = [rss / MB for _, rss in samples]
        mean_t, mean_s = sum(times) / len(times), sum(sizes) / len(sizes)
        spread = sum((t - mean_t) ** 2 for t in times)
        if spread == 0:
            return 0.0
        covariance = sum((t - mean_t) * (s - mean_s) for t, s in zip(times, sizes, strict=True))
        return covariance / spread * 60


@dataclass
class Result:
    viewers: int
    figures: int
    seconds: float
    changes: int
    draws: int
    blocks: tuple[int, int]  # Python's allocated memory blocks, before and after
    # What each viewer received while measured.
    counts: list[Counts]
    longest_gap: float
    errors: Errors
    memory: Memory
    server_cpu: float
    client_cpu: float
    # The machine's load average (1 min) as the measurement started and ended.
    load: tuple[float, float]
    # Warnings and errors in the server's log until the measurement ended, and after.
    server_problems: list[str] = field(default_factory=list)
    teardown_problems: list[str] = field(default_factory=list)

    @property
    def frames(self) -> list[int]:
        return [c.frames for c in self.counts]

    @property
    def blank(self) -> int:
        return sum(c.blank for c in self.counts)

    @property
    def received(self) -> int:
        return sum(c.received for c in self.counts)

    @property
    def error_total(self) -> int:
        errors = self.errors
        return errors.connect + errors.closed + errors.protocol + len(self.server_problems)


async def measure(
    server: SceneServer, viewers: list[LoadViewer], errors: Errors, options: argparse.Namespace
) -> Result:
    """Measure the load for ``options.seconds``, sampling memory every ``options.sample``."""
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    before = [viewer.start_window(start) for viewer in viewers]
    stats_before = await server.stats()
    cpu_before, client_before = cpu_seconds(server.pid), time.process_time()
    memory = Memory()
    memory.add(0.0, resident_bytes(server.pid))
    end = start + options.seconds
    while (now := time.perf_counter()) < end and server.alive:
        await asyncio.sleep(min(options.sample, end - now))
        memory.add(time.perf_counter() - start, resident_bytes(server.pid))
        frames = sum(v.counts.frames - b.frames for v, b in zip(viewers, before, strict=True))
        progress(
            f"  {time.perf_counter() - start:5.1f} s: {frames} frames, {memory.after / MB:.1f} MB"
        )
    end = time.perf_counter()
    server_cpu = cpu_seconds(server.pid) - cpu_before
    client_cpu = time.process_time() - client_before
    stats_after = await server.stats()
    return Result(
        viewers=len(viewers),
        figures=options.figures,
        seconds=end - start,
        changes=stats_after["changes"] - stats_before["changes"],
        draws=stats_after["draws"] - stats_before["draws"],
        blocks=(stats_before["blocks"], stats_after["blocks"]),
        counts=[v.counts - b for v, b in zip(viewers, before, strict=True)],
        longest_gap=max(v.end_window(end) for v in viewers),
        errors=errors,
        memory=memory,
        server_cpu=server_cpu,
        client_cpu=client_cpu,
        load=(load_before, os.getloadavg()[0]),
    )


async def run_backend(backend: str, options: argparse.Namespace) -> Result:
    progress(f"{NAMES[backend]}: {options.viewers} viewers of {options.figures} figures")
    errors = Errors()
    async with SceneServer(backend, options) as server:
        viewers = [
            LoadViewer(backend, server.url(index % options.figures + 1), errors)
            for index in range(options.viewers)
        ]
        await connect_all(viewers)
        progress(f"  {sum(v.connected for v in viewers)} viewer(s) connected")
        await wait_for_first_frames(viewers)
        await asyncio.sleep(options.warmup)
        progress(f"  measuring for {options.seconds:.0f} s")
        result = await measure(server, viewers, errors, options)
        if not server.alive:
            errors.note("closed", "the server ended before the run did")
        measured = server.log_size()
        await close_all(viewers)
        result.server_problems = server.problems(end=measured)
        result.teardown_problems = server.problems(start=measured)
        keep_log(server, options.logs)
    for line in result.server_problems[:EXAMPLES]:
        progress(f"  server: {line}")
    for line in result.teardown_problems[:EXAMPLES]:
        progress(f"  server, as the viewers left: {line}")
    return result


def keep_log(server: SceneServer, directory: Path | None) -> None:
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{server.backend}.log").write_text(server.log_text())


# The report


ROWS: Final[list[tuple[str, Callable[[Result], float], str]]] = [
    (
        "changes made by the script, per figure per s",
        lambda r: r.changes / r.figures / r.seconds,
        "{:.1f}",
    ),
    ("renders (full draws), per figure per s", lambda r: r.draws / r.figures / r.seconds, "{:.1f}"),
    ("frames delivered, total", lambda r: sum(r.frames), "{:.0f}"),
    ("frames per viewer per s", lambda r: sum(r.frames) / r.viewers / r.seconds, "{:.2f}"),
    ("frames per viewer, min", lambda r: min(r.frames), "{:.0f}"),
    ("frames per viewer, max", lambda r: max(r.frames), "{:.0f}"),
    ("frames that changed nothing (blank diffs), total", lambda r: r.blank, "{:.0f}"),
    (
        "frames with a change, per viewer per s",
        lambda r: (sum(r.frames) - r.blank) / r.viewers / r.seconds,
        "{:.2f}",
    ),
    ("longest wait for a frame, one viewer (s)", lambda r: r.longest_gap, "{:.2f}"),
    ("bytes delivered (MB)", lambda r: r.received / MB, "{:.1f}"),
    ("errors: connection failures", lambda r: r.errors.connect, "{:.0f}"),
    ("errors: unexpected closes", lambda r: r.errors.closed, "{:.0f}"),
    ("errors: protocol (bad messages or frames)", lambda r: r.errors.protocol, "{:.0f}"),
    ("errors: server log warnings and errors", lambda r: len(r.server_problems), "{:.0f}"),
    ("errors, total", lambda r: r.error_total, "{:.0f}"),
    (
        "server log warnings and errors as the viewers left",
        lambda r: len(r.teardown_problems),
        "{:.0f}",
    ),
    ("server RSS before (MB)", lambda r: r.memory.before / MB, "{:.1f}"),
    ("server RSS after (MB)", lambda r: r.memory.after / MB, "{:.1f}"),
    (
        "server RSS after − before (MB)",
        lambda r: (r.memory.after - r.memory.before) / MB,
        "{:+.1f}",
    ),
    ("server RSS max while measured (MB)", lambda r: r.memory.peak / MB, "{:.1f}"),
    ("server RSS slope (MB/min)", lambda r: r.memory.slope(), "{:+.2f}"),
    ("server RSS slope, second half (MB/min)", lambda r: r.memory.slope(r.seconds / 2), "{:+.2f}"),
    (
        "server Python heap blocks, after − before (thousands)",
        lambda r: (r.blocks[1] - r.blocks[0]) / 1000,
        "{:+.1f}",
    ),
    ("server CPU (s)", lambda r: r.server_cpu, "{:.1f}"),
    ("server CPU (% of one core)", lambda r: r.server_cpu / r.seconds * 100, "{:.0f}"),
    ("load client CPU (s)", lambda r: r.client_cpu, "{:.1f}"),
    ("machine load average (1 min) at the start", lambda r: r.load[0], "{:.1f}"),
    ("machine load average (1 min) at the end", lambda r: r.load[1], "{:.1f}"),
]


def print_table(results: dict[str, Result], options: argparse.Namespace) -> None:
    print(f"Machine: {machine()}\n")
    print(
        f"{options.viewers} viewers over {options.figures} figures changed {options.rate:g} "
        f"times a second each; {options.seconds:g} s measured per backend after "
        f"{options.warmup:g} s of warm-up; memory sampled every {options.sample:g} s.\n"
    )
    names = [NAMES[b] for b in results]
    print("| metric | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for label, value, style in ROWS:
        cells = [style.format(value(result)) for result in results.values()]
        print(f"| {label} | " + " | ".join(cells) + " |")


async def main(options: argparse.Namespace) -> int:
    backends = BACKENDS if options.backend == "both" else (options.backend,)
    results = {backend: await run_backend(backend, options) for backend in backends}
    print_table(results, options)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_arguments())))
