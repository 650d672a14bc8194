"""A cache of rendered images, for web applications: in this process, and optionally shared
through a Redis or memcached server (:mod:`webfig.rendering.stores`) so that every process serving
the same images renders each of them once between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Final, TypeAlias, TypeVar

from ..runtime.log_once import ProblemLog
from .stores import Store

T = TypeVar("T")

#: What identifies an image: a str, int, float, bytes, bool or None, or a tuple of them.
CacheKey: TypeAlias = "str | int | float | bytes | tuple[CacheKey, ...] | None"

# Tuples nested deeper than this are refused (a key is a handful of parameters).
_MAX_DEPTH: Final = 32
# A waiter's pauses between looks at the store: the first, and the longest.
_FIRST_PAUSE: Final = 0.005
_LONGEST_PAUSE: Final = 0.1

_log = logging.getLogger("webfig")


class _StoreUnavailable(Exception):
    """The store raised; the cache carries on without it."""


def key_digest(key: CacheKey) -> str:
    """The SHA-256 (64 hex characters) of ``key``'s canonical encoding: the same in every
    process and every Python version, and different for different keys, ``1``, ``1.0`` and
    ``True``, or ``"a"`` and ``b"a"``, included. Other types raise TypeError."""
    parts: list[bytes] = []
    _encode(key, parts, 0)
    return hashlib.sha256(b"".join(parts)).hexdigest()


def _encode(value: object, out: list[bytes], depth: int) -> None:
    """A type tag, then a length-prefixed payload: no two keys share an encoding."""
    if value is None:
        out.append(b"n")
    elif isinstance(value, bool):  # before int, of which it is a subclass
        out.append(b"T" if value else b"F")
    elif isinstance(value, int):
        # Hexadecimal: Python limits decimal conversion of huge ints, not this.
        _field(out, b"i", format(int(value), "x").encode())
    elif isinstance(value, float):
        # Exact, with one spelling per value (nan, inf and -0.0 included).
        _field(out, b"f", float(value).hex().encode())
    elif isinstance(value, str):
        _field(out, b"s", value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, bytes):
        _field(out, b"b", bytes(value))
    elif isinstance(value, tuple):
        if depth >= _MAX_DEPTH:
            raise TypeError(f"a RenderCache key nests tuples at most {_MAX_DEPTH} deep")
        _field(out, b"t", str(len(value)).encode())
        for item in value:
            _encode(item, out, depth + 1)
    else:
        raise TypeError(
            "a RenderCache key is made of str, int, float, bytes, bool, None and tuples of "
            f"them, not {type(value).__name__}: {value!r:.80}"
        )


def _field(out: list[bytes], tag: bytes, payload: bytes) -> None:
    out.append(tag + str(len(payload)).encode() + b":" + payload)


class _KeyLock:
    """The lock of a key being rendered, and how many callers hold it or wait for it: it
    stays registered until the last of them leaves, so that every caller for the key takes
    this one, and one at a time renders (a render that raised included)."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0


class RenderCache:
    """A thread-safe LRU cache of rendered images, optionally shared through a ``store``.

    ``key`` is whatever identifies an image, such as ``("spectrum", dataset_version, "png",
    dpi)``: a tuple of str, int, float, bytes, bool and None. :meth:`etag` turns it into a
    strong ETag, the same in every process, so a handler can answer ``If-None-Match`` with
    304 before rendering anything::

        cache = webfig.RenderCache()
        etag = cache.etag(key)
        if self.request.headers.get("If-None-Match") == etag: ...  # 304
        body = cache.get_or_render(key, lambda: webfig.render(make_figure(), "png"))
        body = await cache.get_or_render_async(key, lambda: ...)  # in asyncio code

    With a ``store`` (:class:`~.stores.RedisStore`, :class:`~.stores.MemcachedStore`) the
    images live in that server too, with its ``ttl``, and are rendered once across
    processes: the first to claim a key renders it, the others look for it with backoff for
    up to ``wait_timeout`` seconds and then render it themselves. A claim lapses after
    ``claim_ttl`` seconds, so a process that dies while rendering holds up nobody for long;
    make it longer than the slowest render, or another process may render that image too.
    While the store fails (down, slow, refusing) images are rendered and served without it,
    with one warning per outage on the ``webfig`` logger; it is tried again every
    ``retry_interval`` seconds. This process' own copies last the store's ``ttl`` too.
    """

    def __init__(
        self,
        max_entries: int = 32,
        max_bytes: int = 64 * 2**20,
        store: Store | None = None,
        *,
        wait_timeout: float = 30.0,
        claim_ttl: float = 30.0,
        retry_interval: float = 1.0,
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache must hold at least one entry and one byte")
        if not (wait_timeout >= 0 and claim_ttl > 0 and retry_interval >= 0):
            raise ValueError("wait_timeout, claim_ttl and retry_interval are seconds, >= 0")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.store = store
        self.wait_timeout = wait_timeout
        self.claim_ttl = claim_ttl
        self.retry_interval = retry_interval
        # Digest -> (image, monotonic time it expires at).
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        # One lock per key being rendered, so that this process' threads ask the store and
        # render once per key between them.
        self._rendering: dict[str, _KeyLock] = {}
        # The renders that get_or_render_async's callers await, by key.
        self._awaited: dict[str, Future[bytes]] = {}
        self._store_down = False
        self._retry_at = 0.0
        self._outages = ProblemLog(_log)  # forgotten when the store answers again
        self._notices = ProblemLog(_log)
        #: Images served without rendering: from this process' memory or from the store.
        self.hits = 0
        #: Of the hits, those found in the store.
        self.store_hits = 0
        #: Images rendered by this cache.
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def etag(key: CacheKey) -> str:
        """A quoted strong ETag for ``key``: its :func:`key_digest`, the same in every
        process. Raises TypeError for a key of other types than a cache key's.

        The digest is unsalted: whoever sees the ETag can check a guess of the key, so keep
        secrets (a user's token, say) out of keys."""
        return f'"{key_digest(key)}"'

    def get(self, key: CacheKey) -> bytes | None:
        """The image cached for ``key`` here or in the store, without rendering or waiting."""
        digest = key_digest(key)
        with self._lock:
            if (body := self._take(digest)) is not None:
                return body
        store = self._usable_store()
        if store is None:
            return None
        try:
            body = self._store_op(lambda: store.get(digest))
        except _StoreUnavailable:
            return None
        if body is not None:
            with self._lock:
                self._put(digest, body)
        return body

    def get_or_render(self, key: CacheKey, render: Callable[[], bytes]) -> bytes:
        """The cached image for ``key``, or ``render()``'s result, kept for next time.

        An exception from ``render`` reaches the caller, and the next caller for the key
        (in any process) renders it again. The store's failures never do.
        """
        digest = key_digest(key)
        with self._lock:
            if (body := self._take(digest)) is not None:
                self.hits += 1
                return body
            key_lock = self._rendering.get(digest)
            if key_lock is None:
                key_lock = self._rendering[digest] = _KeyLock()
            key_lock.users += 1
        try:
            with key_lock.lock:
                with self._lock:
                    if (body := self._take(digest)) is not None:
                        self.hits += 1
                        return body  # another thread got it meanwhile
                # A render that raises gives up the lock too: its error reaches its caller,
                # and the next caller for the key renders again.
                return self._fetch_or_render(digest, render)
        finally:
            with self._lock:
                key_lock.users -= 1
                if not key_lock.users:
                    del self._rendering[digest]

    async def get_or_render_async(
        self, key: CacheKey, render: Callable[[], bytes], executor: Executor | None = None
    ) -> bytes:
        """:meth:`get_or_render` for asyncio code: ``render`` runs on ``executor`` (None:
        the loop's default one), and the callers in this process that ask for ``key`` while
        it renders await that render, holding no thread: a slow render and the repeat
        requests for it leave the executor's other threads to other keys.

        An exception from ``render`` reaches every caller that awaited it (a render that
        timed out is not tried again by each of them in turn); the next caller renders again.
        """
        digest = key_digest(key)
        with self._lock:
            if (body := self._take(digest)) is not None:
                self.hits += 1
                return body
            awaited = self._awaited.get(digest)
            first = awaited is None
            if awaited is None:
                awaited = self._awaited[digest] = Future()
                # Running: a waiter that is cancelled cannot cancel it for the others.
                awaited.set_running_or_notify_cancel()
        if first:
            try:
                asyncio.get_running_loop().run_in_executor(
                    executor, self._render_awaited, key, render, digest, awaited
                )
            except BaseException as error:  # no thread to render on (shut down)
                self._settle(digest, awaited, error)
                raise
        body = await asyncio.wrap_future(awaited)
        if not first:
            with self._lock:
                self.hits += 1
        return body

    def _render_awaited(
        self, key: CacheKey, render: Callable[[], bytes], digest: str, awaited: Future[bytes]
    ) -> None:
        try:
            body = self.get_or_render(key, render)
        except BaseException as error:  # for every waiter, whatever it is
            self._settle(digest, awaited, error)
        else:
            self._settle(digest, awaited, body)

    def _settle(self, digest: str, awaited: Future[bytes], outcome: bytes | BaseException) -> None:
        """Forget the awaited render, then hand its outcome to its waiters: a caller that
        comes in between finds the image (or renders again after a failure)."""
        with self._lock:
            del self._awaited[digest]
        if isinstance(outcome, BaseException):
            awaited.set_exception(outcome)
        else:
            awaited.set_result(outcome)

    def clear(self) -> None:
        """Forget this process' copies (not the store's, which other processes share)."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def _fetch_or_render(self, digest: str, render: Callable[[], bytes]) -> bytes:
        store = self._usable_store()
        token = secrets.token_hex(16)
        body, claimed = None, False
        if store is not None:
            try:
                body, claimed = self._wait_for(store, digest, token)
            except _StoreUnavailable:
                store = None
        if body is not None:
            with self._lock:
                self.hits += 1
                self.store_hits += 1
                self._put(digest, body)
            return body
        with self._lock:
            self.misses += 1
        try:
            body = render()
            with self._lock:
                self._put(digest, body)
            if store is not None:
                self._share(store, digest, body)
        finally:
            if claimed and store is not None:
                self._release(store, digest, token)
        return body

    def _wait_for(self, store: Store, digest: str, token: str) -> tuple[bytes | None, bool]:
        """The stored image, or None and whether we now hold the claim to render it: not
        if the claimant took longer than ``wait_timeout``."""
        deadline = time.monotonic() + self.wait_timeout
        pause = _FIRST_PAUSE
        while True:
            body = self._store_op(lambda: store.get(digest))
            if body is not None:
                return body, False
            # Claimed again on every look: a claimant that failed, or died and whose claim
            # lapsed, hands over to the next waiter.
            if self._store_op(lambda: store.claim(digest, token, self.claim_ttl)):
                # The claimant before us may have stored the image just before letting go.
                body = self._store_op(lambda: store.get(digest))
                if body is not None:
                    self._release(store, digest, token)
                return body, body is None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._notices.report(
                    "wait",
                    f"no other process finished rendering an image within {self.wait_timeout}"
                    " s (wait_timeout): rendering it here",
                )
                return None, False
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _LONGEST_PAUSE)

    def _share(self, store: Store, digest: str, body: bytes) -> None:
        if len(body) > store.max_value_bytes:
            self._notices.report(
                "too large",
                f"a rendered image of {len(body)} bytes is over {store!r}'s limit of "
                f"{store.max_value_bytes}: kept in this process only",
            )
            return
        with contextlib.suppress(_StoreUnavailable):  # logged; served all the same
            self._store_op(lambda: store.set(digest, body))

    def _release(self, store: Store, digest: str, token: str) -> None:
        with contextlib.suppress(_StoreUnavailable):  # logged; the claim lapses by itself
            self._store_op(lambda: store.release(digest, token))

    def _usable_store(self) -> Store | None:
        """The store, unless it failed less than ``retry_interval`` seconds ago."""
        with self._lock:
            if self._store_down and time.monotonic() < self._retry_at:
                return None
        return self.store

    def _store_op(self, operation: Callable[[], T]) -> T:
        """``operation()``'s result; _StoreUnavailable, logged, if it raised."""
        try:
            result = operation()
        except Exception as error:  # the client's own exceptions, whatever its library
            with self._lock:
                self._store_down = True
                self._retry_at = time.monotonic() + self.retry_interval
            self._outages.report(
                "down",
                f"the render cache's store {self.store!r} failed ({type(error).__name__}: "
                f"{error}): rendering without it until it answers again",
            )
            raise _StoreUnavailable from error
        if self._store_down:
            with self._lock:
                back, self._store_down = self._store_down, False
            if back:
                self._outages.forget()
                _log.info("the render cache's store %r answers again", self.store)
        return result

    def _take(self, digest: str) -> bytes | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        body, expires = entry
        if time.monotonic() >= expires:
            self._size -= len(self._entries.pop(digest)[0])
            return None
        self._entries.move_to_end(digest)
        return body

    def _put(self, digest: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return  # larger than the whole cache: not worth evicting everything for
        if digest in self._entries:
            self._size -= len(self._entries.pop(digest)[0])
        ttl = self.store.ttl if self.store is not None else None
        self._entries[digest] = (body, float("inf") if ttl is None else time.monotonic() + ttl)
        self._size += len(body)
        while len(self._entries) > self.max_entries or self._size > self.max_bytes:
            _, (evicted, _) = self._entries.popitem(last=False)
            self._size -= len(evicted)
