"""The frame encoder: turns Agg's RGBA buffer into the frames viewers paint.

Pure functions of their inputs, so they are easy to test and safe to run on any thread (numpy,
ISA-L's deflate and libwebp release the GIL for the heavy parts, so encodes on two threads use
two cores).

Standard WebAgg frames are whole-canvas PNGs. A *full* frame is the whole image. A *diff* frame
has the new pixel where a pixel changed and a fully transparent pixel where it did not, so a
viewer draws it over the previous frame. That only reproduces the new image exactly when every
changed pixel is fully opaque: a translucent pixel would blend with the old one. Where that does
not hold, a full frame is sent instead, and so it is when most pixels changed.

*Rect* frames (the ``rect_frames`` extension, see ``docs/protocol.md``) carry only the changed
rectangles, each its own image, after a small binary header. A tile *overlays* the old pixels
(unchanged ones transparent) when few changed and all of those are opaque, and *replaces*
them otherwise. Frames may also *store* an image in a viewer-side slot and later *restore* it:
a blit background travels once, not in every frame. Large changes are cut into tiles.

For slow links, ``encode_lossy`` makes a lossy WebP of the whole image at its full size.
Measured on the 1280 × 960 line plot of benchmarks/encode.py, against the lossless PNG's 106 kB:
at quality 70 and effort 0 it takes 23 to 29 ms for 38 kB, at a PSNR of 39 dB (53 dB over the
tick labels, which stay sharp). The other way, a PNG at half the pixel ratio (2 × 2 pixels
averaged) that a viewer scales up, takes 7 to 12 ms for 44 kB but reaches only 26 dB (30 dB
over the labels, which blur), and on an image plot it is 248 kB where the WebP is 23 kB. So
WebP: smaller and sharper; half resolution only encodes faster. Effort 0 is the fastest;
effort 2 makes the line plot 30% smaller (27 kB) but takes about 1.5 times as long.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
from isal import isal_zlib
from PIL import Image

from ..wire.outgoing import FrameKind

Pixels = npt.NDArray[np.uint8]
"""An image as a (height, width, 4) array of straight (not premultiplied) RGBA bytes."""
Words = npt.NDArray[np.uint32]
"""An image as a (height, width) array of little-endian words, one a pixel: alpha is the high
byte, so a pixel compares in one operation and is opaque when its word is OPAQUE_WORD or more."""
Mask = npt.NDArray[np.bool_]
"""Which pixels of an image (a (height, width) array) something applies to."""
Bounds = tuple[int, int, int, int]
"""The rows and columns (start, stop, start, stop) that hold an array's True cells."""
_Scalar = TypeVar("_Scalar", bound=np.generic)

OPAQUE_WORD = np.uint32(0xFF000000)

# Past this share of changed pixels a full frame is sent rather than a diff, which would be no
# smaller (842 against 839 kB for a pan of an image plot, 57% changed) and needs a mask and an
# alpha check. Below it, whether a diff is smaller depends on the picture: in a line plot a
# moving line (2% changed) halves the frame, a pan (6%) makes it 8% larger.
DIFF_DENSITY = 0.5

# A tile overlays (rather than replaces) when at most this share of its pixels changed; such
# tiles are lossless WebP, at the effort WEBP_METHOD (0 fastest to 6 smallest).
OVERLAY_DENSITY = 0.075
WEBP_METHOD = 1

# Lossy frames: WebP at this quality (0 to 100) and effort (0 to 6); see the module's docstring.
LOSSY_QUALITY = 70
LOSSY_METHOD = 0

# PNGs are written here rather than by Pillow: Pillow tries every PNG row filter on every
# row, which costs three times what compressing does. Filter "None", deflated by ISA-L (the
# standard zlib format, so any PNG decoder reads it) at its level 2: a 1280 × 960 plot takes
# 1.4 ms and 106 kB where zlib's level 1 takes 11 to 13 ms and 116 kB (benchmarks/encode.py).
# ISA-L's level 1 is as fast and as small on plots but 4% larger on images; level 3 takes
# 20 ms or more. It releases the GIL while it compresses.
PNG_COMPRESS_LEVEL = 2
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Changed pixels are covered by rectangles found by halving the changed area's bounding box
# (along its longer side) while the halves' boxes cover at most SPLIT_GAIN of it, down to
# MIN_SPLIT_SIDE pixels or MAX_SPLIT_DEPTH halvings. A moving cursor line makes a few thin
# rectangles, not its bounding box with another line. Rectangles are then cut into tiles of
# at most MAX_TILE_ROWS rows.
SPLIT_GAIN = 0.6
MIN_SPLIT_SIDE = 32
MAX_SPLIT_DEPTH = 8
MAX_TILE_ROWS = 256

RECT_FRAME_MAGIC = b"WFRM"
RECT_FRAME_VERSION = 1
RECT_FRAME_FULL = 1
# A rect frame's header (magic, version, flags, step count, width, height), then per step:
# x, y, width, height, kind, a zero byte, slot, image length. Little-endian.
RECT_FRAME_HEADER = struct.Struct("<4sBBHHH")
RECT_FRAME_STEP = struct.Struct("<HHHHBxHI")


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

    def of(self, image: npt.NDArray[_Scalar]) -> npt.NDArray[_Scalar]:
        """The part of ``image`` (pixels or words) this rectangle covers."""
        return image[self.y : self.y + self.height, self.x : self.x + self.width]


def encode_png(pixels: Pixels, keep: Mask | None = None) -> bytes:
    """The PNG encoding of an RGBA image (8 bits per channel, row filter "None"). With
    ``keep``, of only the pixels where it is True, the others fully transparent: a diff
    frame, made without an image of its own."""
    height, width = pixels.shape[:2]
    if keep is None:
        rows = np.empty((height, width * 4 + 1), np.uint8)
        rows[:, 0] = 0  # each row starts with its filter type: None
        rows[:, 1:] = pixels.reshape(height, width * 4)
    else:
        rows = np.zeros((height, width * 4 + 1), np.uint8)
        _keep_into(_row_words(rows, width), pixels, keep)  # straight into the rows
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    compressed = isal_zlib.compress(rows, PNG_COMPRESS_LEVEL)
    return b"".join(
        [_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", compressed), _chunk(b"IEND", b"")]
    )


def _row_words(rows: npt.NDArray[np.uint8], width: int) -> Words:
    """The pixels of PNG rows (each after its filter byte) as words: an unaligned view."""
    return np.ndarray(
        (rows.shape[0], width), "<u4", buffer=rows, offset=1, strides=(rows.strides[0], 4)
    )


def _keep_into(out: Words, pixels: Pixels, keep: Mask) -> None:
    """Write the pixels that ``keep`` says into ``out`` (zeros: fully transparent pixels),
    only within their box (a cursor's is a sliver): whole pixels, a word times 0 or 1."""
    if (bounds := _bounds(keep)) is not None:
        box = _box(bounds)
        np.multiply(_as_words(pixels)[box], keep[box], out=out[box])


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = isal_zlib.crc32(data, isal_zlib.crc32(kind))  # a fifth of zlib's time, no concatenation
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _as_words(pixels: Pixels) -> Words:
    """The pixels as words (a view, for a whole image as Agg gives it)."""
    words: Words = np.ascontiguousarray(pixels).view("<u4")[..., 0]
    return words


def _as_pixels(words: Words) -> Pixels:
    """The words as pixels (a view on a little-endian machine)."""
    return words.astype("<u4", copy=False).view(np.uint8).reshape(*words.shape, 4)


def _any_translucent(words: Words, changed: Mask) -> bool:
    """Whether any changed pixel is translucent (a comparison of words, no boolean indexing)."""
    return bool((changed & (words < OPAQUE_WORD)).any())


def frame_pixels(previous: Pixels | None, current: Pixels) -> tuple[FrameKind, Pixels] | None:
    """The pixels of the frame that takes a viewer from ``previous`` (``None``: nothing, a
    full frame) to ``current``; ``None`` when nothing changed."""
    found = _frame_plan(previous, current)
    if found is None:
        return None
    kind, keep = found
    if keep is None:
        return kind, current
    diff: Words = np.zeros(current.shape[:2], "<u4")
    _keep_into(diff, current, keep)
    return kind, _as_pixels(diff)


def encode_frame(previous: Pixels | None, current: Pixels) -> Frame | None:
    """Encode the frame from ``previous`` to ``current``; ``None`` when there is nothing new.

    Few passes over the pixels and few calls into numpy: each call that releases the GIL
    has to win it back from a figure drawing on another thread, which slows that draw.
    """
    found = _frame_plan(previous, current)
    if found is None:
        return None
    kind, keep = found
    return Frame(kind, encode_png(current, keep))


def _frame_plan(previous: Pixels | None, current: Pixels) -> tuple[FrameKind, Mask | None] | None:
    """The kind of the frame from ``previous`` to ``current`` and, for a diff, which pixels
    it keeps; ``None`` when nothing changed."""
    if previous is None or previous.shape != current.shape:
        return "full", None
    words = _as_words(current)
    changed = _as_words(previous) != words
    bounds = _bounds(changed)
    if bounds is None:
        return None
    if np.count_nonzero(changed) > DIFF_DENSITY * changed.size:
        return "full", None
    # Most figures are opaque all over: one look at the whole image settles it. Otherwise
    # only the changed pixels' box needs checking: a moving cursor's is a sliver.
    box = _box(bounds)
    if words.min() < OPAQUE_WORD and _any_translucent(words[box], changed[box]):
        return "full", None
    return "diff", changed


def changed_rects(previous: Pixels | None, current: Pixels) -> list[Rect]:
    """Tiles that together cover every pixel that differs; the whole image, cut into tiles,
    when there is no comparable previous image."""
    return _changes(previous, current)[0]


def _changes(previous: Pixels | None, current: Pixels) -> tuple[list[Rect], Mask | None]:
    """``changed_rects``, and the mask of changed pixels they were found from (``None``
    without a comparable previous image)."""
    height, width = current.shape[:2]
    if previous is None or previous.shape != current.shape:
        return tiles_of(Rect(0, 0, width, height)), None
    changed = _as_words(previous) != _as_words(current)
    rects = [tile for rect in _cover(changed, _bounds(changed), 0, 0, 0) for tile in tiles_of(rect)]
    return rects, changed


def _cover(changed: Mask, bounds: Bounds | None, top: int, left: int, depth: int) -> list[Rect]:
    """Rectangles covering the True cells of ``changed`` (whose corner is at top, left, and
    whose cells' bounds are ``bounds``)."""
    if bounds is None:
        return []
    changed = changed[_box(bounds)]
    top, left = top + bounds[0], left + bounds[2]
    height, width = changed.shape
    whole = [Rect(left, top, width, height)]
    if depth >= MAX_SPLIT_DEPTH or max(height, width) < 2 * MIN_SPLIT_SIDE:
        return whole
    if height >= width:
        half = height // 2
        halves = [(changed[:half], top, left), (changed[half:], top + half, left)]
    else:
        half = width // 2
        halves = [(changed[:, :half], top, left), (changed[:, half:], top, left + half)]
    # Look one level down before going deeper: most changes (a pan) gain nothing at once.
    found = [(part, _bounds(part), y, x) for part, y, x in halves]
    if sum(_area(part_bounds) for _, part_bounds, _, _ in found) > SPLIT_GAIN * height * width:
        return whole
    # The halves' bounds go down with them, not found again.
    return [
        rect
        for part, part_bounds, y, x in found
        for rect in _cover(part, part_bounds, y, x, depth + 1)
    ]


def _bounds(changed: Mask) -> Bounds | None:
    """The bounds of ``changed``'s True cells, if it has any."""
    rows = np.flatnonzero(changed.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(changed[rows[0] : rows[-1] + 1].any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def _box(bounds: Bounds) -> tuple[slice, slice]:
    """The index of the rows and columns within ``bounds``."""
    row0, row1, column0, column1 = bounds
    return slice(row0, row1), slice(column0, column1)


def _area(bounds: Bounds | None) -> int:
    if bounds is None:
        return 0
    row0, row1, column0, column1 = bounds
    return (row1 - row0) * (column1 - column0)


def tiles_of(rect: Rect) -> list[Rect]:
    """``rect`` cut into horizontal tiles of at most MAX_TILE_ROWS rows."""
    return [
        Rect(rect.x, top, rect.width, min(MAX_TILE_ROWS, rect.y + rect.height - top))
        for top in range(rect.y, rect.y + rect.height, MAX_TILE_ROWS)
    ]


TileKind = Literal["replace", "overlay", "store", "restore"]
TILE_KINDS: tuple[TileKind, ...] = ("replace", "overlay", "store", "restore")


@dataclass(frozen=True)
class Tile:
    """One step of a rect frame; a viewer applies them in order.

    - ``replace``: clear ``rect``, then draw ``image`` there;
    - ``overlay``: draw ``image`` over ``rect`` (unchanged pixels transparent, changed opaque);
    - ``store``: keep ``image`` in region ``slot``, painting nothing;
    - ``restore``: clear ``rect`` and draw the image kept in ``slot`` there (a blit background).
    """

    rect: Rect
    kind: TileKind
    image: bytes = b""
    slot: int = 0


def encode_webp(pixels: Pixels) -> bytes:
    """The lossless WebP encoding of an RGBA image, every pixel kept exactly."""
    return _webp(pixels, lossless=True, method=WEBP_METHOD, exact=True)


def encode_lossy(pixels: Pixels, quality: int = LOSSY_QUALITY) -> bytes:
    """A lossy WebP of an RGBA image, for slow links: the same width and height, so a viewer
    draws it as it would the PNG; colours approximate (``quality`` from 0, smallest, to 100),
    alpha exact (libwebp keeps the alpha plane lossless)."""
    return _webp(pixels, quality=quality, method=LOSSY_METHOD)


def _webp(pixels: Pixels, **options: object) -> bytes:
    with io.BytesIO() as buffer:
        Image.fromarray(np.ascontiguousarray(pixels), "RGBA").save(buffer, "webp", **options)
        return buffer.getvalue()


def encode_tile(previous: Pixels | None, current: Pixels, rect: Rect) -> Tile:
    """The tile that takes ``rect`` of ``previous`` to ``current`` (all of it without one)."""
    changed = None if previous is None else rect.of(_as_words(previous) != _as_words(current))
    return _tile(current, rect, changed)


def encode_changes(previous: Pixels | None, current: Pixels) -> list[Tile]:
    """The tiles that take ``previous`` to ``current`` (every tile of it without one): what
    ``changed_rects`` finds, each encoded as ``encode_tile`` does.

    One pass over the pixels, and few, large calls into numpy and the encoders: each call
    that releases the GIL has to win it back from a figure drawing on another thread, and
    many small ones slow that draw down (a fifth, measured on a pan drag at ratio 2).
    """
    rects, changed = _changes(previous, current)
    return [_tile(current, rect, None if changed is None else rect.of(changed)) for rect in rects]


def _tile(current: Pixels, rect: Rect, changed: Mask | None) -> Tile:
    """The tile for ``rect`` given which of its pixels changed (``None``: all of them).

    A sparse change of opaque pixels overlays (as lossless WebP, which packs scattered pixels
    far better than PNG); anything else replaces (as PNG, which is faster on dense pixels).
    """
    if changed is not None and np.count_nonzero(changed) <= OVERLAY_DENSITY * changed.size:
        # The tile of the whole image's words: a view, where words of the tile would copy it.
        words = rect.of(_as_words(current))
        if not _any_translucent(words, changed):
            return Tile(rect, "overlay", encode_webp(_as_pixels(words * changed)))
    return Tile(rect, "replace", encode_png(rect.of(current)))


def encode_lossy_changes(previous: Pixels | None, current: Pixels) -> list[Tile]:
    """Lossy tiles replacing every rect ``changed_rects`` finds (see ``encode_lossy``)."""
    return [
        Tile(rect, "replace", encode_lossy(rect.of(current)))
        for rect in changed_rects(previous, current)
    ]


def pack_rect_frame(size: tuple[int, int], tiles: Sequence[Tile], *, full: bool) -> bytes:
    """A rect frame message: the header, then each tile's position, kind, slot and image.

    ``size`` is the canvas' (width, height); ``full`` tells the viewer to size its canvas to
    it and clear it before painting the tiles.
    """
    width, height = size
    parts = [
        RECT_FRAME_HEADER.pack(
            RECT_FRAME_MAGIC,
            RECT_FRAME_VERSION,
            RECT_FRAME_FULL if full else 0,
            len(tiles),
            width,
            height,
        )
    ]
    for tile in tiles:
        rect, kind = tile.rect, TILE_KINDS.index(tile.kind)
        parts.append(
            RECT_FRAME_STEP.pack(
                rect.x, rect.y, rect.width, rect.height, kind, tile.slot, len(tile.image)
            )
        )
        parts.append(tile.image)
    return b"".join(parts)
