"""The hub's server: webfig's pages for the figures scripts publish to it, and the
publishing socket they publish on (docs/hub.md).

A published figure is a :class:`RemoteFigure`, a
:class:`~webfig.wire.interfaces.ServedFigure` like any other to the pages and handlers; what
its viewers say goes to the publishing script, what the script sends goes to them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hmac
import itertools
import logging
import threading
from collections.abc import Mapping
from typing import Any, Final, Literal

import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop

from ..hub import publishing
from ..hub.publishing import FigureInfo, PublishingError, RunInfo
from ..runtime.log_once import ProblemLog
from ..wire.figure_changes import figure_changes
from ..wire.incoming import ClientMessage
from ..wire.interfaces import DownloadOptions, ServedFigure, Viewer
from .access import Access
from .handlers import OpenSockets, WebSocket
from .handlers.guard import Guarded, log_request
from .handlers.pages import NotFound
from .routes import figure_routes, websocket_settings

_log = logging.getLogger(__name__)

# The largest message a publisher may send: a frame of a big figure, or a saved file.
MAX_PUBLISHED_MESSAGE: Final = 256 * 1024 * 1024
# Seconds a download waits for the publishing script to save the figure.
SAVE_WAIT: Final = 120.0


class SaveFailed(Exception):
    """The publishing script could not save the figure, or is gone."""


class RemoteFigure:
    """One figure a script publishes, as the hub serves it: its page from what the script
    announced, its viewers relayed to the script."""

    def __init__(self, number: int, info: FigureInfo, publisher: PublishSocket) -> None:
        self._number = number
        self.info = info
        self.publisher = publisher
        self._viewers: dict[int, Viewer] = {}
        self._ids: dict[Viewer, int] = {}
        self._revision = 0

    @property
    def number(self) -> int:
        return self._number

    @property
    def title(self) -> str:
        return self.info.label

    @property
    def closable(self) -> bool:
        return self.info.closable

    @property
    def toolbar_kind(self) -> Literal["toolbar2", "toolmanager"] | None:
        return self.info.toolbar_kind

    def has_tool(self, name: str) -> bool:
        """A ToolManager's tools pass here; the script checks them against its toolbar."""
        return self.info.toolbar_kind == "toolmanager"

    @property
    def size(self) -> tuple[float, float]:
        return self.info.width, self.info.height

    @property
    def size_inches(self) -> tuple[float, float]:
        return self.info.width_inches, self.info.height_inches

    @property
    def default_format(self) -> str:
        return self.info.default_format

    def download_formats(self) -> Mapping[str, str]:
        return self.info.formats

    def revision(self) -> str:
        # The hub does not know when the figure changed: every frame may be a change.
        return f"hub-{self._number}-{self._revision}"

    def add_viewer(self, viewer: Viewer) -> None:
        viewer_id = self.publisher.new_viewer(self)
        self._viewers[viewer_id] = viewer
        self._ids[viewer] = viewer_id
        self.publisher.send(publishing.viewer_opened_message(viewer_id, self.info.num))

    def remove_viewer(self, viewer: Viewer) -> None:
        viewer_id = self._ids.pop(viewer, None)
        if viewer_id is not None:
            del self._viewers[viewer_id]
            self.publisher.forget_viewer(viewer_id)
            self.publisher.send(publishing.viewer_closed_message(viewer_id))

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        raise TypeError("a published figure takes its viewers' messages as text (relay)")

    def relay(self, viewer: Viewer, text: str) -> None:
        """Pass one of ``viewer``'s messages, checked already, to the script."""
        viewer_id = self._ids.get(viewer)
        if viewer_id is not None:
            self.publisher.send(publishing.viewer_message(viewer_id, text))

    def frame_written(self, viewer: Viewer) -> None:
        viewer_id = self._ids.get(viewer)
        if viewer_id is not None:
            self.publisher.send(publishing.frame_written_message(viewer_id))

    def to_viewer(self, viewer_id: int, content: dict[str, Any]) -> None:
        if (viewer := self._viewers.get(viewer_id)) is not None:
            viewer.send_json(content)

    def frame_to_viewer(self, viewer_id: int, blob: bytes) -> None:
        if (viewer := self._viewers.get(viewer_id)) is not None:
            self._revision += 1
            viewer.send_binary(blob)

    def close_viewer(self, viewer_id: int) -> None:
        """Tell one viewer the figure is gone: the script does not have it."""
        if (viewer := self._viewers.get(viewer_id)) is not None:
            viewer.figure_closed()

    def closed(self) -> None:
        """The figure is gone (closed by its script, or the script is gone)."""
        for viewer in list(self._viewers.values()):
            viewer.figure_closed()
        self._viewers.clear()
        self._ids.clear()

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        """Ask the script for the file and wait for it (off the event loop)."""
        return self.publisher.save(self.info.num, fmt, options).result(SAVE_WAIT)


class HubFigures:
    """The figures published to the hub, by the hub's own numbers (a figure's number in
    its script is only unique in its run). A :class:`~webfig.server.registry.FigureRegistry`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._figures: dict[int, RemoteFigure] = {}
        self._numbers = itertools.count(1)

    def get(self, num: int) -> RemoteFigure | None:
        with self._lock:
            return self._figures.get(num)

    def figures(self) -> list[ServedFigure]:
        with self._lock:
            return [self._figures[num] for num in sorted(self._figures)]

    def add(self, info: FigureInfo, publisher: PublishSocket) -> RemoteFigure:
        with self._lock:
            figure = RemoteFigure(next(self._numbers), info, publisher)
            self._figures[figure.number] = figure
        figure_changes.changed()
        return figure

    def changed(self) -> None:
        """A figure's label or size changed."""
        figure_changes.changed()

    def remove(self, figure: RemoteFigure) -> None:
        with self._lock:
            self._figures.pop(figure.number, None)
        figure.closed()
        figure_changes.changed()


class PublishSocket(Guarded, tornado.websocket.WebSocketHandler):
    """``/publish``: one publishing process' connection (docs/hub.md).

    Security: a publisher needs the publish token, in the ``Authorization`` header; it is
    not the viewers' token, and it lets a script put figures on the hub, not view others'.
    Browsers cannot set that header on a websocket, and any request with an ``Origin`` or a
    ``Sec-Fetch-Site`` (as every browser's has) is refused, so no web page can publish, not
    even one of the hub's own.
    """

    def initialize(self, figures: HubFigures, publish_token: str, problems: ProblemLog) -> None:
        self.figures = figures
        self.publish_token = publish_token
        self.problems = problems
        self._loop = IOLoop.current()
        self.run: RunInfo | None = None
        self._published: dict[int, RemoteFigure] = {}  # by the script's numbers
        self._viewers: dict[int, RemoteFigure] = {}
        self._viewer_ids = itertools.count(1)
        self._saves: dict[int, concurrent.futures.Future[bytes]] = {}
        self._save_ids = itertools.count(1)

    def prepare(self) -> None:
        """The publish token, not the viewers' rules (:class:`Guarded` gives the one line
        in the log a refusal gets)."""
        headers = self.request.headers
        if "Origin" in headers or "Sec-Fetch-Site" in headers:
            # A browser's: scripts publish, web pages (this hub's own included) do not.
            raise tornado.web.HTTPError(403, "a web page may not publish to the hub")
        scheme, _, token = headers.get(publishing.TOKEN_HEADER, "").partition(" ")
        if scheme != publishing.TOKEN_SCHEME or not token:
            raise tornado.web.HTTPError(
                401, "publishing needs the hub's publish token (WEBFIG_HUB_TOKEN)"
            )
        if not hmac.compare_digest(token.encode(), self.publish_token.encode()):
            raise tornado.web.HTTPError(
                403, "the publish token (WEBFIG_HUB_TOKEN) is not this hub's"
            )

    def check_origin(self, origin: str) -> bool:
        return False  # (prepare refused every request with an origin already)

    @property
    def max_message_size(self) -> int:
        """Frames of big figures and saved files, not a viewer's small messages."""
        return MAX_PUBLISHED_MESSAGE

    def on_message(self, message: str | bytes) -> None:
        try:
            if isinstance(message, bytes):
                self._binary(message)
            else:
                self._text(publishing.parse(message))
        except PublishingError as error:
            self.problems.report(
                "bad publisher message", f"{self.request.remote_ip}: ignored a message: {error}"
            )

    def _text(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if self.run is None:
            if kind != "run":
                raise PublishingError(f"the first message must say what runs, not {kind!r}")
            self.run = publishing.read_run(message)
            _log.info("webfig hub: %s on %s publishes", self.run.script, self.run.host)
        elif kind == "figure":
            self._figure(publishing.read_figure(message))
        elif kind == "figure_closed":
            figure = self._published.pop(publishing.read_num(message), None)
            if figure is not None:
                self.figures.remove(figure)
        elif kind == "to_viewer":
            viewer_id = publishing.read_viewer(message)
            if (figure := self._viewers.get(viewer_id)) is not None:
                figure.to_viewer(viewer_id, publishing.read_to_viewer(message))
        elif kind == "viewer_closed":
            # The script has no such figure (any more): the viewer's page hears it is gone.
            viewer_id = publishing.read_viewer(message)
            if (figure := self._viewers.get(viewer_id)) is not None:
                figure.close_viewer(viewer_id)
        elif kind == "save_failed":
            saving = self._saves.pop(publishing.read_request(message), None)
            if saving is not None:
                saving.set_exception(SaveFailed(publishing.read_problem(message)))
        else:
            raise PublishingError(f"unknown message type {kind[:40]!r}")

    def _figure(self, info: FigureInfo) -> None:
        figure = self._published.get(info.num)
        if figure is None:
            self._published[info.num] = self.figures.add(info, self)
        else:
            figure.info = info
            self.figures.changed()

    def _binary(self, data: bytes) -> None:
        kind, owner, content = publishing.parse_binary(data)
        if kind == publishing.FRAME:
            if (figure := self._viewers.get(owner)) is not None:
                figure.frame_to_viewer(owner, content)
        elif (saving := self._saves.pop(owner, None)) is not None:
            saving.set_result(content)

    def on_close(self) -> None:
        for figure in self._published.values():
            self.figures.remove(figure)
        self._published.clear()
        self._viewers.clear()
        for saving in self._saves.values():
            saving.set_exception(SaveFailed("the script that published the figure is gone"))
        self._saves.clear()
        if self.run is not None:
            _log.info("webfig hub: %s on %s is gone", self.run.script, self.run.host)

    # What the figures it published ask of it, on the event loop (save: from any thread).

    def new_viewer(self, figure: RemoteFigure) -> int:
        viewer_id = next(self._viewer_ids)
        self._viewers[viewer_id] = figure
        return viewer_id

    def forget_viewer(self, viewer_id: int) -> None:
        self._viewers.pop(viewer_id, None)

    def send(self, message: str) -> None:
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):  # on_close cleans up
            self.write_message(message)

    def save(
        self, num: int, fmt: str, options: DownloadOptions
    ) -> concurrent.futures.Future[bytes]:
        saving: concurrent.futures.Future[bytes] = concurrent.futures.Future()

        def ask() -> None:
            if self.ws_connection is None:
                saving.set_exception(SaveFailed("the script that published the figure is gone"))
                return
            request = next(self._save_ids)
            self._saves[request] = saving
            self.send(publishing.save_message(request, num, fmt, options))

        self._loop.add_callback(ask)
        return saving


class RelayedWebSocket(WebSocket):
    """A hub viewer's websocket: its messages, once they pass the same checks a script's
    own server applies, go to the publishing script as they came."""

    def _handle(self, parsed: ClientMessage, text: str | bytes) -> None:
        assert isinstance(self.figure, RemoteFigure)
        self.figure.relay(self, text if isinstance(text, str) else text.decode())


def hub_application(
    figures: HubFigures, publish_token: str, access: Access, sockets: OpenSockets
) -> tornado.web.Application:
    """The hub's application: webfig's routes for the published figures, and the
    publishing socket."""
    settings: dict[str, Any] = {
        "default_handler_class": NotFound,
        "default_handler_args": {"figures": figures, "prefix": "", "access": access},
        "log_function": log_request,
    }
    websocket_settings(settings)
    publish = (
        publishing.PUBLISH_PATH,
        PublishSocket,
        {"figures": figures, "publish_token": publish_token, "problems": ProblemLog()},
    )
    routes = figure_routes("", figures, sockets, access, viewer_socket=RelayedWebSocket)
    return tornado.web.Application([publish, *routes], **settings)
