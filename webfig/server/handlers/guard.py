"""What every handler shares: the access rules applied first, errors answered as text, each
refused request logged once, saying why, and each failure once, with an id."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeAlias

import tornado.web

from ...wire.interfaces import ServedFigure
from ..access import Access
from ..registry import FigureRegistry

_access_log = logging.getLogger("tornado.access")
_log = logging.getLogger(__name__)
# A token's value in a logged URL: logs get pasted into bug reports, a token must not be.
_TOKEN_VALUE = re.compile(r"(?<=[?&]token=)[^&#]*")
# The Sec-Fetch-Site values of requests another site's page made the browser send.
_OTHER_SITES = frozenset({"cross-site", "same-site"})

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]


def logged_uri(uri: str) -> str:
    """``uri`` as logs show it: with ``token=...`` for the token."""
    return _TOKEN_VALUE.sub("...", uri)


def error_message(status_code: int, reason: str, error_info: Mapping[str, Any]) -> str:
    """What to tell the client about an error: an HTTPError's message, or the reason."""
    error = error_info.get("exc_info", (None, None, None))[1]
    # A message with arguments is Tornado's own, for the log (it may name server paths).
    if isinstance(error, tornado.web.HTTPError) and not error.args and error.get_message():
        return str(error.get_message())  # log_message would double each %
    return f"{status_code} {reason}" if status_code >= 500 else reason


def log_request(handler: tornado.web.RequestHandler) -> None:
    """An application's ``log_function`` (:func:`~webfig.server.make_app` sets it): Tornado's
    access line for each request on ``tornado.access``, at INFO, and a refused one's at
    WARNING (ERROR for 5xx) with the reason it was refused: one line per bad request.

    Give it to an application that mounts webfig's routes (``log_function=log_request``) to
    have its refusals logged so too; without it they are logged as Tornado logs them, in two
    lines.

    A failure of webfig's (5xx) is one ERROR line too, with its error id and the traceback of
    what failed, if anything did.

    Security: a token in the URL is logged as ``token=...``.
    """
    status = handler.get_status()
    request = handler.request
    line = "%d %s %s (%s) %.2fms"
    args = [
        status,
        request.method,
        logged_uri(request.uri or ""),
        request.remote_ip,
        1000 * request.request_time(),
    ]
    if status < 400:
        _access_log.info(line, *args)
        return
    reason = getattr(handler, "refusal", None) or handler._reason
    if status < 500:
        _access_log.warning(f"{line}: %s", *args, reason)
    elif isinstance(handler, Guarded):
        _access_log.error(
            f"{line}: %s (error id %s)", *args, reason, handler.error_id, exc_info=handler.failure
        )
    else:  # a host application's handler: Tornado logged the traceback
        _access_log.error(f"{line}: %s", *args, reason)


def _undecodable(arguments: Mapping[str, list[bytes]]) -> str | None:
    """The first query parameter whose name or value is not UTF-8, if any.

    (Tornado keeps names as latin-1 text and values as bytes, decoding them only when asked.)
    """
    for name, values in arguments.items():
        raw = name.encode("latin-1")
        try:
            raw.decode()
            for value in values:
                value.decode()
        except UnicodeDecodeError:
            return raw.decode(errors="replace")
    return None


def _failure(value: BaseException | None, exc_info: ExcInfo) -> ExcInfo | None:
    """What to log a traceback of for a 5xx: an exception, or what an HTTPError was raised
    from; None for an HTTPError raised on purpose (its message says it all)."""
    if not isinstance(value, tornado.web.HTTPError):
        return exc_info
    chained = value.__cause__ is not None or (
        value.__context__ is not None and not value.__suppress_context__
    )
    return exc_info if chained else None


class Guarded(tornado.web.RequestHandler):
    """A handler that applies its routes' :class:`~webfig.server.access.Access` rules first."""

    access: Access
    #: Why this request was refused, for its line in the log (:func:`log_request`).
    refusal: str | None = None
    #: What failed, for the line in the log that gives the failure's error id (a 5xx).
    failure: ExcInfo | None = None
    _error_id: str | None = None

    @property
    def error_id(self) -> str:
        """The id a failure (a 5xx) is answered and logged with, to find one from the other."""
        if self._error_id is None:
            self._error_id = secrets.token_hex(4)
        return self._error_id

    def _request_summary(self) -> str:
        """Tornado's summary of the request in its own log lines, without the token."""
        request = self.request
        return f"{request.method} {logged_uri(request.uri or '')} ({request.remote_ip})"

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A refusal (a 4xx HTTPError) is logged once: in the request's access line when the
        application logs with :func:`log_request`, as Tornado does otherwise. A failure (any
        other exception, or a 5xx) is logged once with its error id and traceback: in the
        access line, or here when there is none to come (another ``log_function``, or a
        websocket that failed once open)."""
        if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
            self.refusal = value.get_message()
            if self.settings.get("log_function") is log_request:
                return
            super().log_exception(typ, value, tb)
            return
        assert typ is not None
        assert value is not None
        self.failure = _failure(value, (typ, value, tb))
        if isinstance(value, tornado.web.HTTPError):
            self.refusal = value.get_message()
        if self.settings.get("log_function") is log_request and not self._finished:
            return
        _log.error(
            "%s failed (error id %s): %s",
            self._request_summary(),
            self.error_id,
            self.refusal or type(value).__name__,
            exc_info=self.failure,
        )

    def error_text(self, status_code: int, error_info: Mapping[str, Any]) -> str:
        """What to tell the client about an error (:func:`error_message`), with the error id
        of a failure (a 5xx).

        Security: never an exception's text, which may name files, settings or data.
        """
        message = error_message(status_code, self._reason, error_info)
        return f"{message} (error id {self.error_id})" if status_code >= 500 else message

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer with the reason as plain text (pages answer with an HTML page instead)."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(self.error_text(status_code, kwargs) + "\n")

    def prepare(self) -> None:
        """Refuse, with 400 or 403 and the reason, a request for a host this server does not
        answer to, with a query that does not decode, from another site's page, or without
        the token.

        Security: the token may arrive as ``?token=`` (the printed URL) or in the cookie a
        first visit set. A request the browser marks ``Sec-Fetch-Site: cross-site`` or
        ``same-site`` (another port of localhost is the same site) comes from another
        site's page (an ``<img>``, a form, a link): refused unless that page's origin is
        allowed or the request carries the token itself, so with the token off no page
        elsewhere makes the browser run expensive downloads here. Clients that send no
        ``Sec-Fetch-Site`` (scripts, curl, older browsers) are not affected.
        """
        if not self.access.host_allowed(self.request.host):
            raise tornado.web.HTTPError(
                403,
                f"This server answers only to localhost, not to {self.request.host!r}; "
                "set WEBFIG_TOKEN to reach it by other names.",
            )
        if (undecodable := _undecodable(self.request.query_arguments)) is not None:
            raise tornado.web.HTTPError(
                400, f"The query is not valid UTF-8 (the parameter {undecodable!r})."
            )
        from_query = self.get_query_argument("token", None)
        token_in_query = self.access.token is not None and self.access.token_matches(from_query)
        site = self.other_site()
        if site is not None and not token_in_query:
            self._refuse_another_site(site)
        if self.access.token is None:
            return
        if token_in_query:
            assert from_query is not None
            # Only a GET's answer keeps it: a page, a file, or a socket's upgrade.
            if self.request.method == "GET":
                self.keep_token(from_query)
        elif not self.access.token_matches(self.get_cookie(self.access.cookie_name)):
            raise tornado.web.HTTPError(
                403,
                "This server needs its access token: open the address it printed, "
                "which ends in ?token=...",
            )

    def other_site(self) -> str | None:
        """``cross-site`` or ``same-site`` when the browser says another site's page made
        this request (``Sec-Fetch-Site``), else None."""
        site = self.request.headers.get("Sec-Fetch-Site", "").strip().lower()
        return site if site in _OTHER_SITES else None

    def _refuse_another_site(self, site: str) -> None:
        """Refuse a request another site's page made, unless the page's origin (``Origin``,
        else ``Referer``) is allowed."""
        headers = self.request.headers
        origin = self.access.request_origin(headers.get("Origin"), headers.get("Referer"))
        if origin is not None and self.access.origin_listed(origin):
            return
        source = f"a page of {origin}" if origin else "a page of another site"
        raise tornado.web.HTTPError(
            403,
            f"Refused a request from {source} (Sec-Fetch-Site: {site}): open webfig's own"
            " address, or allow that origin in WEBFIG_ALLOWED_ORIGINS.",
        )

    def keep_token(self, token: str) -> None:
        """The right token came in a GET's query: keep it in a cookie for the requests that
        follow."""
        # Secure over https, also when a proxy did the TLS and says so.
        secure = "https" in (
            self.request.protocol,
            self.request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip(),
        )
        self.set_cookie(
            self.access.cookie_name,
            token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=secure,
        )


class FigureHandler(Guarded):
    """A guarded handler of figures: the registry to find them in, the prefix of URLs."""

    def initialize(
        self, figures: FigureRegistry, prefix: str = "", access: Access | None = None
    ) -> None:
        self.figures = figures
        self.prefix = prefix
        self.access = access or Access()

    def find_figure(self, num: str) -> ServedFigure:
        figure = self.figures.get(int(num))
        if figure is None:
            raise tornado.web.HTTPError(404, f"There is no figure {int(num)}.")
        return figure
