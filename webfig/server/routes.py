"""webfig's routes, to mount in any Tornado application, and an application of only them."""

from __future__ import annotations

from typing import Any, Final

import tornado.web

from ..rendering.cache import RenderCache
from ..runtime.log_once import ProblemLog
from .access import Access
from .handlers import (
    STATIC_DIR,
    AllFigures,
    Download,
    Favicon,
    FigureFragment,
    FigureList,
    MplJs,
    OpenSockets,
    SingleFigure,
    StaticFiles,
    WebSocket,
)
from .handlers.guard import log_request
from .handlers.pages import NotFound
from .registry import FigureRegistry, PyplotFigures

# Viewers send small JSON messages; anything larger is refused by Tornado.
MAX_MESSAGE_SIZE: Final = 64 * 1024
# Seconds between Tornado's pings of each websocket, and without a pong before the socket is
# closed: a viewer whose path died silently (laptop asleep, NAT forgot it) is let go.
PING_INTERVAL: Final = 10.0
PING_TIMEOUT: Final = 10.0  # at most the interval (Tornado)


def websocket_settings(settings: dict[str, Any]) -> None:
    """Give an application's websockets webfig's limits, where it set none of its own."""
    settings.setdefault("websocket_max_message_size", MAX_MESSAGE_SIZE)
    settings.setdefault("websocket_ping_interval", PING_INTERVAL)
    settings.setdefault("websocket_ping_timeout", PING_TIMEOUT)


def figure_routes(
    prefix: str = "",
    figures: FigureRegistry | None = None,
    sockets: OpenSockets | None = None,
    access: Access | None = None,
    *,
    viewer_socket: type[WebSocket] = WebSocket,
) -> list[Any]:
    """webfig's routes under ``prefix``, to add to any Tornado application.

    ``prefix`` is ``""`` or a path like ``"/plots"`` (starting with ``/``, not ending with
    one). ``figures`` defaults to pyplot's figures. ``sockets``, if given, keeps the open
    websockets, so that whoever stops the server can close them. ``access`` sets the token
    and the origins allowed besides the page's own (by default: none, and none).
    ``viewer_socket`` is the handler of a viewer's websocket (the hub relays its viewers).

    Under a prefix, every other path under it gets webfig's 404 page. Without one the host
    application's routes may be anywhere, so the paths webfig does not know are left to it
    (:func:`make_app`'s applications answer them with webfig's page too).
    """
    access = access or Access()
    options = {"figures": figures or PyplotFigures(), "prefix": prefix, "access": access}
    sockets_options = {**options, "sockets": sockets, "problems": ProblemLog()}
    download_options = {**options, "cache": RenderCache(max_entries=16)}
    # Figure numbers of at most nine digits: anything longer is a 404, not an int() error.
    num = "([0-9]{1,9})"
    routes: list[Any] = [
        (rf"{prefix}/?", AllFigures, options),
        (rf"{prefix}/ws", FigureList, sockets_options),
        (rf"{prefix}/{num}/?", SingleFigure, options),
        (rf"{prefix}/{num}/fragment", FigureFragment, options),
        (rf"{prefix}/{num}/ws", viewer_socket, sockets_options),
        (rf"{prefix}/{num}/download\.([A-Za-z0-9]+)", Download, download_options),
        (rf"{prefix}/js/(.*)", MplJs, {"path": str(STATIC_DIR / "js"), "access": access}),
        (rf"{prefix}/static/(.*)", StaticFiles, {"path": str(STATIC_DIR), "access": access}),
    ]
    if prefix:
        routes.append((rf"{prefix}/.*", NotFound, options))
    return routes


def site_routes(access: Access) -> list[Any]:
    """The routes of an application that owns its site's root, whatever prefix its figures
    are under: ``/favicon.ico``."""
    return [(r"/(favicon\.ico)", Favicon, {"path": str(STATIC_DIR), "access": access})]


def make_app(
    prefix: str = "",
    figures: FigureRegistry | None = None,
    sockets: OpenSockets | None = None,
    access: Access | None = None,
    **settings: Any,
) -> tornado.web.Application:
    """A Tornado application serving only webfig's routes: any other path gets webfig's 404
    page, and each request one line in the log (:func:`~webfig.server.handlers.guard.log_request`).
    """
    websocket_settings(settings)
    figures = figures or PyplotFigures()
    access = access or Access()
    if "default_handler_class" not in settings:
        settings["default_handler_class"] = NotFound
        settings["default_handler_args"] = {"figures": figures, "prefix": prefix, "access": access}
    settings.setdefault("log_function", log_request)
    routes = [*site_routes(access), *figure_routes(prefix, figures, sockets, access)]
    return tornado.web.Application(routes, **settings)
