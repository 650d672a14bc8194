"""Where a figure's axes are and how they move, as a client that previews pans and zooms is
told (``docs/protocol.md``, ``preview``): :func:`webfig.figure.preview_geometry.axes_geometry`
reads it off the figure, :func:`.outgoing.preview_geometry` makes it a message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AxesGeometry:
    """One axes as a previewing client sees it (``docs/protocol.md``, ``preview``)."""

    id: int
    # x, y, width, height in device pixels from the canvas' top-left corner: the data area,
    # inside the spines (what a preview moves), and the axes' own box (what matplotlib's
    # navigation measures from).
    box: tuple[int, int, int, int]
    bounds: tuple[float, float, float, float]
    pan: bool
    zoom: bool
    # The ids of the other listed axes that share the x (y) axis with this one, sorted.
    sharex: tuple[int, ...]
    sharey: tuple[int, ...]
    # The CSS colour of what a pan uncovers: the axes' background over the figure's.
    face: str
    # A fixed aspect: matplotlib's right-button zoom then scales both directions alike.
    equal: bool
    # The ids of the other listed axes twinned with this one (``twinx``, ``twiny``), sorted:
    # a pinch on one moves them all.
    twins: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    """One of a figure's visible axes, where matplotlib looks for the one under the pointer:
    its ``id`` if it is listed (``None`` for a polar, 3D... one), and its box (``bounds``)."""

    id: int | None
    bounds: tuple[float, float, float, float]


@dataclass(frozen=True)
class Geometry:
    """The previewable axes of a figure, for a canvas of ``size`` (device pixels)."""

    size: tuple[int, int]
    axes: tuple[AxesGeometry, ...]
    # Every visible axes, topmost first, as matplotlib picks the one under the pointer.
    stack: tuple[Hit, ...] = ()
    # Whether matplotlib's wheel zoom (``scroll_handler``: control, x or y + wheel) acts on
    # the figure, and whether the figure takes a pinch (a toolbar keeps its views).
    wheel_zoom: bool = False
    pinch_zoom: bool = False
