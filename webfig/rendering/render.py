"""Rendering figures in-process, for web applications: bytes and RGBA arrays (and, in
:mod:`webfig.rendering.cache`, a cache of them).

Everything here works on plain :class:`matplotlib.figure.Figure` objects, never pyplot
(whose global state a server's threads must not share), and is safe to call from several
threads at once: each figure is rendered by one thread at a time.
"""

from __future__ import annotations

import io
import mimetypes
import threading
import weakref
from typing import Any, Final

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

# Formats whose type the ``mimetypes`` table does not know (or gets wrong).
_CONTENT_TYPES: Final = {
    "eps": "application/postscript",
    "ps": "application/postscript",
    "pgf": "text/x-tex",
    "svgz": "image/svg+xml",
    "raw": "application/octet-stream",
    "rgba": "application/octet-stream",
    "webp": "image/webp",
}

_locks_lock = threading.Lock()
_locks: weakref.WeakKeyDictionary[Figure, threading.RLock] = weakref.WeakKeyDictionary()


def content_type(fmt: str) -> str:
    """The Content-Type of a file in format ``fmt`` (an extension such as ``"png"``)."""
    fmt = fmt.lower()
    return (
        _CONTENT_TYPES.get(fmt)
        or mimetypes.guess_type(f"figure.{fmt}")[0]
        or "application/octet-stream"
    )


def figure_lock(figure: Figure) -> Any:
    """The lock that serialises drawing ``figure``: its webfig canvas' own, or one of ours."""
    lock = getattr(figure.canvas, "lock", None)
    if lock is not None:
        return lock
    with _locks_lock:
        return _locks.setdefault(figure, threading.RLock())


def file_dpi(figure: Figure, dpi: float | None = None) -> float:
    """The dpi a file of ``figure`` is made at: ``dpi``, else ``savefig.dpi``, else the
    figure's own, less any screen's pixel ratio (a file is the same on every screen)."""
    if dpi is not None:
        return float(dpi)
    configured = mpl.rcParams["savefig.dpi"]
    if configured != "figure":
        return float(configured)
    ratio = getattr(figure.canvas, "device_pixel_ratio", 1) or 1
    return float(figure.dpi) / ratio


def render(
    figure: Figure, format: str = "png", dpi: float | None = None, **savefig_kwargs: Any
) -> bytes:
    """``figure`` as a file in ``format`` (any format ``savefig`` knows), as bytes.

    ``dpi`` defaults as :func:`file_dpi` says; other keywords go to ``savefig``
    (``transparent=True``, ``bbox_inches="tight"``, ``metadata=...``)::

        body = webfig.render(fig, "svg")
        self.set_header("Content-Type", webfig.content_type("svg"))
        self.write(body)
    """
    with figure_lock(figure), io.BytesIO() as buffer:
        figure.savefig(buffer, format=format, dpi=file_dpi(figure, dpi), **savefig_kwargs)
        return buffer.getvalue()


def to_rgba(figure: Figure, dpi: float | None = None) -> npt.NDArray[np.uint8]:
    """``figure`` drawn by Agg, as a new ``uint8`` array of shape (height, width, 4).

    Hand it to numpy, or to Pillow: ``PIL.Image.fromarray(webfig.to_rgba(fig), "RGBA")``.
    """
    with figure_lock(figure):
        dpi = file_dpi(figure, dpi)
        width, height = figure.get_size_inches()
        # Agg's canvas is as many whole pixels as the figure covers at that dpi.
        shape = (int(height * dpi), int(width * dpi), 4)
        with io.BytesIO() as buffer:
            figure.savefig(buffer, format="rgba", dpi=dpi)
            raw = buffer.getvalue()
    if len(raw) != shape[0] * shape[1] * 4:
        raise RuntimeError(f"Agg drew {len(raw)} bytes, not an image of shape {shape}")
    return np.frombuffer(raw, np.uint8).reshape(shape).copy()
