"""The hub's own pages: every figure listed by run, newest first, filterable by text, and a
kept figure or a whole ended run deleted from there."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import tornado.web

from ..hub.store import Run
from .handlers.pages import Page
from .hub_server import HubFigures, RemoteFigure

# How a run's end reads on its line.
_ENDED: dict[str | None, str] = {
    "exited": "ended",
    "exception": "failed",
    "signal": "stopped",
    "lost": "lost",
}


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


class _HubPage(Page):
    """A page of the hub's, with its figures (a :class:`HubFigures`) at hand."""

    figures: HubFigures

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace.update(when=_when, ended=lambda run: _ENDED.get(run.how_ended, "ended"))
        return namespace

    async def stored(self, call: Any) -> Any:
        """``call``'s result, run on the store's thread."""
        return await asyncio.wrap_future(self.figures.stored(call))


class HubIndex(_HubPage):
    """``/?q=text``: every figure on the hub by its label, grouped by the run it came from
    (script, host, when it started), newest first; ``q`` keeps those whose label, script or
    host holds it."""

    async def get(self) -> None:
        query = self.get_query_argument("q", "").strip()[:200]
        runs = await self.stored(lambda: self.figures.keeper.store.listing(query))
        live = {figure.number for figure in self.figures.figures() if _is_live(figure)}
        self.render("hub_index.html", runs=runs, query=query, live=live)


class DeleteFigure(_HubPage):
    """``POST /<id>/delete``: a kept figure removed from the hub and its data directory.

    Security: behind the access rules (the token), and, as every request, refused when
    another site's page makes it (``Sec-Fetch-Site``), so no page elsewhere deletes through
    a visitor's browser. A live figure goes when its script closes it: 409.
    """

    async def post(self, num: str) -> None:
        figure = self.figures.get(int(num))
        if figure is None:
            raise tornado.web.HTTPError(404, f"There is no figure {num} on this hub.")
        if _is_live(figure):
            raise tornado.web.HTTPError(
                409, "This figure is live: it goes when its script closes it or ends."
            )
        await self.stored(lambda: self.figures.delete(figure.number))
        self.redirect(f"{self.prefix}/", status=303)


class DeleteRun(_HubPage):
    """``POST /runs/<id>/delete``: an ended run's figures removed from the hub and its data
    directory (the same rules as :class:`DeleteFigure`)."""

    async def post(self, run_id: str) -> None:
        run: Run | None = await self.stored(lambda: self.figures.keeper.store.run(run_id))
        if run is None:
            raise tornado.web.HTTPError(404, "There is no such run on this hub.")
        if run.live:
            raise tornado.web.HTTPError(
                409, "This run is live: its figures go when its script closes them or ends."
            )
        await self.stored(lambda: self.figures.delete_run(run_id))
        self.redirect(f"{self.prefix}/", status=303)


def _is_live(figure: object) -> bool:
    """Whether ``figure`` is a script's, live: not a kept one, even while a worker serves it."""
    return isinstance(figure, RemoteFigure) and figure.kept_status is None
