"""The frame encoder: turns Agg's RGBA buffer into the PNG frames viewers paint.

Pure functions of their inputs, so they are easy to test and safe to run on any thread.

A *full* frame is the whole image. A *diff* frame has the new pixel where a pixel changed and a
fully transparent pixel where it did not, so a viewer draws it over the previous frame. That only
reproduces the new image exactly when every changed pixel is fully opaque: a translucent pixel
would blend with the old one. Where that does not hold, a full frame is sent instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

FrameKind = Literal["full", "diff"]
Pixels = npt.NDArray[np.uint8]
"""An image as a (height, width, 4) array of straight (not premultiplied) RGBA bytes."""

OPAQUE = 255


@dataclass(frozen=True)
class Frame:
    """One encoded frame, ready to send."""

    kind: FrameKind
    png: bytes


def encode_png(pixels: Pixels) -> bytes:
    """The PNG encoding of an RGBA image."""
    with io.BytesIO() as buffer:
        Image.fromarray(pixels, "RGBA").save(buffer, format="png")
        return buffer.getvalue()


def _as_words(pixels: Pixels) -> npt.NDArray[np.uint32]:
    """One 32-bit word per pixel, so a pixel compares in one operation."""
    return np.ascontiguousarray(pixels).view(np.uint32)[..., 0]


def frame_pixels(
    previous: Pixels | None, current: Pixels, *, full: bool = False
) -> tuple[FrameKind, Pixels] | None:
    """The pixels of the frame that takes a viewer from ``previous`` to ``current``.

    Returns ``None`` when nothing changed (and no full frame was asked for).
    """
    if full or previous is None or previous.shape != current.shape:
        return "full", current
    changed = _as_words(previous) != _as_words(current)
    if not changed.any():
        return None
    if (current[..., 3][changed] != OPAQUE).any():
        return "full", current
    return "diff", np.where(changed[..., np.newaxis], current, np.uint8(0))


def encode_frame(previous: Pixels | None, current: Pixels, *, full: bool = False) -> Frame | None:
    """Encode the frame from ``previous`` to ``current``; ``None`` when there is nothing new."""
    found = frame_pixels(previous, current, full=full)
    if found is None:
        return None
    kind, pixels = found
    return Frame(kind, encode_png(pixels))
