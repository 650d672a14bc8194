"""The messages the server sends viewers (``docs/protocol.md``, "Server → client").

One typed constructor per message type, so the wire format of this direction reads in one
place; :mod:`webfig.wire.incoming` is the other direction. Pure functions only: no matplotlib,
no Tornado. Frames (binary messages) come from :mod:`webfig.frames.encoder`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, TypeAlias

from .axes_geometry import Geometry

Message: TypeAlias = Mapping[str, object]
# How a standard frame is painted: alone, or over the picture before it.
FrameKind: TypeAlias = Literal["full", "diff"]


def figure_label(label: str) -> Message:
    """The figure's title (clients render it as text)."""
    return {"type": "figure_label", "label": label}


def resize(width: float, height: float, *, forward: bool) -> Message:
    """The figure's size in CSS pixels; ``forward`` when matplotlib resized the figure itself,
    not in answer to a viewer's ``resize``."""
    return {"type": "resize", "size": [width, height], "forward": forward}


def image_mode(mode: FrameKind) -> Message:
    """How to paint the standard frames that follow."""
    return {"type": "image_mode", "mode": mode}


def cursor(css_cursor: str) -> Message:
    return {"type": "cursor", "cursor": css_cursor}


def status(text: str) -> Message:
    """The status line: cursor coordinates, tool hints."""
    return {"type": "message", "message": text}


def rubberband(x0: float, y0: float, x1: float, y1: float) -> Message:
    """The zoom rectangle, in device pixels from the bottom-left corner."""
    return {"type": "rubberband", "x0": x0, "y0": y0, "x1": x1, "y1": y1}


def no_rubberband() -> Message:
    return rubberband(-1, -1, -1, -1)


def history_buttons(*, back: bool, forward: bool) -> Message:
    return {"type": "history_buttons", "Back": back, "Forward": forward}


def navigate_mode(mode: str) -> Message:
    """The active navigation tool: ``"PAN"``, ``"ZOOM"`` or ``"NONE"``."""
    return {"type": "navigate_mode", "mode": mode}


def capture_scroll(capture: bool) -> Message:
    """Whether wheel events over the canvas should not scroll the page."""
    return {"type": "capture_scroll", "capture_scroll": capture}


def save() -> Message:
    """Download the figure in the format the viewer picked."""
    return {"type": "save"}


def tool_items(groups: Iterable[tuple[str, Iterable[Mapping[str, object]]]]) -> Message:
    """A ToolManager toolbar, whole: its groups in order, each with its tools in order; a
    tool is ``{"name", "description", "toggle", "toggled", "icon"}`` (``icon``: a data URL,
    or ``None`` for a text button)."""
    return {
        "type": "tool_items",
        "groups": [{"name": name, "tools": list(tools)} for name, tools in groups],
    }


def tool_toggled(name: str, toggled: bool) -> Message:
    """A toggle tool of a ToolManager toolbar was switched on or off."""
    return {"type": "tool_toggled", "name": name, "toggled": toggled}


def tool_help(entries: Iterable[tuple[str, str, str]]) -> Message:
    """Show the tools: each one's name, keys and description."""
    return {"type": "tool_help", "tools": [list(entry) for entry in entries]}


def subplot_params(params: Mapping[str, float], *, open_tool: bool) -> Message:
    """The figure's subplot parameters; with ``open_tool``, show the subplot tool."""
    return {"type": "subplot_params", "params": dict(params), "open": open_tool}


def heartbeat(interval: float) -> Message:
    """Nothing new: the path is alive. The next one comes within ``interval`` seconds."""
    return {"type": "heartbeat", "interval": interval}


def welcome(protocol: int, extensions: Iterable[str]) -> Message:
    """The answer to ``webfig_hello``: the server's protocol version, the accepted extensions."""
    return {"type": "webfig_welcome", "protocol": protocol, "extensions": sorted(extensions)}


def motion_ack() -> Message:
    """A ``motion_notify`` was handled (the ``motion_ack`` extension)."""
    return {"type": "motion_ack"}


def preview_geometry(geometry: Geometry) -> Message:
    """Where the axes are in the frames that follow, for a client that previews pans and
    zooms (the ``preview`` extension)."""
    return {
        "type": "preview_geometry",
        "size": list(geometry.size),
        "axes": [
            {
                "id": axes.id,
                "box": list(axes.box),
                "bounds": list(axes.bounds),
                "pan": axes.pan,
                "zoom": axes.zoom,
                "sharex": list(axes.sharex),
                "sharey": list(axes.sharey),
                "face": axes.face,
                "equal": axes.equal,
                "twins": list(axes.twins),
            }
            for axes in geometry.axes
        ],
        "stack": [
            {"id": hit.id} if hit.id is not None else {"bounds": list(hit.bounds)}
            for hit in geometry.stack
        ],
        "wheel_zoom": geometry.wheel_zoom,
        "pinch_zoom": geometry.pinch_zoom,
    }


def frame_seq(seq: int, *, frame: bool) -> Message:
    """The last of this viewer's pointer messages that the next frame reflects (-1: none);
    ``frame`` false when no frame follows, the picture being unchanged (``preview``)."""
    return {"type": "frame_seq", "seq": seq, "frame": frame}


def description(text: str) -> Message:
    """The figure's text alternative, for assistive technology (the ``description``
    extension). Render it as text."""
    return {"type": "description", "text": text}


def figure_list(figures: Iterable[tuple[int, str]]) -> Message:
    """The figure list socket's message: the open figures' numbers and labels, in order."""
    return {
        "type": "figures",
        "figures": [{"num": num, "label": label} for num, label in figures],
    }
