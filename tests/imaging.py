"""Helpers that paint frames the way a browser does, to check them pixel by pixel."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from webfig.frames.encoder import (
    RECT_FRAME_FULL,
    RECT_FRAME_HEADER,
    RECT_FRAME_MAGIC,
    RECT_FRAME_STEP,
    RECT_FRAME_VERSION,
    TILE_KINDS,
    Pixels,
    Rect,
    Tile,
)


@dataclass(frozen=True)
class RectFrame:
    """A rect frame message, unpacked."""

    width: int
    height: int
    full: bool
    tiles: list[Tile]


def unpack_rect_frame(message: bytes) -> RectFrame:
    """The reference decoder of rect frames (docs/protocol.md), as a client reads them."""
    magic, version, flags, count, width, height = RECT_FRAME_HEADER.unpack_from(message)
    if magic != RECT_FRAME_MAGIC or version != RECT_FRAME_VERSION:
        raise ValueError(f"not a version {RECT_FRAME_VERSION} rect frame")
    offset = RECT_FRAME_HEADER.size
    tiles = []
    for _ in range(count):
        x, y, tile_width, tile_height, kind, slot, length = RECT_FRAME_STEP.unpack_from(
            message, offset
        )
        offset += RECT_FRAME_STEP.size
        image = message[offset : offset + length]
        tiles.append(Tile(Rect(x, y, tile_width, tile_height), TILE_KINDS[kind], image, slot))
        offset += length
    return RectFrame(width, height, bool(flags & RECT_FRAME_FULL), tiles)


def decode_png(png: bytes) -> Pixels:
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGBA", image.mode
        return np.asarray(image).copy()


def paint(canvas: Pixels | None, mode: str, png: bytes) -> Pixels:
    """What a canvas shows after painting ``png`` in ``mode`` (canvas 2D, source-over)."""
    image = decode_png(png)
    if mode == "full" or canvas is None:
        return image
    assert canvas.shape == image.shape
    alpha = image[..., 3]
    # Source-over is exact only for fully transparent and fully opaque source pixels.
    assert np.isin(alpha, (0, 255)).all(), "a diff frame holds a translucent pixel"
    return np.where((alpha == 255)[..., np.newaxis], image, canvas)


def decode_image(data: bytes) -> Pixels:
    """A PNG or WebP image as RGBA pixels."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA")).copy()


def paint_rect_frame(
    canvas: Pixels | None, message: bytes, regions: dict[int, Pixels] | None = None
) -> Pixels:
    """What a canvas shows after painting a rect frame's tiles in order. ``regions`` holds
    the viewer's stored images between frames (slot to pixels)."""
    regions = {} if regions is None else regions
    frame = unpack_rect_frame(message)
    if frame.full or canvas is None:
        assert frame.full, "the first rect frame must be full"
        canvas = np.zeros((frame.height, frame.width, 4), np.uint8)
    else:
        canvas = canvas.copy()
    assert canvas.shape[:2] == (frame.height, frame.width)
    for tile in frame.tiles:
        rect = tile.rect
        under = canvas[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
        if tile.kind == "store":
            regions[tile.slot] = decode_image(tile.image)
            continue
        pixels = regions[tile.slot] if tile.kind == "restore" else decode_image(tile.image)
        assert pixels.shape[:2] == (rect.height, rect.width)
        if tile.kind == "overlay":
            alpha = pixels[..., 3]
            assert np.isin(alpha, (0, 255)).all(), "an overlay holds a translucent pixel"
            under[...] = np.where((alpha == 255)[..., np.newaxis], pixels, under)
        else:
            under[...] = pixels
    return canvas
