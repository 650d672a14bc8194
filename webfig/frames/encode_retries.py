"""How frame delivery gets over encodes that raise: try again a little later, a few times,
then wait for the figure to change; never at once, in a loop, logging each time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from ..runtime.log_once import ProblemLog

_log = logging.getLogger("webfig.frames.delivery")

# An encode that raised is tried again after RETRY seconds, then twice that..., at most
# ATTEMPTS times for one picture; then viewers wait for the next one.
ATTEMPTS: Final = 3
RETRY: Final = 0.1


class EncodeFailures:
    """The failures of one figure's encodes; on the event loop only. ``retry`` is called
    when it is time to try again."""

    def __init__(self, loop: asyncio.AbstractEventLoop, retry: Callable[[], None]) -> None:
        self._loop = loop
        self._retry = retry
        # Encodes of the current picture that raised, one after the other.
        self._count = 0
        self._pending: asyncio.TimerHandle | None = None
        self._given_up: object | None = None
        # Each kind of failure logged once (as an error) until an encode works.
        self._log = ProblemLog(_log, logging.ERROR)

    def holds(self, picture: object) -> bool:
        """Whether encoding ``picture`` must wait (a retry is due, or it was given up on)."""
        return self._pending is not None or picture is self._given_up

    def new_picture(self) -> None:
        self._count = 0

    def succeeded(self) -> None:
        self._log.forget()

    def failed(self, picture: object, error: Exception) -> None:
        """An encode of ``picture`` raised ``error``. Each kind of failure is logged once (as
        an error, with its traceback) until an encode works again."""
        kind = type(error).__name__
        self._count += 1
        if self._count >= ATTEMPTS:
            self._given_up = picture
            message = f"encoding a frame failed {self._count} times; waiting for the figure"
            self._log.report(kind, message + " to change", exc_info=error)
            return
        self._log.report(kind, "encoding a frame failed; trying again", exc_info=error)
        if self._pending is None:
            self._pending = self._loop.call_later(RETRY * 2 ** (self._count - 1), self._due)

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _due(self) -> None:
        self._pending = None
        self._retry()
