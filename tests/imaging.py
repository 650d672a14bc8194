"""Helpers that paint frames the way a browser does, to check them pixel by pixel."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from webfig.frames import Pixels, unpack_rect_frame


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


def paint_rect_frame(canvas: Pixels | None, message: bytes) -> Pixels:
    """What a canvas shows after painting a rect frame: each tile replaces what is under it."""
    frame = unpack_rect_frame(message)
    if frame.full or canvas is None:
        assert frame.full, "the first rect frame must be full"
        canvas = np.zeros((frame.height, frame.width, 4), np.uint8)
    else:
        canvas = canvas.copy()
    assert canvas.shape[:2] == (frame.height, frame.width)
    for tile in frame.tiles:
        rect = tile.rect
        pixels = decode_png(tile.png)
        assert pixels.shape[:2] == (rect.height, rect.width)
        under = canvas[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
        under[...] = paint(under, "diff" if tile.overlay else "full", tile.png)
    return canvas
