"""matplotlib's own WebAgg client (its ``mpl.js``) works against webfig's server.

The client is read from the installed matplotlib at test time and served next to webfig's
routes in one Tornado application, as a WebAgg page would have it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import numpy.typing as npt
import pytest
import tornado.web
from matplotlib.backends.backend_webagg_core import NavigationToolbar2WebAgg
from playwright.sync_api import expect

from webfig.server import figure_routes

from .helpers import (
    RED,
    TIMEOUT_MS,
    Point,
    axes_point,
    canvas_pixels,
    colour_count,
    css_size,
    data_per_css_px,
    drag,
    is_painted,
    line_figure,
    wait_until,
    xlim,
)

pytestmark = pytest.mark.browser

MPL_JS = Path(matplotlib.__file__).parent / "backends" / "web_backend" / "js" / "mpl.js"
MPL_IMAGES = Path(matplotlib.get_data_path()) / "images"

# What WebAgg's generated mpl.js appends to the static one.
TOOLBAR_ITEMS = [
    [name or "", tooltip or "", image or "", method or ""]
    for name, tooltip, image, method in NavigationToolbar2WebAgg.toolitems
]

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>mpl.js against webfig</title>
  <link rel="icon" href="data:,">
  <script src="/compat/mpl.js"></script>
  <script>
    mpl.toolbar_items = {toolbar_items};
    mpl.extensions = ["png"];
    mpl.default_extension = "png";
    window.downloads = [];
    function ondownload(figure, format) {{
      window.downloads.push(format);
    }}
    window.addEventListener("DOMContentLoaded", () => {{
      const websocket = new WebSocket("ws://" + location.host + "/{num}/ws");
      window.compatFigure = new mpl.figure(
        {num}, websocket, ondownload, document.getElementById("figure"));
    }});
  </script>
</head>
<body>
  <div id="figure"></div>
</body>
</html>
"""


class MatplotlibMplJs(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.write(MPL_JS.read_text(encoding="utf-8"))


class CompatPage(tornado.web.RequestHandler):
    def get(self, num: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write(PAGE.format(num=int(num), toolbar_items=json.dumps(TOOLBAR_ITEMS)))


def compat_app() -> tornado.web.Application:
    return tornado.web.Application(
        [
            *figure_routes(""),
            (r"/compat/mpl.js", MatplotlibMplJs),
            (r"/compat/page/([0-9]+)\.html", CompatPage),
            # The toolbar's icons, where mpl.js looks for them: relative "_images/".
            (r"/compat/page/_images/(.*)", tornado.web.StaticFileHandler, {"path": MPL_IMAGES}),
        ],
        websocket_max_message_size=64 * 1024,
    )


def test_matplotlibs_mpl_js_shows_and_pans_a_webfig_figure(open_page: Any, serve_app: Any) -> None:
    assert MPL_JS.is_file(), MPL_JS
    figure, ax, _ = line_figure("Through mpl.js")
    base = serve_app(compat_app())
    page = open_page(f"{base}/compat/page/{figure.number}.html")
    canvas = page.locator("canvas.mpl-canvas")

    def painted() -> bool:
        pixels[:] = [canvas_pixels(canvas)]
        found = pixels[0]
        return (
            found.shape == (480, 640, 4) and is_painted(found) and colour_count(found, RED) > 2000
        )

    pixels: list[npt.NDArray[np.uint8]] = []
    wait_until(painted, page=page, message="mpl.js's canvas to be painted")
    expect(page.locator(".ui-dialog-title")).to_have_text("Through mpl.js")
    # mpl.js asks for the size the server told it: the figure keeps its size.
    assert css_size(figure) == pytest.approx((640, 480))

    pan = page.locator("button.mpl-widget:has(img[alt^='Left button pans'])")
    pan.click()
    expect(pan).to_have_class("mpl-widget active", timeout=TIMEOUT_MS)

    low, high = xlim(ax)
    step_x, _ = data_per_css_px(figure, ax)
    start = axes_point(canvas, figure, ax, 0.5, 0.5)
    drag(page, start, Point(start.x - 100, start.y))
    expected = (low + 100 * step_x, high + 100 * step_x)
    wait_until(
        lambda: np.allclose(xlim(ax), expected, atol=2 * step_x),
        page=page,
        message=lambda: f"xlim {expected}, not {xlim(ax)}",
    )
    wait_until(
        lambda: not np.array_equal(canvas_pixels(canvas), pixels[0]),
        page=page,
        message="mpl.js's canvas to show the panned view",
    )
