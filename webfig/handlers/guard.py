"""What every handler shares: the access rules applied first, and errors answered as text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tornado.web

from ..access import Access
from ..figures import FigureRegistry
from ..interfaces import ServedFigure


def error_message(status_code: int, reason: str, error_info: Mapping[str, Any]) -> str:
    """What to tell the client about an error: an HTTPError's message, or the reason."""
    error = error_info.get("exc_info", (None, None, None))[1]
    # A message with arguments is Tornado's own, for the log (it may name server paths).
    if isinstance(error, tornado.web.HTTPError) and error.log_message and not error.args:
        return str(error.log_message)
    return f"{status_code} {reason}" if status_code >= 500 else reason


class Guarded(tornado.web.RequestHandler):
    """A handler that applies its routes' :class:`~webfig.access.Access` rules first."""

    access: Access

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
