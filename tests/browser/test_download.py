"""The download button saves the figure in the format picked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from .helpers import FigureOnPage, agg_pixels, line_figure, wait_until

pytestmark = pytest.mark.browser

MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "svg": (b"<?xml", b"<svg"),
    "pdf": (b"%PDF",),
}


def download(view: FigureOnPage, fmt: str) -> tuple[str, bytes]:
    """Pick ``fmt``, press download; the suggested file name and the file's bytes."""
    view.format.select_option(fmt)
    with view.page.expect_download() as info:
        view.tool("download").click()
    saved = info.value
    assert saved.failure() is None, saved.failure()
    return saved.suggested_filename, Path(saved.path()).read_bytes()


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_download_in_each_format(open_page: Any, fmt: str) -> None:
    figure, _, _ = line_figure("Sales 2024")
    view = FigureOnPage.shown(open_page, figure)

    name, data = download(view, fmt)
    assert name == f"Sales_2024.{fmt}"
    assert data.startswith(MAGIC[fmt]), data[:20]


def test_downloaded_png_has_the_figures_size_on_a_hidpi_screen(open_page: Any) -> None:
    """The file is the figure at its own dpi, not at the screen's pixel ratio."""
    figure, _, _ = line_figure("HiDPI", figsize=(5, 4))
    view = FigureOnPage.shown(open_page, figure, 2)
    page = view.page

    _, data = download(view, "png")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (500, 400)

    # Saving drew the figure at the file's dpi; the page keeps showing it at the screen's.
    def shows_agg_at_screen_resolution() -> bool:
        agg = agg_pixels(figure)
        return agg.shape == (800, 1000, 4) and np.array_equal(view.pixels(), agg)

    wait_until(shows_agg_at_screen_resolution, page=page, message="the canvas to equal Agg's")
