"""A plain Tornado endpoint that serves plots as images: ``GET /plot.png?freq=3``.

No pyplot and no browser client here: each request builds a ``matplotlib.figure.Figure``
and ``webfig.render`` turns it into PNG (or SVG) bytes in memory, off the event loop.
``webfig.RenderCache`` keeps recent images, so a repeated request renders nothing, and its
ETag (derived from the parameters, the same in every process) lets a browser revalidate:
a request whose ``If-None-Match`` matches gets ``304 Not Modified`` before any rendering.
Bad parameters get ``400`` with a message.

Run it with ``python examples/png_endpoint.py [--port 8000]`` and open the printed URL. The
port is ``--port``, else ``WEBFIG_PORT`` as for webfig's own server, else 8000; 0 takes any
free port. Try ``/plot.png?freq=3&dpi=150`` or ``/plot.svg?freq=0.5``. Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
from dataclasses import dataclass

import numpy as np
import tornado.web
from matplotlib.figure import Figure
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

import webfig

log = logging.getLogger("png_endpoint")
CACHE = webfig.RenderCache(max_entries=64, max_bytes=32 * 2**20)


class BadParameter(ValueError):
    """A query parameter the endpoint cannot use; its message goes back with a 400."""


@dataclass(frozen=True)
class PlotRequest:
    """The checked parameters of one plot: all that identifies its image."""

    freq: float = 1.0
    dpi: int = 100

    @classmethod
    def from_query(cls, query: dict[str, list[bytes]]) -> PlotRequest:
        if unknown := sorted(set(query) - {"freq", "dpi"}):
            raise BadParameter(f"unknown parameter {unknown[0]!r}; known: freq, dpi")
        freq = _number(query, "freq", cls.freq, 0.1, 20)
        dpi = _number(query, "dpi", cls.dpi, 30, 300)
        if not dpi.is_integer():
            raise BadParameter(f"dpi must be a whole number, not {dpi:g}")
        return cls(freq=freq, dpi=int(dpi))


def _number(
    query: dict[str, list[bytes]], name: str, default: float, low: float, high: float
) -> float:
    if name not in query:
        return float(default)
    text = query[name][-1].decode(errors="replace")
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(f"{name} must be a number, not {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise BadParameter(f"{name} must be between {low:g} and {high:g}, not {text!r}")
    return value


def draw(plot: PlotRequest, fmt: str) -> bytes:
    """The image for ``plot``; runs on a worker thread (a Figure of its own, no pyplot)."""
    fig = Figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    t = np.linspace(0, 2, 1000)
    ax.plot(t, np.sin(2 * np.pi * plot.freq * t) * np.exp(-t))
    ax.set(xlabel="time (s)", ylabel="amplitude", title=f"{plot.freq:g} Hz, damped")
    ax.grid(True)
    log.info("rendered %s %s", fmt, plot)
    return webfig.render(fig, fmt, dpi=plot.dpi)


class PlotHandler(tornado.web.RequestHandler):
    """``/plot.png`` and ``/plot.svg``."""

    async def get(self, fmt: str) -> None:
        try:
            plot = PlotRequest.from_query(self.request.query_arguments)
        except BadParameter as error:
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"{error}\n")
            return
        key = ("damped sine", plot.freq, plot.dpi, fmt)
        # The ETag comes from the key alone: a match costs no rendering at all.
        self.set_header("ETag", CACHE.etag(key))
        self.set_header("Cache-Control", "public, max-age=3600")
        if self.check_etag_header():
            self.set_status(304)
            return
        body = await IOLoop.current().run_in_executor(
            None, CACHE.get_or_render, key, lambda: draw(plot, fmt)
        )
        self.set_header("Content-Type", webfig.content_type(fmt))
        self.write(body)


class Index(tornado.web.RequestHandler):
    def get(self) -> None:
        images = "".join(f'<p><img src="/plot.png?freq={f}" alt="{f} Hz"></p>' for f in (1, 3, 8))
        self.write(f"<!doctype html><title>Plots</title>{images}")


def port_number(text: str) -> int:
    """A port from ``--port`` or ``WEBFIG_PORT``, checked: a bad one is a usage error."""
    if not (text.strip().isascii() and text.strip().isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(
            f"WEBFIG_PORT and --port take a whole number from 0 to 65535, not {text!r}"
        )
    return int(text)


async def main(port: int, address: str) -> None:
    app = tornado.web.Application([(r"/", Index), (r"/plot\.(png|svg)", PlotHandler)])
    sockets = bind_sockets(port, address)
    HTTPServer(app).add_sockets(sockets)
    host, port = sockets[0].getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    print(f"png_endpoint: serving at http://{host}:{port}/", flush=True)
    await asyncio.Event().wait()  # serve until Ctrl+C


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve plots as PNG images.")
    parser.add_argument(
        "--port",
        type=port_number,  # also applied to the default, so a bad WEBFIG_PORT is refused too
        default=os.environ.get("WEBFIG_PORT", "8000"),
        help="0 takes any free port (default: WEBFIG_PORT, else 8000)",
    )
    parser.add_argument("--address", default="127.0.0.1")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(main(arguments.port, arguments.address))
    except KeyboardInterrupt:
        log.info("stopped")
