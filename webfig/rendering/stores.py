"""Where a :class:`~.cache.RenderCache` shares its images: a Redis or memcached server that
every process (on every machine) using it sees.

webfig never imports redis or pymemcache: a store calls only the client it is handed, typed
by the small protocols below, so those packages stay optional (``webfig[redis]``,
``webfig[memcached]``). Give the client short socket timeouts and no retry loop of its own:
the cache renders without the store while the server does not answer, so a request must
not hang on it::

    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(host="cache", socket_timeout=0.5, socket_connect_timeout=0.5,
                         retry=Retry(NoBackoff(), 1))
    cache = webfig.RenderCache(store=webfig.RedisStore(client, ttl=3600))

    from pymemcache.client.base import PooledClient  # thread-safe; Client is not

    client = PooledClient(("cache", 11211), connect_timeout=0.5, timeout=0.5)
    cache = webfig.RenderCache(store=webfig.MemcachedStore(client, ttl=3600))

Whatever the server holds under a cache's prefix is served as an image, unchecked: keep the
server private (bound to a private network, with Redis' AUTH or TLS where it crosses one),
and give each application a prefix of its own.
"""

from __future__ import annotations

import math
import time
from typing import Any, Final, Protocol

# Redis' own limit on a string value.
REDIS_MAX_VALUE: Final = 512 * 2**20
# memcached's default item limit (``-I 1m``), less room for the key and the item's header.
MEMCACHED_MAX_VALUE: Final = 2**20 - 1024
# memcached reads an expiry of more than 30 days as a Unix time, not as seconds from now.
_MEMCACHED_RELATIVE_LIMIT: Final = 30 * 24 * 3600
# memcached's longest key, in bytes.
_MEMCACHED_MAX_KEY: Final = 250
# A digest is 64 hex characters; claims' keys add "claim:".
_LONGEST_SUFFIX: Final = len("claim:") + 64
# Seconds a released memcached claim's tombstone lives if deleting it fails (see release).
_TOMBSTONE_SECONDS: Final = 5

# Deletes the claim only if it is still the caller's: a claim that expired and was taken by
# another process meanwhile is theirs to release.
_RELEASE_SCRIPT: Final = """\
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class Store(Protocol):
    """A shared key-value server as a RenderCache sees it: images by their keys' digests
    (64 hex characters), and claims on digests being rendered.

    Any method may raise anything (the server is down, slow, full): the cache catches
    ``Exception``, logs it once per outage and renders without the store meanwhile.
    """

    #: Seconds an image lives in the store (and in the cache's own memory); None: forever.
    ttl: float | None
    #: Images larger than this are not sent to the store; the cache keeps them locally.
    max_value_bytes: int

    def get(self, digest: str) -> bytes | None:
        """The image stored for ``digest``, if there is one."""

    def set(self, digest: str, value: bytes) -> None:
        """Store ``value`` for ``digest``, for :attr:`ttl` seconds."""

    def claim(self, digest: str, token: str, seconds: float) -> bool:
        """Claim the right to render ``digest`` for ``seconds``, unless another holds it:
        True if the claim is now ``token``'s."""

    def release(self, digest: str, token: str) -> None:
        """Give up ``token``'s claim on ``digest``; nothing if the claim is not (or no
        longer) ``token``'s."""


class RedisClient(Protocol):
    """The methods of ``redis.Redis`` a :class:`RedisStore` calls."""

    def get(self, name: str, /) -> Any: ...

    def set(
        self, name: str, value: bytes | str, /, *, px: int | None = None, nx: bool = False
    ) -> Any: ...

    def eval(self, script: str, numkeys: int, /, *keys_and_args: str) -> Any: ...


class MemcacheClient(Protocol):
    """The methods of pymemcache's ``Client`` (or ``PooledClient``) a
    :class:`MemcachedStore` calls."""

    def get(self, key: str, /) -> Any: ...

    def set(
        self, key: str, value: bytes, /, expire: int = 0, noreply: bool | None = None
    ) -> Any: ...

    def add(
        self, key: str, value: bytes, /, expire: int = 0, noreply: bool | None = None
    ) -> Any: ...

    def gets(self, key: str, /) -> Any: ...

    def cas(
        self, key: str, value: bytes, cas: Any, /, expire: int = 0, noreply: Any = False
    ) -> Any: ...

    def delete(self, key: str, /, noreply: bool | None = None) -> Any: ...


class _PrefixedStore:
    """Keys: ``prefix + digest`` for images and ``prefix + "claim:" + digest`` for claims,
    so that one server can hold several applications' caches (each its own prefix)."""

    def __init__(self, prefix: str, ttl: float | None, max_value_bytes: int) -> None:
        if ttl is not None and not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
        if max_value_bytes < 1:
            raise ValueError("max_value_bytes must be at least 1")
        self.prefix = prefix
        self.ttl = ttl
        self.max_value_bytes = max_value_bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self.prefix!r}, ttl={self.ttl!r})"

    def _value_key(self, digest: str) -> str:
        return self.prefix + digest

    def _claim_key(self, digest: str) -> str:
        return self.prefix + "claim:" + digest


class RedisStore(_PrefixedStore):
    """Images in a Redis server, through ``client`` (a ``redis.Redis``, made with the
    default ``decode_responses=False``: images are bytes).

    Claims are ``SET NX PX`` keys holding a random token; a claim is released by a Lua
    script that deletes it only if it still holds the token, so a claimant whose claim
    expired cannot release the next one's.
    """

    def __init__(
        self,
        client: RedisClient,
        prefix: str = "webfig:",
        ttl: float | None = None,
        max_value_bytes: int = REDIS_MAX_VALUE,
    ) -> None:
        super().__init__(prefix, ttl, max_value_bytes)
        self.client = client

    def get(self, digest: str) -> bytes | None:
        value = self.client.get(self._value_key(digest))
        if value is None or isinstance(value, bytes):
            return value
        raise TypeError(
            f"the Redis client answered {type(value).__name__}, not bytes: "
            "make it with decode_responses=False"
        )

    def set(self, digest: str, value: bytes) -> None:
        self.client.set(self._value_key(digest), value, px=_milliseconds(self.ttl))

    def claim(self, digest: str, token: str, seconds: float) -> bool:
        return bool(
            self.client.set(self._claim_key(digest), token, px=_milliseconds(seconds), nx=True)
        )

    def release(self, digest: str, token: str) -> None:
        self.client.eval(_RELEASE_SCRIPT, 1, self._claim_key(digest), token)


class MemcachedStore(_PrefixedStore):
    """Images in a memcached server, through ``client`` (pymemcache's ``PooledClient`` for a
    threaded server, or its ``Client`` for one thread; not with ``ignore_exc=True``, which
    would make a server that is down look like one that holds nothing and a claim that
    never succeeds).

    memcached keeps items of at most 1 MB by default (``-I``); a server started with a
    larger limit can take a larger ``max_value_bytes``. Claims are ``add`` with an expiry;
    memcached's ``delete`` takes no CAS token, so a claim is released by overwriting it
    (``cas``, only if it is unchanged) with a tombstone, then deleting that.
    """

    def __init__(
        self,
        client: MemcacheClient,
        prefix: str = "webfig:",
        ttl: float | None = None,
        max_value_bytes: int = MEMCACHED_MAX_VALUE,
    ) -> None:
        # memcached's keys are at most 250 bytes, without spaces or control characters.
        if not prefix.isascii() or any(c.isspace() or not c.isprintable() for c in prefix):
            raise ValueError(
                f"a memcached key prefix is printable ASCII without spaces: {prefix!r}"
            )
        if len(prefix) + _LONGEST_SUFFIX > _MEMCACHED_MAX_KEY:
            raise ValueError(f"the prefix is too long for memcached's 250-byte keys: {prefix!r}")
        super().__init__(prefix, ttl, max_value_bytes)
        self.client = client

    def get(self, digest: str) -> bytes | None:
        value = self.client.get(self._value_key(digest))
        if value is None or isinstance(value, bytes):
            return value
        raise TypeError(f"the memcached client answered {type(value).__name__}, not bytes")

    def set(self, digest: str, value: bytes) -> None:
        self.client.set(self._value_key(digest), value, expire=_expire(self.ttl), noreply=False)

    def claim(self, digest: str, token: str, seconds: float) -> bool:
        key = self._claim_key(digest)
        return bool(self.client.add(key, token.encode(), expire=_expire(seconds), noreply=False))

    def release(self, digest: str, token: str) -> None:
        key = self._claim_key(digest)
        value, cas = self.client.gets(key)
        if value != token.encode() or cas is None:
            return  # expired, or another process' claim now
        # While the tombstone stands no one can claim (add fails), so deleting it deletes
        # nobody else's claim; should the delete fail, it lapses by itself.
        if self.client.cas(key, b"released", cas, expire=_TOMBSTONE_SECONDS, noreply=False):
            self.client.delete(key, noreply=False)


def _milliseconds(seconds: float | None) -> int | None:
    """Redis' PX for ``seconds`` (at least 1 ms); None: no expiry."""
    return None if seconds is None else max(1, math.ceil(seconds * 1000))


def _expire(seconds: float | None) -> int:
    """memcached's expiry for ``seconds``: whole seconds (at least one), 0 for never, and a
    Unix time beyond 30 days, which memcached would read as a time already past."""
    if seconds is None:
        return 0
    whole = max(1, math.ceil(seconds))
    return whole if whole <= _MEMCACHED_RELATIVE_LIMIT else int(time.time()) + whole
