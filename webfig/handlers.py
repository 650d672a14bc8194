"""The HTTP and websocket handlers of the figure server.

Every handler is configured through ``initialize`` (the figure registry and the URL prefix),
so the routes from :func:`webfig.server.figure_routes` can be mounted in any Tornado
application. Rejected requests are answered with a 4xx status and a message saying why.
"""

from __future__ import annotations

import base64
import json
import logging
from asyncio import Future
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop

from .access import Access
from .downloads import BadDownload, download_name, parse_options
from .eventloop import download_pool
from .figures import FigureInfo, FigureRegistry, download_formats
from .lifecycle import figure_changes
from .manager import FigureManagerWebfig
from .problems import ProblemLog
from .protocol import ProtocolError, SupportsBinary, parse_message
from .render import RenderCache, content_type
from .render import render as render_figure
from .toolbar import TOOLS

_log = logging.getLogger(__name__)

PACKAGE_DIR: Final = Path(__file__).parent
STATIC_DIR: Final = PACKAGE_DIR / "static"
TEMPLATE_DIR: Final = PACKAGE_DIR / "templates"

# The close code that tells a viewer its figure is gone (no point reconnecting).
FIGURE_CLOSED: Final = 4000
# Seconds the figure list waits after a change, so a burst of changes makes one message.
FIGURE_LIST_DELAY: Final = 0.05


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
        for socket in list(self._sockets):
            socket.close(1001, reason)


def error_message(status_code: int, reason: str, error_info: Mapping[str, Any]) -> str:
    """What to tell the client about an error: an HTTPError's message, or the reason."""
    error = error_info.get("exc_info", (None, None, None))[1]
    # A message with arguments is Tornado's own, for the log (it may name server paths).
    if isinstance(error, tornado.web.HTTPError) and error.log_message and not error.args:
        return str(error.log_message)
    return f"{status_code} {reason}" if status_code >= 500 else reason


class _Guarded(tornado.web.RequestHandler):
    """A handler that applies its routes' :class:`~webfig.access.Access` rules first."""

    access: Access

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer with the reason as plain text (pages answer with an HTML page instead)."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(error_message(status_code, self._reason, kwargs) + "\n")

    def prepare(self) -> None:
        """Refuse, with 403 and the reason, a request that lacks the token or comes for a
        host this server does not answer to.

        Security: the token may arrive as ``?token=`` (the printed URL) or in the cookie a
        first visit set; a page visited with it in the query is redirected to the same URL
        without it, so the token stays out of the address bar, history and ``Referer``.
        """
        if not self.access.host_allowed(self.request.host):
            raise tornado.web.HTTPError(
                403,
                f"This server answers only to localhost, not to {self.request.host!r}; "
                "set WEBFIG_TOKEN to reach it by other names.",
            )
        if self.access.token is None:
            return
        from_query = self.get_query_argument("token", None)
        if self.access.token_matches(from_query):
            self._remember_token(from_query)
        elif not self.access.token_matches(self.get_cookie(self.access.cookie_name)):
            raise tornado.web.HTTPError(
                403,
                "This server needs its access token: open the address it printed, "
                "which ends in ?token=...",
            )

    def _remember_token(self, token: str | None) -> None:
        if self.request.method != "GET" or isinstance(self, tornado.websocket.WebSocketHandler):
            return
        # Secure over https, also when a proxy did the TLS and says so.
        secure = "https" in (
            self.request.protocol,
            self.request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip(),
        )
        self.set_cookie(
            self.access.cookie_name,
            token or "",
            path="/",
            httponly=True,
            samesite="Strict",
            secure=secure,
        )
        if isinstance(self, _PageHandler):
            rest = [
                (k, v)
                for k, values in self.request.query_arguments.items()
                if k != "token"
                for v in values
            ]
            query = urlencode([(k, v.decode()) for k, v in rest])
            self.redirect(self.request.path + (f"?{query}" if query else ""))


class StaticFiles(_Guarded, tornado.web.StaticFileHandler):
    """Static files, behind the same access rules as the figures."""

    def initialize(  # type: ignore[override]
        self, path: str, access: Access | None = None
    ) -> None:
        super().initialize(path)
        self.access = access or Access()

    def parse_url_path(self, url_path: str) -> str:
        # No file name holds a NUL, and resolving one would raise (a 500).
        if "\x00" in url_path:
            raise tornado.web.HTTPError(404, "There is no such file.")
        return super().parse_url_path(url_path)


class _FigureRequestHandler(_Guarded):
    """Shared set-up: the registry to find figures in and the prefix to build URLs with."""

    def initialize(
        self, figures: FigureRegistry, prefix: str = "", access: Access | None = None
    ) -> None:
        self.figures = figures
        self.prefix = prefix
        self.access = access or Access()

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
        message = error_message(status_code, self._reason, kwargs)
        self.render("error.html", status_code=status_code, message=message)


class AllFigures(_PageHandler):
    """``/``: every figure on one page, each with its own socket; the page follows the
    figure list socket to add and remove figures as the script opens and closes them."""

    def get(self) -> None:
        infos = [FigureInfo.of(manager, self.prefix) for manager in self.figures.managers()]
        self.render("all_figures.html", figures=infos)


class SingleFigure(_PageHandler):
    """``/<num>``: one figure."""

    def get(self, num: str) -> None:
        info = FigureInfo.of(self.find_figure(num), self.prefix)
        self.render("single_figure.html", figure=info)


class FigureFragment(_PageHandler):
    """``/<num>/fragment``: the HTML of one figure's card, for pages that add figures
    without a reload (and for apps that embed a figure in pages of their own)."""

    def get(self, num: str) -> None:
        info = FigureInfo.of(self.find_figure(num), self.prefix)
        self.render("figure_card.html", figure=info)


class MplJs(StaticFiles):
    """``/js/<module>.js``: the browser client; ``/js/mpl.js`` is its entry module.

    The modules import each other by relative URL, which carries no version, so browsers are
    told to revalidate (cheaply, by ETag) on every load rather than run a stale client.
    """

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")

    def get_content_type(self) -> str:
        return "text/javascript; charset=utf-8"


class Download(_FigureRequestHandler):
    """``/<num>/download.<fmt>``: the figure as a file, with ``?dpi=``, ``?transparent=1``
    and ``?bbox=tight``.

    Saved off the event loop, holding the figure's lock. The ETag comes from the figure's
    revision, so asking again for an unchanged figure gets 304 without saving anything, and
    a small cache keeps recent files for the other viewers who ask.
    """

    def initialize(self, *args: Any, cache: RenderCache | None = None, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.cache = RenderCache() if cache is None else cache

    async def get(self, num: str, fmt: str) -> None:
        manager = self.find_figure(num)
        figure = manager.canvas.figure
        supported = download_formats(manager.canvas)
        fmt = fmt.lower()
        if fmt not in supported:
            raise tornado.web.HTTPError(
                404, f"Unknown format {fmt!r}; supported: {', '.join(sorted(supported))}."
            )
        try:
            size = figure.get_size_inches()
            query = {
                name: [value.decode("utf-8", "replace") for value in values]
                for name, values in self.request.query_arguments.items()
            }
            options = parse_options(query, (size[0], size[1]))
        except BadDownload as error:
            raise tornado.web.HTTPError(400, str(error)) from None

        key = (manager.serial, manager.revision(), fmt, options)
        self.set_header("Etag", RenderCache.etag(key))
        self.set_header("Cache-Control", "no-cache")
        name = download_name(manager.get_window_title(), int(manager.num), fmt)
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        if self.check_etag_header():
            self.set_status(304)
            return

        def save() -> bytes:
            try:
                with manager.canvas.lock:
                    body = render_figure(figure, fmt, options.dpi, **options.savefig_kwargs())
                    # savefig puts the figure's colours back as it found them, which marks
                    # the figure stale; it is not (a stale figure would change the revision).
                    figure.stale = False
                return body
            finally:
                # Saving may have drawn Agg's buffer at the file's dpi; viewers need theirs
                # back. (A file from the cache touched nothing: no render for it.)
                manager.schedule_render(changed=False)

        try:
            body = await IOLoop.current().run_in_executor(
                download_pool(), self.cache.get_or_render, key, save
            )
        except Exception as error:
            _log.exception("saving figure %s as %s failed", manager.num, fmt)
            raise tornado.web.HTTPError(
                500, f"Saving the figure as {fmt} failed: {error}"
            ) from None
        self.set_header("Content-Type", content_type(fmt))
        self.write(body)

    def compute_etag(self) -> None:
        """No ETag from the body: the figure's revision made one already."""
        return None


def _ignore_closed(written: Future[None]) -> None:
    """Collect a failed write's error: a viewer that left is not a problem to report."""
    if not written.cancelled() and written.exception() is not None:
        _log.debug("a frame for a viewer that left was dropped: %r", written.exception())


class _Socket(_Guarded, tornado.websocket.WebSocketHandler):
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
        self._report("refused origin", f"refused a websocket from origin {origin!r}")
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

    def _send(self, message: str | bytes, *, binary: bool = False) -> None:
        self._loop.add_callback(self._write, message, binary)

    def _write(self, message: str | bytes, binary: bool) -> None:
        try:
            written = self.write_message(message, binary=binary)
        except tornado.websocket.WebSocketClosedError:
            return  # the viewer left; on_close cleans up
        # The write may also fail later, when the viewer leaves while it is under way.
        written.add_done_callback(_ignore_closed)


class FigureList(_Socket):
    """``/ws``: the numbers and labels of the open figures, sent again whenever they change.

    Messages: ``{"type": "figures", "figures": [{"num": 1, "label": "..."}, ...]}``. The
    socket takes no messages.
    """

    def open(self, *args: str, **kwargs: str) -> None:
        super().open(*args, **kwargs)
        self._last_sent: list[dict[str, object]] | None = None
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
        figures: list[dict[str, object]] = [
            {"num": int(manager.num), "label": manager.get_window_title()}
            for manager in self.figures.managers()
        ]
        if figures != self._last_sent:
            self._last_sent = figures
            self._send(json.dumps({"type": "figures", "figures": figures}))


class WebSocket(_Socket):
    """``/<num>/ws``: one viewer's connection to one figure.

    This handler is the transport behind the :class:`~webfig.viewer.Viewer` interface: it
    turns text messages into checked protocol messages for the figure manager, and the
    manager's ``send_json``/``send_binary`` calls into websocket messages.
    """

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.manager: FigureManagerWebfig | None = None
        self.supports_binary = True

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
            self.close(FIGURE_CLOSED, "figure closed")
            return
        super().open(*args, **kwargs)
        self.manager.add_viewer(self)

    def on_close(self) -> None:
        super().on_close()
        if self.manager is not None:
            self.manager.remove_viewer(self)

    def on_message(self, message: str | bytes) -> None:
        try:
            parsed = parse_message(message)
        except ProtocolError as error:
            self._report(error.kind, f"ignored a message: {error}")
            return
        if isinstance(parsed, SupportsBinary):
            self.supports_binary = parsed.value
        elif self.manager is not None:
            try:
                self.manager.handle_message(self, parsed)
            except Exception as error:
                # matplotlib, or a callback of the script's, failed on a valid message (a
                # zoom to a rectangle of no width, say). As in desktop backends the figure
                # and this viewer go on; left to Tornado, the connection would be dropped.
                name = type(parsed).__name__
                self._report(
                    f"failed: {name}: {type(error).__name__}",
                    f"handling a {name} message failed: {error!r}",
                    exc_info=True,
                )

    # The Viewer interface

    def send_json(self, content: Mapping[str, object]) -> None:
        self._send(json.dumps(content))

    def send_binary(self, blob: bytes) -> None:
        if self.supports_binary:
            self._send(blob, binary=True)
        else:
            self._send("data:image/png;base64," + base64.b64encode(blob).decode())

    def figure_closed(self) -> None:
        # After the messages already queued, so the viewer gets them before the close.
        self._loop.add_callback(self.close, FIGURE_CLOSED, "figure closed")
