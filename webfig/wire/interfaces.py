"""The two interfaces between the backend and the transport that serves it.

:class:`Viewer` is what a figure needs of a viewer: somewhere to send messages and frames.
:class:`ServedFigure` is what the server needs of a figure (and :class:`DownloadOptions`, how
it saves one). The figure manager implements one
and talks only to the other, never to Tornado; the handlers do the reverse. So either side can
be driven by plain objects in tests, and either can change without the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from .incoming import ClientMessage
from .outgoing import Message


class Viewer(Protocol):
    """One browser view of one figure."""

    def send_json(self, content: Message) -> None:
        """Send one JSON message. May be called from any thread."""

    def send_binary(self, blob: bytes) -> None:
        """Send one binary frame. May be called from any thread."""

    def figure_closed(self) -> None:
        """The figure is gone: tell the viewer so and end the connection. On the event loop."""

    def reconnect(self) -> None:
        """The figure is served otherwise now (a hub's kept figure, live again in a worker):
        end the connection so that the viewer connects again. On the event loop."""


@dataclass(frozen=True)
class DownloadOptions:
    """How to save the figure: ``dpi`` None for the default, and savefig's keywords."""

    dpi: float | None = None
    transparent: bool = False
    tight: bool = False

    def savefig_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"transparent": self.transparent}
        if self.tight:
            kwargs["bbox_inches"] = "tight"
        return kwargs


@runtime_checkable
class ServedFigure(Protocol):
    """One figure as a server sees it: what its pages show, its viewers, its files.

    ``add_viewer``, ``remove_viewer`` and ``handle_message`` are called on the event loop and
    return at once; the figure does its work (drawing, encoding) when and where it sees fit.
    ``save`` blocks until the file is made: call it off the event loop.
    """

    @property
    def number(self) -> int:
        """The figure's number, which names it in URLs (``/<number>``)."""

    @property
    def title(self) -> str: ...

    @property
    def closable(self) -> bool:
        """Whether a viewer may close the figure; its page then offers a close button."""

    @property
    def toolbar_kind(self) -> Literal["toolbar2", "toolmanager"] | None:
        """matplotlib's navigation toolbar, a ToolManager's tools, or no toolbar."""

    def has_tool(self, name: str) -> bool:
        """Whether a viewer may trigger the ToolManager tool ``name``; may be called from any
        thread."""

    @property
    def size(self) -> tuple[float, float]:
        """Width and height in CSS pixels."""

    @property
    def size_inches(self) -> tuple[float, float]: ...

    @property
    def default_format(self) -> str:
        """The download format offered first."""

    def download_formats(self) -> Mapping[str, str]:
        """The formats the figure can be saved in, with their descriptions."""

    def revision(self) -> str:
        """A token that changes whenever the figure may have changed, and that no other
        figure of the process has (figure numbers are reused); downloads' ETags use it."""

    def add_viewer(self, viewer: Viewer) -> None:
        """Start sending ``viewer`` this figure's messages and frames."""

    def remove_viewer(self, viewer: Viewer) -> None: ...

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        """Act on one checked message from ``viewer``."""

    def frame_written(self, viewer: Viewer) -> None:
        """The transport handed one of ``viewer``'s frames to the network (in order); for a
        client that never acknowledges frames, flow control goes by this instead."""

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        """The figure as a file in ``fmt``, drawn as ``options`` say; viewers' pictures and
        the figure are left as they were."""
