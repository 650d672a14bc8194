"""The hub's application: webfig's routes for the published figures, the hub's own pages,
and the publishing socket."""

from __future__ import annotations

from typing import Any

import tornado.web

from ..hub import publishing
from ..runtime.log_once import ProblemLog
from .access import Access
from .handlers import OpenSockets
from .handlers.guard import log_request
from .handlers.pages import NotFound
from .hub_pages import DeleteFigure, DeleteRun, HubIndex
from .hub_server import HubFigures, PublishSocket, RelayedWebSocket
from .routes import figure_routes, site_routes, websocket_settings


def hub_application(
    figures: HubFigures,
    publish_token: str,
    access: Access,
    sockets: OpenSockets,
    prefix: str = "",
) -> tornado.web.Application:
    """The hub's application under ``prefix`` (``""``, or ``/path`` behind a proxy): its
    list of figures at ``/`` (in place of webfig's page of every figure live), webfig's
    routes for each figure, deletions, and the publishing socket."""
    settings: dict[str, Any] = {
        "default_handler_class": NotFound,
        "default_handler_args": {"figures": figures, "prefix": prefix, "access": access},
        "log_function": log_request,
    }
    websocket_settings(settings)
    publish = (
        prefix + publishing.PUBLISH_PATH,
        PublishSocket,
        {"figures": figures, "publish_token": publish_token, "problems": ProblemLog()},
    )
    pages = {"figures": figures, "prefix": prefix, "access": access}
    hub_routes: list[Any] = [
        (rf"{prefix}/?", HubIndex, pages),
        (rf"{prefix}/([0-9]{{1,9}})/delete", DeleteFigure, pages),
        (rf"{prefix}/runs/([A-Za-z0-9_-]{{1,64}})/delete", DeleteRun, pages),
    ]
    routes = figure_routes(prefix, figures, sockets, access, viewer_socket=RelayedWebSocket)
    return tornado.web.Application(
        [publish, *site_routes(access), *hub_routes, *routes], **settings
    )
