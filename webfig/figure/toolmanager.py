"""The ToolManager toolbar (``rcParams["toolbar"] = "toolmanager"``): matplotlib's tools,
shown on the page, pressed by any viewer, their state shared by all.

matplotlib keeps the tools (``figure.canvas.manager.toolmanager``): their key maps, toggle
groups, ``add_tool`` and ``remove_tool``. This module is the backend's part: the container
that tells viewers what the toolbar holds, and the tools whose work a backend does (saving,
the zoom rectangle, the subplot tool, help) or whose work a viewer may ask only under the
figure manager's closing rule (quit, quit_all), put in place of matplotlib's.

A viewer may trigger only the tools the toolbar shows (:meth:`ToolContainerWebfig.has_tool`).
"""

from __future__ import annotations

import base64
import io
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

import matplotlib as mpl
from matplotlib import backend_tools
from matplotlib.backend_bases import ToolContainerBase
from PIL import Image

from ..wire import outgoing
from ..wire.incoming import ToolName
from ..wire.outgoing import Message

if TYPE_CHECKING:
    from matplotlib.backend_managers import ToolManager

    from .subplot_tool import SubplotTool

_log = logging.getLogger(__name__)

Send = Callable[[Message], None]

ICONS: Final = Path(__file__).parents[1] / "static" / "icons"
# matplotlib's own icons (by file name, without extension) that webfig draws in its style.
STOCK_ICONS: Final = {
    "home": "home.svg",
    "back": "back.svg",
    "forward": "forward.svg",
    "move": "move.svg",
    "zoom_to_rect": "zoom.svg",
    "subplots": "subplots.svg",
    "filesave": "download.svg",
    "help": "help.svg",
}
# Other icons are scaled down to fit this many pixels a side (a button shows 20 CSS pixels).
ICON_SIDE: Final = 48


class ToolHost(Protocol):
    """What webfig's tools need of the figure's manager."""

    def reply(self, content: Message) -> None: ...

    def broadcast(self, content: Message) -> None: ...

    def quit(self, *, all_figures: bool = False) -> None: ...

    @property
    def subplot_tool(self) -> SubplotTool: ...


@dataclass
class _Item:
    """One button, as viewers are told of it."""

    name: str
    description: str
    toggle: bool
    toggled: bool
    icon: str | None


class ToolContainerWebfig(ToolContainerBase):
    """The toolbar viewers show for a ToolManager: the tools in their groups, in order.

    matplotlib calls the hooks from whichever thread adds, removes or toggles a tool (the
    script's, or the figure's thread for a viewer's click or key); each change reaches every
    viewer. ``status`` is the coalesced broadcast of the status line.
    """

    def __init__(self, toolmanager: ToolManager, broadcast: Send, status: Send) -> None:
        self._broadcast = broadcast
        self._status = status
        self._lock = threading.Lock()
        self._groups: dict[str, list[_Item]] = {}
        self.message = ""
        super().__init__(toolmanager)

    # matplotlib's hooks

    def add_toolitem(  # noqa: PLR0917 - matplotlib's hook
        self,
        name: str,
        group: str,
        position: int,
        image: str | None,
        description: str | None,
        toggle: bool,
    ) -> None:
        item = _Item(name, description or "", bool(toggle), False, icon_url(image))
        with self._lock:
            tools = self._groups.setdefault(group, [])
            tools.insert(position if 0 <= position < len(tools) else len(tools), item)
        self._broadcast(self.items_message())

    def toggle_toolitem(self, name: str, toggled: bool) -> None:
        with self._lock:
            for item in self._items():
                if item.name == name:
                    item.toggled = bool(toggled)
        self._broadcast(outgoing.tool_toggled(name, bool(toggled)))

    def remove_toolitem(self, name: str) -> None:
        # Called for every tool the manager removes, on the toolbar or not.
        with self._lock:
            removed = any(item.name == name for item in self._items())
            for group, tools in list(self._groups.items()):
                tools[:] = [item for item in tools if item.name != name]
                if not tools:
                    del self._groups[group]
        if removed:
            self._broadcast(self.items_message())

    def set_message(self, s: str) -> None:
        if s != self.message:
            self.message = s
            self._status(outgoing.status(s))

    # What the manager asks

    def has_tool(self, name: str) -> bool:
        """Whether ``name`` is a button on the toolbar, which a viewer may press: matplotlib's
        default buttons, toggles among them, and those the script added. Tools the manager
        has but the toolbar does not show (``quit_all``, ``fullscreen``, ``xscale``...) are
        no viewer's to trigger (their keys are matplotlib's key bindings, as in toolbar2)."""
        with self._lock:
            return any(item.name == name for item in self._items())

    def trigger(self, name: str) -> None:
        """A viewer pressed the button of tool ``name`` (one on the toolbar: the transport
        refuses others; it may have gone since)."""
        if self.has_tool(name) and self.toolmanager.get_tool(name, warn=False) is not None:
            self.trigger_tool(name)

    def press(self, name: ToolName) -> None:
        """A toolbar2 button, from a client that knows only those (mpl.js): its tool."""
        self.trigger("save" if name == "download" else name)

    def items_message(self) -> Message:
        with self._lock:
            groups = [
                (group, [asdict(item) for item in tools]) for group, tools in self._groups.items()
            ]
        return outgoing.tool_items(groups)

    def state_messages(self) -> list[Message]:
        """What a new viewer needs to show the toolbar as it is."""
        return [self.items_message(), outgoing.status(self.message)]

    def _items(self) -> list[_Item]:
        return [item for tools in self._groups.values() for item in tools]


def icon_url(image: str | None) -> str | None:
    """A button's icon as a data URL: webfig's own for matplotlib's stock icons, otherwise
    the tool's image as an RGBA PNG (whatever its mode: LA, P, RGB...); ``None`` for none, or
    for one that cannot be read (with a warning: the button shows the tool's name)."""
    if image is None:
        return None
    path = Path(image)
    stock = STOCK_ICONS.get(path.stem)
    if stock is not None and path.parent.resolve() == _matplotlib_images():
        return (
            "data:image/svg+xml;base64," + base64.b64encode((ICONS / stock).read_bytes()).decode()
        )
    try:
        with Image.open(path) as opened:
            icon = opened.convert("RGBA")
        icon.thumbnail((ICON_SIDE, ICON_SIDE))
        with io.BytesIO() as buffer:
            icon.save(buffer, "png")
            return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    except (OSError, ValueError) as error:
        _log.warning(
            "the toolbar icon %s could not be read (%s); the button shows its name", image, error
        )
        return None


def _matplotlib_images() -> Path:
    return (Path(mpl.get_data_path()) / "images").resolve()


def _host(tool: backend_tools.ToolBase) -> ToolHost | None:
    manager: Any = tool.figure.canvas.manager if tool.figure is not None else None
    return manager if hasattr(manager, "subplot_tool") else None


class SaveFigureWebfig(backend_tools.SaveFigureBase):
    """Asks the viewer that pressed the button (or the key) to download the figure."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        if (host := _host(self)) is not None:
            host.reply(outgoing.save())


class RubberbandWebfig(backend_tools.RubberbandBase):
    """The zoom rectangle, drawn by every viewer."""

    def draw_rubberband(self, *data: float) -> None:
        if (host := _host(self)) is not None:
            host.broadcast(outgoing.rubberband(*data))

    def remove_rubberband(self) -> None:
        if (host := _host(self)) is not None:
            host.broadcast(outgoing.no_rubberband())


class ConfigureSubplotsWebfig(backend_tools.ConfigureSubplotsBase):
    """Opens the subplot tool on the page of the viewer that pressed it."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        if (host := _host(self)) is not None:
            host.subplot_tool.open()


class HelpWebfig(backend_tools.ToolHelpBase):
    """Shows the viewer that asked every tool with its keys and description."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        if (host := _host(self)) is None or self.toolmanager is None:
            return
        entries = [
            (
                name,
                ", ".join(map(self.format_shortcut, self.toolmanager.get_tool_keymap(name))),
                tool.description,
            )
            for name, tool in sorted(self.toolmanager.tools.items())
            if tool.description
        ]
        host.reply(outgoing.tool_help(entries))


class QuitWebfig(backend_tools.ToolQuit):
    """Closes the figure: a viewer's quit (its key, or a button the script put on the
    toolbar) as the manager's closing rule allows."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        if (host := _host(self)) is not None:
            host.quit()
        else:
            super().trigger(*args, **kwargs)


class QuitAllWebfig(backend_tools.ToolQuitAll):
    """Closes every figure when the script triggers it; a viewer's closes only the figure it
    views (the manager's closing rule)."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        if (host := _host(self)) is not None:
            host.quit(all_figures=True)
        else:
            super().trigger(*args, **kwargs)


class CopyToClipboardWebfig(backend_tools.ToolCopyToClipboardBase):
    """The page copies the figure itself, by its copy button and by ctrl/cmd+c (the key also
    reaches this tool): nothing is left to do here, and matplotlib's stand-in would say
    copying is not available. A script's own trigger copies nothing: a browser lets only a
    user's gesture write its clipboard."""

    def trigger(self, *args: Any, **kwargs: Any) -> None:
        _log.debug("the copy tool copies nothing on the server: the page's copy button does")


# The tools whose work is the backend's, by the names matplotlib's defaults give them.
WEBFIG_TOOLS: Final = {
    "save": SaveFigureWebfig,
    "rubberband": RubberbandWebfig,
    "subplots": ConfigureSubplotsWebfig,
    "help": HelpWebfig,
    "quit": QuitWebfig,
    "quit_all": QuitAllWebfig,
    "copy": CopyToClipboardWebfig,
}


def install_tools(toolmanager: ToolManager, broadcast: Send, status: Send) -> ToolContainerWebfig:
    """Put webfig's tools in place of matplotlib's stand-ins (through the tool manager's own
    ``remove_tool`` and ``add_tool``, key maps and all), then make the toolbar and fill it
    with matplotlib's default toolbar tools."""
    for name, tool in WEBFIG_TOOLS.items():
        if toolmanager.get_tool(name, warn=False) is not None:
            toolmanager.remove_tool(name)
        toolmanager.add_tool(name, tool)
    container = ToolContainerWebfig(toolmanager, broadcast, status)
    backend_tools.add_tools_to_container(container)
    return container
