"""The navigation toolbar: matplotlib's pan/zoom/history logic, reported to viewers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matplotlib.backend_bases import NavigationToolbar2

from ..wire import outgoing
from ..wire.incoming import ToolName
from ..wire.outgoing import Message
from ..wire.toolbar_buttons import TOOLS

if TYPE_CHECKING:
    from matplotlib.backend_bases import Event, FigureCanvasBase

Send = Callable[[Message], None]


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
