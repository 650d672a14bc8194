"""Fixtures: a webfig server on a free port, websocket clients closed at teardown, Redis and
memcached servers of the tests' own, and frame delivery timed by a clock the test moves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("webfig")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from webfig.config import Settings
from webfig.frames.delivery import FrameDelivery
from webfig.runtime.event_loop import encoder_pool, server_thread
from webfig.server import FigureServer
from webfig.server.registry import FigureRegistry

from .fake_clock import Clock
from .processes import Hub, Script, Visit
from .servers import Servers
from .waiting import TIMEOUT


@pytest.fixture(autouse=True)
def _no_browser_tabs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test opens a browser tab or leaves a figure behind."""
    monkeypatch.setenv("WEBFIG_OPEN_BROWSER", "0")
    yield
    plt.close("all")


@pytest.fixture
def figure() -> Figure:
    """A 400 × 300 px figure with a thick line and fixed limits: figure 1 of pyplot."""
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1, 2], [0, 1, 0], lw=3)
    ax.set(xlim=(0, 2), ylim=(0, 1))
    return fig


@pytest.fixture
def make_server() -> Iterator[Callable[..., FigureServer]]:
    """A factory of running figure servers on free loopback ports, stopped at teardown.

    Their token is off (``token=""``) unless a test gives one (None: a random one, webfig's
    default), so that tests of everything else can talk to them as any client would.
    """
    servers: list[FigureServer] = []

    def make(
        prefix: str = "",
        figures: FigureRegistry | None = None,
        *,
        port: int = 0,
        token: str | None = "",
    ) -> FigureServer:
        """``port`` 0 is any free port; another one is for a server started again on it."""
        settings = Settings(
            port=port, address="127.0.0.1", open_browser=False, url_prefix=prefix, token=token
        )
        server = FigureServer(settings, figures)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    """Starts redis-server and memcached processes (``servers.start("redis")``); stops them
    at teardown."""
    started = Servers(tmp_path)
    yield started
    started.stop_all()


@pytest.fixture
def server(make_server: Callable[..., FigureServer]) -> FigureServer:
    return make_server()


def _is_frame(message: str | bytes) -> bool:
    return isinstance(message, bytes) or message.startswith("data:image/png;base64,")


class WsClient:
    """A blocking websocket client for tests, on an event loop of its own."""

    def __init__(
        self, url: str, *, acknowledge: bool = True, headers: dict[str, str] | None = None
    ) -> None:
        self.url = url
        # Acknowledge each frame on receipt, as WebAgg's client does; False models a stall.
        self.acknowledge = acknowledge
        self._loop = asyncio.new_event_loop()
        self._connection: WebSocketClientConnection = self._run(self._connect(headers or {}))
        # Messages read while waiting for another one, in order.
        self.received: list[str | bytes] = []
        self._syncs = 0

    async def _connect(self, headers: dict[str, str]) -> WebSocketClientConnection:
        return await websocket_connect(HTTPRequest(self.url, headers=headers))

    def _run(self, awaitable: Any, timeout: float = TIMEOUT) -> Any:
        return self._loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def send(self, type: str, **fields: Any) -> None:
        self.send_raw(json.dumps({"type": type, "figure_id": 1, **fields}))

    def send_raw(self, text: str | bytes) -> None:
        async def write() -> None:
            await self._connection.write_message(text, binary=isinstance(text, bytes))

        self._run(write())

    def receive(self, timeout: float = TIMEOUT) -> str | bytes:
        async def read() -> str | bytes | None:
            return await self._connection.read_message()

        message = self._run(read(), timeout)
        if message is None:
            raise ConnectionError(f"the server closed {self.url}")
        self.received.append(message)
        if self.acknowledge and _is_frame(message):
            self.send("ack")
        return message

    def receive_until(
        self, predicate: Callable[[str | bytes], bool], timeout: float = TIMEOUT
    ) -> str | bytes:
        """Read until a message matches ``predicate``; the messages before stay in ``received``."""
        deadline = self._loop.time() + timeout
        while True:
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                raise TimeoutError(f"no matching message within {timeout} s: {self.summary()}")
            message = self.receive(remaining)
            if predicate(message):
                return message

    def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        """Read messages until ``condition`` holds (it may hold already)."""
        if not condition():
            self.receive_until(lambda _: condition(), timeout)

    def wait_closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str | None]:
        """Read until the server closes the socket; its close code and reason."""
        with pytest.raises(ConnectionError):
            self.receive_until(lambda _: False, timeout)
        return self._connection.close_code, self._connection.close_reason

    def frames(self) -> list[bytes]:
        return [m for m in self.received if isinstance(m, bytes)]

    def summary(self) -> list[object]:
        return [f"<frame of {len(m)} bytes>" if isinstance(m, bytes) else m for m in self.received]

    def receive_json(self, type: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Read until a JSON message of ``type`` arrives, and return it."""
        message = self.receive_until(
            lambda m: isinstance(m, str) and json.loads(m).get("type") == type, timeout
        )
        assert isinstance(message, str)
        result: dict[str, Any] = json.loads(message)
        return result

    def receive_frame(self, timeout: float = TIMEOUT) -> bytes:
        """Read until a binary frame arrives, and return it."""
        frame = self.receive_until(lambda m: isinstance(m, bytes), timeout)
        assert isinstance(frame, bytes)
        return frame

    def sync(self) -> None:
        """Wait until the server has handled everything sent so far (messages keep order).

        Only ``webfig_hello`` gets an answer of its own kind, so the n-th sync waits for the
        n-th ``webfig_welcome``.
        """
        self._syncs += 1
        self.send("webfig_hello", protocol=1, extensions=[])
        self.wait_until(
            lambda: (
                sum('"webfig_welcome"' in m for m in self.received if isinstance(m, str))
                == self._syncs
            )
        )

    def json_messages(self) -> list[dict[str, Any]]:
        return [json.loads(m) for m in self.received if isinstance(m, str)]

    def close(self) -> None:
        if self._loop.is_closed():
            return  # closed by the test already

        async def close() -> None:
            self._connection.close()
            await asyncio.sleep(0)  # lets the close handshake go out before the loop goes away

        try:
            self._loop.run_until_complete(close())
        finally:
            self._loop.close()


@pytest.fixture
def connect() -> Iterator[Callable[..., WsClient]]:
    """A factory of websocket clients to a server's figure, closed at teardown."""
    clients: list[WsClient] = []

    def open_client(
        server: FigureServer | Visit | str,
        num: int,
        *,
        handshake: bool = True,
        prefix: str | None = None,
        acknowledge: bool = True,
    ) -> WsClient:
        """A viewer of figure ``num`` on ``server``: a FigureServer, the base URL another
        process printed (with no token), or a :class:`Visit` of it (with its cookie, as a
        browser's page connects)."""
        headers = {}
        if isinstance(server, Visit):
            headers["Cookie"] = server.cookie
            server = server.base
        if isinstance(server, str):
            url = f"{server.replace('http', 'ws', 1)}{num}/ws"
        else:
            prefix = server.settings.url_prefix if prefix is None else prefix
            url = f"ws://127.0.0.1:{server.port}{prefix}/{num}/ws"
        client = WsClient(url, acknowledge=acknowledge, headers=headers)
        clients.append(client)
        if handshake:
            client.send("supports_binary", value=True)
            client.send("send_image_mode")
            client.send("set_device_pixel_ratio", device_pixel_ratio=1)
            client.send("refresh")
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def delivery(clock: Clock) -> Iterator[FrameDelivery]:
    """Frame delivery on the server's loop, timed by ``clock``; cleared at teardown."""
    delivery = FrameDelivery(server_thread().loop, encoder_pool(), clock=clock)
    yield delivery
    server_thread().run_sync(delivery.clear)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    """A hub process (``python -m webfig serve``) keeping figures in ``tmp_path/"hub"``,
    stopped at teardown."""
    hub = Hub(tmp_path / "hub")
    yield hub
    hub.stop()


@pytest.fixture
def scripts() -> Iterator[Callable[[Script], Script]]:
    """Keeps scripts to stop at teardown: ``keep(script)`` returns it."""
    kept: list[Script] = []

    def keep(script: Script) -> Script:
        kept.append(script)
        return script

    yield keep
    for script in kept:
        script.stop()
