"""The HTTP and websocket handlers of the figure server.

Every handler is configured through ``initialize`` (the figure registry and the URL prefix),
so the routes from :func:`webfig.server.figure_routes` can be mounted in any Tornado
application. Rejected requests are answered with a 4xx status and a message saying why.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import mimetypes
import re
from asyncio import Future
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import matplotlib as mpl
import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop

from .figures import FigureInfo, FigureRegistry
from .manager import FigureManagerWebfig
from .protocol import ProtocolError, SupportsBinary, parse_message
from .toolbar import TOOLS

_log = logging.getLogger(__name__)

PACKAGE_DIR: Final = Path(__file__).parent
STATIC_DIR: Final = PACKAGE_DIR / "static"
TEMPLATE_DIR: Final = PACKAGE_DIR / "templates"

# Formats whose type the ``mimetypes`` table does not know (or gets wrong).
_CONTENT_TYPES: Final = {
    "eps": "application/postscript",
    "ps": "application/postscript",
    "pgf": "text/x-tex",
    "svgz": "image/svg+xml",
    "raw": "application/octet-stream",
    "rgba": "application/octet-stream",
    "webp": "image/webp",
}


def content_type(fmt: str) -> str:
    """The Content-Type of a file in format ``fmt`` (an extension such as ``"png"``)."""
    return (
        _CONTENT_TYPES.get(fmt)
        or mimetypes.guess_type(f"figure.{fmt}")[0]
        or ("application/octet-stream")
    )


def download_name(label: str, num: int, fmt: str) -> str:
    """A safe file name for a download: the label with anything unusual replaced."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._")[:100] or f"figure_{num}"
    return f"{stem}.{fmt}"


class OpenSockets:
    """The websockets open through one set of figure routes, so their server can close them.

    (Tornado's HTTPServer forgets a connection once it is upgraded to a websocket.)
    """

    def __init__(self) -> None:
        self._sockets: set[WebSocket] = set()

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: WebSocket) -> None:
        self._sockets.add(socket)

    def discard(self, socket: WebSocket) -> None:
        self._sockets.discard(socket)

    def close_all(self, reason: str) -> None:
        for socket in list(self._sockets):
            socket.close(1001, reason)


class _FigureRequestHandler(tornado.web.RequestHandler):
    """Shared set-up: the registry to find figures in and the prefix to build URLs with."""

    def initialize(self, figures: FigureRegistry, prefix: str = "") -> None:
        self.figures = figures
        self.prefix = prefix

    def find_figure(self, num: str) -> FigureManagerWebfig:
        manager = self.figures.get(int(num))
        if manager is None:
            raise tornado.web.HTTPError(404, f"There is no figure {int(num)}.")
        return manager


class _PageHandler(_FigureRequestHandler):
    """A handler that renders webfig's own templates, whatever application mounts it."""

    def get_template_path(self) -> str:
        return str(TEMPLATE_DIR)

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(prefix=self.prefix, static_url=self.webfig_static_url, tools=TOOLS)
        return namespace

    def webfig_static_url(self, path: str) -> str:
        """The URL of a static file with a content hash, so browsers may cache it."""
        version = tornado.web.StaticFileHandler.get_version({"static_path": STATIC_DIR}, path)
        return f"{self.prefix}/static/{path}?v={(version or '')[:16]}"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = (
            error.log_message
            if isinstance(error, tornado.web.HTTPError) and error.log_message
            else self._reason
        )
        self.render("error.html", status_code=status_code, message=message)


class AllFigures(_PageHandler):
    """``/``: every figure on one page, each with its own socket."""

    def get(self) -> None:
        infos = [FigureInfo.of(manager, self.prefix) for manager in self.figures.managers()]
        self.render("all_figures.html", figures=infos)


class SingleFigure(_PageHandler):
    """``/<num>``: one figure."""

    def get(self, num: str) -> None:
        info = FigureInfo.of(self.find_figure(num), self.prefix)
        self.render("single_figure.html", figure=info)


class MplJs(tornado.web.StaticFileHandler):
    """``/js/<module>.js``: the browser client; ``/js/mpl.js`` is its entry module.

    The modules import each other by relative URL, which carries no version, so browsers are
    told to revalidate (cheaply, by ETag) on every load rather than run a stale client.
    """

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")

    def get_content_type(self) -> str:
        return "text/javascript; charset=utf-8"


class Download(_FigureRequestHandler):
    """``/<num>/download.<fmt>``: the figure as a file."""

    def get(self, num: str, fmt: str) -> None:
        manager = self.find_figure(num)
        canvas = manager.canvas
        supported = canvas.get_supported_filetypes()
        fmt = fmt.lower()
        if fmt not in supported:
            raise tornado.web.HTTPError(
                404, f"Unknown format {fmt!r}; supported: {', '.join(sorted(supported))}."
            )
        dpi = mpl.rcParams["savefig.dpi"]
        if dpi == "figure":
            # The figure's dpi includes the viewers' pixel ratio; the file should not.
            dpi = canvas.figure.dpi / canvas.device_pixel_ratio
        with io.BytesIO() as buffer:
            canvas.figure.savefig(buffer, format=fmt, dpi=dpi)
            body = buffer.getvalue()
        # Saving drew into the canvas at the file's dpi; viewers need it drawn at theirs again.
        manager.schedule_render()
        name = download_name(manager.get_window_title(), int(manager.num), fmt)
        self.set_header("Content-Type", content_type(fmt))
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.write(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        if isinstance(error, tornado.web.HTTPError) and error.log_message:
            self.finish(error.log_message + "\n")
        else:
            self.finish(f"{status_code} {self._reason}\n")


def _ignore_closed(written: Future[None]) -> None:
    """Collect a failed write's error: a viewer that left is not a problem to report."""
    if not written.cancelled() and written.exception() is not None:
        _log.debug("a frame for a viewer that left was dropped: %r", written.exception())


class WebSocket(tornado.websocket.WebSocketHandler):
    """``/<num>/ws``: one viewer's connection to one figure.

    This handler is the transport behind the :class:`~webfig.viewer.Viewer` interface: it
    turns text messages into checked protocol messages for the figure manager, and the
    manager's ``send_json``/``send_binary`` calls into websocket messages.
    """

    def initialize(
        self, figures: FigureRegistry, prefix: str = "", sockets: OpenSockets | None = None
    ) -> None:
        self.figures = figures
        self.sockets = sockets
        self.manager: FigureManagerWebfig | None = None
        self.supports_binary = True
        self._loop = IOLoop.current()
        self._reported: set[str] = set()

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Refuse the upgrade with a 404 when the figure does not exist."""
        num = int(args[0])
        if self.figures.get(num) is None:
            self.set_status(404)
            self.finish(f"There is no figure {num}.\n")
            return
        await super().get(*args, **kwargs)

    def open(self, *args: str, **kwargs: str) -> None:
        self.manager = self.figures.get(int(args[0]))
        if self.manager is None:  # closed between the upgrade check and now
            self.close(1011, "figure closed")
            return
        self.set_nodelay(True)
        if self.sockets is not None:
            self.sockets.add(self)
        self.manager.add_viewer(self)

    def on_close(self) -> None:
        if self.sockets is not None:
            self.sockets.discard(self)
        if self.manager is not None:
            self.manager.remove_viewer(self)

    def on_message(self, message: str | bytes) -> None:
        try:
            parsed = parse_message(message)
        except ProtocolError as error:
            self._report(str(error))
            return
        if isinstance(parsed, SupportsBinary):
            self.supports_binary = parsed.value
        elif self.manager is not None:
            self.manager.handle_message(self, parsed)

    def _report(self, problem: str) -> None:
        """Log a rejected message: once as a warning, then quietly, so no client can flood."""
        level = logging.DEBUG if problem in self._reported else logging.WARNING
        self._reported.add(problem)
        _log.log(level, "ignored a message from %s: %s", self.request.remote_ip, problem)

    # The Viewer interface

    def send_json(self, content: Mapping[str, object]) -> None:
        self._send(json.dumps(content), binary=False)

    def send_binary(self, blob: bytes) -> None:
        if self.supports_binary:
            self._send(blob, binary=True)
        else:
            self._send("data:image/png;base64," + base64.b64encode(blob).decode(), binary=False)

    def _send(self, message: str | bytes, *, binary: bool) -> None:
        self._loop.add_callback(self._write, message, binary)

    def _write(self, message: str | bytes, binary: bool) -> None:
        try:
            written = self.write_message(message, binary=binary)
        except tornado.websocket.WebSocketClosedError:
            return  # the viewer left; on_close removes it
        # The write may also fail later, when the viewer leaves while it is under way.
        written.add_done_callback(_ignore_closed)
