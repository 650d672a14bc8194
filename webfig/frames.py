"""The frame encoder: turns Agg's RGBA buffer into the frames viewers paint.

Pure functions of their inputs, so they are easy to test and safe to run on any thread (numpy
and Pillow release the GIL for the heavy parts, so encodes on two threads use two cores).

Standard WebAgg frames are whole-canvas PNGs. A *full* frame is the whole image. A *diff* frame
has the new pixel where a pixel changed and a fully transparent pixel where it did not, so a
viewer draws it over the previous frame. That only reproduces the new image exactly when every
changed pixel is fully opaque: a translucent pixel would blend with the old one. Where that does
not hold, a full frame is sent instead.

*Rect* frames (the ``rect_frames`` extension, see ``docs/protocol.md``) carry only the changed
rectangles, each its own PNG that replaces the pixels under it, after a small binary header.
Large changes are cut into tiles that encode in parallel.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

FrameKind = Literal["full", "diff"]
Pixels = npt.NDArray[np.uint8]
"""An image as a (height, width, 4) array of straight (not premultiplied) RGBA bytes."""

OPAQUE = 255

# Measured in benchmarks/frames.py: zlib level 1 with run-length strategy encodes a plot about
# as fast as storing it uncompressed would, at the size of level 6.
PNG_COMPRESS_LEVEL = 1
PNG_STRATEGY = zlib.Z_RLE

# Changed pixels are looked for in bands of this many rows; within a band, changed runs of
# columns closer than GAP_COLUMNS are one rectangle. Vertically touching rectangles merge when
# their union wastes little (MERGE_SLACK) and stays within MAX_TILE_ROWS rows, so a large change
# still makes several tiles to encode in parallel.
BAND_ROWS = 16
GAP_COLUMNS = 32
MERGE_SLACK = 1.25
MAX_TILE_ROWS = 192

RECT_FRAME_MAGIC = b"WFRM"
RECT_FRAME_VERSION = 1
RECT_FRAME_FULL = 1
_HEADER = struct.Struct("<4sBBHHH")
_TILE = struct.Struct("<HHHHI")


@dataclass(frozen=True)
class Frame:
    """One encoded frame, ready to send."""

    kind: FrameKind
    png: bytes


@dataclass(frozen=True)
class Rect:
    """A rectangle of pixels; ``x``, ``y`` from the image's top-left corner."""

    x: int
    y: int
    width: int
    height: int

    def of(self, pixels: Pixels) -> Pixels:
        """The part of ``pixels`` this rectangle covers."""
        return pixels[self.y : self.y + self.height, self.x : self.x + self.width]


def encode_png(pixels: Pixels) -> bytes:
    """The PNG encoding of an RGBA image."""
    with io.BytesIO() as buffer:
        Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(
            buffer, format="png", compress_level=PNG_COMPRESS_LEVEL, compress_type=PNG_STRATEGY
        )
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


def changed_rects(previous: Pixels | None, current: Pixels) -> list[Rect]:
    """Rectangles that together cover every pixel that differs; the whole image, cut into
    tiles, when there is no comparable previous image."""
    height, width = current.shape[:2]
    if previous is None or previous.shape != current.shape:
        return tiles_of(Rect(0, 0, width, height))
    changed = _as_words(previous) != _as_words(current)
    rects: list[Rect] = []
    for top in range(0, height, BAND_ROWS):
        band = changed[top : top + BAND_ROWS]
        columns = np.flatnonzero(band.any(axis=0))
        if columns.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(columns) > GAP_COLUMNS)
        starts = [columns[0], *columns[breaks + 1]]
        ends = [*columns[breaks], columns[-1]]
        for start, end in zip(starts, ends, strict=True):
            rows = np.flatnonzero(band[:, start : end + 1].any(axis=1))
            rects.append(
                Rect(
                    int(start),
                    top + int(rows[0]),
                    int(end - start + 1),
                    int(rows[-1] - rows[0] + 1),
                )
            )
    return _merge_vertically(rects)


def tiles_of(rect: Rect) -> list[Rect]:
    """``rect`` cut into horizontal tiles of at most MAX_TILE_ROWS rows."""
    return [
        Rect(rect.x, top, rect.width, min(MAX_TILE_ROWS, rect.y + rect.height - top))
        for top in range(rect.y, rect.y + rect.height, MAX_TILE_ROWS)
    ]


def _merge_vertically(rects: list[Rect]) -> list[Rect]:
    """Merge each rectangle into one it touches from above when that wastes little."""
    merged: list[Rect] = []
    for rect in rects:
        for index, earlier in enumerate(merged):
            if earlier.y + earlier.height != rect.y:
                continue
            left = min(earlier.x, rect.x)
            right = max(earlier.x + earlier.width, rect.x + rect.width)
            union = Rect(left, earlier.y, right - left, earlier.height + rect.height)
            areas = earlier.width * earlier.height + rect.width * rect.height
            if union.height <= MAX_TILE_ROWS and union.width * union.height <= MERGE_SLACK * areas:
                merged[index] = union
                break
        else:
            merged.append(rect)
    return merged


def pack_rect_frame(
    size: tuple[int, int], tiles: Sequence[tuple[Rect, bytes]], *, full: bool
) -> bytes:
    """A rect frame message: the header, then each tile's position and PNG.

    ``size`` is the canvas' (width, height); ``full`` tells the viewer to size its canvas to
    it and clear it before painting the tiles.
    """
    width, height = size
    parts = [
        _HEADER.pack(
            RECT_FRAME_MAGIC,
            RECT_FRAME_VERSION,
            RECT_FRAME_FULL if full else 0,
            len(tiles),
            width,
            height,
        )
    ]
    for rect, png in tiles:
        parts.append(_TILE.pack(rect.x, rect.y, rect.width, rect.height, len(png)))
        parts.append(png)
    return b"".join(parts)


@dataclass(frozen=True)
class RectFrame:
    """A rect frame message, unpacked (the reference for clients, and for tests)."""

    width: int
    height: int
    full: bool
    tiles: list[tuple[Rect, bytes]]


def unpack_rect_frame(message: bytes) -> RectFrame:
    magic, version, flags, count, width, height = _HEADER.unpack_from(message)
    if magic != RECT_FRAME_MAGIC or version != RECT_FRAME_VERSION:
        raise ValueError(f"not a version {RECT_FRAME_VERSION} rect frame")
    offset = _HEADER.size
    tiles = []
    for _ in range(count):
        x, y, tile_width, tile_height, length = _TILE.unpack_from(message, offset)
        offset += _TILE.size
        tiles.append((Rect(x, y, tile_width, tile_height), message[offset : offset + length]))
        offset += length
    return RectFrame(width, height, bool(flags & RECT_FRAME_FULL), tiles)
