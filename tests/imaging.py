"""Helpers that paint frames the way a browser does, to check them pixel by pixel."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from webfig.frames import Pixels


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
