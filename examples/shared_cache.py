"""A PNG endpoint served by several processes that share one cache and render on a pool.

    python examples/shared_cache.py [--port 8000] [--processes 2] [--pool 1]
                                    [--redis redis://127.0.0.1:6379/0 | --memcached HOST:PORT]

``GET /scatter.png?points=40000&seed=3`` draws a scatter of that many random points (the
seed picks them). The parameters are the cache key, so every process serves the same image
with the same ETag; ``If-None-Match`` gets a 304 before anything is rendered. Bad
parameters get a 400 with a message.

- ``--processes N`` forks N web processes on one listening socket, each answering requests
  on its own event loop (as Tornado's ``fork_processes`` does; here the first process keeps
  the others' ids, so that Ctrl+C, or a SIGTERM to it alone, stops them all).
- ``--redis URL`` or ``--memcached HOST:PORT`` keeps the images in that server, shared by
  every process, and on every machine that runs this with the same server: an image is
  rendered once, by whichever process asks first, while the others wait for it. Without
  either, each process has a cache of its own.
- ``--pool N`` renders on a ``webfig.RenderPool`` of N worker processes per web process
  (matplotlib draws one figure at a time per process, so this is what uses more cores);
  ``--pool 0`` renders in the web process, on a thread.

Every render is logged (``rendered ...``), so you can watch a request for a new image render
once however many processes ask. If the cache server goes away the endpoint goes on
rendering and serving, with one warning, and uses it again once it is back. It prints one
line, ``shared_cache: serving at URL``; Ctrl+C stops every process. The port is ``--port``,
else ``WEBFIG_PORT`` as for webfig's own server, else 8000; 0 takes any free port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator

import numpy as np
import tornado.web
from matplotlib.figure import Figure
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets

import webfig

log = logging.getLogger("shared_cache")
MAX_POINTS = 200_000
# Seconds a cache server may take to answer before the endpoint renders without it.
STORE_TIMEOUT = 0.5


def scatter(points: int, seed: int) -> Figure:
    """The figure for a request: importable, so that a pool's worker process can build it."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((2, points))
    figure = Figure(figsize=(6, 4), dpi=100, layout="constrained")
    ax = figure.add_subplot()
    ax.scatter(x, y, s=2, c=np.hypot(x, y), cmap="viridis", alpha=0.6)
    ax.set(title=f"{points} points, seed {seed}", xlim=(-4, 4), ylim=(-4, 4))
    return figure


class BadParameter(ValueError):
    """A query parameter the endpoint cannot use; its message goes back with a 400."""


def whole_number(handler: tornado.web.RequestHandler, name: str, default: int, high: int) -> int:
    text = handler.get_query_argument(name, str(default))
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= high):
        raise BadParameter(f"{name} must be a whole number from 1 to {high}, not {text[:40]!r}")
    return int(text)


class ScatterHandler(tornado.web.RequestHandler):
    """``/scatter.png?points=N&seed=S``."""

    def initialize(self, cache: webfig.RenderCache, pool: webfig.RenderPool | None) -> None:
        self.cache = cache
        self.pool = pool

    async def get(self) -> None:
        try:
            points = whole_number(self, "points", 40_000, MAX_POINTS)
            seed = whole_number(self, "seed", 1, 2**31)
        except BadParameter as error:
            self.set_status(400)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"{error}\n")
            return
        key = ("scatter", points, seed, "png")
        # The ETag comes from the key alone: a match costs no rendering at all.
        self.set_header("ETag", self.cache.etag(key))
        if self.check_etag_header():
            self.set_status(304)
            return
        body = await IOLoop.current().run_in_executor(
            None, self.cache.get_or_render, key, lambda: self._render(points, seed)
        )
        self.set_header("Content-Type", webfig.content_type("png"))
        self.write(body)

    def _render(self, points: int, seed: int) -> bytes:
        """Runs on a thread of the executor, only when no process has the image yet."""
        log.info("rendered scatter points=%d seed=%d in process %d", points, seed, os.getpid())
        if self.pool is None:
            return webfig.render(scatter(points, seed), "png")
        return self.pool.submit(scatter, points, seed, format="png").result()


def make_store(options: argparse.Namespace) -> webfig.RedisStore | webfig.MemcachedStore | None:
    """The shared store the options name, with short timeouts: a slow store must not make
    a slow endpoint (the cache renders without it instead)."""
    if options.redis:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            options.redis,
            socket_timeout=STORE_TIMEOUT,
            socket_connect_timeout=STORE_TIMEOUT,
            retry=Retry(NoBackoff(), 1),  # not redis-py's own 10 tries with backoff
        )
        return webfig.RedisStore(client, prefix="shared_cache:")
    if options.memcached:
        from pymemcache.client.base import PooledClient

        host, _, port = options.memcached.rpartition(":")
        pooled = PooledClient(
            (host, int(port)), connect_timeout=STORE_TIMEOUT, timeout=STORE_TIMEOUT
        )
        return webfig.MemcachedStore(pooled, prefix="shared_cache:")
    return None


def port_number(text: str) -> int:
    """A port from ``--port`` or ``WEBFIG_PORT``, checked: a bad one is a usage error."""
    if not (text.strip().isascii() and text.strip().isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError(
            f"WEBFIG_PORT and --port take a whole number from 0 to 65535, not {text!r}"
        )
    return int(text)


@contextlib.contextmanager
def render_pool(processes: int) -> Iterator[webfig.RenderPool | None]:
    if processes == 0:
        yield None
        return
    with webfig.RenderPool(processes=processes) as pool:
        yield pool


async def serve(sockets: list[socket.socket], options: argparse.Namespace) -> None:
    cache = webfig.RenderCache(max_entries=64, store=make_store(options))
    with render_pool(options.pool) as pool:
        app = tornado.web.Application(
            [(r"/scatter\.png", ScatterHandler, {"cache": cache, "pool": pool})]
        )
        HTTPServer(app).add_sockets(sockets)
        await asyncio.Event().wait()  # serve until Ctrl+C


def fork(processes: int) -> list[int]:
    """Fork ``processes - 1`` more web processes: their ids in this one, [] in them.

    The others leave Ctrl+C to this one (a terminal sends it to every process of the
    group) and stop on the SIGTERM it sends them then: one signal each, whoever sent it."""
    children = []
    for _ in range(processes - 1):
        if (pid := os.fork()) == 0:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return []
        children.append(pid)
    return children


def stop(children: list[int]) -> None:
    """Stop the other web processes, and wait for them to end."""
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port",
        type=port_number,  # also applied to the default, so a bad WEBFIG_PORT is refused too
        default=os.environ.get("WEBFIG_PORT", "8000"),
        help="0 takes any free port (default: WEBFIG_PORT, else 8000)",
    )
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--processes", type=int, default=2, help="web processes")
    parser.add_argument("--pool", type=int, default=1, help="render processes per web process")
    stores = parser.add_mutually_exclusive_group()
    stores.add_argument("--redis", help="a Redis URL, such as redis://127.0.0.1:6379/0")
    stores.add_argument("--memcached", help="a memcached server, HOST:PORT")
    options = parser.parse_args()
    if options.processes < 1 or options.pool < 0:
        parser.error("--processes must be at least 1, --pool at least 0")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    # Bound before forking, so every process accepts on the same socket; forked before any
    # thread or event loop exists (a fork copies only the thread that forks).
    sockets = bind_sockets(options.port, options.address)
    host, port = sockets[0].getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    print(f"shared_cache: serving at http://{host}:{port}/scatter.png", flush=True)
    # A SIGTERM (from a supervisor, or from the first process) stops it as Ctrl+C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    children = fork(options.processes)
    try:
        asyncio.run(serve(sockets, options))
    except KeyboardInterrupt:
        stop(children)
        log.info("stopped process %d", os.getpid())


if __name__ == "__main__":
    main()
