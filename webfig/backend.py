"""The matplotlib backend module: ``matplotlib.use("webfig")`` or ``module://webfig.backend``."""

from __future__ import annotations

from matplotlib.backend_bases import _Backend

from . import __version__
from .canvas import FigureCanvasWebfig
from .manager import FigureManagerWebfig
from .timer import TimerWebfig
from .toolbar import NavigationToolbarWebfig

__all__ = [
    "FigureCanvas",
    "FigureCanvasWebfig",
    "FigureManager",
    "FigureManagerWebfig",
    "NavigationToolbarWebfig",
    "TimerWebfig",
]


@_Backend.export
class _BackendWebfig(_Backend):
    backend_version = __version__
    FigureCanvas = FigureCanvasWebfig
    FigureManager = FigureManagerWebfig
    mainloop = FigureManagerWebfig.start_main_loop


FigureCanvas = FigureCanvasWebfig
FigureManager = FigureManagerWebfig
