"""A RenderCache shared through real Redis and memcached servers: one render per key across
processes, TTLs, claims released or lapsed, and a store that fails or cannot hold a value."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pymemcache.client.base import PooledClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from webfig.rendering.cache import RenderCache, key_digest
from webfig.rendering.stores import MemcachedStore, RedisStore, Store

from .processes import TIMEOUT, environment, run_python
from .servers import Servers, free_port
from .waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["redis", "memcached"]
# memcached counts expiries in whole seconds, and an item's last second may be cut short.
SHORT_TTL = {"redis": 0.3, "memcached": 2.0}


class Backend:
    """One kind of server under test: clients to it (closed at teardown), stores on them,
    and a look at what the server holds that goes around any cache."""

    def __init__(self, kind: str, servers: Servers) -> None:
        self.kind = kind
        self.servers = servers
        self.server = servers.start(kind)
        self._clients: list[Any] = []

    def client(self, port: int | None = None) -> Any:
        port = port or self.server.port
        client: Any
        if self.kind == "redis":
            # Short timeouts and no retries: a request never waits long on a failing store.
            client = redis.Redis(
                port=port, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
            )
        else:
            client = PooledClient(("127.0.0.1", port), connect_timeout=1, timeout=1)
        self._clients.append(client)
        return client

    def store(self, port: int | None = None, **options: Any) -> Store:
        if self.kind == "redis":
            return RedisStore(self.client(port), **options)
        return MemcachedStore(self.client(port), **options)

    def raw(self, key: str) -> bytes | None:
        """What the server holds at ``key``, asked afresh."""
        value: bytes | None = self.client().get(key)
        return value

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture(params=KINDS)
def backend(request: pytest.FixtureRequest, servers: Servers) -> Iterator[Backend]:
    started = Backend(request.param, servers)
    yield started
    started.close()


class Renders:
    """A render function that counts its calls."""

    def __init__(self, body: bytes = b"image") -> None:
        self.body = body
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            self.calls += 1
        return self.body


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


RACE_SCRIPT = """
import hashlib, json, os, sys, threading, time
from webfig.rendering.cache import RenderCache
from webfig.rendering.stores import MemcachedStore, RedisStore

kind, port, marks = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "redis":
    import redis
    client = redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)
    store = RedisStore(client, prefix="race:")
else:
    from pymemcache.client.base import PooledClient
    client = PooledClient(("127.0.0.1", port), connect_timeout=2, timeout=2)
    store = MemcachedStore(client, prefix="race:")
cache = RenderCache(store=store)
key = ("race", 1, 2.5, b"bytes", None, True, ("nested",))

def render():
    with open(marks, "a") as file:
        file.write(f"{os.getpid()}\\n")
    time.sleep(0.3)  # long enough that every other thread and process asks meanwhile
    return b"rendered once " * 1000

bodies = []
print("ready", flush=True)
sys.stdin.readline()  # both processes start asking at once
threads = [threading.Thread(target=lambda: bodies.append(cache.get_or_render(key, render)))
           for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({
    "etag": cache.etag(key),
    "bodies": sorted({hashlib.sha256(body).hexdigest() for body in bodies}),
    "answers": len(bodies),
    "misses": cache.misses,
    "hits": cache.hits,
}), flush=True)
client.close()
"""


def test_processes_and_their_threads_render_a_key_once(backend: Backend, tmp_path: Path) -> None:
    script = tmp_path / "race.py"
    script.write_text(RACE_SCRIPT)
    marks = tmp_path / "renders"
    marks.touch()
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), backend.kind, str(backend.server.port), str(marks)],
            env=environment(PYTHONPATH=str(ROOT)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n", process.communicate()
        # "go" to both before waiting for either: they race for the key.
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert [p.returncode for p in processes] == [0, 0], outputs
    results = [json.loads(stdout) for stdout, _ in outputs]
    assert len(marks.read_text().splitlines()) == 1  # one render, in one process
    assert sum(r["misses"] for r in results) == 1
    assert sum(r["hits"] for r in results) == 7
    assert all(r["answers"] == 4 for r in results)
    expected = hashlib.sha256(b"rendered once " * 1000).hexdigest()
    assert [r["bodies"] for r in results] == [[expected], [expected]]
    key = ("race", 1, 2.5, b"bytes", None, True, ("nested",))
    assert [r["etag"] for r in results] == [RenderCache.etag(key)] * 2


def test_an_image_expires_with_the_store_ttl(backend: Backend) -> None:
    ttl = SHORT_TTL[backend.kind]
    cache = RenderCache(store=backend.store(prefix="ttl:", ttl=ttl))
    render = Renders(b"fresh")
    assert cache.get_or_render("k", render) == b"fresh"
    digest = key_digest("k")
    assert backend.raw("ttl:" + digest) == b"fresh"
    assert cache.get_or_render("k", render) == b"fresh"
    assert render.calls == 1
    # Gone from the store and from the cache's own copy, which lasts no longer.
    wait_until(lambda: cache.get("k") is None, timeout=ttl + 5, message="the image to expire")
    assert backend.raw("ttl:" + digest) is None
    assert cache.get_or_render("k", render) == b"fresh"
    assert render.calls == 2
    assert backend.raw("ttl:" + digest) == b"fresh"


def wait_until_stored(cache: RenderCache, render: Renders, checker: Any, prefix: str) -> None:
    """Render new images through ``cache`` until one reaches the store (``checker`` is a
    client of the server, ``prefix`` the store's)."""
    keys = iter(range(1000))

    def stored() -> bool:
        key = ("after", next(keys))
        cache.get_or_render(key, render)
        return bool(checker.get(prefix + key_digest(key)) == render.body)

    wait_until(stored, message="the cache to use the store again")


def test_without_its_store_the_cache_serves_warns_once_and_recovers(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="webfig")
    port = free_port()  # nothing listens there yet
    # retry_interval=0: every call tries the store, and each failure is logged (quietly).
    cache = RenderCache(store=backend.store(port, prefix="down:"), retry_interval=0)
    render = Renders(b"served")
    started = time.monotonic()
    for attempt in range(6):
        assert cache.get_or_render(("key", attempt % 3), render) == b"served"
    assert time.monotonic() - started < 5  # no waiting on a store that is not there
    assert render.calls == 3  # the cache's own copies still serve
    assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
    assert "store" in warnings_in(caplog)[0]

    backend.servers.start(backend.kind, port)
    # Recovered: a new image reaches the store again.
    wait_until_stored(cache, render, backend.client(port), "down:")
    assert any("answers again" in r.getMessage() for r in caplog.records)
    assert len(warnings_in(caplog)) == 1


def test_a_store_that_stops_answering_is_one_warning_per_outage(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RenderCache(store=backend.store(prefix="outage:"), retry_interval=0)
    render = Renders()
    cache.get_or_render("before", render)
    backend.server.stop()
    for attempt in range(4):
        assert cache.get_or_render(("during", attempt), render) == b"image"
    assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
    assert render.calls == 5


class CountingStore:
    """A store that counts the calls made to it (the ones that fail included)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ttl = store.ttl
        self.max_value_bytes = store.max_value_bytes
        self.calls = 0

    def get(self, digest: str) -> bytes | None:
        self.calls += 1
        return self.store.get(digest)

    def set(self, digest: str, value: bytes) -> None:
        self.calls += 1
        self.store.set(digest, value)

    def claim(self, digest: str, token: str, seconds: float) -> bool:
        self.calls += 1
        return self.store.claim(digest, token, seconds)

    def release(self, digest: str, token: str) -> None:
        self.calls += 1
        self.store.release(digest, token)


def test_a_store_that_hangs_costs_one_timeout_then_is_left_alone(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    """A server that accepts but never answers (stopped, swapping, overloaded): one call
    waits for the client's timeout, and the cache then leaves the store alone for
    retry_interval, so the next requests wait on nothing."""
    caplog.set_level(logging.INFO, logger="webfig")
    store = CountingStore(backend.store(prefix="hang:"))
    cache = RenderCache(store=store, retry_interval=1)
    render = Renders(b"served")
    os.kill(backend.server.process.pid, signal.SIGSTOP)
    try:
        assert cache.get_or_render("first", render) == b"served"
        assert store.calls == 1  # the look that timed out; no claim, no set after it
        for attempt in range(5):
            assert cache.get_or_render(("next", attempt), render) == b"served"
        assert store.calls == 1
    finally:
        os.kill(backend.server.process.pid, signal.SIGCONT)
    assert render.calls == 6
    assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
    # Back: once retry_interval passed, new images reach the store again.
    wait_until_stored(cache, render, backend.client(), "hang:")
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_a_failed_render_releases_its_claim_to_the_next_caller(backend: Backend) -> None:
    claimant = RenderCache(store=backend.store(prefix="fail:"))
    waiter = RenderCache(store=backend.store(prefix="fail:"), wait_timeout=10)
    claim_key = "fail:claim:" + key_digest("k")
    go = threading.Event()

    def failing() -> bytes:
        go.wait(TIMEOUT)
        raise RuntimeError("no data yet")

    errors: list[BaseException] = []

    def claim_and_fail() -> None:
        try:
            claimant.get_or_render("k", failing)
        except RuntimeError as error:
            errors.append(error)

    first = threading.Thread(target=claim_and_fail)
    first.start()
    wait_until(lambda: backend.raw(claim_key) is not None, message="the claim")
    answers: list[bytes] = []
    render = Renders(b"drawn")
    second = threading.Thread(target=lambda: answers.append(waiter.get_or_render("k", render)))
    started = time.monotonic()
    second.start()
    go.set()
    first.join(TIMEOUT)
    second.join(TIMEOUT)
    assert [str(e) for e in errors] == ["no data yet"]  # the error reached its caller
    assert answers == [b"drawn"]
    assert render.calls == 1
    assert time.monotonic() - started < waiter.wait_timeout  # handed over, not timed out
    assert backend.raw(claim_key) is None
    assert backend.raw("fail:" + key_digest("k")) == b"drawn"
    # The claimant itself has nothing left behind for the key either.
    assert claimant._rendering == {}
    assert claimant.get_or_render("k", Renders(b"other")) == b"drawn"


def test_a_waiter_renders_itself_when_the_claimant_never_fills_the_claim(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.store(prefix="dead:")
    assert store.claim(key_digest("k"), "a process that died", 60)
    cache = RenderCache(store=store, wait_timeout=0.3)
    render = Renders(b"mine")
    started = time.monotonic()
    assert cache.get_or_render("k", render) == b"mine"
    assert time.monotonic() - started >= 0.3
    assert render.calls == 1
    assert any("wait_timeout" in message for message in warnings_in(caplog))
    assert backend.raw("dead:" + key_digest("k")) == b"mine"  # for the other waiters
    # The dead claim is not ours to release: it stays until it lapses.
    assert backend.raw("dead:claim:" + key_digest("k")) == b"a process that died"


def test_a_claim_that_lapses_passes_to_a_waiter(backend: Backend) -> None:
    store = backend.store(prefix="lapse:")
    assert store.claim(key_digest("k"), "a process that died", 0.2)
    cache = RenderCache(store=store, wait_timeout=10)
    started = time.monotonic()
    assert cache.get_or_render("k", Renders(b"mine")) == b"mine"
    assert time.monotonic() - started < cache.wait_timeout


def test_an_image_too_large_for_the_store_stays_local_with_one_warning(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # memcached's own default limit (1 MB items); Redis' is 512 MB, so a small one here.
    options: dict[str, Any] = {"prefix": "big:"}
    size = 2 * 2**20
    if backend.kind == "redis":
        options["max_value_bytes"] = 1000
        size = 2000
    cache = RenderCache(store=backend.store(**options))
    other = RenderCache(store=backend.store(**options), wait_timeout=10)
    render = Renders(b"x" * size)
    assert cache.get_or_render("a", render) == render.body
    assert cache.get_or_render("b", render) == render.body
    assert cache.get_or_render("a", render) == render.body  # kept here
    assert render.calls == 2
    assert backend.raw("big:" + key_digest("a")) is None
    assert len(warnings_in(caplog)) == 1, warnings_in(caplog)
    assert "kept in this process only" in warnings_in(caplog)[0]
    # Another process finds no image and no claim: it renders at once, without waiting.
    started = time.monotonic()
    assert other.get_or_render("a", render) == render.body
    assert time.monotonic() - started < other.wait_timeout
    assert render.calls == 3


# Python source, so that another process can make the very same keys.
ETAG_KEYS_SOURCE = (
    '[("spectrum", 3, 2.5, b"\\x00raw", None, True, ("nested", -0.0, float("nan"))),'
    ' 1, 1.0, True, "a", b"a", ("a",), ("a", "b"), ("ab",), 2**70, "ünïcode \\ud800"]'
)


def test_etags_are_the_same_in_every_process_and_distinct() -> None:
    code = (
        "import json\nfrom webfig.rendering.cache import RenderCache\n"
        f"keys = {ETAG_KEYS_SOURCE}\n"
        "print(json.dumps([RenderCache.etag(key) for key in keys]))\n"
    )
    result = run_python(code, PYTHONPATH=str(ROOT), PYTHONHASHSEED="12345")
    assert result.returncode == 0, result.stderr
    etags = [RenderCache.etag(key) for key in eval(ETAG_KEYS_SOURCE)]
    assert json.loads(result.stdout) == etags
    assert len(set(etags)) == len(etags)  # 1, 1.0 and True; str and bytes: all distinct
    assert all(etag.startswith('"') and etag.endswith('"') for etag in etags)
    RenderCache.etag(10**5000)  # too long for str(), not for the encoding
    # The encoding is fixed: an ETag made by another version of webfig matches too.
    assert RenderCache.etag(("sine", 3, "png")) == (
        '"' + hashlib.sha256(b"t1:3s4:sinei1:3s3:png").hexdigest() + '"'
    )


@pytest.mark.parametrize(
    "key", [["a list"], ("a", {"a": "dict"}), object(), bytearray(b"x"), frozenset()]
)
def test_keys_of_other_types_are_refused(key: Any) -> None:
    cache = RenderCache()
    with pytest.raises(TypeError, match="a RenderCache key is made of str, int, float"):
        RenderCache.etag(key)
    render = Renders()
    with pytest.raises(TypeError):
        cache.get_or_render(key, render)
    assert render.calls == 0


def test_keys_equal_in_python_are_different_images() -> None:
    cache = RenderCache()
    bodies = [cache.get_or_render(key, lambda k=key: repr(k).encode()) for key in (1, 1.0, True)]
    assert bodies == [b"1", b"1.0", b"True"]
    assert cache.get_or_render(float("nan"), lambda: b"nan") == b"nan"
    assert cache.get(float("nan")) == b"nan"  # one NaN is as good as another


def test_store_options_are_checked(backend: Backend) -> None:
    with pytest.raises(ValueError, match="ttl"):
        backend.store(ttl=0)
    with pytest.raises(ValueError, match="max_value_bytes"):
        backend.store(max_value_bytes=0)
    if backend.kind == "memcached":
        with pytest.raises(ValueError, match="without spaces"):
            backend.store(prefix="my app:")


class UnreachableStore:
    """A store whose every call fails the way a client's does when the server is down."""

    ttl = None
    max_value_bytes = 2**20

    def __init__(self) -> None:
        self.calls = 0

    def _fail(self) -> Any:
        self.calls += 1
        raise ConnectionRefusedError("nothing listens there")

    def get(self, digest: str) -> bytes | None:
        return self._fail()  # type: ignore[no-any-return]

    def set(self, digest: str, value: bytes) -> None:
        self._fail()

    def claim(self, digest: str, token: str, seconds: float) -> bool:
        return self._fail()  # type: ignore[no-any-return]

    def release(self, digest: str, token: str) -> None:
        self._fail()


def test_a_failed_store_is_left_alone_for_the_retry_interval() -> None:
    store = UnreachableStore()
    cache = RenderCache(store=store, retry_interval=60)
    for key in range(5):
        assert cache.get_or_render(key, lambda: b"served") == b"served"
    assert cache.get(99) is None
    assert store.calls == 1  # the first failure; then no request waits on the store
    assert cache.misses == 5
