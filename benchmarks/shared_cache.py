"""Scaling out a PNG endpoint: requests/s with one process, a render pool, several
processes, and a cache in memory, in Redis or in memcached.

    python benchmarks/shared_cache.py [--images 24] [--hits 400] [--concurrency 4]

Each configuration runs examples/shared_cache.py (a Tornado endpoint that renders a
40 000-point scatter, webfig's RenderCache in front) in processes of its own, and a client
here asks it, CONCURRENCY requests at a time:

- cold: IMAGES images no process has yet (each one rendered once);
- warm: HITS requests for those same images again (each one a cache hit);
- one at a time: the median time of a warm hit, sequentially.

It counts the renders the endpoint logged, which is the number of images when every image
is rendered once across processes. Redis and memcached are Debian's servers, started here on
free loopback ports (as the tests start them). A last table times the store itself: a hit
that only the shared store has (the process' own copy evicted), against one in memory.

matplotlib's WebAgg has nothing to compare here (it serves live figures only), so the
baseline is webfig's own single process that renders on a thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from common import REPOSITORY, machine
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

sys.path.insert(0, str(REPOSITORY))
from tests.servers import Servers

EXAMPLE: Final = REPOSITORY / "examples" / "shared_cache.py"
URL_LINE: Final = re.compile(r"^shared_cache: serving at (http://\S+)$")
START_TIMEOUT: Final = 60.0
POINTS: Final = 40_000


@dataclass(frozen=True)
class Setup:
    label: str
    processes: int
    pool: int
    store: str | None  # "redis", "memcached" or None: each process' own memory


SETUPS: Final = (
    Setup("1 process, renders on a thread, cache in memory", 1, 0, None),
    Setup("1 process, RenderPool(2), cache in memory", 1, 2, None),
    Setup("2 processes, cache in memory (each its own)", 2, 0, None),
    Setup("2 processes, shared cache in Redis", 2, 0, "redis"),
    Setup("2 processes, shared cache in memcached", 2, 0, "memcached"),
)


@dataclass
class Result:
    setup: Setup
    cold: float  # requests per second
    warm: float
    hit_ms: float  # median of sequential warm hits
    renders: int
    images: int


@contextlib.asynccontextmanager
async def endpoint(setup: Setup, addresses: dict[str, str], log: Path) -> AsyncIterator[str]:
    """examples/shared_cache.py running with ``setup``; its URL."""
    arguments = ["--port", "0", "--processes", str(setup.processes), "--pool", str(setup.pool)]
    if setup.store is not None:
        arguments += [f"--{setup.store}", addresses[setup.store]]
    path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(EXAMPLE), *arguments,
            stdout=subprocess.PIPE, stderr=stderr, env={**os.environ, "PYTHONPATH": path},
            start_new_session=True,  # its web and render processes, stopped together
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        if not (match := URL_LINE.match(line.decode().strip())):
            raise RuntimeError(f"the endpoint did not start: {log.read_text()[-2000:]}")
        yield match.group(1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except asyncio.TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def ready(client: AsyncHTTPClient, url: str) -> None:
    """Until every web process answers (a bad request costs no render)."""
    deadline = time.perf_counter() + START_TIMEOUT
    while True:
        try:
            await client.fetch(f"{url}?points=x", raise_error=False)
            return
        except OSError:
            if time.perf_counter() > deadline:
                raise
            await asyncio.sleep(0.1)


async def requests_per_second(client: AsyncHTTPClient, urls: list[str], concurrency: int) -> float:
    queue = list(reversed(urls))

    async def worker() -> None:
        while queue:
            response = await client.fetch(queue.pop())
            if not response.body.startswith(b"\x89PNG"):
                raise RuntimeError(f"not a PNG from {response.effective_url}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(urls) / (time.perf_counter() - start)


async def median_ms(client: AsyncHTTPClient, urls: list[str]) -> float:
    times = []
    for url in urls:
        start = time.perf_counter()
        await client.fetch(url)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def run_setup(
    setup: Setup, addresses: dict[str, str], options: argparse.Namespace, seed: int, log: Path
) -> Result:
    client = AsyncHTTPClient(force_instance=True, max_clients=options.concurrency)
    try:
        async with endpoint(setup, addresses, log) as url:
            await ready(client, url)
            # Seeds no earlier setup used: the shared stores must not have these images yet.
            images = [f"{url}?points={POINTS}&seed={seed + i}" for i in range(options.images)]
            cold = await requests_per_second(client, images, options.concurrency)
            hits = [images[i % len(images)] for i in range(options.hits)]
            warm = await requests_per_second(client, hits, options.concurrency)
            hit_ms = await median_ms(client, hits[:100])
    except HTTPClientError as error:
        raise RuntimeError(f"{setup.label}: {error}; {log.read_text()[-2000:]}") from None
    finally:
        client.close()
    renders = log.read_text().count("rendered scatter")
    progress(f"  {setup.label}: {cold:.1f} cold, {warm:.0f} warm requests/s, {renders} renders")
    return Result(setup, cold, warm, hit_ms, renders, options.images)


def store_hit_ms(addresses: dict[str, str], repeat: int) -> dict[str, float]:
    """The median ms of a RenderCache hit found only in the store, and of one in memory."""
    import redis
    from pymemcache.client.base import PooledClient

    import webfig

    body = os.urandom(100_000)  # an image as large as a typical scatter PNG
    host, _, port = addresses["memcached"].rpartition(":")
    stores: dict[str, Callable[[], webfig.RenderCache]] = {
        "memory": lambda: webfig.RenderCache(max_entries=2),
        "Redis": lambda: webfig.RenderCache(
            max_entries=1, store=webfig.RedisStore(redis.Redis.from_url(addresses["redis"]))
        ),
        "memcached": lambda: webfig.RenderCache(
            max_entries=1, store=webfig.MemcachedStore(PooledClient((host, int(port))))
        ),
    }
    medians = {}
    for name, make in stores.items():
        cache = make()
        keys = [("store hit", name, 1), ("store hit", name, 2)]
        for key in keys:
            cache.get_or_render(key, lambda: body)
        times = []
        for index in range(repeat):
            start = time.perf_counter()
            # Alternating keys with room for one: every hit comes from the store.
            cache.get_or_render(keys[index % 2], lambda: b"")
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times) * 1000
    return medians


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def report(results: list[Result], hits: dict[str, float], options: argparse.Namespace) -> None:
    print(f"Machine: {machine()}\n")
    print(
        f"{options.images} images of a {POINTS}-point scatter (PNG), then {options.hits}"
        f" requests for them again, {options.concurrency} at a time.\n"
    )
    baseline = results[0].cold
    print("| setup | cold requests/s | × | warm requests/s | warm hit, median ms | renders |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r.setup.label} | {r.cold:.1f} | {r.cold / baseline:.2f} | {r.warm:.0f} |"
            f" {r.hit_ms:.1f} | {r.renders} of {r.images} |"
        )
    print("\n| a cache hit of 100 kB, found in | median ms |")
    print("| --- | ---: |")
    for name, ms in hits.items():
        print(f"| {name} | {ms:.2f} |")


async def main(options: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as directory:
        servers = Servers(Path(directory))
        try:
            addresses = {
                "redis": f"redis://127.0.0.1:{servers.start('redis').port}/0",
                "memcached": f"127.0.0.1:{servers.start('memcached').port}",
            }
            results = []
            for index, setup in enumerate(SETUPS):
                log = Path(directory) / f"endpoint-{index}.log"
                seed = 1 + index * options.images
                results.append(await run_setup(setup, addresses, options, seed, log))
            hits = store_hit_ms(addresses, 500)
        finally:
            servers.stop_all()
    report(results, hits, options)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=24, help="distinct images (cold)")
    parser.add_argument("--hits", type=int, default=400, help="warm requests")
    parser.add_argument("--concurrency", type=int, default=4, help="requests at a time")
    options = parser.parse_args()
    if not (1 <= options.images <= 500 and 1 <= options.hits <= 20_000):
        parser.error("--images from 1 to 500, --hits from 1 to 20000")
    if not 1 <= options.concurrency <= 64:
        parser.error("--concurrency from 1 to 64")
    return options


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_arguments())))
