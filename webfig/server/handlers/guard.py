"""What every handler shares: the access rules applied first, errors answered as text, and
each refused request logged once, saying why."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import tornado.web

from ...wire.interfaces import ServedFigure
from ..access import Access
from ..registry import FigureRegistry

_access_log = logging.getLogger("tornado.access")
# A token's value in a logged URL: logs get pasted into bug reports, a token must not be.
_TOKEN_VALUE = re.compile(r"(?<=[?&]token=)[^&#]*")


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

    Security: a token in the URL is logged as ``token=...``.
    """
    status = handler.get_status()
    request = handler.request
    line = "%d %s %s (%s) %.2fms"
    args = [
        status,
        request.method,
        _TOKEN_VALUE.sub("...", request.uri or ""),
        request.remote_ip,
        1000 * request.request_time(),
    ]
    if status < 400:
        _access_log.info(line, *args)
        return
    reason = getattr(handler, "refusal", None) or handler._reason
    log = _access_log.warning if status < 500 else _access_log.error
    log(f"{line}: %s", *args, reason)


class Guarded(tornado.web.RequestHandler):
    """A handler that applies its routes' :class:`~webfig.server.access.Access` rules first."""

    access: Access
    #: Why this request was refused, for its line in the log (:func:`log_request`).
    refusal: str | None = None

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A refusal (an HTTPError) is logged once: in the request's access line when the
        application logs with :func:`log_request`, as Tornado does otherwise."""
        if isinstance(value, tornado.web.HTTPError):
            self.refusal = value.get_message()
            if self.settings.get("log_function") is log_request:
                return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer with the reason as plain text (pages answer with an HTML page instead)."""
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(error_message(status_code, self._reason, kwargs) + "\n")

    def prepare(self) -> None:
        """Refuse, with 403 and the reason, a request that lacks the token or comes for a
        host this server does not answer to.

        Security: the token may arrive as ``?token=`` (the printed URL) or in the cookie a
        first visit set.
        """
        if not self.access.host_allowed(self.request.host):
            raise tornado.web.HTTPError(
                403,
                f"This server answers only to localhost, not to {self.request.host!r}; "
                "set WEBFIG_TOKEN to reach it by other names.",
            )
        if self.access.token is None:
            return
        from_query = self.get_query_argument("token", None)
        if from_query is not None and self.access.token_matches(from_query):
            # Only a GET's answer keeps it: a page, a file, or a socket's upgrade.
            if self.request.method == "GET":
                self.keep_token(from_query)
        elif not self.access.token_matches(self.get_cookie(self.access.cookie_name)):
            raise tornado.web.HTTPError(
                403,
                "This server needs its access token: open the address it printed, "
                "which ends in ?token=...",
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
