"""A figure's markup away from any page of webfig's: for a notebook's output, which gets
the figure's HTML from the kernel rather than from a server."""

from __future__ import annotations

import base64
import mimetypes
from functools import cache
from typing import Final

import tornado.template

from ..wire.interfaces import ServedFigure
from ..wire.toolbar_buttons import page_tools
from .handlers.pages import STATIC_DIR, TEMPLATE_DIR
from .registry import FigureInfo

_TEMPLATES: Final = tornado.template.Loader(str(TEMPLATE_DIR))


def figure_markup(figure: ServedFigure, *, open_link: bool) -> str:
    """templates/figure.html for ``figure``, with its icons inlined (no server serves them)
    and, with ``open_link``, the link that opens the figure in a tab of its own server."""
    info = FigureInfo.of(figure, "")
    html = _TEMPLATES.load("figure.html").generate(
        figure=info,
        page_tools=page_tools,
        prefix="",
        static_url=inline_static_url,
        figure_link=open_link,
        take_keyboard=False,
    )
    return html.decode("utf-8")


@cache
def inline_static_url(path: str) -> str:
    """A static file (an icon) as a data URL."""
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    content = (STATIC_DIR / path).read_bytes()
    return f"data:{kind};base64,{base64.b64encode(content).decode('ascii')}"
