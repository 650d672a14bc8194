"""The event loop that serves figures, on a daemon thread of its own.

Everything that touches a figure on behalf of a viewer (events, renders, timers) runs on this
loop, so a script's main thread stays free: ``plt.show(block=False)`` returns at once and the
figures stay live. One loop serves every figure server in the process.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable
from typing import TypeVar

_log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds the interpreter waits at exit for the loop to finish what it is doing.
EXIT_TIMEOUT = 10.0


class ServerThread(threading.Thread):
    """A daemon thread running an asyncio loop until :meth:`stop`."""

    def __init__(self) -> None:
        super().__init__(name="webfig-server", daemon=True)
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def start(self) -> None:
        super().start()
        self._ready.wait()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the loop and wait (up to ``timeout`` seconds) for the thread to end."""
        if self.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.join(timeout)

    def in_loop_thread(self) -> bool:
        return threading.get_ident() == self.ident

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop, soon; safe from any thread. After the loop ended
        (at exit: a timer stopping as it is collected, say) there is nothing left to do."""
        if self.loop.is_closed():
            return
        if self.in_loop_thread():
            self.loop.call_soon(callback)
        else:
            self.loop.call_soon_threadsafe(callback)

    def run_sync(self, function: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``function`` on the loop and return its result; from another thread only."""
        if self.in_loop_thread():
            return function()
        call, future = resolving(function)
        self.loop.call_soon_threadsafe(call)
        return future.result(timeout)


def resolving(function: Callable[[], T]) -> tuple[Callable[[], None], concurrent.futures.Future[T]]:
    """A call of ``function`` to hand another thread, and the future it resolves with the
    result (or the exception)."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def call() -> None:
        try:
            future.set_result(function())
        except BaseException as exc:
            future.set_exception(exc)

    return call, future


_lock = threading.Lock()
_thread: ServerThread | None = None


def server_thread() -> ServerThread:
    """The process' server thread, started on first use."""
    global _thread  # noqa: PLW0603 - one loop per process, created lazily
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = ServerThread()
            _thread.start()
            # A daemon thread still drawing while the interpreter shuts down can crash it
            # (matplotlib's C++ under a dying Python): let what runs finish, then end.
            atexit.register(_thread.stop, EXIT_TIMEOUT)
            _log.debug("started the webfig event loop thread")
        return _thread


_pool: concurrent.futures.ThreadPoolExecutor | None = None


def encoder_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that encode frames, one per core (at most four), created on first use.

    numpy and Pillow release the GIL while comparing and compressing, so encodes on these
    threads run in parallel with each other and with the event loop.
    """
    global _pool  # noqa: PLW0603 - one pool per process, created lazily
    with _lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="webfig-encode"
            )
        return _pool


_download_pool: concurrent.futures.ThreadPoolExecutor | None = None


def download_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that save figures for downloads, off the event loop and apart from the
    encoders: a slow PDF must not hold up anybody's frames."""
    global _download_pool  # noqa: PLW0603 - one pool per process, created lazily
    with _lock:
        if _download_pool is None:
            _download_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=2, thread_name_prefix="webfig-download"
            )
        return _download_pool
