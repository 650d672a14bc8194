"""Figures' locks that one figure's callbacks reaching into another cannot deadlock.

Each figure has a lock and a thread of its own, and matplotlib draws one figure at a time in
a process (``Figure.draw`` holds one lock that every figure shares). A callback of one figure
may reach into another: matplotlib's ``MultiCursor`` spans axes of several figures, and on
each figure's ``draw_event`` copies every figure's background; a click in one figure may
redraw another. Then two threads can each hold what the other waits for: figure A's thread
draws (holding A's lock and the drawing lock) and its ``draw_event`` wants B's lock, while
B's thread holds B's lock and waits for the drawing lock to draw B. On a desktop one thread
does all of it, and nothing waits.

So these locks know who holds them and what each thread waits for. A thread about to wait
for a figure's lock whose holder is itself waiting, directly or along a chain, for a lock
the first thread holds, would wait forever; it uses the figure as if it held its lock
instead. That is safe: the holder cannot go on until the first thread lets go of what it
holds, so nobody else touches the figure meanwhile. The drawing lock is never used that
way: two figures never draw at once.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Final, Protocol

# Seconds between two looks at who a thread waiting for a figure's lock waits on.
POLL_INTERVAL: Final = 0.01

# Which lock each thread waits for now; and the guard of that and of every lock's holder.
_waiting: dict[int, TrackedLock] = {}
_guard = threading.Lock()


class Acquirable(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...


class TrackedLock:
    """A reentrant lock that knows which thread holds it, for the deadlock check of
    :class:`FigureLock`."""

    def __init__(self, lock: Acquirable | None = None) -> None:
        # Reentrant or not, the lock is taken once per holder: the depth is counted here.
        self._lock = lock if lock is not None else threading.Lock()
        self._holder: int | None = None
        self._depth = 0

    @property
    def holder(self) -> int | None:
        """The thread that holds the lock (its ident), if any."""
        return self._holder

    def _is_owned(self) -> bool:
        """Whether this thread holds the lock (what ``threading.Condition`` asks an RLock)."""
        return self._holder == threading.get_ident()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        if self._holder == me:  # only this thread sets it to itself, or from itself
            self._depth += 1
            return True
        if self._lock.acquire(blocking=False):
            self._hold(me)
            return True
        if not blocking:
            return False
        with _guard:
            _waiting[me] = self
        try:
            return self._wait(me, timeout)
        finally:
            with _guard:
                del _waiting[me]

    def _wait(self, me: int, timeout: float) -> bool:
        """Wait for the lock (``timeout`` seconds at most, unless negative); whether this
        thread may go on as its holder."""
        if not self._lock.acquire(timeout=timeout):
            return False
        self._hold(me)
        return True

    def _hold(self, me: int) -> None:
        with _guard:
            self._holder, self._depth = me, 1

    def release(self) -> None:
        if self._holder != threading.get_ident():
            raise RuntimeError("cannot release a lock this thread does not hold")
        self._depth -= 1
        if self._depth == 0:
            with _guard:
                self._holder = None
            self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class FigureLock(TrackedLock):
    """A figure's lock (``canvas.lock``): reentrant, as an RLock; a thread whose wait for it
    would never end uses the figure as if it held it (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__()
        # Threads using the figure while its holder waits on them, each with its depth.
        self._borrowers: dict[int, int] = {}

    def _is_owned(self) -> bool:
        return super()._is_owned() or threading.get_ident() in self._borrowers

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        if me in self._borrowers:  # only this thread adds or removes itself
            self._borrowers[me] += 1
            return True
        return super().acquire(blocking, timeout)

    def _wait(self, me: int, timeout: float) -> bool:
        remaining = timeout
        while True:
            wait = POLL_INTERVAL if remaining < 0 else min(POLL_INTERVAL, remaining)
            if self._lock.acquire(timeout=wait):
                self._hold(me)
                return True
            with _guard:
                if self._holder_waits_on(me):
                    self._borrowers[me] = 1
                    return True
            if remaining >= 0:
                remaining -= wait
                if remaining <= 0:
                    return False

    def _holder_waits_on(self, me: int) -> bool:
        """Whether the lock's holder waits, directly or along a chain of holders, for a lock
        thread ``me`` holds. Under the guard."""
        seen: set[int] = set()
        holder = self._holder
        while holder is not None and holder not in seen:
            if holder == me:
                return True
            seen.add(holder)
            awaited = _waiting.get(holder)
            holder = awaited.holder if awaited is not None else None
        return False

    def release(self) -> None:
        me = threading.get_ident()
        depth = self._borrowers.get(me)
        if depth is None:
            super().release()
        elif depth == 1:
            with _guard:
                del self._borrowers[me]
        else:
            self._borrowers[me] = depth - 1
