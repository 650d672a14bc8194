"""Where a figure's axes are, for clients that preview pans and zooms themselves.

A viewer that negotiated ``preview`` moves the picture of the axes it drags itself until the
server's frames catch up; :func:`axes_geometry` tells it where each axes' data area is and how
it moves. It is a pure function of the figure, read on the figure's thread in the same hold of
the canvas' lock as the draw it describes, so it matches the pixels; :mod:`webfig.wire.outgoing`
turns the :class:`~webfig.wire.axes_geometry.Geometry` into a message.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, TypeAlias

from matplotlib.colors import to_rgba

from ..wire.axes_geometry import AxesGeometry, Geometry, Hit
from .scroll_callbacks import zooms_on_wheel
from .toolbar import takes_pinch

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.patches import Patch

Rgba: TypeAlias = tuple[float, float, float, float]

# Device pixels a box edge may be off by float noise and still count as on the pixel line.
_ROUNDING_SLACK: Final = 1e-6
# Device pixels of antialiasing beyond a spine's width: Agg's edge pixels of a line are
# partly covered, and a preview that moved them would slide a faint copy of the spine along.
_SPINE_FRINGE: Final = 0.5


class AxesIds:
    """A number for each axes of a figure, the same for the axes' whole life. (Not ``id()``:
    an axes made after another one went away may get the same.) On the figure's thread only."""

    def __init__(self) -> None:
        self._ids: weakref.WeakKeyDictionary[Axes, int] = weakref.WeakKeyDictionary()
        self._next = itertools.count()

    def of(self, ax: Axes) -> int:
        if (known := self._ids.get(ax)) is not None:
            return known
        self._ids[ax] = number = next(self._next)
        return number


def axes_geometry(figure: Figure, ids: AxesIds) -> Geometry:
    """The geometry of ``figure``'s visible rectilinear axes (no polar, 3D, ...), in
    ``figure.axes`` order, as they are now: call it right after the draw the pixels show."""
    width, height = (int(side) for side in figure.bbox.size)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    listed = [ax for ax in visible if ax.name == "rectilinear"]
    numbers = {ax: ids.of(ax) for ax in listed}

    def siblings(ax: Axes, shared: Sequence[Axes]) -> tuple[int, ...]:
        return tuple(
            sorted(numbers[other] for other in shared if other in numbers and other is not ax)
        )

    return Geometry(
        (width, height),
        tuple(
            AxesGeometry(
                id=numbers[ax],
                box=_data_box(ax, figure.dpi, height),
                bounds=_bounds(ax, height),
                pan=bool(ax.get_navigate() and ax.can_pan()),
                zoom=bool(ax.get_navigate() and ax.can_zoom()),
                sharex=siblings(ax, ax.get_shared_x_axes().get_siblings(ax)),
                sharey=siblings(ax, ax.get_shared_y_axes().get_siblings(ax)),
                face=_css(_face(figure, ax)),
                equal=ax.get_aspect() != "auto",
                twins=siblings(ax, ax._twinned_axes.get_siblings(ax)),  # type: ignore[attr-defined]
            )
            for ax in listed
        ),
        stack=tuple(Hit(numbers.get(ax), _bounds(ax, height)) for ax in _topmost_first(visible)),
        wheel_zoom=zooms_on_wheel(figure.canvas),
        pinch_zoom=takes_pinch(figure.canvas),
    )


def _topmost_first(axes: list[Axes]) -> list[Axes]:
    """``axes`` in the order matplotlib looks for the one under the pointer: by zorder from
    the top, and of equal ones the later first (it is drawn over the earlier)."""
    return sorted(reversed(axes), key=lambda ax: ax.get_zorder(), reverse=True)


def _frame_drawn(ax: Axes) -> bool:
    """Whether matplotlib draws the axes' background and spines (not after ``axis("off")``
    or ``set_frame_on(False)``)."""
    return bool(ax.axison and ax.get_frame_on())


def _data_box(ax: Axes, dpi: float, canvas_height: int) -> tuple[int, int, int, int]:
    """The axes' box less half the widest spine and its antialiased fringe, rounded inwards,
    from the top-left corner."""
    spines = [spine for spine in ax.spines.values() if spine.get_visible()]
    widest = max((spine.get_linewidth() for spine in spines), default=0.0)
    # Points to device pixels: the figure's dpi already includes the device pixel ratio.
    inset = widest * dpi / 72 / 2 + _SPINE_FRINGE if _frame_drawn(ax) and widest > 0 else 0.0
    x0, y0, x1, y1 = ax.bbox.extents
    left = math.ceil(x0 + inset - _ROUNDING_SLACK)
    right = math.floor(x1 - inset + _ROUNDING_SLACK)
    top = math.ceil(canvas_height - y1 + inset - _ROUNDING_SLACK)
    bottom = math.floor(canvas_height - y0 - inset + _ROUNDING_SLACK)
    return left, top, max(right - left, 0), max(bottom - top, 0)


def _bounds(ax: Axes, canvas_height: int) -> tuple[float, float, float, float]:
    """The axes' box, from the top-left corner."""
    x0, y0, x1, y1 = (float(edge) for edge in ax.bbox.extents)
    return x0, canvas_height - y1, x1 - x0, y1 - y0


def _face(figure: Figure, ax: Axes) -> Rgba:
    """What shows behind the axes' artists: its background over its (sub)figure's over the
    figure's, as Agg composites them; a layer matplotlib does not draw counts as clear."""
    parent: Figure | SubFigure = ax.figure
    layers: list[Patch | None] = [
        figure.patch,
        None if parent is figure else parent.patch,
        ax.patch if _frame_drawn(ax) else None,
    ]
    colour: Rgba = (0.0, 0.0, 0.0, 0.0)
    for patch in layers:
        if patch is not None and patch.get_visible():
            colour = _over(to_rgba(patch.get_facecolor()), colour)
    return colour


def _over(top: Rgba, bottom: Rgba) -> Rgba:
    """``top`` drawn over ``bottom`` (source-over, straight alpha)."""
    alpha = top[3] + bottom[3] * (1 - top[3])
    if alpha == 0:
        return 0.0, 0.0, 0.0, 0.0
    r, g, b = ((top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / alpha for i in range(3))
    return r, g, b, alpha


def _css(colour: Rgba) -> str:
    r, g, b, alpha = colour
    red, green, blue = (round(channel * 255) for channel in (r, g, b))
    return f"rgba({red}, {green}, {blue}, {round(alpha, 3):g})"
