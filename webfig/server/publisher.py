"""A script's side of publishing to a hub: one websocket out, every figure and viewer on it.

With ``WEBFIG_HUB`` set, the process opens no port: :class:`HubPublisher` connects out to the
hub's publishing socket (docs/hub.md), announces the run and each figure, and turns the hub's
viewers into :class:`~webfig.wire.interfaces.Viewer`\\ s of the figures, so frames, the
preview and events work through the hub as they do straight to a local server.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

import tornado.httpclient
import tornado.websocket

from ..hub import publishing
from ..hub.publishing import PublishedFigure, PublishingError, RunInfo
from ..runtime.event_loop import download_pool, server_thread
from ..runtime.log_once import ProblemLog
from ..wire.figure_changes import figure_changes
from ..wire.incoming import ProtocolError, SupportsBinary, parse_message
from ..wire.interfaces import DownloadOptions, ServedFigure
from ..wire.outgoing import Message
from ..wire.viewer_messages import deliver
from .registry import FigureRegistry

_log = logging.getLogger(__name__)

# Seconds before the first retry after a failed or lost connection, and at most between two.
FIRST_RETRY: Final = 0.5
LONGEST_RETRY: Final = 30.0
CONNECT_TIMEOUT: Final = 10.0
# Seconds a process that ends waits for its first connection to the hub to be made or fail,
# so a short script's figures reach the hub, or its one warning is printed.
EXIT_WAIT: Final = 10.0
# Seconds between looks at whether a figure changed since the hub last got its picture or
# pickle; and the least time between two of them, for a figure: at least this long, and at
# least so many times what the last one took, so keeping the hub current costs the script
# a few per cent of its time at most.
KEEP_LOOK_INTERVAL: Final = 2.0
PICTURE_INTERVAL: Final = 5.0
PICKLE_INTERVAL: Final = 30.0
COST_MULTIPLE: Final = 20.0
# Seconds between news of a figure and its announcement to the hub.
FIGURE_DELAY: Final = 0.05
# The largest message the hub may send (its viewers' messages are small).
MAX_MESSAGE_SIZE: Final = 256 * 1024


def publish_url(hub: str) -> str:
    """The publishing socket's URL for a hub at ``hub`` (``http://host:port[/prefix]``)."""
    scheme, _, rest = hub.rstrip("/").partition("://")
    socket_scheme = {"http": "ws", "https": "wss"}[scheme]
    return f"{socket_scheme}://{rest}{publishing.PUBLISH_PATH}"


def this_run() -> RunInfo:
    """Where this process runs, as the hub's pages show it."""
    return RunInfo(
        host=socket.gethostname()[: publishing.MAX_TEXT_LENGTH],
        script=(sys.argv[0] or "python")[: publishing.MAX_TEXT_LENGTH],
        argv=tuple(argument[:256] for argument in sys.argv[1 : publishing.MAX_NAMES + 1]),
        pid=os.getpid(),
        started=time.time(),
    )


@runtime_checkable
class Keepable(Protocol):
    """A figure the hub can keep after the script ends: webfig's managers."""

    def pickled(self) -> bytes: ...


@dataclass
class _Kept:
    """What the hub last got of one figure, and when it may get more."""

    picture_revision: str = ""
    pickle_revision: str = ""
    next_picture: float = 0.0
    next_pickle: float = 0.0


def figure_info(figure: ServedFigure) -> PublishedFigure:
    width, height = figure.size
    width_inches, height_inches = figure.size_inches
    return PublishedFigure(
        num=figure.number,
        label=figure.title[: publishing.MAX_LABEL_LENGTH],
        width=width,
        height=height,
        width_inches=width_inches,
        height_inches=height_inches,
        formats=dict(figure.download_formats()),
        default_format=figure.default_format,
        toolbar_kind=figure.toolbar_kind,
        closable=figure.closable,
    )


def _before_thread_pools_stop(callback: Callable[[], object]) -> None:
    """Run ``callback`` as the main thread ends, before the thread pools stop taking work
    (they do before ``atexit``'s callbacks run, and connecting needs one: Tornado resolves
    the hub's name on a pool). The standard library's own pools stop so: threading's
    private ``_register_atexit``, where there is one; else ``atexit``."""
    register = getattr(threading, "_register_atexit", atexit.register)
    register(callback)


class _Terminated(SystemExit):
    """SIGTERM, raised in the main thread so the script ends through its ``finally``
    blocks and ``atexit``, and its figures reach the hub."""


def _collect_failure(written: asyncio.Future[None]) -> None:
    if not written.cancelled() and written.exception() is not None:
        _log.debug("a message for the hub was dropped: %r", written.exception())


class RelayedViewer:
    """One of the hub's viewers of one figure, as the figure sees it: a
    :class:`~webfig.wire.interfaces.Viewer` whose messages and frames go to the hub."""

    def __init__(self, publisher: HubPublisher, viewer_id: int, figure: ServedFigure) -> None:
        self.viewer_id = viewer_id
        self.figure = figure
        self._publisher = publisher

    def send_json(self, content: Message) -> None:
        self._publisher.send(publishing.to_viewer_message(self.viewer_id, content))

    def send_binary(self, blob: bytes) -> None:
        self._publisher.send(publishing.frame(self.viewer_id, blob))

    def figure_closed(self) -> None:
        """Nothing to do: the hub hears of it in ``figure_closed`` and closes its viewers."""

    def reconnect(self) -> None:
        self._publisher.send(publishing.viewer_reconnect_message(self.viewer_id))


class HubPublisher:
    """Publishes ``figures`` to the hub at ``hub`` (``http://host:port``) with ``token``,
    from the server thread, until :meth:`stop`.

    If the hub cannot be reached or refuses the token, one warning says so, naming the hub,
    and the script goes on as if no hub were set, while the publisher tries again in the
    background, waiting longer each time (at most LONGEST_RETRY seconds): a hub restarted
    gets the run back.
    """

    def __init__(
        self,
        hub: str,
        token: str,
        figures: FigureRegistry,
        run: RunInfo,
        *,
        script: bool = True,
    ) -> None:
        """``token``: the hub's publish token; with none, nothing is published.
        ``script=False``: a hub's worker serving a kept figure, not a script: nothing to
        keep, no end to tell, and no second connection once the first one ends (see
        :meth:`wait_ended`)."""
        self.hub = hub
        self._url = publish_url(hub)
        self._token = token
        self._figures = figures
        self._run = run
        self._loop = server_thread()
        self._connection: tornado.websocket.WebSocketClientConnection | None = None
        self._announced: dict[int, PublishedFigure] = {}
        self._viewers: dict[int, RelayedViewer] = {}
        self._task: asyncio.Task[None] | None = None
        self._saves: set[asyncio.Future[None]] = set()
        self._warned = False
        self._problems = ProblemLog()
        self._first_attempt = threading.Event()
        self._kept: dict[int, _Kept] = {}
        self._keeping: asyncio.Task[None] | None = None
        self._how_ended: publishing.HowEnded = "exited"
        self._script = script
        self._ended = threading.Event()

    def start(self) -> None:
        """Start connecting, in the background; returns at once. As the process ends, the
        hub gets each figure's pickle and picture and how the script ended (within
        EXIT_WAIT seconds, a first connection's wait included)."""
        self._loop.run_sync(self._start)
        if self._script:
            _before_thread_pools_stop(self._finish)
            self._watch_the_end()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """For ``script=False``: wait until the connection ended (or could not be made)."""
        return self._ended.wait(timeout)

    def _start(self) -> None:
        if not self._token:
            _log.warning(
                "webfig: not publishing to the hub at %s: WEBFIG_HUB_TOKEN is not set (the"
                " hub printed its publish token as it started). The script goes on without it.",
                self.hub,
            )
            self._first_attempt.set()
            return
        if self._task is None:
            figure_changes.subscribe(self._figures_changed)
            self._task = asyncio.ensure_future(self._keep_connected())

    def stop(self) -> None:
        """Close the connection and stop trying."""
        self._loop.run_sync(self._stop)

    def _stop(self) -> None:
        figure_changes.unsubscribe(self._figures_changed)
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._disconnected()

    def send(self, message: str | bytes) -> None:
        """Send one message to the hub, from any thread; dropped while not connected (the
        viewers it is for are gone with the connection)."""
        self._loop.call_soon(lambda: self._write(message))

    def _write(self, message: str | bytes) -> None:
        if self._connection is None:
            return
        # A write that fails, now or later, is a connection that closed: _keep_connected sees
        # it and cleans up.
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            written = self._connection.write_message(message, binary=isinstance(message, bytes))
            written.add_done_callback(_collect_failure)

    async def _keep_connected(self) -> None:
        wait = FIRST_RETRY
        while True:
            try:
                self._connection = await self._connect()
            except Exception as error:  # whatever it was (refused, no route, closed): retry
                self._could_not_connect(error)
                self._first_attempt.set()
            else:
                wait = FIRST_RETRY
                await self._serve(self._connection)
            if not self._script:
                self._ended.set()
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, LONGEST_RETRY)

    async def _connect(self) -> tornado.websocket.WebSocketClientConnection:
        request = tornado.httpclient.HTTPRequest(
            self._url,
            headers={publishing.TOKEN_HEADER: f"{publishing.TOKEN_SCHEME} {self._token}"},
            connect_timeout=CONNECT_TIMEOUT,
            request_timeout=CONNECT_TIMEOUT,
        )
        return await tornado.websocket.websocket_connect(request, max_message_size=MAX_MESSAGE_SIZE)

    def _could_not_connect(self, error: Exception) -> None:
        if isinstance(error, tornado.httpclient.HTTPClientError) and error.code in (401, 403):
            reason = "it refused this script's WEBFIG_HUB_TOKEN"
        else:
            reason = f"cannot reach it ({error})"
        if self._warned:
            _log.debug("webfig: hub %s: %s", self.hub, reason)
            return
        self._warned = True
        _log.warning(
            "webfig: not publishing to the hub at %s: %s. The script goes on without it"
            " (its figures are not shown anywhere) and tries again in the background.",
            self.hub,
            reason,
        )

    async def _serve(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        _log.info("webfig: publishing figures to the hub at %s", self.hub)
        self._warned = False
        connection.write_message(publishing.run_message(self._run))
        self._announced.clear()
        self._kept.clear()
        self._announce_figures()
        self._first_attempt.set()
        if self._script:
            self._keeping = asyncio.ensure_future(self._keep_current())
        while (message := await connection.read_message()) is not None:
            try:
                self._received(message)
            except PublishingError as error:
                self._problems.report("hub message", f"ignored a message from the hub: {error}")
        _log.info("webfig: the connection to the hub at %s closed", self.hub)
        self._disconnected()

    def _disconnected(self) -> None:
        if self._keeping is not None:
            self._keeping.cancel()
            self._keeping = None
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        for viewer in self._viewers.values():
            viewer.figure.remove_viewer(viewer)
        self._viewers.clear()

    def _received(self, message: str | bytes) -> None:
        content = publishing.parse(message)
        kind = content["type"]
        if kind == "viewer_opened":
            self._viewer_opened(publishing.read_viewer(content), publishing.read_num(content))
        elif kind == "viewer_message":
            viewer = self._viewers.get(publishing.read_viewer(content))
            if viewer is not None:
                self._viewer_said(viewer, publishing.read_viewer_text(content))
        elif kind == "viewer_closed":
            viewer = self._viewers.pop(publishing.read_viewer(content), None)
            if viewer is not None:
                viewer.figure.remove_viewer(viewer)
        elif kind == "frame_written":
            viewer = self._viewers.get(publishing.read_viewer(content))
            if viewer is not None:
                viewer.figure.frame_written(viewer)
        elif kind == "save":
            saving = asyncio.ensure_future(self._save(*publishing.read_save(content)))
            self._saves.add(saving)
            saving.add_done_callback(self._saves.discard)
        else:
            raise PublishingError(f"unknown message type {kind[:40]!r}")

    async def _keep_current(self) -> None:
        """While connected: each figure's picture and pickle sent as it connects, and again
        once it changed, no sooner than its intervals allow (so a script killed outright
        leaves the hub its last picture)."""
        while True:
            for figure in self._figures.figures():
                await self._keep(figure, at_exit=False)
            await asyncio.sleep(KEEP_LOOK_INTERVAL)

    async def _keep(self, figure: ServedFigure, *, at_exit: bool) -> None:
        """Send ``figure``'s picture and pickle if it changed since the hub got them (and,
        but ``at_exit``, their intervals passed); a failure is logged once and skipped. On
        the event loop, written at once: in order with what follows (the end)."""
        kept = self._kept.setdefault(figure.number, _Kept())
        revision = figure.revision()
        now = time.monotonic()
        loop = asyncio.get_running_loop()
        if revision != kept.picture_revision and (at_exit or now >= kept.next_picture):
            try:
                png = await loop.run_in_executor(
                    download_pool(), figure.save, "png", DownloadOptions()
                )
            except Exception as error:
                self._problems.report("picture failed", f"no picture for the hub: {error!r}")
            else:
                self._write(publishing.picture(figure.number, png))
            kept.picture_revision = revision
            took = time.monotonic() - now
            kept.next_picture = now + max(PICTURE_INTERVAL, COST_MULTIPLE * took)
        now = time.monotonic()
        pickle_due = revision != kept.pickle_revision and (at_exit or now >= kept.next_pickle)
        if isinstance(figure, Keepable) and pickle_due:
            try:
                pickled = await loop.run_in_executor(download_pool(), figure.pickled)
            except Exception as error:
                # A figure holding something that does not pickle (a generator in an
                # artist, say): the hub keeps its picture.
                self._problems.report(
                    "pickle failed",
                    f"figure {figure.number} cannot be kept on the hub, only its picture:"
                    f" it does not pickle ({error!r})",
                )
            else:
                self._write(publishing.kept(figure.number, pickled))
            kept.pickle_revision = revision
            took = time.monotonic() - now
            kept.next_pickle = now + max(PICKLE_INTERVAL, COST_MULTIPLE * took)

    def _watch_the_end(self) -> None:
        """Learn how the script ends: an uncaught exception (sys.excepthook), or SIGTERM,
        which Python's default lets kill the process before anything is sent: it is made
        to end the script as Ctrl+C does (unless the script handles SIGTERM itself)."""
        previous_hook = sys.excepthook

        def excepthook(kind: type[BaseException], error: BaseException, tb: Any) -> None:
            self._how_ended = "signal" if issubclass(kind, KeyboardInterrupt) else "exception"
            previous_hook(kind, error, tb)

        sys.excepthook = excepthook

        def terminate(signum: int, frame: object) -> None:
            self._how_ended = "signal"
            raise _Terminated(128 + signum)

        in_main_thread = threading.current_thread() is threading.main_thread()
        if in_main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, terminate)

    def _finish(self) -> None:
        """As the process ends, on its main thread: wait for the first connection, then send
        each figure's pickle and picture, and how the script ended; EXIT_WAIT seconds in all.
        """
        deadline = time.monotonic() + EXIT_WAIT
        self._first_attempt.wait(EXIT_WAIT)
        if self._connection is None:
            return
        sending = asyncio.run_coroutine_threadsafe(self._send_the_end(), self._loop.loop)
        try:
            sending.result(timeout=max(0.1, deadline - time.monotonic()))
        except Exception as error:
            _log.warning("webfig: the hub at %s may have missed the end: %r", self.hub, error)

    async def _send_the_end(self) -> None:
        for figure in self._figures.figures():
            await self._keep(figure, at_exit=True)
        self._write(publishing.end_message(self._how_ended))
        # Sent once the connection took it all: a clean close after the last message.
        connection = self._connection
        if connection is not None:
            connection.close()

    async def _save(self, request: int, num: int, fmt: str, options: DownloadOptions) -> None:
        """Save a figure for a download on the hub, off the event loop (a save blocks), and
        send the file back; or say why not, in a line that names no file or setting."""
        figure = self._figures.get(num)
        if figure is None or fmt not in figure.download_formats():
            self.send(publishing.save_failed_message(request, f"no figure {num} to save as {fmt}"))
            return
        try:
            content = await asyncio.get_running_loop().run_in_executor(
                download_pool(), figure.save, fmt, options
            )
        except Exception as error:
            self._problems.report(
                f"save {fmt} failed", f"saving figure {num} as {fmt} failed: {error!r}"
            )
            self.send(publishing.save_failed_message(request, f"saving as {fmt} failed"))
        else:
            self.send(publishing.saved_file(request, content))

    def _viewer_opened(self, viewer_id: int, num: int) -> None:
        figure = self._figures.get(num)
        if figure is None or viewer_id in self._viewers:
            self.send(publishing.viewer_closed_message(viewer_id))
            return
        viewer = RelayedViewer(self, viewer_id, figure)
        self._viewers[viewer_id] = viewer
        figure.add_viewer(viewer)

    def _viewer_said(self, viewer: RelayedViewer, text: str) -> None:
        try:
            parsed = parse_message(text)
        except ProtocolError as error:
            self._problems.report(error.kind, f"ignored a message from the hub: {error}")
            return
        if isinstance(parsed, SupportsBinary):
            return  # the hub's business: it talks to the browser
        figure = viewer.figure
        deliver(
            figure, parsed, self._problems.report, lambda: figure.handle_message(viewer, parsed)
        )

    def _figures_changed(self) -> None:
        # A moment later: pyplot registers a new figure just after its manager announces it.
        self._loop.call_soon(
            lambda: asyncio.get_running_loop().call_later(FIGURE_DELAY, self._announce_figures)
        )

    def _announce_figures(self) -> None:
        """Tell the hub of every figure that appeared or changed, and every one that closed."""
        if self._connection is None:
            return
        current = {figure.number: figure_info(figure) for figure in self._figures.figures()}
        for num, info in current.items():
            if self._announced.get(num) != info:
                self._write(publishing.figure_message(info))
        for num in self._announced.keys() - current.keys():
            self._write(publishing.figure_closed_message(num))
        self._announced = current
        for viewer_id, viewer in list(self._viewers.items()):
            if viewer.figure.number not in current:
                del self._viewers[viewer_id]
