"""Who may use a figure server: the token, the Host check, the origin checks of websockets
and of requests other sites' pages make.

Pure decisions on request values, so they are easy to test; the handlers apply them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Host names that always mean this machine.
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(address: str) -> bool:
    """Whether a listening address (or a Host name) can only be reached from this machine."""
    name = address.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def host_name(host: str) -> str:
    """``host`` of a Host header (``name``, ``name:port``, ``[v6]:port``) without its port."""
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, as browsers send it in ``Origin``."""
    parts = urlsplit(origin.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class Access:
    """The rules one set of figure routes enforces.

    ``token``: when set, every HTTP and websocket request must carry it (``?token=`` once,
    then a cookie). ``allowed_origins``: other sites' origins whose pages may open
    websockets and make requests (links, images, downloads), besides the server's own.
    ``loopback_hosts_only``: refuse requests whose ``Host`` is not a loopback name, which
    defeats DNS rebinding against a server that has no token (a hostile page cannot make a
    browser send ``Host: localhost``).
    """

    token: str | None = None
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    loopback_hosts_only: bool = False

    @classmethod
    def create(
        cls,
        token: str | None = None,
        allowed_origins: Iterable[str] = (),
        loopback_hosts_only: bool = False,
    ) -> Access:
        return cls(
            token or None,
            frozenset(normalize_origin(origin) for origin in allowed_origins),
            loopback_hosts_only,
        )

    @property
    def cookie_name(self) -> str:
        """A cookie name of this token's own, so servers with different tokens on one host
        (cookies ignore ports) do not overwrite each other's."""
        digest = hashlib.sha256((self.token or "").encode()).hexdigest()[:12]
        return f"webfig_token_{digest}"

    def token_matches(self, candidate: str | None) -> bool:
        if self.token is None:
            return True
        return candidate is not None and hmac.compare_digest(
            candidate.encode(), self.token.encode()
        )

    def host_allowed(self, host: str) -> bool:
        return not self.loopback_hosts_only or is_loopback(host_name(host))

    def origin_listed(self, origin: str) -> bool:
        """Whether ``origin`` is one of the allowed origins."""
        return normalize_origin(origin) in self.allowed_origins

    @staticmethod
    def request_origin(origin: str | None, referer: str | None) -> str | None:
        """The origin of the page that made a request: its ``Origin``, else its ``Referer``'s
        (an ``<img>`` or a link sends no ``Origin``); None when neither says (an opaque
        origin sends ``Origin: null``)."""
        if origin and origin.strip().lower() != "null":
            return normalize_origin(origin)
        if referer:
            parts = urlsplit(referer.strip())
            if parts.scheme and parts.netloc:
                return normalize_origin(f"{parts.scheme}://{parts.netloc}")
        return None

    def origin_allowed(self, origin: str, hosts: Iterable[str]) -> bool:
        """Whether a page from ``origin`` may open a websocket to a server that the request
        reached as one of ``hosts`` (its ``Host``, and a proxy's ``X-Forwarded-Host``)."""
        normalized = normalize_origin(origin)
        if normalized in self.allowed_origins:
            return True
        netloc = urlsplit(normalized).netloc
        return bool(netloc) and netloc in {host.strip().lower() for host in hosts if host}
