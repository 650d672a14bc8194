"""webfig mounted under a URL prefix: pages, client, sockets and downloads all follow it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from webfig.server import FigureServer

from .helpers import RED, FigureOnPage, colour_count, is_painted, line_figure

pytestmark = pytest.mark.browser


def test_pages_work_under_a_prefix(
    open_page: Any, make_server: Callable[..., FigureServer]
) -> None:
    figure, _, _ = line_figure("Prefixed")
    prefixed = make_server(prefix="/plots")
    assert prefixed.url.endswith("/plots/")

    page = open_page(f"{prefixed.url}{figure.number}")
    view = FigureOnPage(page, figure.number)
    view.wait_ready()
    expect(view.title).to_have_text("Prefixed")
    view.wait_pixels(lambda p: is_painted(p) and colour_count(p, RED) > 2000, "the red line")

    with page.expect_download() as info:
        view.tool("download").click()
    assert info.value.url.startswith(f"{prefixed.url}{figure.number}/download.")
    assert info.value.failure() is None

    gallery = open_page(prefixed.url)
    FigureOnPage(gallery, figure.number).wait_ready()
    gallery.locator(".webfig-open-link").click()
    expect(gallery).to_have_url(f"{prefixed.url}{figure.number}")
    FigureOnPage(gallery, figure.number).wait_ready()
