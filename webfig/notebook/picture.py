"""A PNG of what a figure's views show now, for the output a saved notebook keeps."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from ..figure.manager import WebfigManager


@dataclass(frozen=True)
class Picture:
    """A PNG at the pixel ratio the figure renders at, and its size in CSS pixels."""

    png: bytes
    width: float
    height: float


def current_picture(manager: WebfigManager) -> Picture:
    """The figure as its views show it: its canvas' last render (blitted artists included),
    drawn first if it never was. Blocks for that draw; holds the figure's lock only to copy
    the pixels. Not from the figure's own thread or the event loop, where a first draw
    cannot be waited for."""
    canvas = manager.canvas
    manager.start_first_draw()
    canvas.flush_events()
    with canvas.lock:
        pixels = canvas.pixels()
        ratio = canvas.device_pixel_ratio
    file = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(file, "PNG", compress_level=6)
    height, width = pixels.shape[:2]
    return Picture(file.getvalue(), width / ratio, height / ratio)
