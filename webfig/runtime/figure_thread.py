"""A figure's own thread: its work runs in order, off the event loop, one job at a time.

Drawing a figure, handing it a viewer's event or a timer tick all need the figure's lock and
may take long (a heavy draw, a script holding ``canvas.lock``, a download saving a large
PDF). Each figure's work therefore runs on a thread of its own: one figure's jobs run in the
order they came, different figures' jobs overlap, and the event loop, which only schedules,
sends and does I/O, never waits for any figure.

The thread starts with the first job and ends after :data:`LINGER` seconds with nothing to do,
so an idle figure costs no thread, and a drag's jobs do not start one each.
"""

from __future__ import annotations

import atexit
import logging
import threading
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final, TypeVar

from .event_loop import resolving
from .log_once import ProblemLog

_log = logging.getLogger(__name__)
# Failed jobs of every figure's thread, each kind logged once with its traceback: a broken
# callback fails on every click, and a figure that keeps failing must not flood the log.
_failures = ProblemLog(_log, logging.ERROR)

T = TypeVar("T")

# Seconds the thread waits for more work before it ends.
LINGER: Final = 2.0
# Seconds the interpreter waits at exit for each figure's thread to finish its running job.
EXIT_TIMEOUT: Final = 10.0

Job = Callable[[], object]


@dataclass
class _Queued:
    job: Job
    # Jobs with the same key, one right after the other, are one: the later replaces the
    # earlier (pointer moves that piled up while the figure was busy).
    key: Hashable | None
    # A job that only shows the state the others leave (a render): a later job with a key
    # may replace one queued before it.
    transparent: bool = False


class FigureThread:
    """Runs jobs one after the other on a thread of its own; ``submit`` from any thread.

    A job that raises is logged and the next one runs: one broken callback or draw must not
    stop the figure's other work. The first failure of each kind is an error with its
    traceback, the others of that kind are logged at debug level (:func:`failure_kind`).
    """

    def __init__(self, name: str = "webfig-figure") -> None:
        # The thread's name (py-spy and logs show it).
        self.name = name
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)
        self._queue: deque[_Queued] = deque()
        self._thread: threading.Thread | None = None
        self._busy = False
        self._closed = False
        _figure_threads.add(self)

    def submit(self, job: Job, *, key: Hashable | None = None, transparent: bool = False) -> None:
        """Run ``job`` after every job submitted before it.

        With ``key``, it replaces the last job waiting if that one has the same key, looking
        past ``transparent`` jobs only: never a running job, and never across another job,
        so no event overtakes another. A transparent job (a render, which draws whatever
        state the figure is in) then shows the newer state.
        """
        with self._lock:
            if self._closed:
                return
            if (queued := self._same_key(key)) is not None:
                queued.job = job
            else:
                self._queue.append(_Queued(job, key, transparent))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            else:
                self._work.notify()

    def _same_key(self, key: Hashable | None) -> _Queued | None:
        if key is None:
            return None
        for queued in reversed(self._queue):
            if queued.key == key:
                return queued
            if not queued.transparent:
                return None
        return None

    def run_sync(self, function: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``function`` after the jobs already submitted and return its result; not from
        the figure's own thread (it would wait for itself)."""
        if self.is_current():
            raise RuntimeError("run_sync called from the figure's own thread")
        call, future = resolving(function)
        self.submit(call)
        return future.result(timeout)

    def is_current(self) -> bool:
        """Whether the caller runs on this thread."""
        thread = self._thread
        return thread is not None and thread.ident == threading.get_ident()

    @property
    def pending(self) -> int:
        """Jobs waiting or running."""
        with self._lock:
            return len(self._queue) + self._busy

    def close(self, timeout: float | None = None) -> None:
        """Drop the jobs still waiting, run no more, and wait (up to ``timeout`` seconds)
        for the running one to end; ``timeout=0`` does not wait."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._work.notify()
            thread = self._thread
        if thread is not None and timeout != 0 and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job()
            except Exception as error:
                _failures.report(
                    failure_kind(error), f"a job of {self.name} failed: {error!r}", exc_info=error
                )
            finally:
                with self._lock:
                    self._busy = False

    def _next(self) -> Job | None:
        """The next job, waiting up to LINGER seconds for one; None ends the thread."""
        with self._lock:
            if not self._queue and not self._closed:
                self._work.wait(LINGER)
            if not self._queue or self._closed:
                self._thread = None
                return None
            self._busy = True
            return self._queue.popleft().job

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}, {self.pending} job(s)>"


def failure_kind(error: BaseException) -> str:
    """What makes two failures the same: the exception's type and the line that raised it,
    not its message (which may change each time, and "once" must stay once)."""
    where = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        where = f" at {frame.f_code.co_filename}:{line}"
    return f"{type(error).__name__}{where}"


_figure_threads: weakref.WeakSet[FigureThread] = weakref.WeakSet()


@atexit.register
def _stop_figure_threads() -> None:
    """A daemon thread still drawing while the interpreter shuts down can crash it
    (matplotlib's C++ under a dying Python): let running jobs finish, start no more."""
    for figure_thread in list(_figure_threads):
        figure_thread.close(EXIT_TIMEOUT)
