"""The navigation toolbar: matplotlib's pan/zoom/history logic, reported to viewers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from matplotlib.backend_bases import NavigationToolbar2

from ..wire import outgoing
from ..wire.incoming import Pinch, ToolName
from ..wire.outgoing import Message
from ..wire.toolbar_buttons import TOOLS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import Event, FigureCanvasBase

Send = Callable[[Message], None]
# The name a ToolManager keeps its view history under (matplotlib's ``_views_positions``).
_VIEWS_TOOL = "viewpos"


class NavigationToolbarWebfig(NavigationToolbar2):
    """Reports toolbar state to viewers through ``broadcast``, ``reply`` and ``status``.

    ``broadcast`` reaches every viewer of the figure; ``reply`` reaches the viewer whose
    input is being handled (every viewer when the change comes from the script); ``status``
    is a broadcast that may be coalesced (the status line changes with every pointer move).
    """

    toolitems = tuple(
        (tool.name.capitalize(), tool.tooltip, tool.icon, tool.name) if tool else (None,) * 4
        for tool in TOOLS
    )

    def __init__(
        self,
        canvas: FigureCanvasBase,
        broadcast: Send,
        reply: Send,
        status: Send,
        open_subplot_tool: Callable[[], None],
    ) -> None:
        self._broadcast = broadcast
        self._reply = reply
        self._status = status
        self._open_subplot_tool = open_subplot_tool
        self.message = ""
        super().__init__(canvas)

    def set_message(self, s: str) -> None:
        if s != self.message:
            self.message = s
            self._status(outgoing.status(s))

    def draw_rubberband(self, event: Event, x0: float, y0: float, x1: float, y1: float) -> None:
        self._broadcast(outgoing.rubberband(x0, y0, x1, y1))

    def remove_rubberband(self) -> None:
        self._broadcast(outgoing.no_rubberband())

    def save_figure(self, *args: Any) -> Any:
        """Ask the viewer that pressed the key (or the button) to download the figure."""
        self._reply(outgoing.save())
        return self.UNKNOWN_SAVED_STATUS

    def configure_subplots(self, *args: Any) -> Any:
        """The subplot tool, on the page of the viewer that asked (matplotlib's would be a
        figure of its own, which it returns: here there is none)."""
        self._open_subplot_tool()
        return None

    def press(self, name: ToolName) -> None:
        """A viewer pressed the button ``name``."""
        match name:
            case "download":
                self.save_figure()
            case "subplots":
                self.configure_subplots()
            case _:
                getattr(self, name)()

    def pan(self, *args: Any) -> None:
        super().pan(*args)
        self._broadcast(self.navigate_mode_message())

    def zoom(self, *args: Any) -> None:
        super().zoom(*args)
        self._broadcast(self.navigate_mode_message())

    def set_history_buttons(self) -> None:
        self._broadcast(self.history_message())

    def navigate_mode_message(self) -> Message:
        return outgoing.navigate_mode(self.mode.name)

    def history_message(self) -> Message:
        # The view history has no public API; every toolbar reads it like this.
        history = self._nav_stack  # type: ignore[attr-defined]
        return outgoing.history_buttons(
            back=history._pos > 0, forward=history._pos < len(history) - 1
        )

    def state_messages(self) -> list[Message]:
        """What a new viewer needs to show the toolbar as it is."""
        return [self.history_message(), self.navigate_mode_message(), outgoing.status(self.message)]


class _ViewHistory:
    """A figure's view history, as its toolbar keeps it: toolbar2's navigation stack, or a
    ToolManager's view positions tool."""

    def __init__(self, top: Callable[[], Mapping[Axes, object] | None], push: Callable[[], None]):
        # The views of the history's current entry, by axes; ``push`` adds the figure's views.
        self._top = top
        self.push = push

    def remember(self, axes: list[Axes]) -> None:
        """Push the views as they are, unless the history's current entry holds them already
        (``back`` then goes to them in one step, not to an older entry)."""
        top = self._top()
        # (The view of an axes has no public API; every toolbar reads it like this.)
        if top is None or any(top.get(ax) != ax._get_view() for ax in axes):  # type: ignore[attr-defined]
            self.push()


def _view_history(canvas: FigureCanvasBase) -> _ViewHistory | None:
    toolbar = canvas.toolbar
    if isinstance(toolbar, NavigationToolbar2):
        # The view history has no public API; every toolbar reads it like this.
        stack = toolbar._nav_stack  # type: ignore[attr-defined]

        def top2() -> Mapping[Axes, object] | None:
            entry = stack()
            return None if entry is None else {ax: view for ax, (view, _) in entry.items()}

        return _ViewHistory(top2, toolbar.push_current)
    toolmanager = getattr(canvas.manager, "toolmanager", None)
    tool = toolmanager.get_tool(_VIEWS_TOOL, warn=False) if toolmanager is not None else None
    if tool is None:
        return None
    figure = canvas.figure
    tool.add_figure(figure)
    return _ViewHistory(tool.views[figure], lambda: tool.push_current(figure))


def takes_pinch(canvas: FigureCanvasBase) -> bool:
    """Whether a pinch changes ``canvas``' figure's view: it has a toolbar whose history
    keeps views (as matplotlib's pan and zoom need one)."""
    return _view_history(canvas) is not None


def pinch_targets(canvas: FigureCanvasBase, x: float, y: float) -> list[Axes]:
    """The axes a pinch about display point (``x``, ``y``) zooms: the topmost under it, as
    matplotlib picks the axes under the pointer, if it is a rectilinear one that navigates
    and zooms, and the axes twinned with it (``twinx``, ``twiny``: one box, one gesture)."""
    target = canvas.inaxes((x, y))
    if target is None or not _pinchable(target):
        return []
    twins = target._twinned_axes.get_siblings(target)  # type: ignore[attr-defined]
    return [target, *(ax for ax in twins if ax is not target and _pinchable(ax))]


def _pinchable(ax: Axes) -> bool:
    return bool(
        ax.name == "rectilinear" and ax.get_visible() and ax.get_navigate() and ax.can_zoom()
    )


def pinched_limits(
    ax: Axes, centre: tuple[float, float], scale: float, shift: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``ax``'s view limits after a pinch that scaled its picture by ``scale`` about display
    point ``centre`` and moved it by ``shift`` (display pixels, y up): what each edge of its
    box shows then is what was at the pixel the pinch took there. On any scale (log too):
    the pixels go back to data through the axes' own transform."""
    (cx, cy), (sx, sy) = centre, shift
    x0, y0, x1, y1 = ax.bbox.extents
    corners = [
        (cx + (x - cx - sx) / scale, cy + (y - cy - sy) / scale) for x, y in ((x0, y0), (x1, y1))
    ]
    (left, bottom), (right, top) = ax.transData.inverted().transform(corners)
    return (float(left), float(right)), (float(bottom), float(top))


def apply_pinch(canvas: FigureCanvasBase, pinch: Pinch) -> bool:
    """A viewer's pinch (device pixels from the top-left, as it sent them), applied as one
    view change that the toolbar's ``back`` undoes; False if it changed nothing (no axes
    under it that zooms, or no toolbar to keep the view)."""
    history = _view_history(canvas)
    height = canvas.figure.bbox.height
    centre = (pinch.x, height - pinch.y)
    axes = pinch_targets(canvas, *centre) if history is not None else []
    if history is None or not axes:
        return False
    # Worked out before any is set: twins share an axis, which setting one changes.
    limits = [(ax, pinched_limits(ax, centre, pinch.scale, (pinch.dx, -pinch.dy))) for ax in axes]
    history.remember(list(canvas.figure.axes))
    for ax, (xlim, ylim) in limits:
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    history.push()
    canvas.draw_idle()
    return True
