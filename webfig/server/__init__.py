"""The figure server: Tornado handlers for the pages, sockets and downloads, the routes that
mount them in any application, and a server that listens on the server thread.

Who may use it (:mod:`.access`), which figures it shows (:mod:`.registry`), what a download
asks for (:mod:`.download_query`), the handlers (:mod:`.handlers`), the routes
(:mod:`.routes`) and :class:`FigureServer` (:mod:`.figure_server`). The only part of webfig
that imports Tornado; it knows figures only as :class:`~webfig.wire.interfaces.ServedFigure`.
"""

from __future__ import annotations

from .figure_server import FigureServer, ListenError, PortBusyError, server_access
from .routes import figure_routes, make_app

__all__ = [
    "FigureServer",
    "ListenError",
    "PortBusyError",
    "figure_routes",
    "make_app",
    "server_access",
]
