"""Who listens to a figure's wheel: the script, matplotlib's wheel zoom, or nobody.

A viewer's page lets a wheel over the figure scroll the page unless something of the
script's wants it (:func:`script_listens`): a ``scroll_event`` callback then gets every step,
as on a desktop. matplotlib's own handlers do not count: its wheel zoom acts only with keys
held, and the page knows when (:func:`zooms_on_wheel`, ``preview_geometry``'s ``wheel_zoom``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from matplotlib import backend_bases, widgets
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.backend_bases import FigureCanvasBase

# matplotlib's own listeners of every figure's scroll_event: the wheel zoom its managers
# connect (``scroll_handler_id``), and the key and button bookkeeping and picking every
# figure connects (``Figure.pick`` bound to the figure: its function).
_MATPLOTLIBS_OWN: Final = frozenset(
    {backend_bases.scroll_handler, backend_bases._mouse_handler, Figure.pick}  # type: ignore[attr-defined]
)


def _scroll_callbacks(canvas: FigureCanvasBase) -> list[Callable[..., Any]]:
    """The live callbacks connected to ``canvas``' scroll_event."""
    # The registry keeps each callback behind a (weak or strong) reference by cid.
    references = canvas.callbacks.callbacks.get("scroll_event", {})
    return [callback for reference in list(references.values()) if (callback := reference())]


def zooms_on_wheel(canvas: FigureCanvasBase) -> bool:
    """Whether matplotlib's wheel zoom (``backend_bases.scroll_handler``: 0.85 per step about
    the pointer, with control, x or y held) acts on ``canvas``' figure: it is connected
    (toolbar2's managers connect it) and the canvas has the toolbar it needs."""
    return canvas.toolbar is not None and backend_bases.scroll_handler in _scroll_callbacks(canvas)


def script_listens(canvas: FigureCanvasBase) -> bool:
    """Whether anything but matplotlib's own handlers listens to ``canvas``' wheel (the
    script's ``mpl_connect("scroll_event", ...)``, a widget's that acts on it)."""
    return any(
        getattr(callback, "__func__", callback) not in _MATPLOTLIBS_OWN
        and not _selector_ignoring_the_wheel(callback)
        for callback in _scroll_callbacks(canvas)
    )


def _selector_ignoring_the_wheel(callback: Callable[..., Any]) -> bool:
    """Whether ``callback`` is the wheel handler every matplotlib selector connects
    (RectangleSelector, SpanSelector, LassoSelector...) on a selector that does nothing with
    the wheel: none of matplotlib's own does, so a selector alone lets the page scroll."""
    base = getattr(widgets, "_SelectorWidget", None)  # private: gone, and every one counts
    owner = getattr(callback, "__self__", None)
    return (
        base is not None
        and isinstance(owner, base)
        and getattr(callback, "__func__", None) is base.on_scroll
        and type(owner)._on_scroll is base._on_scroll
    )
