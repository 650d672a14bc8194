"""When an IPython kernel's figures are shown in the notebook, kept up to date in its saved
outputs, and closed: the kernel's cells and displays."""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from IPython.core.interactiveshell import ExecutionInfo, InteractiveShell
from IPython.display import display, update_display
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure

from ..figure.manager import WebfigManager
from ..runtime.event_loop import download_pool, server_thread
from ..wire.interfaces import ServedFigure
from .notebook_figure import NotebookFigure
from .picture import Picture, current_picture

_log = logging.getLogger(__name__)

WIDGET_VIEW: Final = "application/vnd.jupyter.widget-view+json"
# Seconds a figure stays unchanged before its outputs' saved picture is brought up to date:
# one update for a whole pan, not one a frame.
PICTURE_DELAY: Final = 1.0


@dataclass(eq=False)
class _Shown:
    """A figure of the notebook's: its widget, its outputs, and their saved picture."""

    manager: WebfigManager
    widget: NotebookFigure
    display_ids: list[str] = field(default_factory=list)
    picture: Picture | None = None
    # The figure changed since ``picture`` was taken, and an update is scheduled.
    stale: bool = False
    update_timer: Any = None


class NotebookFigures:
    """pyplot's figures in one IPython kernel's notebook.

    - A figure is shown in the output of the cell that made it, at the end of that cell,
      unless something showed it before: ``plt.show()``, ``display(fig)``, or ``fig`` (or
      ``fig.canvas``) as the cell's last expression. Each of those makes one more output; in
      every output the figure is live, and they all stay in step.
    - Running a cell again closes the figures its last run made, so a cell re-run a hundred
      times leaves one figure, not a hundred.
    - Each output carries a PNG of the figure's picture besides its widget, brought up to
      date a second after the figure last changed: a saved notebook shows the figures as they
      were (in nbconvert, on GitHub, without a kernel). A figure that closes leaves that
      picture alone in its outputs, and its widget goes.

    ``markup(figure)`` is the figure's HTML (templates/figure.html); ``tab_url(figure)``
    starts webfig's own server if need be and gives the figure's page there.
    """

    def __init__(
        self,
        shell: InteractiveShell,
        *,
        markup: Callable[[ServedFigure], str],
        tab_url: Callable[[ServedFigure], str] | None = None,
    ) -> None:
        self._shell = shell
        self._markup = markup
        self._tab_url = tab_url
        self._lock = threading.RLock()
        self._shown: dict[WebfigManager, _Shown] = {}
        # The figures each cell's last run made, by cell id, and those of the run under way.
        self._made_by_cell: dict[str, list[WebfigManager]] = {}
        self._made_now: list[WebfigManager] = []
        self._busy = threading.Event()
        # Made by a cell's first figure (``%matplotlib webfig`` in the cell itself): the
        # cell under way is the first this follows.
        running = getattr(shell.displayhook, "exec_result", None)
        self._cell: str | None = _cell_id(getattr(running, "info", None))
        if running is not None:
            self._busy.set()
        events = shell.events
        events.register("pre_execute", self._busy.set)
        events.register("post_execute", self._busy.clear)
        events.register("pre_run_cell", self._pre_run_cell)
        events.register("post_run_cell", self._post_run_cell)
        self._formatter().for_type(Figure, self._display_figure)

    def unregister(self) -> None:
        """Stop following the shell's cells (the backend changed)."""
        events = self._shell.events
        events.unregister("pre_execute", self._busy.set)
        events.unregister("post_execute", self._busy.clear)
        events.unregister("pre_run_cell", self._pre_run_cell)
        events.unregister("post_run_cell", self._post_run_cell)
        self._formatter().pop(Figure, None)

    @property
    def kernel_busy(self) -> bool:
        """Whether a cell runs (and the browser's messages wait unread)."""
        return self._busy.is_set()

    @property
    def _kernel_exiting(self) -> bool:
        """Whether the kernel shuts down or restarts (pyplot's ``atexit`` then closes every
        figure). Outputs and widgets are left as they are: the kernel's IOPub socket is
        closing, and a large message sent now arrives cut short (the rest of it glued to
        the next), which JupyterLab reports as an error."""
        return bool(getattr(self._shell, "exit_now", False))

    # What the backend tells

    def made(self, manager: WebfigManager) -> None:
        """A pyplot figure was made: it belongs to the cell that runs."""
        with self._lock:
            self._made_now.append(manager)

    def show(self, manager: WebfigManager) -> None:
        """``plt.show()``: a figure not shown yet is shown now."""
        with self._lock:
            shown = self._shown.get(manager)
            if shown is not None and shown.display_ids:
                return
        self.display(manager)

    def display(self, manager: WebfigManager) -> None:
        """One more output of the figure, live, where the cell's output goes now."""
        shown = self._track(manager)
        picture = self._picture_now(shown)
        display_id = f"webfig-{manager.num}-{len(shown.display_ids)}-{id(shown):x}"
        data, metadata = _bundle(manager, shown.widget, picture)
        _display(data, raw=True, metadata=metadata, display_id=display_id)
        with self._lock:
            shown.display_ids.append(display_id)

    # The shell's cells

    def _pre_run_cell(self, info: ExecutionInfo) -> None:
        with self._lock:
            self._cell = _cell_id(info)
            self._made_now = []
            earlier = self._made_by_cell.pop(self._cell, []) if self._cell else []
        for manager in earlier:
            if _is_open(manager):
                Gcf.destroy(manager)

    def _post_run_cell(self, result: object) -> None:
        with self._lock:
            made, self._made_now = self._made_now, []
            if self._cell:
                self._made_by_cell[self._cell] = made
        for manager in made:
            if _is_open(manager):
                self.show(manager)

    def _display_figure(self, figure: Figure) -> None:
        """``fig`` as a cell's last expression, or ``display(fig)``: a pyplot figure of
        webfig's gets an output; any other figure is shown as IPython would without us."""
        manager = figure.canvas.manager
        if isinstance(manager, WebfigManager) and _is_open(manager):
            self.display(manager)
            return
        with self._formatter_off():
            _display(figure)

    def _formatter(self) -> Any:
        """The shell's formatter of objects that display themselves (``_ipython_display_``):
        an ``IPythonDisplayFormatter``, whose methods IPython leaves untyped."""
        formatter = self._shell.display_formatter
        assert formatter is not None
        return formatter.ipython_display_formatter

    @contextlib.contextmanager
    def _formatter_off(self) -> Iterator[None]:
        formatter = self._formatter()
        formatter.pop(Figure, None)
        try:
            yield
        finally:
            formatter.for_type(Figure, self._display_figure)

    # The figure's widget and saved picture

    def _track(self, manager: WebfigManager) -> _Shown:
        with self._lock:
            shown = self._shown.get(manager)
            if shown is not None:
                return shown
            widget = NotebookFigure(
                manager,
                self._markup(manager),
                kernel_busy=lambda: self.kernel_busy,
                tab_url=self._tab_url,
            )
            shown = _Shown(manager, widget)
            self._shown[manager] = shown
        canvas = manager.canvas
        canvas.mpl_connect("draw_event", lambda _: self._changed(shown))
        canvas.mpl_connect("close_event", lambda _: self._closed(shown))
        return shown

    def _picture_now(self, shown: _Shown) -> Picture:
        picture = current_picture(shown.manager)
        with self._lock:
            shown.picture = picture
            shown.stale = False
        return picture

    def _try_picture(self, shown: _Shown) -> Picture | None:
        """The figure's picture now, or None (with a warning) if it could not be taken."""
        try:
            return self._picture_now(shown)
        except Exception:
            _log.warning(
                "figure %s: its picture could not be taken", shown.manager.num, exc_info=True
            )
            return None

    def _changed(self, shown: _Shown) -> None:
        """After a draw: the saved picture is brought up to date once the figure has been
        left alone for PICTURE_DELAY."""
        with self._lock:
            shown.stale = True
        server_thread().call_soon(lambda: self._schedule_update(shown))

    def _schedule_update(self, shown: _Shown) -> None:
        if shown.update_timer is not None:
            shown.update_timer.cancel()
        shown.update_timer = server_thread().loop.call_later(
            PICTURE_DELAY, lambda: download_pool().submit(self._update_outputs, shown)
        )

    def _update_outputs(self, shown: _Shown) -> None:
        with self._lock:
            if not shown.stale or not shown.display_ids or shown not in self._shown.values():
                return
        if self._kernel_exiting:
            return
        if not shown.widget.left_alone_for(PICTURE_DELAY):
            # An output rendered anew mid-gesture would cut it: later.
            server_thread().call_soon(lambda: self._schedule_update(shown))
            return
        picture = self._try_picture(shown)
        if picture is None:
            return
        data, metadata = _bundle(shown.manager, shown.widget, picture)
        for display_id in list(shown.display_ids):
            _update_display(data, raw=True, metadata=metadata, display_id=display_id)

    def _closed(self, shown: _Shown) -> None:
        """The figure closed (by the script, a viewer, or its cell run again): each output
        keeps the picture alone, and the widget goes."""
        with self._lock:
            if self._shown.pop(shown.manager, None) is None:
                return
            stale, picture = shown.stale, shown.picture
        if shown.update_timer is not None:
            server_thread().call_soon(shown.update_timer.cancel)
        if self._kernel_exiting:
            return  # each view keeps showing the figure: nothing sent now arrives whole
        self._keep_picture(shown, picture if not stale else None)
        shown.widget.close()

    def _keep_picture(self, shown: _Shown, picture: Picture | None) -> None:
        """Each of a closed figure's outputs becomes its picture alone (``picture``, or one
        taken now)."""
        if not shown.display_ids:
            return
        picture = picture or self._try_picture(shown)
        if picture is None:
            return
        data, metadata = _picture_bundle(shown.manager, picture)
        for display_id in shown.display_ids:
            _update_display(data, raw=True, metadata=metadata, display_id=display_id)


def _cell_id(info: ExecutionInfo | None) -> str | None:
    """The notebook's id of the cell that runs (JupyterLab, Notebook 7 and VS Code send
    one), or None."""
    cell = getattr(info, "cell_id", None)
    return cell if isinstance(cell, str) and cell else None


def _is_open(manager: WebfigManager) -> bool:
    """Whether ``manager``'s figure is one of pyplot's, still open."""
    return any(other is manager for other in Gcf.get_all_fig_managers())


def _display(*objects: object, **options: Any) -> None:
    display(*objects, **options)  # type: ignore[no-untyped-call]  # IPython has no hints


def _update_display(data: object, **options: Any) -> None:
    update_display(data, **options)  # type: ignore[no-untyped-call]


def _bundle(
    manager: WebfigManager, widget: NotebookFigure, picture: Picture
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An output of the figure: its live widget, and its picture for when there is none."""
    data, metadata = _picture_bundle(manager, picture)
    data[WIDGET_VIEW] = {"version_major": 2, "version_minor": 0, "model_id": widget.widget.model_id}
    return data, metadata


def _picture_bundle(
    manager: WebfigManager, picture: Picture
) -> tuple[dict[str, Any], dict[str, Any]]:
    label = manager.get_window_title() or f"Figure {manager.num}"
    data = {
        "image/png": base64.b64encode(picture.png).decode("ascii"),
        "text/plain": f"<{label} (webfig)>",
    }
    size = {"width": round(picture.width), "height": round(picture.height)}
    return data, {"image/png": size}
