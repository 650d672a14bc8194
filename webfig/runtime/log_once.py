"""Logging problems that repeat (what clients get wrong, a figure that keeps failing to
draw) without letting them flood the log."""

from __future__ import annotations

import logging
import threading
from typing import Final

# Kinds remembered at most; beyond that every problem is logged quietly.
MAX_KINDS: Final = 1024


class ProblemLog:
    """Logs the first problem of each kind at ``level`` (a warning) and the rest at debug
    level, until :meth:`forget` (the thing works again: the next failure is news).

    ``kind`` names a problem without its details (``"resize: bad 'width'"``), so there are
    few kinds however many clients and values there are. One log serves a whole set of
    routes: a client that reconnects over and over gets no new warnings either.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.WARNING) -> None:
        self._logger = logger or logging.getLogger("webfig")
        self._level = level
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def report(self, kind: str, message: str, *, exc_info: bool | BaseException = False) -> None:
        """Log ``message``; ``exc_info`` (the exception being handled, or one) goes with the
        first of its kind only."""
        with self._lock:
            first = kind not in self._seen and len(self._seen) < MAX_KINDS
            if first:
                self._seen.add(kind)
        level = self._level if first else logging.DEBUG
        self._logger.log(level, "%s", message, exc_info=exc_info if first else False)

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()
