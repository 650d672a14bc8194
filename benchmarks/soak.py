"""Soak: viewers of changing figures through a proxy that injects faults, for ten minutes.

    python benchmarks/soak.py [--viewers 20] [--figures 4] [--seconds 540] [--rate 4]
                              [--fault-every 3] [--seed 1] [--logs DIR]

webfig serves FIGURES figures (benchmarks/load_scene.py) that its script changes RATE times a
second each. VIEWERS websocket viewers, spread evenly over the figures, behave as webfig's
browser client does: they negotiate ``rect_frames`` and ``heartbeat``, paint every frame
into a picture of their own (tests/imaging.py, the reference decoder) and acknowledge it,
give up on a connection that has been silent for 2.5 heartbeats, and reconnect after any
close, backing off from half a second to ten, to a full frame.

They reach the server through benchmarks/fault_proxy.py. After WARMUP seconds, for SECONDS,
every FAULT_EVERY seconds on average one connection, at random, is cut, silenced (the path
dies without a close), stalled (its viewer reads nothing for 5 to 25 s) or sent a burst of
malformed messages (one in four bursts ends with one that breaks the websocket protocol).
Then the faults stop, the viewers get SETTLE seconds to come back, the script stops, and
each viewer's picture is compared with its figure's as Agg last drew it: byte for byte.

The report (Markdown, on stdout; progress on stderr) counts the faults, the reconnections
and how long they took, the frames, and the errors: closes and silences of connections no
fault touched, frames that do not decode, failed connections, and the server's warnings and
errors other than its refusals of the injected messages; the server's memory at the start
and end of the faults. Bounded: loopback only, at most MAX_VIEWERS viewers, MAX_SECONDS s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from common import REPOSITORY, machine
from fault_proxy import FaultProxy, Link
from load import (
    MB,
    Memory,
    SceneServer,
    bounded,
    keep_log,
    progress,
    resident_bytes,
    server_message,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

sys.path.insert(0, str(REPOSITORY))
from tests.imaging import paint_rect_frame

MAX_VIEWERS: Final = 100
MAX_SECONDS: Final = 1800
CONNECT_TIMEOUT: Final = 10.0
# webfig's client: 2.5 heartbeats of 5 s without a message, and it gives the connection up.
SILENCE: Final = 12.5
BACKOFF: Final = (0.5, 10.0)  # seconds: the first wait before reconnecting, the longest
SETTLE: Final = 60.0  # seconds for every viewer to be back once the faults stop
QUIET: Final = 2.0  # seconds without a frame anywhere: the last change has been delivered
MATCH_TIMEOUT: Final = 20.0
# Seconds for the server to drop the connections of dead paths: its ping interval and
# timeout (10 s each), and some.
SOCKETS_TIMEOUT: Final = 40.0
STALL: Final = (5.0, 25.0)  # seconds a stalled viewer reads nothing
FAULTS: Final = {"cut": 3, "silence": 2, "stall": 2, "malformed": 3}  # kind: weight
BURST: Final = (1, 8)  # malformed messages in a burst
BREAKING: Final = 0.25  # the share of bursts that end in a protocol-breaking frame
EXAMPLES: Final = 3
PROGRESS_EVERY: Final = 60.0  # seconds
# What webfig logs when it refuses a message the proxy slipped in (the first of each kind),
# or closes a viewer that stopped reading: expected, given the faults.
REFUSALS: Final = ("ignored a message", "refused ", "closed a viewer")
PROBLEMS: Final = ("WARNING", "ERROR", "CRITICAL", "Exception in thread", "Traceback")


@dataclass
class Tally:
    """What went wrong that no fault explains, and what the faults did."""

    errors: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    malformed_messages: int = 0
    breaking_bursts: int = 0
    # Seconds from a fault to the first full frame of the connection after it, by kind.
    recoveries: dict[str, list[float]] = field(default_factory=dict)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if self.errors[kind] <= EXAMPLES:
            progress(f"  error, {kind}: {what}")


@dataclass(eq=False)
class SoakViewer:
    """One viewer of one figure, behaving as webfig's browser client does."""

    figure: int
    url: str
    proxy: FaultProxy
    tally: Tally
    connections: int = 0
    frames: int = 0
    picture: np.ndarray | None = None
    link: Link | None = None
    # The last fault done to a connection of this viewer, and when, until a connection after
    # it showed a picture: what ended that connection, and how long the viewer was without.
    pending_fault: tuple[str, float] | None = None
    stopping: bool = False
    _connection: WebSocketClientConnection | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and self.picture is not None

    def digest(self) -> str | None:
        return None if self.picture is None else hashlib.sha256(self.picture.tobytes()).hexdigest()

    def fault(self, kind: str) -> None:
        self.pending_fault = (kind, time.perf_counter())

    async def run(self) -> None:
        delay = BACKOFF[0]
        while not self.stopping:
            try:
                request = HTTPRequest(
                    self.url, connect_timeout=CONNECT_TIMEOUT, request_timeout=CONNECT_TIMEOUT
                )
                connection = await websocket_connect(request)
            except Exception as error:  # any failure to connect counts
                self.tally.error("connect", f"{self.url}: {error!r}")
            else:
                self.connections += 1
                if await self._session(connection):
                    delay = BACKOFF[0]
            if not self.stopping:
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF[1])

    async def _session(self, connection: WebSocketClientConnection) -> bool:
        """One connection, until it closes or goes silent: whether it showed a picture."""
        self._connection = connection
        self.picture, regions = None, {}
        assert connection.stream is not None
        assert connection.stream.socket is not None
        self.link = self.proxy.links.get(connection.stream.socket.getsockname()[1])
        self._send("webfig_hello", protocol=1, extensions=["rect_frames", "heartbeat"])
        self._send("supports_binary", value=True)
        self._send("send_image_mode")
        self._send("set_device_pixel_ratio", device_pixel_ratio=1)
        self._send("refresh")
        try:
            while True:
                try:
                    message = await asyncio.wait_for(connection.read_message(), SILENCE)
                except asyncio.TimeoutError:
                    self._ended("silence", f"nothing heard for {SILENCE} s")
                    connection.close()  # given up: its close may never arrive
                    break
                if message is None:
                    code, reason = connection.close_code, connection.close_reason
                    self._ended("closed", f"closed: {code} {reason}")
                    break
                if isinstance(message, bytes):
                    self._paint(message, regions)
                else:
                    self._text(message)
        finally:
            self._connection = None
        return self.picture is not None

    def _ended(self, kind: str, what: str) -> None:
        if not self.stopping and not (self.link is not None and self.link.faulty):
            self.tally.error(kind, f"{self.url}: {what}")

    def _paint(self, frame: bytes, regions: dict[int, np.ndarray]) -> None:
        try:
            self.picture = paint_rect_frame(self.picture, frame, regions)
        except Exception as error:  # a frame the reference decoder cannot paint
            self.tally.error("frame", f"{self.url}: {error!r}")
            return
        self.frames += 1
        self._send("ack")
        if self.pending_fault is not None and self.link is not None and not self.link.faulty:
            kind, at = self.pending_fault
            self.tally.recoveries.setdefault(kind, []).append(time.perf_counter() - at)
            self.pending_fault = None

    def _text(self, text: str) -> None:
        message, problem = server_message(text)
        if message is None:
            self.tally.error("message", f"{self.url}: {problem}")

    def _send(self, type: str, **fields: Any) -> None:
        if self._connection is None:
            return
        try:
            written = self._connection.write_message(json.dumps({"type": type, **fields}))
        except WebSocketClosedError:
            return  # the read loop sees the close
        written.add_done_callback(lambda done: done.exception())

    def stop(self) -> None:
        self.stopping = True
        if self._connection is not None:
            self._connection.close()


# The run


async def inject_faults(
    proxy: FaultProxy, viewers: list[SoakViewer], tally: Tally, options: argparse.Namespace
) -> None:
    """Faults at random, about one every ``options.fault_every`` s, for ``options.seconds``."""
    rng = random.Random(options.seed)
    end = time.perf_counter() + options.seconds
    kinds, weights = list(FAULTS), list(FAULTS.values())
    while (now := time.perf_counter()) < end:
        await asyncio.sleep(min(rng.expovariate(1 / options.fault_every), end - now))
        links = proxy.open_links()
        if not links:
            continue
        link = rng.choice(links)
        kind = rng.choices(kinds, weights)[0]
        owner = next((v for v in viewers if v.link is link), None)
        if kind == "cut":
            proxy.cut(link)
        elif kind == "silence":
            proxy.silence(link)
        elif kind == "stall":
            proxy.stall(link, rng.uniform(*STALL))
        else:
            sent, broke = proxy.malformed(link, rng.randint(*BURST), rng, BREAKING)
            tally.malformed_messages += sent
            tally.breaking_bursts += broke
        tally.faults[kind] += 1
        if owner is not None:
            owner.fault(kind)


async def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def wait_for_sockets(server: SceneServer, wanted: int, timeout: float) -> int:
    """The server's live websocket handlers, once they are ``wanted`` (or at the timeout)."""
    deadline = time.perf_counter() + timeout
    while (sockets := (await server.ask("sockets"))["sockets"]) != wanted:
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(1)
    return int(sockets)


async def wait_for_quiet(viewers: list[SoakViewer], timeout: float) -> None:
    """Until no viewer got a frame for QUIET seconds (the last change reached everyone)."""
    deadline = time.perf_counter() + timeout
    total = sum(v.frames for v in viewers)
    quiet_since = time.perf_counter()
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
        now_total = sum(v.frames for v in viewers)
        if now_total != total:
            total, quiet_since = now_total, time.perf_counter()
        elif time.perf_counter() - quiet_since >= QUIET:
            return


@dataclass
class Result:
    tally: Tally
    seconds: float
    changes: int
    connections: int
    frames: list[int]
    memory: Memory
    blocks: tuple[int, int, int]  # at the start and end of the faults, and settled
    rss_settled: int
    sockets: int  # websocket handlers alive on the server, settled
    connected: int
    exact: int
    refusals: list[str]
    problems: list[str]


async def soak(options: argparse.Namespace) -> Result:
    tally = Tally()
    async with SceneServer("webfig", options) as server, FaultProxy(server.port) as proxy:
        numbers = [index % options.figures + 1 for index in range(options.viewers)]
        viewers = [
            SoakViewer(number, f"ws://127.0.0.1:{proxy.port}/{number}/ws", proxy, tally)
            for number in numbers
        ]
        tasks = [asyncio.create_task(viewer.run()) for viewer in viewers]
        if not await wait_until(lambda: all(v.connected for v in viewers), CONNECT_TIMEOUT * 3):
            progress("  not every viewer got its first frame")
        await asyncio.sleep(options.warmup)
        progress(f"  {len(viewers)} viewers connected; faults for {options.seconds:.0f} s")
        memory = Memory()
        start = time.perf_counter()
        before = await server.stats()
        faults = asyncio.create_task(inject_faults(proxy, viewers, tally, options))
        next_report = PROGRESS_EVERY
        while not faults.done():
            memory.add(time.perf_counter() - start, resident_bytes(server.pid))
            await asyncio.wait({faults}, timeout=options.sample)
            if (elapsed := time.perf_counter() - start) >= next_report:
                next_report += PROGRESS_EVERY
                frames = sum(v.frames for v in viewers)
                progress(
                    f"  {elapsed:5.0f} s: {sum(tally.faults.values())} faults, {frames} frames,"
                    f" {memory.after / MB:.1f} MB"
                )
        await faults
        seconds = time.perf_counter() - start
        memory.add(seconds, resident_bytes(server.pid))
        after = await server.stats()
        progress("  faults over; waiting for every viewer to be back")
        await wait_until(lambda: all(v.connected for v in viewers), SETTLE)
        await server.ask("stop")
        await wait_for_quiet(viewers, MATCH_TIMEOUT)
        pictures = (await server.ask("pictures"))["pictures"]
        expected = {int(number): picture[2] for number, picture in pictures.items()}
        await wait_until(
            lambda: all(v.digest() == expected[v.figure] for v in viewers), MATCH_TIMEOUT
        )
        connected = sum(v.connected for v in viewers)
        exact = sum(v.digest() == expected[v.figure] for v in viewers)
        # The server lets the connections of dead paths go when their pings time out.
        sockets = await wait_for_sockets(server, options.viewers, SOCKETS_TIMEOUT)
        rss_settled = resident_bytes(server.pid)
        settled = await server.stats()
        for viewer in viewers:
            viewer.stop()
        await asyncio.wait(tasks, timeout=5)
        lines = server.problems()
        keep_log(server, options.logs)
    return Result(
        tally=tally,
        seconds=seconds,
        changes=after["changes"] - before["changes"],
        connections=sum(v.connections for v in viewers),
        frames=[v.frames for v in viewers],
        memory=memory,
        blocks=(before["blocks"], after["blocks"], settled["blocks"]),
        rss_settled=rss_settled,
        sockets=sockets,
        connected=connected,
        exact=exact,
        refusals=[line for line in lines if any(r in line for r in REFUSALS)],
        problems=[line for line in lines if not any(r in line for r in REFUSALS)],
    )


# The report


def spread(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.1f} / {max(values):.1f} ({len(values)})"


def report(result: Result, options: argparse.Namespace) -> None:
    tally, memory = result.tally, result.memory
    faults = tally.faults
    rows = [
        ("faults injected, total", sum(faults.values())),
        ("faults: connections cut", faults["cut"]),
        ("faults: paths silenced (no close)", faults["silence"]),
        ("faults: readers stalled 5–25 s", faults["stall"]),
        (
            "faults: bursts of malformed messages (messages; bursts ending in a protocol break)",
            f"{faults['malformed']} ({tally.malformed_messages}; {tally.breaking_bursts})",
        ),
        ("connections made (the first ones included)", result.connections),
        ("frames painted, total", sum(result.frames)),
        ("frames painted per viewer, min", min(result.frames)),
        *(
            (f"a connection ended by a {kind}: back in median / max s (count)", spread(times))
            for kind, times in sorted(tally.recoveries.items())
        ),
        ("errors: closes no fault explains", tally.errors["closed"]),
        ("errors: silences no fault explains", tally.errors["silence"]),
        (
            "errors: frames or messages that do not decode",
            tally.errors["frame"] + tally.errors["message"],
        ),
        ("errors: failed connections", tally.errors["connect"]),
        ("errors: server log, other than refusals", len(result.problems)),
        ("server refusals logged (the first of each kind)", len(result.refusals)),
        ("server RSS at the start of the faults (MB)", f"{memory.before / MB:.1f}"),
        ("server RSS at the end (MB)", f"{memory.after / MB:.1f}"),
        ("server RSS max (MB)", f"{memory.peak / MB:.1f}"),
        ("server RSS slope, second half (MB/min)", f"{memory.slope(result.seconds / 2):+.2f}"),
        (
            "server Python heap blocks, end − start (thousands)",
            f"{(result.blocks[1] - result.blocks[0]) / 1000:+.1f}",
        ),
        ("server websocket handlers alive, settled", result.sockets),
        ("server RSS, settled (MB)", f"{result.rss_settled / MB:.1f}"),
        (
            "server Python heap blocks, settled − start (thousands)",
            f"{(result.blocks[2] - result.blocks[0]) / 1000:+.1f}",
        ),
        ("viewers connected at the end", f"{result.connected} of {options.viewers}"),
        ("viewers showing the final picture exactly", f"{result.exact} of {options.viewers}"),
    ]
    print(f"Machine: {machine()}\n")
    print(
        f"{options.viewers} viewers of {options.figures} figures changed {options.rate:g} times"
        f" a second each; {result.seconds:.0f} s of faults (one every {options.fault_every:g} s"
        f" on average, seed {options.seed}), after {options.warmup:g} s of warm-up;"
        f" {result.changes / options.figures / result.seconds:.1f} changes per figure per s.\n"
    )
    print("| metric | webfig |")
    print("| --- | ---: |")
    for label, value in rows:
        print(f"| {label} | {value} |")
    for line in result.problems[:EXAMPLES]:
        progress(f"  server: {line}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--viewers", type=bounded(1, MAX_VIEWERS), default=20, help="websocket viewers")
    add("--figures", type=bounded(1, 20), default=4, help="figures served")
    add("--seconds", type=bounded(10, MAX_SECONDS, float), default=540.0, help="of faults")
    add("--warmup", type=bounded(0, 60, float), default=20.0, help="seconds before the faults")
    add("--rate", type=bounded(0.1, 20, float), default=4.0, help="changes/s per figure")
    add("--fault-every", type=bounded(0.2, 60, float), default=3.0, help="mean seconds")
    add("--sample", type=bounded(0.5, 60, float), default=5.0, help="seconds between samples")
    add("--seed", type=int, default=1, help="of the faults' random choices")
    add("--logs", type=Path, help="a directory to keep the server's log in, as webfig.log")
    options = parser.parse_args()
    options.address = "127.0.0.1"  # SceneServer's; the proxy and viewers are on loopback too
    return options


async def main() -> int:
    options = parse_arguments()
    progress(f"soak: {options.viewers} viewers of {options.figures} figures")
    result = await soak(options)
    report(result, options)
    lost = options.viewers - result.exact
    leaked = result.sockets != options.viewers
    return 1 if lost or leaked or result.problems or sum(result.tally.errors.values()) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
