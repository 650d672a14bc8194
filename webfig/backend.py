"""The matplotlib backend module (``matplotlib.use("webfig")`` or ``module://webfig.backend``),
and webfig's composition root.

The modules below this one know nothing of pyplot's server: the canvas and the manager draw a
figure and keep its viewers up to date, and the server serves whichever figures its registry
lists. This module puts them together for pyplot: its canvas and manager classes are webfig's,
bound to the default server, which serves pyplot's figures. No other module of the package
imports the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import matplotlib as mpl
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import _Backend

from . import __version__
from .config import ConfigError, current_settings
from .figure.canvas import WebfigCanvas
from .figure.manager import WebfigManager
from .figure.timers import TimerWebfig
from .figure.toolbar import NavigationToolbarWebfig
from .server.figure_server import FigureServer
from .server.markup import figure_markup
from .server.publisher import HubPublisher, this_run
from .server.registry import PyplotFigures
from .wire.interfaces import ServedFigure

if TYPE_CHECKING:
    from .notebook.cells import NotebookFigures

__all__ = [
    "FigureCanvas",
    "FigureCanvasWebfig",
    "FigureManager",
    "FigureManagerWebfig",
    "NavigationToolbarWebfig",
    "TimerWebfig",
    "default_server",
]

_log = logging.getLogger(__name__)

_default_lock = threading.Lock()
_default: FigureServer | None = None


def default_server() -> FigureServer:
    """The server of pyplot's figures, made from the settings in force when it starts.

    A server that is not running (it never started, a start failed, or it stopped) is made
    again when the settings changed since it was made: a user who reads "port 8988 is busy"
    and calls ``webfig.configure(port=...)`` gets that port on the next ``plt.show()``.
    """
    global _default  # noqa: PLW0603 - one pyplot server per process, created lazily
    with _default_lock:
        if _default is None or (not _default.running and _default.settings != current_settings()):
            _default = FigureServer(figures=PyplotFigures())
        return _default


_publisher: HubPublisher | None = None


def default_publisher() -> HubPublisher | None:
    """With a hub set (``WEBFIG_HUB``), what publishes pyplot's figures to it, started; else
    None. One per process, for the hub the settings named when it started."""
    global _publisher  # noqa: PLW0603 - one publishing connection per process, made lazily
    settings = current_settings()
    with _default_lock:
        if _publisher is None and settings.hub:
            _publisher = HubPublisher(settings.hub, settings.hub_token, PyplotFigures(), this_run())
            _publisher.start()
        return _publisher


_notebook: NotebookFigures | None = None
_notebook_unavailable = False


def notebook_figures() -> NotebookFigures | None:
    """In an IPython kernel (a notebook's), what shows pyplot's figures in the notebook, made
    on first use; elsewhere None (figures are served from the default server).

    Without the notebook extra (anywidget) a kernel's figures go to the default server, as a
    script's do, and one warning says how to have them inline.
    """
    global _notebook, _notebook_unavailable  # noqa: PLW0603 - one per kernel, made lazily
    if _notebook is not None or _notebook_unavailable:
        return _notebook
    from .notebook.kernel import kernel_shell

    shell = kernel_shell()
    if shell is None:
        return None
    with _default_lock:
        if _notebook is None and not _notebook_unavailable:
            try:
                from .notebook.cells import NotebookFigures
            except ImportError as error:
                _notebook_unavailable = True
                _log.warning(
                    "webfig: figures are not shown in the notebook (%s); install"
                    " webfig[notebook] to have them inline. They are served in a browser"
                    " tab instead.",
                    error,
                )
                return None
            _notebook = NotebookFigures(shell, markup=_notebook_markup, tab_url=_tab_url)
    return _notebook


def _notebook_markup(figure: ServedFigure) -> str:
    return figure_markup(figure, open_link=True)


def _tab_url(figure: ServedFigure) -> str:
    """The page of ``figure`` on the default server, started if need be (no browser tab is
    opened on the kernel's machine: the notebook's browser opens it)."""
    server = default_server()
    server.start()
    base, _, query = server.url.partition("?")
    return f"{base}{figure.number}" + (f"?{query}" if query else "")


# Set whenever a pyplot figure closes, so that a blocking show() looks again at once.
_figure_closed = threading.Event()
# Seconds a blocking show() waits before it looks again anyway.
_CLOSED_CHECK_INTERVAL = 1.0


class FigureManagerWebfig(WebfigManager):
    """pyplot's figure manager: showing a figure serves it from the default server, or,
    with a hub set, the figure is published to the hub as it is made. In a notebook's
    kernel it is shown in the notebook instead (:class:`~webfig.notebook.cells.NotebookFigures`).
    """

    def __init__(self, canvas: WebfigCanvas, num: int) -> None:
        super().__init__(canvas, num)
        notebook = notebook_figures()
        if notebook is not None:
            notebook.made(self)
        if _publishing() or notebook is not None:
            return
        if mpl.is_interactive():
            _serve_interactively()

    def show(self) -> None:
        """Draw every pyplot figure that never was, wait for those draws, then make sure the
        default server is running. So once the server prints its URL each figure was drawn,
        as a desktop backend's windows are open once it shows them: an animation made before
        ``plt.show()`` has started, whether anybody looks or not."""
        drawing = [
            manager
            for manager in Gcf.get_all_fig_managers()
            if isinstance(manager, WebfigManager) and manager.start_first_draw()
        ]
        for manager in drawing:
            manager.canvas.flush_events()  # (at most FLUSH_TIMEOUT: a busy figure waits)
        notebook = notebook_figures()
        if notebook is not None:
            notebook.show(self)
        elif not _publishing():
            default_server().ensure_started()

    def destroy(self) -> None:
        super().destroy()
        _figure_closed.set()

    @classmethod
    def start_main_loop(cls) -> None:
        """What a blocking ``plt.show()`` does: serve until the last figure is closed (by the
        script, a callback, or a viewer), as a desktop backend returns when its last window
        closes. Ctrl+C stops the server, then raises KeyboardInterrupt to the caller.

        In a notebook it returns at once: the kernel keeps the figures live between cells."""
        if notebook_figures() is not None:
            return
        with _stopping_on_interrupt():
            while Gcf.get_num_fig_managers():
                _figure_closed.wait(_CLOSED_CHECK_INTERVAL)
                _figure_closed.clear()


class FigureCanvasWebfig(WebfigCanvas):
    """pyplot's canvas: webfig's canvas, managed by :class:`FigureManagerWebfig`."""

    manager_class = FigureManagerWebfig

    def _ipython_display_(self) -> None:
        """``fig.canvas`` as a notebook cell's last expression: one more output of the
        figure. Elsewhere (a terminal's IPython), its repr."""
        notebook = notebook_figures()
        if notebook is not None and isinstance(self.manager, FigureManagerWebfig):
            notebook.display(self.manager)
        else:
            from .notebook.kernel import display_text

            display_text(repr(self))

    def start_event_loop(self, timeout: float = 0) -> None:
        """``plt.pause``'s wait; Ctrl+C stops the server, then raises KeyboardInterrupt."""
        with _stopping_on_interrupt():
            super().start_event_loop(timeout)


def _publishing() -> bool:
    """Whether pyplot's figures go to a hub (and no server of this process' own starts).
    A setting that cannot be read is left for the server to report, as without a hub."""
    try:
        return default_publisher() is not None
    except ConfigError:
        return False


def _serve_interactively() -> None:
    """In interactive mode (``plt.ion()``) a figure is shown as it is made, as a desktop
    backend opens its window: the server starts, prints its URL and opens a browser tab with
    the first one. A server that cannot start says why in a warning; ``plt.figure()`` goes on,
    and ``plt.show()`` raises the same error."""
    try:
        default_server().ensure_started()
    except (OSError, ConfigError) as error:
        _log.warning("%s", error)


@contextlib.contextmanager
def _stopping_on_interrupt() -> Iterator[None]:
    """Ctrl+C inside: the default server stops cleanly (sockets closed), and the
    KeyboardInterrupt goes on to the caller, as in every other backend."""
    try:
        yield
    except KeyboardInterrupt:
        _log.info("webfig: interrupted, shutting down")
        default_server().stop()
        raise


@_Backend.export
class _BackendWebfig(_Backend):
    backend_version = __version__
    FigureCanvas = FigureCanvasWebfig
    FigureManager = FigureManagerWebfig
    mainloop = FigureManagerWebfig.start_main_loop


FigureCanvas = FigureCanvasWebfig
FigureManager = FigureManagerWebfig
