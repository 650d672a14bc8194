"""``/<num>/download.<fmt>``: a figure as a file."""

from __future__ import annotations

import dataclasses
from typing import Any

import tornado.web

from ...config import current_settings
from ...rendering.cache import RenderCache
from ...rendering.process_pool import RenderTimeout
from ...rendering.render import content_type
from ...runtime.event_loop import download_pool
from ..download_query import BadDownload, download_name, parse_options
from .guard import FigureHandler


class Download(FigureHandler):
    """``/<num>/download.<fmt>``: the figure as a file, with ``?dpi=``, ``?transparent=1``
    and ``?bbox=tight``.

    Saved off the event loop (the figure holds its lock while it saves). The ETag comes from
    the figure's revision, so asking again for an unchanged figure gets 304 without saving
    anything, and a small cache keeps recent files for the other viewers who ask.

    Security: a save holds one of the download pool's two threads; a request for a file
    being saved awaits that save, holding none, so repeat clicks cost nothing more. A save
    in a worker process that takes longer than ``save_timeout`` (``WEBFIG_SAVE_TIMEOUT``)
    is stopped and answered 503, it and the requests that awaited it. A failed save is a 500
    that names no detail of the failure (it is logged).
    """

    def initialize(self, *args: Any, cache: RenderCache | None = None, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.cache = RenderCache() if cache is None else cache

    async def get(self, num: str, fmt: str) -> None:
        figure = self.find_figure(num)
        supported = figure.download_formats()
        fmt = fmt.lower()
        if fmt not in supported:
            raise tornado.web.HTTPError(
                404, f"Unknown format {fmt!r}; supported: {', '.join(sorted(supported))}."
            )
        try:
            query = {
                name: [value.decode("utf-8", "replace") for value in values]
                for name, values in self.request.query_arguments.items()
            }
            options = parse_options(query, figure.size_inches)
        except BadDownload as error:
            raise tornado.web.HTTPError(400, str(error)) from None

        # A cache key holds plain values only (its digest is the ETag, in every process);
        # every option is in it, so an option added later cannot serve another's file.
        key = (figure.revision(), fmt, *dataclasses.astuple(options))
        self.set_header("Etag", RenderCache.etag(key))
        self.set_header("Cache-Control", "no-cache")
        name = download_name(figure.title, figure.number, fmt)
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        if self.check_etag_header():
            self.set_status(304)
            return
        try:
            body = await self.cache.get_or_render_async(
                key, lambda: figure.save(fmt, options), download_pool()
            )
        except RenderTimeout:  # (the pool logged it)
            raise tornado.web.HTTPError(
                503,
                f"Saving the figure as {fmt} took longer than "
                f"{current_settings().save_timeout:g} s and was stopped: ask for a lower dpi "
                "or another format, or allow more time with WEBFIG_SAVE_TIMEOUT.",
            ) from None
        except Exception as error:
            # Not the error's text: it may name files, settings or data. The guard logs it,
            # chained to this, once, with the error id the answer gives.
            raise tornado.web.HTTPError(500, f"Saving the figure as {fmt} failed.") from error
        self.set_header("Content-Type", content_type(fmt))
        self.write(body)

    async def head(self, num: str, fmt: str) -> None:
        """As GET, without the body: the same status and headers, Content-Length included.

        The file comes from the cache when it is there (or 304 from the ETag, with nothing
        saved); else the figure is saved, as a GET would, and cached for the GET that
        usually follows. So HEAD answers exactly as GET would, a save that fails included.
        """
        await self.get(num, fmt)

    def compute_etag(self) -> None:
        """No ETag from the body: the figure's revision made one already."""
        return None
