"""The figure server: an application of webfig's routes, listening on the server thread."""

from __future__ import annotations

import asyncio
import atexit
import errno
import logging
import os
import shutil
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import tornado.template
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..config import Settings, current_settings
from ..runtime.event_loop import server_thread
from .access import Access, is_loopback, new_token
from .handlers import OpenSockets
from .handlers.pages import TEMPLATE_DIR
from .registry import FigureRegistry
from .routes import figure_routes, make_app, websocket_settings

_log = logging.getLogger(__name__)


def server_access(settings: Settings) -> Access:
    """The access rules for a server with ``settings``.

    Security: every server needs a token, on loopback too (every user of the machine can
    reach 127.0.0.1): the configured one, or a new random one. ``token=""`` turns it off on
    purpose; such a server answers only to loopback host names, whatever its address, so a
    hostile page cannot reach it through DNS rebinding, nor a browser on another machine
    by its address.
    """
    token = new_token() if settings.token is None else settings.token
    return Access.create(token, settings.allowed_origins, loopback_hosts_only=not token)


# webfig's pages: the launch page is the one the server sends a browser that arrives from
# elsewhere, on to the figures (templates/onward.html).
_TEMPLATES: Final = tornado.template.Loader(str(TEMPLATE_DIR))


def write_launch_page(url: str) -> Path:
    """Write a page that sends a browser on to ``url``; its path.

    Security: the page holds the token, so it is made readable by this user only (0600, in
    a new directory of mode 0700); its path holds nothing secret.
    """
    directory = Path(tempfile.mkdtemp(prefix="webfig-"))  # mode 0700
    page = directory / "open.html"
    descriptor = os.open(page, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(_TEMPLATES.load("onward.html").generate(location=url).decode())
    return page


def _url_host(address: str) -> str:
    if address in {"", "0.0.0.0", "::"}:
        return socket.gethostname()
    return f"[{address}]" if ":" in address else address


class ListenError(OSError):
    """The server cannot listen where its settings say; the message names the setting to
    change."""


class PortBusyError(ListenError):
    """Every port the server may listen on is taken."""


_ADDRESS_ADVICE = (
    "set WEBFIG_ADDRESS (or address=) to one of this machine's, such as 127.0.0.1"
    " (or 0.0.0.0 for every network)"
)


def _cannot_listen(error: OSError, address: str, port: int) -> ListenError:
    """The error to raise, in one line naming the setting at fault, when listening on
    ``address`` port ``port`` failed with ``error``."""
    if isinstance(error, socket.gaierror):
        # Its errno is a resolver code, not an errno: keep it out of the message.
        return ListenError(
            f"webfig: cannot listen on {address!r}: no address found for that name"
            f" ({error.strerror}); {_ADDRESS_ADVICE}"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return ListenError(
            error.errno,
            f"webfig: cannot listen on {address}: this machine has no such address;"
            f" {_ADDRESS_ADVICE}",
        )
    if error.errno == errno.EACCES:
        return ListenError(
            error.errno,
            f"webfig: port {port} on {address} needs privileges this process lacks;"
            " set WEBFIG_PORT (or port=) to a port above 1023",
        )
    return ListenError(
        error.errno,
        f"webfig: cannot listen on {address} port {port}: {error.strerror};"
        " check WEBFIG_ADDRESS (or address=) and WEBFIG_PORT (or port=)",
    )


def _port_is_free(address: str, port: int) -> bool:
    """Whether ``port`` can be bound on every address ``address`` stands for (port 0: any
    free port). Raises :class:`ListenError` when it cannot be bound for another reason than
    being taken: a name that does not resolve, an address this machine lacks, a port it may
    not use.

    Probed with sockets of our own: Tornado's ``bind_sockets`` leaks its socket when the
    bind fails.
    """
    try:
        found = socket.getaddrinfo(
            address or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise _cannot_listen(error, address, port) from None
    for family, kind, proto, _, sockaddr in found:
        try:
            probe = socket.socket(family, kind, proto)
        except OSError as error:
            if error.errno == errno.EAFNOSUPPORT:
                continue  # bind_sockets skips a family the system lacks, too
            raise _cannot_listen(error, address, port) from None
        with probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(sockaddr)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return False
                if _skipped_by_bind_sockets(error, address, sockaddr):
                    continue
                raise _cannot_listen(error, address, port) from None
    return True


def _skipped_by_bind_sockets(error: OSError, address: str, sockaddr: Any) -> bool:
    """Whether Tornado's ``bind_sockets`` ignores this failure: ``localhost``'s IPv6 address
    where IPv6 is only half there (as in Docker's default set-up)."""
    return error.errno == errno.EADDRNOTAVAIL and address == "localhost" and sockaddr[0] == "::1"


class FigureServer:
    """An HTTP server on the shared server thread.

    It serves :func:`make_app` for ``figures`` unless given an ``application`` of its own,
    such as a host application with :func:`figure_routes` mounted in it, or a
    ``make_application`` that makes one with the server's access rules and the websockets
    it closes when it stops (the hub's).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        figures: FigureRegistry | None = None,
        *,
        application: tornado.web.Application | None = None,
        make_application: Callable[[Access, OpenSockets], tornado.web.Application] | None = None,
    ) -> None:
        self.settings = settings or current_settings()
        self.access = server_access(self.settings)
        self._figures = figures
        self._sockets = OpenSockets()
        if make_application is not None:
            application = make_application(self.access, self._sockets)
        self._application = application
        if application is not None:
            websocket_settings(application.settings)
        self._http: HTTPServer | None = None
        self._lock = threading.Lock()
        # Where the routes of routes() are, for the URL when the settings name no prefix.
        self._routes_prefix = ""
        self._launch_page: Path | None = None
        self.port: int | None = None

    def routes(self, prefix: str = "", figures: FigureRegistry | None = None) -> list[Any]:
        """:func:`figure_routes` for the ``application`` this server serves: with this
        server's access rules (its token), and websockets it closes when it stops::

            app = tornado.web.Application([(r"/", Home)])
            server = FigureServer(application=app)
            app.add_handlers(r".*", server.routes("/figures"))

        The server's :attr:`url` is then that of the figures (``/figures/``), unless the
        settings give a ``url_prefix`` of their own.
        """
        self._routes_prefix = prefix
        return figure_routes(prefix, figures or self._figures, self._sockets, self.access)

    @property
    def url(self) -> str:
        """The address of the figures, with ``?token=`` when the server has one."""
        if self.port is None:
            raise RuntimeError("the server is not running")
        host = _url_host(self.settings.address)
        prefix = self.settings.url_prefix or self._routes_prefix
        query = f"?token={self.access.token}" if self.access.token else ""
        return f"http://{host}:{self.port}{prefix}/{query}"

    @property
    def running(self) -> bool:
        return self._http is not None

    def start(self) -> str:
        """Listen on the first free port from the configured one; returns the URL."""
        with self._lock:
            if self._http is None:
                server_thread().run_sync(self._listen)
                # The one line webfig always prints: where to look.
                print(f"webfig: serving figures at {self.url}", flush=True)
                if not self.access.token and not is_loopback(self.settings.address):
                    _log.warning(
                        'webfig: the token is off (WEBFIG_TOKEN="") but the server listens on'
                        " %s, beyond this machine. It answers only requests for localhost, but"
                        " any program that reaches port %d can send one, and see and drive"
                        " every figure. Leave WEBFIG_TOKEN unset to have a token, or listen on"
                        " 127.0.0.1.",
                        self.settings.address,
                        self.port,
                    )
        return self.url

    def _listen(self) -> None:
        sockets = self._bind()
        application = self._application or make_app(
            self.settings.url_prefix, self._figures, self._sockets, self.access
        )
        http = HTTPServer(application, xheaders=self.settings.xheaders)
        http.add_sockets(sockets)
        self._http = http
        self.port = sockets[0].getsockname()[1]

    def _bind(self) -> list[socket.socket]:
        first, retries = self.settings.port, self.settings.port_retries
        last = min(first + retries, 65535)
        address = self.settings.address
        for port in [0] if first == 0 else range(first, last + 1):
            if _port_is_free(address, port):
                try:
                    return bind_sockets(port, address)
                except OSError as error:  # taken since the probe, say
                    failure = _cannot_listen(error, address, port)
                # Raised out here, so no context keeps the socket bind_sockets leaked alive.
                raise failure
            if port < last:
                _log.info("port %d is busy, trying the next one", port)
        busy = f"port {first} is busy" if last == first else f"ports {first} to {last} are busy"
        raise PortBusyError(
            errno.EADDRINUSE,
            f"webfig: {busy} on {address}; set WEBFIG_PORT (or port=) to another"
            " port, or WEBFIG_PORT_RETRIES (port_retries=) to try more",
        )

    def stop(self) -> None:
        """Stop listening and close every open connection, websockets included (those of
        an ``application`` given to the constructor if its routes came from :meth:`routes`).
        """
        with self._lock:
            http, self._http = self._http, None
            if http is not None:
                thread = server_thread()
                thread.run_sync(http.stop)
                thread.run_sync(lambda: self._sockets.close_all("the server is stopping"))
                asyncio.run_coroutine_threadsafe(http.close_all_connections(), thread.loop).result(
                    timeout=10
                )
                _log.info("webfig: stopped serving on port %s", self.port)
                self.port = None
        self._remove_launch_page()

    def ensure_started(self) -> None:
        """Start the server (and open a browser tab, if configured) unless it runs already."""
        if self.running:
            return
        url = self.start()
        if self.settings.open_browser:
            self._open_browser_tab(url)

    def _open_browser_tab(self, url: str) -> None:
        """Open ``url`` in a browser tab.

        Security: a URL with the token is not given to the browser (its command line is
        public, in ``ps``): the tab opens a private page that sends it on (as Jupyter does),
        removed when the server stops or the process ends.
        """
        target = url
        if self.access.token:
            try:
                page = write_launch_page(url)
            except OSError as error:
                _log.warning(
                    "webfig: no browser tab: cannot write the page that opens it (%s);"
                    " open the address above",
                    error,
                )
                return
            self._remove_launch_page()
            self._launch_page = page
            atexit.register(self._remove_launch_page)
            target = page.as_uri()
        # webbrowser.open can take a while (or block) on some systems.
        threading.Thread(target=webbrowser.open, args=(target,), daemon=True).start()

    def _remove_launch_page(self) -> None:
        page, self._launch_page = self._launch_page, None
        if page is not None:
            atexit.unregister(self._remove_launch_page)
            shutil.rmtree(page.parent, ignore_errors=True)

    def serve_until_interrupted(self) -> None:
        """Serve until Ctrl+C, then stop cleanly."""
        self.ensure_started()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            _log.info("webfig: interrupted, shutting down")
        finally:
            self.stop()
