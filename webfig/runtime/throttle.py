"""Passing on a stream of updates at a bounded rate, on the server's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from .event_loop import ServerThread

T = TypeVar("T")


class Throttle(Generic[T]):
    """Hands ``send`` at most one value per ``interval`` seconds: the first at once, then
    the latest of those that came meanwhile at the end of each interval. From any thread;
    ``send`` runs on the loop.
    """

    def __init__(self, thread: ServerThread, interval: float, send: Callable[[T], None]) -> None:
        self._thread = thread
        self._interval = interval
        self._send = send
        self._timer: asyncio.TimerHandle | None = None
        self._pending: T | None = None

    def __call__(self, value: T) -> None:
        if not self._thread.in_loop_thread():
            self._thread.call_soon(lambda: self(value))
        elif self._timer is None:
            self._send(value)
            self._timer = self._thread.loop.call_later(self._interval, self._flush)
        else:
            self._pending = value

    def cancel(self) -> None:
        """Drop the value waiting, if any; on the loop."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._pending = None

    def _flush(self) -> None:
        value, self._pending = self._pending, None
        self._timer = None
        if value is not None:
            self(value)
