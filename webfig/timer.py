"""Timers (``canvas.new_timer``, FuncAnimation) that fire on the server's event loop."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from matplotlib.backend_bases import TimerBase

from .eventloop import server_thread


class TimerWebfig(TimerBase):
    """A matplotlib timer on webfig's event loop.

    It may be started and stopped from any thread; its callbacks always run on the loop,
    the thread that also handles viewers' events, holding ``lock`` (its canvas' lock, when
    the canvas made it) so they never race with the script's threads either.
    """

    def __init__(self, *args: Any, lock: threading.RLock | None = None, **kwargs: Any) -> None:
        self._thread = server_thread()
        self._lock: AbstractContextManager[object] = lock if lock is not None else nullcontext()
        self._handle: asyncio.TimerHandle | None = None
        # Bumped by every start and stop, so a tick scheduled before either is dropped.
        self._generation = 0
        super().__init__(*args, **kwargs)

    def _timer_start(self) -> None:
        self._generation += 1
        generation = self._generation
        self._thread.call_soon(lambda: self._schedule(generation))

    def _timer_stop(self) -> None:
        self._generation += 1
        handle, self._handle = self._handle, None
        if handle is not None:
            self._thread.call_soon(handle.cancel)

    def _timer_set_interval(self) -> None:
        if self._handle is not None:
            self._timer_stop()
            self._timer_start()

    def _schedule(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._handle = self._thread.loop.call_later(self.interval / 1000, self._tick, generation)

    def _tick(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._handle = None
        # _on_timer runs the callbacks; a timer left with none stops (bumping the generation).
        with self._lock:
            self._on_timer()  # type: ignore[attr-defined]  # the hook backends call; not in the stubs
        if not self.single_shot:
            self._schedule(generation)
