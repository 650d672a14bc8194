"""The HTTP and websocket handlers of the figure server, one module per job.

Every handler is configured through ``initialize`` (the figure registry, the URL prefix, the
access rules), so the routes from :func:`webfig.server.figure_routes` can be mounted in any
Tornado application. Rejected requests are answered with a 4xx status and a message saying
why. Handlers know figures only as :class:`~webfig.wire.interfaces.ServedFigure`.
"""

from __future__ import annotations

from .download import Download
from .pages import (
    STATIC_DIR,
    AllFigures,
    Favicon,
    FigureFragment,
    MplJs,
    SingleFigure,
    StaticFiles,
)
from .sockets import FIGURE_CLOSED, FigureList, OpenSockets, WebSocket

__all__ = [
    "FIGURE_CLOSED",
    "STATIC_DIR",
    "AllFigures",
    "Download",
    "Favicon",
    "FigureFragment",
    "FigureList",
    "MplJs",
    "OpenSockets",
    "SingleFigure",
    "StaticFiles",
    "WebSocket",
]
