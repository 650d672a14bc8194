"""A slow network link for the benchmarks: a TCP proxy on the loopback interface that gives
every connection through it a limited bandwidth and a delay, each way.

    async with SlowLink(server_port, rate=10e6, delay=0.025) as link:
        page_url = f"http://127.0.0.1:{link.port}/"

Each direction is one link that all connections share, as they would share a real one: bytes
leave one after another at ``rate`` bits per second (a serialising queue), then arrive
``delay`` seconds later, in order. ``link.down.bytes`` and ``link.up.bytes`` count what
arrived at the client and at the server.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

SEGMENT = 4096  # bytes sent as one piece: 3.3 ms at 10 Mbit/s
# Bytes one connection may hold in one direction before it stops reading (TCP then holds
# the sender back, as a full queue on a real link would): the delay line at full rate and
# some 150 ms of queue.
QUEUE_LIMIT = 256 * 1024


class Direction:
    """One direction of the link: a queue that sends bytes at ``rate``, and a delay line."""

    def __init__(self, rate: float, delay: float) -> None:
        self.seconds_per_byte = 8 / rate
        self.delay = delay
        self.free_at = 0.0  # when the bytes queued so far will all have left
        self.bytes = 0  # bytes delivered

    def arrival(self, size: int) -> float:
        """When ``size`` bytes handed to the link now arrive at the far end (loop time)."""
        now = asyncio.get_running_loop().time()
        self.free_at = max(self.free_at, now) + size * self.seconds_per_byte
        return self.free_at + self.delay


class SlowLink:
    """The proxy: ``port`` on 127.0.0.1 forwards to ``target_port`` over the slow link."""

    def __init__(self, target_port: int, rate: float = 10e6, delay: float = 0.025) -> None:
        self.target_port = target_port
        self.up = Direction(rate, delay)  # client to server
        self.down = Direction(rate, delay)  # server to client
        self.port = 0
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> SlowLink:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        # Closed sockets end the connections' reads; (cancelling the tasks instead would make
        # Python 3.11's start_server log an error for each).
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _accepted(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        writers = [client_writer]
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
            writers.append(server_writer)
            self._writers.add(server_writer)
            await asyncio.gather(
                _forward(client_reader, server_writer, self.up),
                _forward(server_reader, client_writer, self.down),
            )
        except OSError:
            pass  # one end went away (or never came): the other goes too
        finally:
            for writer in writers:
                writer.close()
                self._writers.discard(writer)
            self._connections.discard(task)


async def _forward(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: Direction
) -> None:
    """Copy ``reader`` to ``writer`` through ``direction`` until the end, then pass the end on.
    (Each piece is written by a timer at its arrival; arrivals on one direction only ever grow,
    so the pieces keep their order.)"""
    loop = asyncio.get_running_loop()
    held = 0  # bytes read and not yet delivered
    delivered = asyncio.Event()

    def deliver(data: bytes) -> None:
        nonlocal held
        if not writer.is_closing():
            writer.write(data)
            direction.bytes += len(data)
        held -= len(data)
        delivered.set()

    async def held_at_most(limit: int) -> None:
        while held > limit:
            delivered.clear()
            await delivered.wait()

    while data := await reader.read(SEGMENT):
        await held_at_most(QUEUE_LIMIT - len(data))
        held += len(data)
        loop.call_at(direction.arrival(len(data)), deliver, data)
    await held_at_most(0)
    if writer.can_write_eof():
        writer.write_eof()
