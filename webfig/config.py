"""Server settings, from ``WEBFIG_*`` environment variables and :func:`configure`.

Python settings given to :func:`configure` win over the environment; both are read when the
server starts, so configure before the first ``plt.show()``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_PORT = 8988
# Busy ports skipped before giving up (matplotlib's webagg.port_retries is 50 too).
DEFAULT_PORT_RETRIES = 50
# Device pixels a figure is rendered at, at most, on a side, whatever its viewers ask.
DEFAULT_MAX_PIXELS = 4096
MIN_MAX_PIXELS = 256
MAX_MAX_PIXELS = 16384
# Seconds a download's save may take before its worker is stopped.
DEFAULT_SAVE_TIMEOUT = 60.0
_ORIGIN = re.compile(r"https?://[^/?#\s]+")
# A hub's address: its origin, and the path it is under behind a proxy, if any.
_HUB = re.compile(r"https?://[^/?#\s]+(/[^?#\s]*[^/?#\s])?/?")


class ConfigError(ValueError):
    """A setting has a value webfig cannot use."""


@dataclass(frozen=True)
class Settings:
    """How the figure server listens.

    ``port`` is the first port tried; when it is busy the next ``port_retries`` ports are
    tried (0: that port or an error, for a proxy that routes to a fixed port). Port 0 lets
    the operating system pick a free port. ``token`` is the access token every request must
    carry: None (the default) has the server make one up as it starts, ``""`` turns the token
    off on purpose. ``max_pixels``: a figure is rendered at most this many device pixels a
    side, whatever size and pixel ratio its viewers ask for. ``save_timeout``: seconds a
    download's save may take before its worker is stopped and the download refused.
    ``allowed_origins`` are other sites (``https://app.example.com``) whose pages may link
    to, embed, fetch from and open websockets to the server, besides its own pages.
    ``lossy``: webfig's own client may get lossy frames while the figure moves and the link
    limits the frame rate (a lossless frame always follows once it stops); read as each
    viewer connects. ``preview``: webfig's own
    client may move the picture itself while the user pans or zooms, until the server's
    frames catch up (the ``preview`` extension); read as each viewer connects. ``xheaders``:
    take each request's address from ``X-Real-IP``/``X-Forwarded-For`` (Tornado's
    ``xheaders``), so logs name the browser rather than a reverse proxy in front. ``hub``:
    the address of a hub (``python -m webfig serve``) to publish the figures to instead of
    serving them here, ``http://host:port``; ``hub_token`` is its publish token.

    Security: turn ``xheaders`` on only behind a proxy that sets those headers itself;
    otherwise any client can put any address in webfig's logs.
    """

    port: int = DEFAULT_PORT
    port_retries: int = DEFAULT_PORT_RETRIES
    address: str = "127.0.0.1"
    open_browser: bool = True
    url_prefix: str = ""
    token: str | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS
    save_timeout: float = DEFAULT_SAVE_TIMEOUT
    allowed_origins: tuple[str, ...] = ()
    lossy: bool = True
    preview: bool = True
    xheaders: bool = False
    hub: str = ""
    hub_token: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be between 0 and 65535, not {self.port}")
        if not 0 <= self.port_retries <= 65535:
            raise ConfigError(f"port_retries must be between 0 and 65535, not {self.port_retries}")
        if not self.address:
            raise ConfigError("address must not be empty")
        if self.url_prefix and (
            not self.url_prefix.startswith("/") or self.url_prefix.endswith("/")
        ):
            raise ConfigError(
                f"url_prefix must start with '/' and not end with one, not {self.url_prefix!r}"
            )
        if self.token and (len(self.token) < 8 or not self.token.isprintable()):
            raise ConfigError('token must be at least 8 printable characters, or "" for none')
        if not MIN_MAX_PIXELS <= self.max_pixels <= MAX_MAX_PIXELS:
            raise ConfigError(
                f"max_pixels must be between {MIN_MAX_PIXELS} and {MAX_MAX_PIXELS},"
                f" not {self.max_pixels}"
            )
        if not (self.save_timeout > 0 and math.isfinite(self.save_timeout)):
            raise ConfigError(
                f"save_timeout must be a number of seconds above 0, not {self.save_timeout}"
            )
        if self.hub and not _HUB.fullmatch(self.hub):
            raise ConfigError(
                f"the hub's address looks like http://host:port[/path], not {self.hub!r}"
            )
        for origin in self.allowed_origins:
            if not _ORIGIN.fullmatch(origin):
                raise ConfigError(
                    f"allowed origins look like https://example.com[:port], not {origin!r}"
                )


_ENVIRONMENT_NAMES = {
    "port": "WEBFIG_PORT",
    "port_retries": "WEBFIG_PORT_RETRIES",
    "address": "WEBFIG_ADDRESS",
    "open_browser": "WEBFIG_OPEN_BROWSER",
    "url_prefix": "WEBFIG_URL_PREFIX",
    "token": "WEBFIG_TOKEN",
    "max_pixels": "WEBFIG_MAX_PIXELS",
    "save_timeout": "WEBFIG_SAVE_TIMEOUT",
    "allowed_origins": "WEBFIG_ALLOWED_ORIGINS",
    "lossy": "WEBFIG_LOSSY",
    "preview": "WEBFIG_PREVIEW",
    "xheaders": "WEBFIG_XHEADERS",
    "hub": "WEBFIG_HUB",
    "hub_token": "WEBFIG_HUB_TOKEN",
}

_overrides: dict[str, object] = {}


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be 0 or 1, not {text!r}")


def _parse_int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None


def _parse_seconds(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {text!r}") from None


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    """The settings that ``environ`` sets, parsed and checked."""
    found: dict[str, object] = {}
    if (port := environ.get(_ENVIRONMENT_NAMES["port"])) is not None:
        found["port"] = _parse_int(_ENVIRONMENT_NAMES["port"], port)
    if (retries := environ.get(_ENVIRONMENT_NAMES["port_retries"])) is not None:
        found["port_retries"] = _parse_int(_ENVIRONMENT_NAMES["port_retries"], retries)
    if (open_browser := environ.get(_ENVIRONMENT_NAMES["open_browser"])) is not None:
        found["open_browser"] = _parse_bool(_ENVIRONMENT_NAMES["open_browser"], open_browser)
    if (max_pixels := environ.get(_ENVIRONMENT_NAMES["max_pixels"])) is not None:
        found["max_pixels"] = _parse_int(_ENVIRONMENT_NAMES["max_pixels"], max_pixels)
    if (save_timeout := environ.get(_ENVIRONMENT_NAMES["save_timeout"])) is not None:
        found["save_timeout"] = _parse_seconds(_ENVIRONMENT_NAMES["save_timeout"], save_timeout)
    if (origins := environ.get(_ENVIRONMENT_NAMES["allowed_origins"])) is not None:
        found["allowed_origins"] = tuple(origins.replace(",", " ").split())
    if (lossy := environ.get(_ENVIRONMENT_NAMES["lossy"])) is not None:
        found["lossy"] = _parse_bool(_ENVIRONMENT_NAMES["lossy"], lossy)
    if (preview := environ.get(_ENVIRONMENT_NAMES["preview"])) is not None:
        found["preview"] = _parse_bool(_ENVIRONMENT_NAMES["preview"], preview)
    if (xheaders := environ.get(_ENVIRONMENT_NAMES["xheaders"])) is not None:
        found["xheaders"] = _parse_bool(_ENVIRONMENT_NAMES["xheaders"], xheaders)
    # Text as it is (a token of "": none, on purpose).
    for name in ("address", "url_prefix", "token", "hub", "hub_token"):
        if (value := environ.get(_ENVIRONMENT_NAMES[name])) is not None:
            found[name] = value.strip()
    return found


def configure(
    *,
    port: int | None = None,
    port_retries: int | None = None,
    address: str | None = None,
    open_browser: bool | None = None,
    url_prefix: str | None = None,
    token: str | None = None,
    max_pixels: int | None = None,
    save_timeout: float | None = None,
    allowed_origins: Iterable[str] | None = None,
    lossy: bool | None = None,
    preview: bool | None = None,
    xheaders: bool | None = None,
    hub: str | None = None,
    hub_token: str | None = None,
) -> Settings:
    """Set server settings from Python; they override the environment.

    Returns the settings now in force. Raises :class:`ConfigError` for a bad value, leaving
    the previous settings in place.
    """
    given = {
        "port": port,
        "port_retries": port_retries,
        "address": address,
        "open_browser": open_browser,
        "url_prefix": url_prefix,
        "token": token,
        "max_pixels": max_pixels,
        "save_timeout": save_timeout,
        "allowed_origins": None if allowed_origins is None else tuple(allowed_origins),
        "lossy": lossy,
        "preview": preview,
        "xheaders": xheaders,
        "hub": hub,
        "hub_token": hub_token,
    }
    candidate = {**_overrides, **{k: v for k, v in given.items() if v is not None}}
    settings = _build(os.environ, candidate)
    _overrides.clear()
    _overrides.update(candidate)
    return settings


def current_settings() -> Settings:
    """The settings in force: defaults, then the environment, then :func:`configure`."""
    return _build(os.environ, _overrides)


def _build(environ: Mapping[str, str], overrides: Mapping[str, object]) -> Settings:
    merged = {**settings_from_environment(environ), **overrides}
    fields = {field.name for field in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in merged.items() if k in fields})  # type: ignore[arg-type]
