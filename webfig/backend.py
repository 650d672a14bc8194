"""The matplotlib backend module (``matplotlib.use("webfig")`` or ``module://webfig.backend``),
and webfig's composition root.

The modules below this one know nothing of pyplot's server: the canvas and the manager draw a
figure and keep its viewers up to date, and the server serves whichever figures its registry
lists. This module puts them together for pyplot: its canvas and manager classes are webfig's,
bound to the default server, which serves pyplot's figures. No other module of the package
imports the server.
"""

from __future__ import annotations

import threading

from matplotlib.backend_bases import _Backend

from . import __version__
from .canvas import WebfigCanvas
from .figures import PyplotFigures
from .manager import WebfigManager
from .server import FigureServer
from .timer import TimerWebfig
from .toolbar import NavigationToolbarWebfig

__all__ = [
    "FigureCanvas",
    "FigureCanvasWebfig",
    "FigureManager",
    "FigureManagerWebfig",
    "NavigationToolbarWebfig",
    "TimerWebfig",
    "default_server",
]

_default_lock = threading.Lock()
_default: FigureServer | None = None


def default_server() -> FigureServer:
    """The server of pyplot's figures, made from the settings in force on first use."""
    global _default  # noqa: PLW0603 - one pyplot server per process, created lazily
    with _default_lock:
        if _default is None:
            _default = FigureServer(figures=PyplotFigures())
        return _default


class FigureManagerWebfig(WebfigManager):
    """pyplot's figure manager: showing a figure serves it from the default server."""

    def show(self) -> None:
        """Make sure the default server is running; the figure is live from now on."""
        default_server().ensure_started()

    @classmethod
    def start_main_loop(cls) -> None:
        """Serve until Ctrl+C (what a blocking ``plt.show()`` does)."""
        default_server().serve_until_interrupted()


class FigureCanvasWebfig(WebfigCanvas):
    """pyplot's canvas: webfig's canvas, managed by :class:`FigureManagerWebfig`."""

    manager_class = FigureManagerWebfig


@_Backend.export
class _BackendWebfig(_Backend):
    backend_version = __version__
    FigureCanvas = FigureCanvasWebfig
    FigureManager = FigureManagerWebfig
    mainloop = FigureManagerWebfig.start_main_loop


FigureCanvas = FigureCanvasWebfig
FigureManager = FigureManagerWebfig
