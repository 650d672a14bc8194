"""Timers (``canvas.new_timer``, FuncAnimation): kept by the server's event loop, run on the
figure's thread."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from matplotlib.backend_bases import TimerBase

from ..runtime.event_loop import server_thread
from ..runtime.figure_thread import FigureThread

_lock = threading.Lock()
_shared_thread: FigureThread | None = None


def _timers_thread() -> FigureThread:
    """The thread for timers that no canvas made."""
    global _shared_thread  # noqa: PLW0603 - one per process, created lazily
    with _lock:
        if _shared_thread is None:
            _shared_thread = FigureThread("webfig-timers")
        return _shared_thread


class TimerWebfig(TimerBase):
    """A matplotlib timer: the event loop keeps time, the figure's thread runs the callbacks.

    It may be started and stopped from any thread. Its callbacks run on ``figure_thread`` (the
    canvas' figure thread, when the canvas made it: the thread that also handles the figure's
    events and draws it) holding ``lock`` (the canvas' lock), so they never race with the
    script's threads, and a slow callback never holds up the loop or another figure. The
    next tick is counted from the end of a callback, so slow callbacks never pile up.
    """

    def __init__(
        self,
        *args: Any,
        lock: AbstractContextManager[object] | None = None,
        figure_thread: FigureThread | None = None,
        **kwargs: Any,
    ) -> None:
        self._loop_thread = server_thread()
        self._figure_thread = figure_thread if figure_thread is not None else _timers_thread()
        self._lock: AbstractContextManager[object] = lock if lock is not None else nullcontext()
        self._handle: asyncio.TimerHandle | None = None
        # Bumped by every start and stop, so a tick scheduled before either is dropped.
        self._generation = 0
        super().__init__(*args, **kwargs)

    def _timer_start(self) -> None:
        self._generation += 1
        generation = self._generation
        self._loop_thread.call_soon(lambda: self._schedule(generation))

    def _timer_stop(self) -> None:
        self._generation += 1
        handle, self._handle = self._handle, None
        if handle is not None:
            self._loop_thread.call_soon(handle.cancel)

    def _timer_set_interval(self) -> None:
        if self._handle is not None:
            self._timer_stop()
            self._timer_start()

    def _schedule(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._handle = self._loop_thread.loop.call_later(
            self.interval / 1000, self._tick, generation
        )

    def _tick(self, generation: int) -> None:
        if generation != self._generation:
            return
        self._handle = None
        self._figure_thread.submit(lambda: self._fire(generation))

    def _fire(self, generation: int) -> None:
        """On the figure's thread: run the callbacks, then have the loop count to the next
        tick."""
        if generation != self._generation:
            return
        # _on_timer runs the callbacks; a timer left with none stops (bumping the generation).
        with self._lock:
            self._on_timer()  # type: ignore[attr-defined]  # the hook backends call; not in the stubs
        if not self.single_shot:
            self._loop_thread.call_soon(lambda: self._schedule(generation))
