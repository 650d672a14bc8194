"""The pages (all figures, one figure, one figure's card) and the static files they load."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import tornado.web

from ...wire.toolbar_buttons import page_tools
from ..access import Access
from ..registry import FigureInfo
from .guard import FigureHandler, Guarded

PACKAGE_DIR: Final = Path(__file__).parents[2]
STATIC_DIR: Final = PACKAGE_DIR / "static"
TEMPLATE_DIR: Final = PACKAGE_DIR / "templates"


class StaticFiles(Guarded, tornado.web.StaticFileHandler):
    """Static files, behind the same access rules as the figures."""

    def initialize(  # type: ignore[override]
        self, path: str, access: Access | None = None
    ) -> None:
        super().initialize(path)
        self.access = access or Access()

    def parse_url_path(self, url_path: str) -> str:
        # No file name holds a NUL, and resolving one would raise (a 500).
        if "\x00" in url_path:
            raise tornado.web.HTTPError(404, "There is no such file.")
        return super().parse_url_path(url_path)


class Favicon(StaticFiles):
    """``/favicon.ico``: webfig's icon, an SVG, for whatever asks a site's root for one.

    webfig's pages name their icon, but a browser asks the root for one still as a page
    starts loading (a tab sent on with its token, say): a 404 there is an error in the
    page's console.
    """

    def parse_url_path(self, url_path: str) -> str:
        return super().parse_url_path("icons/webfig.svg")


class MplJs(StaticFiles):
    """``/js/<module>.js``: the browser client; ``/js/mpl.js`` is its entry module.

    The modules import each other by relative URL, which carries no version, so browsers are
    told to revalidate (cheaply, by ETag) on every load rather than run a stale client.
    """

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")

    def get_content_type(self) -> str:
        return "text/javascript; charset=utf-8"


class Page(FigureHandler):
    """A handler that renders webfig's own templates, whatever application mounts it."""

    def get_template_path(self) -> str:
        return str(TEMPLATE_DIR)

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(
            prefix=self.prefix, static_url=self.webfig_static_url, page_tools=page_tools
        )
        return namespace

    def webfig_static_url(self, path: str) -> str:
        """The URL of a static file with a content hash, so browsers may cache it."""
        version = tornado.web.StaticFileHandler.get_version({"static_path": STATIC_DIR}, path)
        return f"{self.prefix}/static/{path}?v={(version or '')[:16]}"

    def head(self, *args: str) -> Awaitable[None] | None:
        """As GET, without the body: Tornado drops it and keeps its Content-Length."""
        return self.get(*args)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """A browser gets webfig's error page, and a 404 page lists the figures there are;
        anything else (a script, a fetch) gets the reason as text.

        Security: a 404 comes only once the access rules let the request in (a refused
        one is a 403), so the list shows nobody figures they may not see.
        """
        if "text/html" not in self.request.headers.get("Accept", ""):
            super().write_error(status_code, **kwargs)
            return
        message = self.error_text(status_code, kwargs)
        figures = self.figures.figures() if status_code == 404 else []
        self.render("error.html", status_code=status_code, message=message, figures=figures)

    def keep_token(self, token: str) -> None:
        """Keep the token in the cookie, and send the browser to the same page without it.

        Security: so the token stays out of the address bar, the history and ``Referer``.
        A browser that came from another site (webfig's launch page is a file, another site)
        would not send the ``SameSite=Strict`` cookie along a redirect of that navigation;
        it gets a page of this site's own that sends it on, so the cookie goes with it.
        """
        super().keep_token(token)
        # As they came: Tornado keeps a name as latin-1 text, a value as bytes.
        rest = [
            (name.encode("latin-1"), value)
            for name, values in self.request.query_arguments.items()
            if name != "token"
            for value in values
        ]
        query = urlencode(rest)
        location = self.request.path + (f"?{query}" if query else "")
        if self.other_site() is None:
            self.redirect(location)
        else:
            self.render("onward.html", location=location)


class AllFigures(Page):
    """``/``: every figure on one page, each with its own socket; the page follows the
    figure list socket to add and remove figures as the script opens and closes them."""

    def get(self) -> None:
        infos = [FigureInfo.of(figure, self.prefix) for figure in self.figures.figures()]
        self.render("all_figures.html", figures=infos)


class SingleFigure(Page):
    """``/<num>``: one figure; ``/<num>/`` redirects there."""

    @tornado.web.removeslash
    def get(self, num: str) -> None:
        info = FigureInfo.of(self.find_figure(num), self.prefix)
        self.render("single_figure.html", figure=info)


class FigureFragment(Page):
    """``/<num>/fragment``: the HTML of one figure's card, for pages that add figures
    without a reload (and for apps that embed a figure in pages of their own)."""

    def get(self, num: str) -> None:
        info = FigureInfo.of(self.find_figure(num), self.prefix)
        self.render("figure_card.html", figure=info)


class NotFound(Page):
    """Any other path under webfig's prefix (and in :func:`~webfig.server.make_app`'s
    applications, any path at all): a 404, with webfig's page for a browser."""

    # Of a long path, this much is said back.
    SHOWN_PATH_LENGTH: Final = 100

    def prepare(self) -> None:
        super().prepare()
        if self._finished:  # sent on to the same path without a token
            return
        path = self.request.path
        if len(path) > self.SHOWN_PATH_LENGTH:
            path = path[: self.SHOWN_PATH_LENGTH] + "..."
        raise tornado.web.HTTPError(404, f"There is no page {path} here.")
