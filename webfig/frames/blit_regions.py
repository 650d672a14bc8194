"""Regions saved for blitting, which viewers keep too.

``canvas.copy_from_bbox`` returns a :class:`SavedRegion`: matplotlib's own buffer region, plus
a copy of its pixels and where they are. When a blit restores it, frame delivery can tell a
viewer to restore the same region from its own copy (sent once), so a blit animation's frames
carry only what was drawn over the background, not the background too.
"""

from __future__ import annotations

import itertools
from typing import Any

from .encoder import Pixels, Rect

_ids = itertools.count(1)


class SavedRegion:
    """A region of the canvas as ``copy_from_bbox`` saved it; otherwise it behaves as
    matplotlib's buffer region."""

    def __init__(self, buffer: Any, rect: Rect, pixels: Pixels) -> None:
        self.buffer = buffer
        self.rect = rect
        self.pixels = pixels
        self.id = next(_ids)
        # Its encoded image, made on first use and shared by every viewer.
        self.image: bytes | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.buffer, name)

    def fits(self, size: tuple[int, int]) -> bool:
        """Whether the region lies within a canvas of ``size`` (width, height)."""
        width, height = size
        rect = self.rect
        return rect.x + rect.width <= width and rect.y + rect.height <= height
