"""One view of a figure in a notebook, as a :class:`~webfig.wire.interfaces.Viewer`: its
messages and frames go out as comm messages of the figure's widget, addressed to the view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..runtime.event_loop import server_thread
from ..wire.outgoing import Message

# Sends one comm message: its JSON content and its binary buffers.
SendComm = Callable[[dict[str, Any], list[bytes]], None]


class CommViewer:
    """A view in a notebook's output, reached through its figure's widget.

    Everything it sends goes through the event loop, in the order it was asked for, so a
    frame's sequence message never overtakes the frame, whichever threads they came from.

    The kernel reads the browser's messages only between cells. While a cell runs, frames
    the script draws still go out, but the browser's acknowledgements wait unread; so
    :meth:`stand_in_ack` lets the figure count a frame acknowledged when it is handed on,
    and :meth:`take_ack` drops as many of the browser's own acknowledgements when they come.
    """

    def __init__(
        self,
        view: str,
        send: SendComm,
        *,
        frame_sent: Callable[[CommViewer], None],
        figure_closed: Callable[[CommViewer], None],
    ) -> None:
        self.view = view
        self._send = send
        self._frame_sent = frame_sent
        self._on_figure_closed = figure_closed
        self._stood_in = 0

    def send_json(self, content: Message) -> None:
        self._post({"to": self.view, "message": content}, [])

    def send_binary(self, blob: bytes) -> None:
        content = {"to": self.view, "frame": True}

        def send() -> None:
            self._send(content, [blob])
            self._frame_sent(self)

        server_thread().call_soon(send)

    def reply(self, request: int, fields: dict[str, Any], file: bytes | None = None) -> None:
        """Answer the view's request number ``request``; with a file, as the one buffer."""
        self._post({"to": self.view, "reply": request, **fields}, [] if file is None else [file])

    def ping(self, number: int) -> None:
        """Ask the view to answer probe ``number`` (a :class:`~.view_probe.ViewProbe`'s)."""
        self._post({"to": self.view, "ping": number}, [])

    def figure_closed(self) -> None:
        self._post({"to": self.view, "closed": "figure closed"}, [])
        self._on_figure_closed(self)

    def reconnect(self) -> None:
        """Nothing to do: a notebook's figure is never served anew elsewhere."""

    def stand_in_ack(self) -> None:
        """One frame counted acknowledged on the browser's behalf (on the loop)."""
        self._stood_in += 1

    def take_ack(self) -> bool:
        """Whether the browser's acknowledgement that came is the figure's to count: not
        when one was counted for it already (on the loop)."""
        if self._stood_in:
            self._stood_in -= 1
            return False
        return True

    def _post(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        server_thread().call_soon(lambda: self._send(content, buffers))

    def __repr__(self) -> str:
        return f"<CommViewer {self.view}>"
