"""From a figure to a Pillow image: ``webfig.to_rgba(fig)`` gives the pixels as a numpy array.

The array is ``uint8`` of shape (height, width, 4); Pillow (or OpenCV, scikit-image, a video
encoder...) takes it as is. Here it becomes a Pillow image saved in the format its file name
asks for: JPEG has no alpha channel, so the image is converted to RGB first.

Run it with ``python examples/rgba_to_pillow.py [output.jpg]``; without a path it writes
``webfig-example.jpg`` in the temporary directory. It prints the path and the image size.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

import webfig

log = logging.getLogger("rgba_to_pillow")

# Formats that cannot store an alpha channel.
NO_ALPHA = {".jpg", ".jpeg", ".bmp", ".ppm"}


def make_figure() -> Figure:
    fig = Figure(figsize=(6.4, 4.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    y, x = np.mgrid[-2:2:200j, -3:3:300j]
    ax.contourf(x, y, np.sin(x**2 + y) * np.cos(2 * y - x), levels=12, cmap="magma")
    ax.set_title("Rendered by Agg, saved by Pillow")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description="Save a figure through Pillow.")
    default = Path(tempfile.gettempdir()) / "webfig-example.jpg"
    parser.add_argument("output", nargs="?", type=Path, default=default)
    output: Path = parser.parse_args().output
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    rgba = webfig.to_rgba(make_figure())  # uint8, shape (height, width, 4)
    log.info("got pixels of shape %s, dtype %s", rgba.shape, rgba.dtype)
    image = Image.fromarray(rgba, "RGBA")
    if output.suffix.lower() in NO_ALPHA:
        image = image.convert("RGB")
    image.save(output)
    print(f"rgba_to_pillow: wrote {output} ({image.width} × {image.height} pixels)")


if __name__ == "__main__":
    main()
