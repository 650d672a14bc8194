"""The notebook widget that carries one figure: webfig's client as its front end, the
figure's markup as its state, and every message of its views as comm messages."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Final

import anywidget
import traitlets

from .bundle import bundle_directory

STATIC_DIR: Final = Path(__file__).resolve().parents[1] / "static"


@cache
def client_module() -> str:
    """webfig's client as the one module the widget's front end runs (static/js/notebook.js
    and what it imports)."""
    return bundle_directory(STATIC_DIR / "js", "notebook.js", "widget")


@cache
def client_style() -> str:
    return (STATIC_DIR / "webfig.css").read_text(encoding="utf-8")


class FigureWidget(anywidget.AnyWidget):
    """One figure's widget: displayed in any number of outputs, each a view of its own.

    Its state is the figure's markup (templates/figure.html, made by the kernel), and a
    random name the front end knows its views by; the rest travels as custom messages
    (docs/notebook.md, and static/js/comm-connection.js).
    """

    _esm = client_module()
    _css = client_style()
    markup = traitlets.Unicode("").tag(sync=True)
    view_group = traitlets.Unicode("").tag(sync=True)

    def __init__(self, markup: str) -> None:
        super().__init__(markup=markup, view_group=secrets.token_hex(8))
