"""Rendering figures in-process, for web applications: bytes, RGBA arrays and a cache.

Everything here works on plain :class:`matplotlib.figure.Figure` objects, never pyplot
(whose global state a server's threads must not share), and is safe to call from several
threads at once: each figure is rendered by one thread at a time.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
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


class RenderCache:
    """A small thread-safe LRU cache of rendered images.

    ``key`` is whatever identifies an image, such as ``("spectrum", dataset_version, "png",
    dpi)``; :meth:`etag` turns it into a strong ETag, so a handler can answer
    ``If-None-Match`` with 304 before rendering anything::

        cache = webfig.RenderCache()
        etag = cache.etag(key)
        if self.request.headers.get("If-None-Match") == etag: ...  # 304
        body = cache.get_or_render(key, lambda: webfig.render(make_figure(), "png"))
    """

    def __init__(self, max_entries: int = 32, max_bytes: int = 64 * 2**20) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache must hold at least one entry and one byte")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        # One lock per key being rendered, so two requests for it render once.
        self._rendering: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def etag(key: Hashable) -> str:
        """A quoted strong ETag for ``key``, the same in every process (from its ``repr``)."""
        return '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The cached image for ``key``, or ``render()``'s result, kept for next time."""
        with self._lock:
            if (body := self._take(key)) is not None:
                return body
            key_lock = self._rendering.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if (body := self._take(key)) is not None:
                    return body  # another thread rendered it meanwhile
                self.misses += 1
            try:
                body = render()
                with self._lock:
                    self._put(key, body)
            finally:
                # A render that raised gives up the claim too: its error reaches its caller,
                # and the next caller for the key renders again.
                with self._lock:
                    self._rendering.pop(key, None)
            return body

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _take(self, key: Hashable) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return body

    def _put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return  # larger than the whole cache: not worth evicting everything for
        if key in self._entries:
            self._size -= len(self._entries.pop(key))
        self._entries[key] = body
        self._size += len(body)
        while len(self._entries) > self.max_entries or self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= len(evicted)
