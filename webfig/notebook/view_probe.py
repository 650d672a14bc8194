"""Which of a figure's notebook views are still there: each is asked to answer, and those that
do not are gone.

A view whose page went without a word (reloaded, its notebook's tab closed: the front end's
comm is gone before it can say it closes) stays open in the kernel, and would keep a figure
whose last output was cleared from closing. A probe finds them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Final

from ..runtime.event_loop import server_thread

# Seconds of a kernel free to read its messages that a view has to answer a probe.
PROBE_TIMEOUT: Final = 2.0


class ViewProbe:
    """Probes of one figure's views, one at a time, on the event loop.

    ``ping(view, number)`` asks a view to answer probe ``number``; ``gone(views)`` is told
    the views that did not within ``timeout`` seconds; ``kernel_busy()`` says whether a cell
    runs, when no answer can be read, so the time it runs does not count.
    """

    def __init__(
        self,
        *,
        ping: Callable[[str, int], None],
        gone: Callable[[set[str]], None],
        kernel_busy: Callable[[], bool],
        timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self._ping = ping
        self._gone = gone
        self._kernel_busy = kernel_busy
        self._timeout = timeout
        self._number = 0
        self._waiting: set[str] = set()
        self._then: list[Callable[[], None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._kernel_was_busy = False

    def start(self, views: Iterable[str], then: Callable[[], None] | None = None) -> None:
        """Ask each of ``views`` to answer; once they had the timeout to, the silent ones
        are gone, then ``then`` is called (at once if there is nothing to wait for). A probe
        under way takes these on, and waits its full time again."""
        new = set(views) - self._waiting
        if not new and self._timer is None:
            if then is not None:
                then()
            return
        if then is not None:
            self._then.append(then)
        if not new:
            return
        if self._timer is None:
            self._number += 1
        else:
            self._timer.cancel()
        self._arm()
        self._waiting |= new
        for view in new:
            self._ping(view, self._number)

    def answered(self, view: str, number: object) -> None:
        if number == self._number:
            self._waiting.discard(view)

    def forget(self, view: str) -> None:
        """The view closed: nothing is awaited of it."""
        self._waiting.discard(view)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting.clear()
        self._then.clear()
        self._kernel_was_busy = False

    def _arm(self) -> None:
        self._timer = server_thread().loop.call_later(self._timeout, self._ended)

    def _ended(self) -> None:
        if self._kernel_busy() or self._kernel_was_busy:
            # The answers wait unread until the cell ends: they get their time after it.
            self._kernel_was_busy = self._kernel_busy()
            self._arm()
            return
        self._timer = None
        gone, self._waiting = self._waiting, set()
        then, self._then = self._then, []
        if gone:
            self._gone(gone)
        for call in then:
            call()
