"""The helpers for web apps: render, to_rgba and RenderCache, from several threads at once."""

from __future__ import annotations

import asyncio
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import webfig
from webfig.rendering import cache as cache_module
from webfig.rendering.cache import RenderCache

from .imaging import decode_png
from .waiting import TIMEOUT, wait_until


def make_figure(frequency: float) -> Figure:
    """A figure made the way a web app makes one: no pyplot."""
    figure = Figure(figsize=(4, 3), dpi=100)
    ax = figure.add_subplot()
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.sin(2 * np.pi * frequency * x))
    ax.set_title(f"{frequency} Hz")
    return figure


def test_render_in_any_format():
    figure = make_figure(2)
    png = webfig.render(figure)
    assert png.startswith(b"\x89PNG")
    assert decode_png(png).shape == (300, 400, 4)
    assert decode_png(webfig.render(figure, dpi=50)).shape == (150, 200, 4)
    assert webfig.render(figure, "svg").startswith(b"<?xml")
    assert webfig.render(figure, format="pdf", metadata={"Title": "x"}).startswith(b"%PDF")
    clear = decode_png(webfig.render(figure, transparent=True))
    assert clear[0, 0, 3] == 0


def test_to_rgba_is_the_png_as_an_array():
    figure = make_figure(3)
    rgba = webfig.to_rgba(figure)
    assert rgba.dtype == np.uint8
    assert rgba.shape == (300, 400, 4)
    assert rgba.flags.writeable
    np.testing.assert_array_equal(rgba, decode_png(webfig.render(figure)))
    assert webfig.to_rgba(figure, dpi=72.5).shape == (217, 290, 4)
    # Pillow takes it as it is.
    with io.BytesIO() as buffer:
        Image.fromarray(rgba, "RGBA").save(buffer, "BMP")
        assert buffer.getvalue().startswith(b"BM")


def test_content_types():
    assert webfig.content_type("png") == "image/png"
    assert webfig.content_type("SVG") == "image/svg+xml"
    assert webfig.content_type("jpeg") == "image/jpeg"
    assert webfig.content_type("tif") == "image/tiff"
    assert webfig.content_type("eps") == "application/postscript"
    assert webfig.content_type("webp") == "image/webp"
    assert webfig.content_type("nonsense") == "application/octet-stream"


def test_render_and_to_rgba_from_many_threads_at_once():
    frequencies = [1, 2]
    dpis = [40, 100]
    figures = {f: make_figure(f) for f in frequencies}
    expected = {(f, d): webfig.to_rgba(figures[f], dpi=d) for f in frequencies for d in dpis}

    def work(index: int) -> None:
        frequency = frequencies[index % 2]
        dpi = dpis[index // 2 % 2]
        # Threads share figures, at different dpis: each figure is saved by one at a time.
        figure = figures[frequency]
        if index % 3:
            pixels = webfig.to_rgba(figure, dpi=dpi)
        else:
            pixels = decode_png(webfig.render(figure, dpi=dpi))
        np.testing.assert_array_equal(pixels, expected[frequency, dpi])

    with ThreadPoolExecutor(8) as pool:
        for result in [pool.submit(work, i) for i in range(48)]:
            result.result()


def test_the_cache_renders_once_per_key_and_forgets_the_oldest():
    cache = RenderCache(max_entries=2)
    renders: list[str] = []

    def render(name: str) -> bytes:
        renders.append(name)
        return name.encode()

    assert cache.get_or_render("a", lambda: render("a")) == b"a"
    assert cache.get_or_render("a", lambda: render("a")) == b"a"
    cache.get_or_render("b", lambda: render("b"))
    cache.get_or_render("a", lambda: render("a"))  # a is now the newest
    cache.get_or_render("c", lambda: render("c"))  # evicts b
    assert cache.get("b") is None
    assert cache.get("a") == b"a"
    assert renders == ["a", "b", "c"]
    assert (cache.hits, cache.misses) == (2, 3)


def test_the_cache_keeps_to_its_byte_budget():
    cache = RenderCache(max_entries=10, max_bytes=10)
    cache.get_or_render(1, lambda: b"12345")
    cache.get_or_render(2, lambda: b"67890")
    cache.get_or_render(3, lambda: b"x")
    assert cache.get(1) is None
    assert len(cache) == 2
    cache.get_or_render(4, lambda: b"too large for it")  # returned, never kept
    assert cache.get(4) is None
    with pytest.raises(ValueError, match="at least one entry"):
        RenderCache(max_entries=0)


def test_threads_asking_for_one_key_render_it_once():
    cache = RenderCache()
    started = threading.Barrier(6)
    renders: list[int] = []

    def render() -> bytes:
        renders.append(1)
        return webfig.render(make_figure(5))

    def ask() -> bytes:
        started.wait()
        return cache.get_or_render(("sine", 5), render)

    with ThreadPoolExecutor(6) as pool:
        bodies = [f.result() for f in [pool.submit(ask) for _ in range(6)]]
    assert len(renders) == 1
    assert all(body == bodies[0] for body in bodies)


def test_etags_are_quoted_stable_and_distinct():
    etag = RenderCache.etag(("sine", 3, "png"))
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert etag == RenderCache.etag(("sine", 3, "png"))
    assert etag != RenderCache.etag(("sine", 4, "png"))


def test_a_render_that_raises_leaves_no_claim_and_the_next_caller_renders():
    cache = RenderCache()
    calls: list[int] = []

    def failing() -> bytes:
        calls.append(1)
        raise RuntimeError("no data yet")

    with pytest.raises(RuntimeError, match="no data yet"):
        cache.get_or_render("key", failing)
    assert cache._rendering == {}  # nothing left behind for the key
    assert cache.get_or_render("key", lambda: b"drawn") == b"drawn"
    assert cache.get("key") == b"drawn"
    assert calls == [1]


class QueueWatch:
    """Locks that count the threads waiting for them: the test knows who is queued."""

    def __init__(self) -> None:
        self._count = threading.Lock()
        self.waiting = 0

    def Lock(self) -> WatchedLock:  # stands in for threading.Lock
        return WatchedLock(self)

    def note(self, change: int) -> None:
        with self._count:
            self.waiting += change


class WatchedLock:
    def __init__(self, watch: QueueWatch) -> None:
        self._lock = threading.Lock()
        self._watch = watch

    def __enter__(self) -> bool:
        if not self._lock.acquire(blocking=False):
            self._watch.note(+1)
            self._lock.acquire()
            self._watch.note(-1)
        return True

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


def test_after_a_failed_render_the_key_is_still_rendered_by_one_caller_at_a_time(monkeypatch):
    """Two callers wait while the first render of a key fails; one of them renders next,
    and a caller that comes meanwhile waits for it too, then finds the image."""
    cache = RenderCache()
    watch = QueueWatch()
    monkeypatch.setattr(cache_module, "threading", watch)  # the key locks it makes from now
    first_started, fail, finish = threading.Event(), threading.Event(), threading.Event()
    counting = threading.Lock()
    renders: list[str] = []
    running = most = 0

    def failing() -> bytes:
        first_started.set()
        fail.wait(TIMEOUT)
        raise RuntimeError("no data yet")

    def drawing() -> bytes:
        nonlocal running, most
        with counting:
            renders.append(threading.current_thread().name)
            running += 1
            most = max(most, running)
        finish.wait(TIMEOUT)
        with counting:
            running -= 1
        return b"drawn"

    answers: dict[str, bytes | BaseException] = {}

    def ask(name: str, render) -> threading.Thread:
        def run() -> None:
            try:
                answers[name] = cache.get_or_render("key", render)
            except RuntimeError as error:
                answers[name] = error

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    threads = [ask("first", failing)]
    try:
        wait_until(first_started.is_set, message="the first render to start")
        threads += [ask("second", drawing), ask("third", drawing)]
        wait_until(lambda: watch.waiting == 2, message="two callers to wait for the key")
        fail.set()
        wait_until(lambda: renders, message="a waiter to render")
        threads.append(ask("late", drawing))
        wait_until(
            lambda: watch.waiting == 2 or len(renders) == 2,
            message="the late caller to wait, or to render",
        )
        assert most == 1, f"{renders} rendered the key at once"
    finally:
        fail.set()
        finish.set()
        for thread in threads:
            thread.join(TIMEOUT)
    assert isinstance(answers.pop("first"), RuntimeError)
    assert answers == {"second": b"drawn", "third": b"drawn", "late": b"drawn"}
    assert len(renders) == 1
    assert cache._rendering == {}


def test_async_callers_of_a_key_being_rendered_wait_for_it_holding_no_thread():
    """Two threads: one renders the slow key, however many callers await it; the other is
    free for another key meanwhile."""
    cache = RenderCache()
    slow_started, slow_done = threading.Event(), threading.Event()
    renders: list[str] = []

    def slow() -> bytes:
        renders.append("slow")
        slow_started.set()
        slow_done.wait(TIMEOUT)
        return b"slow"

    def quick() -> bytes:
        renders.append("quick")
        return b"quick"

    async def main(pool: ThreadPoolExecutor) -> list[bytes]:
        first = asyncio.ensure_future(cache.get_or_render_async("slow", slow, pool))
        await asyncio.to_thread(slow_started.wait, TIMEOUT)
        repeats = [
            asyncio.ensure_future(cache.get_or_render_async("slow", slow, pool)) for _ in range(5)
        ]
        other = await asyncio.wait_for(cache.get_or_render_async("other", quick, pool), TIMEOUT)
        assert not first.done()
        slow_done.set()
        return [other, *await asyncio.gather(first, *repeats)]

    with ThreadPoolExecutor(2) as pool:
        bodies = asyncio.run(main(pool))
    assert bodies == [b"quick", *[b"slow"] * 6]
    assert sorted(renders) == ["quick", "slow"]
    assert (cache.hits, cache.misses) == (5, 2)
    assert cache._awaited == {}


def test_a_failed_async_render_reaches_its_waiters_and_the_next_caller_renders_again():
    cache = RenderCache()
    started, go = threading.Event(), threading.Event()
    calls: list[int] = []

    def failing() -> bytes:
        calls.append(1)
        started.set()
        go.wait(TIMEOUT)
        raise RuntimeError("no data yet")

    async def main() -> list[bytes | BaseException]:
        waiters = [asyncio.ensure_future(cache.get_or_render_async("k", failing)) for _ in range(3)]
        await asyncio.to_thread(started.wait, TIMEOUT)
        # One waiter gives up: the render and the other waiters go on.
        waiters.pop().cancel()
        go.set()
        return await asyncio.gather(*waiters, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert [str(outcome) for outcome in outcomes] == ["no data yet"] * 2
    assert calls == [1]
    assert asyncio.run(cache.get_or_render_async("k", lambda: b"drawn")) == b"drawn"
    assert cache.get("k") == b"drawn"
