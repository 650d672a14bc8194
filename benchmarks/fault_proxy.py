"""A websocket proxy that injects faults, for the soak run (benchmarks/soak.py).

It forwards loopback TCP connections to a server and, on command, does to one connection
what real networks and clients do:

- ``cut``: both ends reset at once (a server restart, a proxy's idle timeout);
- ``silence``: nothing more is carried either way and nothing is closed (a laptop asleep,
  Wi-Fi roaming, a NAT that forgot the connection); closes are swallowed too;
- ``stall``: the client stops reading for a while (a frozen tab, a saturated uplink): what
  the server sends piles up in the proxy's and the kernel's buffers, then flows again;
- ``malformed``: websocket messages no client should send are slipped into what the client
  sends, between its own messages (the proxy parses the client's frames to find their
  boundaries), some that the server must refuse and carry on, some that break the
  websocket protocol itself, after which the server must close the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import struct
from dataclasses import dataclass, field
from typing import Final

CHUNK: Final = 65536
HANDSHAKE_END: Final = b"\r\n\r\n"
OPCODE_TEXT: Final = 0x1
OPCODE_BINARY: Final = 0x2
OPCODE_RESERVED: Final = 0x3  # no websocket opcode: the server must fail the connection

# Messages a server must refuse and carry on after: text that is no JSON, JSON of the wrong
# shape, known types with fields of the wrong type or out of range, unknown types, bytes.
REFUSED: Final[tuple[tuple[int, bytes], ...]] = (
    (OPCODE_TEXT, b'{"type": "button_press", "x": '),
    (OPCODE_TEXT, b"[1, 2, 3]"),
    (OPCODE_TEXT, b'"refresh"'),
    (OPCODE_TEXT, b'{"type": "no_such_message"}'),
    (OPCODE_TEXT, b'{"kind": "refresh"}'),
    (OPCODE_TEXT, b'{"type": "motion_notify", "x": "left", "y": null, "button": 0}'),
    (OPCODE_TEXT, b'{"type": "resize", "width": -1, "height": 1e999}'),
    (OPCODE_TEXT, b'{"type": "set_device_pixel_ratio", "device_pixel_ratio": "two"}'),
    (OPCODE_TEXT, b'{"type": "key_press", "key": "' + b"x" * 5000 + b'"}'),
    (OPCODE_TEXT, b'{"type": "toolbar_button", "name": "__init__"}'),
    (OPCODE_TEXT, b'{"type": "trigger_tool", "name": "no such tool"}'),
    (OPCODE_TEXT, b'{"type": "subplots_adjust", "left": 0.9, "right": 0.1}'),
    (OPCODE_TEXT, b'{"type": "webfig_hello", "protocol": 999, "extensions": 5}'),
    (OPCODE_BINARY, bytes(range(256)) * 4),
)
# Frames that break the websocket protocol, or webfig's limit on a message's size (64 kB):
# the server closes the connection.
BREAKING: Final[tuple[tuple[int, bytes], ...]] = (
    (OPCODE_TEXT, b'\xff\xfe{"type": "refresh"}'),  # text that is not UTF-8
    (OPCODE_RESERVED, b"?"),
    (OPCODE_TEXT, b'{"type": "ack", "padding": "' + b"y" * 200_000 + b'"}'),
)


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked websocket frame, as a client must send it (RFC 6455, 5.2)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return header + mask + masked


async def read_client_frame(reader: asyncio.StreamReader) -> bytes:
    """The next whole websocket frame a client sent, as raw bytes."""
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    extra = b""
    if length == 126:
        extra = await reader.readexactly(2)
        length = struct.unpack("!H", extra)[0]
    elif length == 127:
        extra = await reader.readexactly(8)
        length = struct.unpack("!Q", extra)[0]
    mask = await reader.readexactly(4) if head[1] & 0x80 else b""
    return head + extra + mask + await reader.readexactly(length)


@dataclass(eq=False)
class Link:
    """One proxied connection."""

    number: int
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    server: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    # The websocket handshake went through: messages flow and faults make sense.
    upgraded: bool = False
    silent: bool = False
    reading: asyncio.Event = field(default_factory=asyncio.Event)  # clear while stalled
    faults: list[str] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reading.set()

    @property
    def faulty(self) -> bool:
        return bool(self.faults)

    def abort(self) -> None:
        self.reading.set()  # a stalled pump, too, is to find the link gone
        for _, writer in (self.client, self.server):
            writer.transport.abort()


class FaultProxy:
    """Forwards ``127.0.0.1:port`` to ``127.0.0.1:target_port``; an async context manager.

    ``on_link(peer_port, link)`` is told of each new connection, by the client's own port,
    so the caller can tell which of its viewers a link carries.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.links: dict[int, Link] = {}  # by the client's port
        self._server: asyncio.Server | None = None
        self._count = 0

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        links = list(self.links.values())
        for link in links:
            link.abort()  # its pumps end on their own
        await asyncio.gather(*(task for link in links for task in link.tasks))
        await self._server.wait_closed()

    def open_links(self) -> list[Link]:
        """The links faults can be done to: upgraded, and not silenced or stalled already."""
        return [
            link
            for link in self.links.values()
            if link.upgraded and not link.silent and link.reading.is_set()
        ]

    # Faults

    def cut(self, link: Link) -> None:
        link.faults.append("cut")
        link.abort()

    def silence(self, link: Link) -> None:
        link.faults.append("silence")
        link.silent = True

    def stall(self, link: Link, seconds: float) -> None:
        """The client reads nothing for ``seconds``."""
        link.faults.append("stall")
        link.reading.clear()
        asyncio.get_running_loop().call_later(seconds, link.reading.set)

    def malformed(
        self, link: Link, count: int, rng: random.Random, breaking: float
    ) -> tuple[int, bool]:
        """Slip ``count`` refused messages into what the client sends, and with probability
        ``breaking`` one that breaks the protocol after them: how many were sent, and
        whether the last broke the protocol."""
        link.faults.append("malformed")
        frames = [rng.choice(REFUSED) for _ in range(count)]
        breaks = rng.random() < breaking
        if breaks:
            frames.append(rng.choice(BREAKING))
        writer = link.server[1]
        # Written whole between two of the client's frames: the client side's pump writes
        # each of its frames in one call, so nothing interleaves within a frame.
        for opcode, payload in frames:
            writer.write(client_frame(opcode, payload))
        return len(frames), breaks

    # Forwarding

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_port = writer.get_extra_info("peername")[1]
        try:
            server = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._count += 1
        link = Link(self._count, (reader, writer), server)
        self.links[peer_port] = link
        link.tasks = [
            asyncio.create_task(self._upstream(link)),
            asyncio.create_task(self._downstream(link)),
        ]
        try:
            await asyncio.gather(*link.tasks, return_exceptions=True)
        finally:
            link.abort()
            self.links.pop(peer_port, None)

    async def _upstream(self, link: Link) -> None:
        """Client to server: the handshake, then frame by frame."""
        reader, _ = link.client
        _, writer = link.server
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.write(await reader.readuntil(HANDSHAKE_END))
            while True:
                frame = await read_client_frame(reader)
                if not link.silent:
                    writer.write(frame)
                    await writer.drain()
        self._ended(link, towards_server=True)

    async def _downstream(self, link: Link) -> None:
        """Server to client, as bytes; the first of them end the handshake."""
        reader, _ = link.server
        _, writer = link.client
        with contextlib.suppress(OSError):
            while data := await reader.read(CHUNK):
                link.upgraded = True
                await link.reading.wait()
                if not link.silent:
                    writer.write(data)
                    await writer.drain()
        self._ended(link, towards_server=False)

    def _ended(self, link: Link, *, towards_server: bool) -> None:
        """One side stopped sending: close the other, unless the path is silent (a dead path
        carries no close either; the other side must find out for itself, and its own pump,
        still swallowing, ends when it gives up)."""
        if not link.silent:
            _, writer = link.server if towards_server else link.client
            writer.close()
