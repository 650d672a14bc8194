"""The websockets: ``/ws`` lists the figures, ``/<num>/ws`` is one viewer of one figure."""

from __future__ import annotations

import base64
import json
import logging
from asyncio import Future
from collections.abc import Callable
from typing import Any, Final

import tornado.websocket
from tornado.ioloop import IOLoop, PeriodicCallback

from ...runtime.log_once import ProblemLog
from ...wire import outgoing
from ...wire.extensions import HEARTBEAT
from ...wire.figure_changes import figure_changes
from ...wire.incoming import ClientMessage, Hello, ProtocolError, SupportsBinary, parse_message
from ...wire.interfaces import ServedFigure
from ...wire.outgoing import Message
from ...wire.viewer_messages import deliver
from ..access import Access
from ..registry import FigureRegistry
from .backlog import Backlog
from .guard import Guarded, log_request

_log = logging.getLogger(__name__)

# The close code that tells a viewer its figure is gone (no point reconnecting).
FIGURE_CLOSED: Final = 4000
# The close code that tells every viewer the server is stopping (the script ended): webfig's
# client says so and keeps trying, quietly, in case the script runs again on the same port.
SERVER_STOPPED: Final = 4001
# The close code that asks a viewer to connect again at once (the standard "service restart"):
# its figure is served otherwise now.
SERVED_ANEW: Final = 1012
# The close code for a viewer that fell too far behind (webfig's client reconnects).
FELL_BEHIND: Final = 4008
# Seconds the figure list waits after a change, so a burst of changes makes one message.
FIGURE_LIST_DELAY: Final = 0.05
# Seconds between heartbeats to a viewer that negotiated them.
HEARTBEAT_INTERVAL: Final = 5.0


class OpenSockets:
    """The websockets open through one set of figure routes, so their server can close them.

    (Tornado's HTTPServer forgets a connection once it is upgraded to a websocket.)
    """

    def __init__(self) -> None:
        self._sockets: set[_Socket] = set()

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: _Socket) -> None:
        self._sockets.add(socket)

    def discard(self, socket: _Socket) -> None:
        self._sockets.discard(socket)

    def close_all(self, reason: str) -> None:
        """Close every socket because the server stops: with SERVER_STOPPED rather than the
        generic 1001 ("going away"), which a proxy in between may send too while the script
        runs on."""
        for socket in list(self._sockets):
            socket.close(SERVER_STOPPED, reason)


def _ignore_closed(written: Future[None]) -> None:
    """Collect a failed write's error: a viewer that left is not a problem to report."""
    if not written.cancelled() and written.exception() is not None:
        _log.debug("a frame for a viewer that left was dropped: %r", written.exception())


class _Socket(Guarded, tornado.websocket.WebSocketHandler):
    """What both of webfig's websockets share: access rules, the origin check, the
    registry of open sockets, and sends that may come from any thread."""

    def initialize(
        self,
        figures: FigureRegistry,
        prefix: str = "",
        access: Access | None = None,
        sockets: OpenSockets | None = None,
        problems: ProblemLog | None = None,
    ) -> None:
        self.figures = figures
        self.access = access or Access()
        self.sockets = sockets
        self.problems = problems or ProblemLog()
        self._loop = IOLoop.current()
        self._backlog = Backlog()

    def keep_token(self, token: str) -> None:
        """Nothing to keep: the page that opened the socket has the cookie already."""

    def check_origin(self, origin: str) -> bool:
        """Accept a page from this server's own origin, or from an allowed one.

        Security: without this a page on any site could open a socket and drive or watch
        figures (browsers do not apply the same-origin policy to websockets). The server's
        own origin is the ``Host`` the request came to, or the ``X-Forwarded-Host`` a
        reverse proxy set; a hostile page cannot forge either header in a browser.
        """
        hosts = [self.request.host, *self.request.headers.get("X-Forwarded-Host", "").split(",")]
        if self.access.origin_allowed(origin, hosts):
            return True
        self.refusal = f"refused a websocket from origin {origin!r}"
        if self.settings.get("log_function") is not log_request:
            self._report("refused origin", self.refusal)  # else the access line says it
        return False

    def open(self, *args: str, **kwargs: str) -> None:
        self.set_nodelay(True)
        if self.sockets is not None:
            self.sockets.add(self)

    def on_close(self) -> None:
        if self.sockets is not None:
            self.sockets.discard(self)

    def _report(self, kind: str, problem: str, *, exc_info: bool = False) -> None:
        """Log a problem: the first of its ``kind`` as a warning, the rest quietly."""
        self.problems.report(kind, f"{self.request.remote_ip}: {problem}", exc_info=exc_info)

    def _send(
        self,
        message: str | bytes,
        *,
        binary: bool = False,
        kind: str | None = None,
        on_written: Callable[[Future[None]], None] | None = None,
    ) -> None:
        """Send from any thread; ``kind``: a JSON message's type."""
        self._loop.add_callback(self._write, message, binary, kind, on_written)

    def _write(
        self,
        message: str | bytes,
        binary: bool,
        kind: str | None,
        on_written: Callable[[Future[None]], None] | None,
    ) -> None:
        verdict = self._backlog.admit(kind, message)
        if verdict == "hold":
            return
        if verdict == "overflow":
            self._fell_behind()
            return
        try:
            written = self.write_message(message, binary=binary)
        except tornado.websocket.WebSocketClosedError:
            return  # the viewer left; on_close cleans up
        # The write may also fail later, when the viewer leaves while it is under way.
        written.add_done_callback(_ignore_closed)
        size = len(message)
        written.add_done_callback(lambda _: self._sent(size))
        if on_written is not None:
            written.add_done_callback(on_written)

    def _sent(self, size: int) -> None:
        for held in self._backlog.sent(size):
            self._write(held, False, None, None)

    def _fell_behind(self) -> None:
        """More than MAX_UNSENT_BYTES waiting for a viewer that does not read: close it (it
        reconnects once it reads again, and starts afresh)."""
        self._report(
            "fell behind",
            f"closed a viewer {self._backlog.unsent} bytes behind (it stopped reading)",
        )
        self.close(FELL_BEHIND, "too far behind")


class FigureList(_Socket):
    """``/ws``: the numbers and labels of the open figures, sent again whenever they change
    (:func:`webfig.wire.outgoing.figure_list`). The socket takes no messages."""

    def open(self, *args: str, **kwargs: str) -> None:
        super().open(*args, **kwargs)
        self._last_sent: Message | None = None
        self._pending: object | None = None
        figure_changes.subscribe(self._changed)
        self._send_list()

    def on_close(self) -> None:
        super().on_close()
        figure_changes.unsubscribe(self._changed)
        if self._pending is not None:
            self._loop.remove_timeout(self._pending)

    def on_message(self, message: str | bytes) -> None:
        self._report("list message", "the figure list socket takes no messages")

    def _changed(self) -> None:
        self._loop.add_callback(self._schedule)

    def _schedule(self) -> None:
        # A short wait: pyplot registers a new figure just after its manager announces it,
        # and a script that opens ten figures should cost one message.
        if self._pending is None:
            self._pending = self._loop.call_later(FIGURE_LIST_DELAY, self._send_list)

    def _send_list(self) -> None:
        self._pending = None
        listed = outgoing.figure_list(
            (figure.number, figure.title) for figure in self.figures.figures()
        )
        if listed != self._last_sent:
            self._last_sent = listed
            self._send(json.dumps(listed))


class WebSocket(_Socket):
    """``/<num>/ws``: one viewer's connection to one figure.

    This handler is the transport behind the :class:`~webfig.wire.interfaces.Viewer` interface: it
    turns text messages into checked protocol messages for the figure, and the figure's
    ``send_json``/``send_binary`` calls into websocket messages.
    """

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.figure: ServedFigure | None = None
        self.supports_binary = True
        self._heartbeat: PeriodicCallback | None = None

    def open(self, *args: str, **kwargs: str) -> None:
        """Serve the figure; one that does not exist closes the socket at once with
        FIGURE_CLOSED, saying so.

        Not a 404 to the upgrade: a page sees only that the socket failed, and retries. A tab
        left open while the script ran again with fewer figures would retry for ever, each
        time a warning in the script's terminal; told its figure is gone, it stops.
        """
        num = int(args[0])
        self.figure = self.figures.get(num)
        if self.figure is None:
            self.close(FIGURE_CLOSED, f"there is no figure {num}")
            return
        super().open(*args, **kwargs)
        self.figure.add_viewer(self)

    def on_close(self) -> None:
        super().on_close()
        if self._heartbeat is not None:
            self._heartbeat.stop()
        if self.figure is not None:
            self.figure.remove_viewer(self)

    def _beat(self) -> None:
        """A heartbeat, so a client that hears nothing for a while knows the path died (its
        browser answers the server's pings, but a page cannot see them)."""
        self.send_json(outgoing.heartbeat(HEARTBEAT_INTERVAL))

    def on_message(self, message: str | bytes) -> None:
        try:
            parsed = parse_message(message)
        except ProtocolError as error:
            self._report(error.kind, f"ignored a message: {error}")
            return
        heartbeat = isinstance(parsed, Hello) and HEARTBEAT in parsed.extensions
        if heartbeat and self._heartbeat is None:
            self._heartbeat = PeriodicCallback(self._beat, HEARTBEAT_INTERVAL * 1000)
            self._heartbeat.start()
            self._beat()  # the first at once: the client watches from then on
        if isinstance(parsed, SupportsBinary):
            self.supports_binary = parsed.value
        elif self.figure is not None:
            deliver(self.figure, parsed, self._report, lambda: self._handle(parsed, message))

    def _handle(self, parsed: ClientMessage, text: str | bytes) -> None:
        """Hand the figure one message that passed :func:`deliver`'s rules (``text``, as it
        came)."""
        assert self.figure is not None
        self.figure.handle_message(self, parsed)

    # The Viewer interface

    def send_json(self, content: Message) -> None:
        kind = content.get("type")
        self._send(json.dumps(content), kind=kind if isinstance(kind, str) else None)

    def send_binary(self, blob: bytes) -> None:
        if self.supports_binary:
            self._send(blob, binary=True, on_written=self._frame_written)
        else:
            text = "data:image/png;base64," + base64.b64encode(blob).decode()
            self._send(text, on_written=self._frame_written)

    def _frame_written(self, written: Future[None]) -> None:
        """A frame went out to the network (the kernel took it): what flow control goes by
        for a client that never acknowledges."""
        if self.figure is not None and not written.cancelled() and written.exception() is None:
            self.figure.frame_written(self)

    def figure_closed(self) -> None:
        # After the messages already queued, so the viewer gets them before the close.
        self._loop.add_callback(self.close, FIGURE_CLOSED, "figure closed")

    def reconnect(self) -> None:
        # Any code but FIGURE_CLOSED and SERVER_STOPPED: webfig's client is back at once.
        self._loop.add_callback(self.close, SERVED_ANEW, "the figure is served anew")
