"""Rendering figures in worker processes, on every core: :class:`RenderPool`.

matplotlib draws one figure at a time in a process (``Figure.draw`` holds a lock all figures
share), so more threads render no faster. A pool's workers are processes: each calls a
module-level function that builds a :class:`~matplotlib.figure.Figure` (no pyplot), renders
it with :func:`webfig.rendering.render.render` and sends back the bytes::

    pool = RenderPool(processes=2)  # charts.py: def scatter(points: int) -> Figure: ...
    body = pool.submit(charts.scatter, 40_000, format="png", dpi=100).result()
    body = await pool.render(charts.scatter, 40_000, format="svg")  # in asyncio code
    body = cache.get_or_render(key, lambda: pool.submit(charts.scatter, 40_000).result())
    pool.close()  # or: with RenderPool() as pool: ...

Design: not ``ProcessPoolExecutor``, which fails every pending future when a worker dies,
not knowing which job killed it. Each worker has a pipe of its own and runs one job at a
time; one manager thread hands queued jobs to idle workers and reads the answers, so it
knows which job a worker runs. If a worker dies, that job alone fails with
:class:`WorkerCrashed` (never retried), a new worker replaces it, the others run on. An
exception from the build or the render comes back pickled, as itself. Only the build
(pickled by name), its arguments and savefig's keywords travel, and the bytes back.

Workers are spawned, not forked (forking a process that runs threads can deadlock), so a
script needs the ``if __name__ == "__main__":`` guard, and workers start from matplotlib's
defaults, not the parent's runtime rcParams. Each imports matplotlib (Agg) and renders a
tiny figure before it takes jobs, so its first job is no slower than the rest: the
constructor waits for that (about a second, workers in parallel) unless ``warm_up=False``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import pickle
import signal
import threading
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing import connection, get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Final

import matplotlib as mpl
from matplotlib.figure import Figure

from .render import render as render_file

if TYPE_CHECKING:
    from typing_extensions import TypeVarTuple, Unpack

    Ts = TypeVarTuple("Ts")

_log = logging.getLogger("webfig")

# Workers in a row that may die before they are ready before the pool gives up (a broken
# install, or a script without the __main__ guard, would otherwise start workers forever).
MAX_START_FAILURES: Final = 3
# Seconds a worker gets to exit once its pipe is closed, before it is killed.
EXIT_TIMEOUT: Final = 5.0


class WorkerCrashed(RuntimeError):
    """The error of a job whose worker died (``os._exit``, a segfault, a kill) running it."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker: its ``__cause__``, for the logs."""


@dataclass(eq=False)
class _Job:
    future: Future[bytes]
    payload: bytes  # the pickled (build, args, format, dpi, savefig keywords)
    name: str  # the build's, for messages
    started: bool = False  # its future is running

    def start(self) -> bool:  # False if the future was cancelled
        self.started = self.started or self.future.set_running_or_notify_cancel()
        return self.started

    def fail(self, error: BaseException) -> None:
        if self.start():
            self.future.set_exception(error)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    job: _Job | None = None


def _serve(conn: Connection) -> None:
    """A worker's life: warm up, then render jobs one at a time until the pipe closes."""
    # Ctrl-C reaches the whole process group; the parent decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mpl.use("agg")
    # Fonts and Agg's first-draw caches load now, not in the first job.
    warm = Figure(figsize=(2, 1.5), dpi=50)
    warm.add_subplot().scatter([0, 1, 2], [1, 0, 1])
    render_file(warm, "png")
    try:
        conn.send(("ready", None))
        while True:
            payload = conn.recv_bytes()
            try:
                build, args, fmt, dpi, kwargs = pickle.loads(payload)
                figure = build(*args)
                if not isinstance(figure, Figure):
                    raise TypeError(f"{_name(build)} returned {type(figure)!r}, not a Figure")
                reply: tuple[str, object] = ("ok", render_file(figure, fmt, dpi, **kwargs))
            except Exception as exc:  # (SystemExit ends the worker: the parent sees a crash)
                text = "".join(traceback.format_exception(exc))
                try:
                    reply = ("error", (pickle.dumps(exc, protocol=5), text))
                except Exception:
                    reply = ("error", (b"", text))
            conn.send(reply)
    except (EOFError, OSError):
        return  # the parent closed the pipe, or died


def _error(job: _Job, pickled: bytes, text: str) -> BaseException:
    """The exception a worker sent back for ``job``, with its traceback as its cause."""
    with contextlib.suppress(Exception):
        error: BaseException = pickle.loads(pickled)  # (b"" raises EOFError)
        error.__cause__ = RemoteTraceback(f"\nin the worker process:\n{text}")
        return error
    return RuntimeError(f"{job.name} raised an exception that could not be sent back:\n{text}")


def _name(build: object) -> str:
    return f"{getattr(build, '__module__', '?')}.{getattr(build, '__qualname__', build)}"


def _reap(process: BaseProcess) -> str:
    """Wait for a worker that was told to stop (or died) to exit; how it ended."""
    process.join(EXIT_TIMEOUT)
    if process.is_alive():
        process.kill()
        process.join()
    code = process.exitcode
    process.close()
    if code is not None and code < 0:
        signals = {s.value: s.name for s in signal.Signals}
        return f"killed by signal {signals.get(-code, -code)}"
    return f"exit code {code}"


class RenderPool:
    """``processes`` worker processes (default: one per core) that build and render
    figures; thread-safe, and a context manager that shuts it down on exit. ``warm_up``:
    return once every worker is ready (else the first jobs wait for them)::

        with RenderPool(processes=2) as pool:
            bodies = [f.result() for f in [pool.submit(charts.scatter, n) for n in sizes]]
    """

    def __init__(self, processes: int | None = None, *, warm_up: bool = True) -> None:
        self.processes = count = (os.cpu_count() or 1) if processes is None else processes
        if count < 1:
            raise ValueError(f"a RenderPool needs at least one process, not {count}")
        self._context = get_context("spawn")
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a worker became ready, or broke
        self._queue: deque[_Job] = deque()
        self._closing = False
        self._broken: str | None = None
        self._start_failures = 0
        # Wakes the manager for a new job or shutdown; one message at most is in flight.
        self._wake_reader, self._wake_writer = self._context.Pipe(duplex=False)
        self._woken = False
        self._workers = [self._start_worker() for _ in range(count)]
        self._manager = threading.Thread(target=self._manage, name="webfig-pool", daemon=True)
        self._manager.start()
        _pools.add(self)
        if warm_up and not self.wait_ready():
            self.shutdown()
            raise RuntimeError(f"the RenderPool's workers could not start: {self._broken}")

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(wait=True)

    @property
    def pids(self) -> tuple[int, ...]:
        """The workers' process ids now (a dead worker's replacement has a new one)."""
        with self._lock:
            return tuple(w.process.pid for w in self._workers if w.process.pid is not None)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every worker has started and warmed up; False if the pool broke or
        shut down first, or ``timeout`` seconds passed."""

        def ready() -> bool:
            return len(self._workers) == self.processes and all(w.ready for w in self._workers)

        with self._changed:
            self._changed.wait_for(lambda: self._broken or self._closing or ready(), timeout)
            return not (self._broken or self._closing) and ready()

    def submit(
        self,
        build: Callable[[Unpack[Ts]], Figure],
        *args: Unpack[Ts],
        format: str = "png",
        dpi: float | None = None,
        **savefig_kwargs: Any,
    ) -> Future[bytes]:
        """A future of ``build(*args)`` rendered in a worker as :func:`webfig.render` renders
        it (``format``, ``dpi`` and ``savefig_kwargs`` as there). ``build`` is a module-level
        function the workers can import, and ``args`` must pickle. The future's exception is
        what ``build`` or the render raised, or :class:`WorkerCrashed`."""
        name = _name(build)
        try:
            payload = pickle.dumps((build, args, format, dpi, savefig_kwargs), protocol=5)
        except Exception as exc:
            why = "a build must be a module-level function, and its arguments must pickle"
            raise TypeError(f"cannot send {name} to a worker process ({exc}): {why}") from exc
        future: Future[bytes] = Future()
        with self._lock:
            if self._closing:
                raise RuntimeError(f"cannot submit {name} to a RenderPool that was shut down")
            if self._broken is not None:
                raise RuntimeError(f"cannot submit {name}: the RenderPool broke: {self._broken}")
            self._queue.append(_Job(future, payload, name))
            self._wake()
        return future

    async def render(
        self,
        build: Callable[[Unpack[Ts]], Figure],
        *args: Unpack[Ts],
        format: str = "png",
        dpi: float | None = None,
        **savefig_kwargs: Any,
    ) -> bytes:
        """:meth:`submit`, awaited: ``body = await pool.render(charts.scatter, 40_000)``."""
        future = self.submit(build, *args, format=format, dpi=dpi, **savefig_kwargs)
        return await asyncio.wrap_future(future)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Take no more jobs; finish the queued ones (or cancel them, with
        ``cancel_futures``) and stop the workers. ``wait``: return once they have exited."""
        with self._lock:
            self._closing = True
            dropped = [self._queue.popleft() for _ in range(len(self._queue) * cancel_futures)]
            self._wake()
            self._changed.notify_all()
        for job in dropped:
            if not job.future.cancel():
                job.fail(RuntimeError("the RenderPool was shut down"))
        # A done-callback running on the manager thread may shut the pool down too.
        if wait and threading.current_thread() is not self._manager:
            self._manager.join()

    def close(self) -> None:
        self.shutdown(wait=True)

    # The rest runs on the manager thread, but _wake (under the lock) and the first starts.
    def _wake(self) -> None:
        if not self._woken:
            self._woken = True
            self._wake_writer.send_bytes(b"")

    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs,), daemon=True)
        process.start()
        theirs.close()  # the worker has its own copy: when it dies, ours reads EOF
        return _Worker(process, ours)

    def _manage(self) -> None:
        try:
            while self._step():
                pass
        except BaseException:
            _log.exception("the RenderPool's manager thread failed; the pool is broken")
            self._broken = self._broken or "its manager thread failed"
        finally:
            self._stop()

    def _step(self) -> bool:
        """Hand queued jobs to idle workers, then hear the workers; False when done."""
        sends: list[tuple[_Worker, _Job]] = []
        with self._lock:
            for worker in self._workers:
                if worker.ready and worker.job is None and (job := self._next_job()):
                    worker.job = job
                    sends.append((worker, job))
            busy = any(w.job is not None for w in self._workers)
            if self._broken or (self._closing and not self._queue and not busy):
                return False
            workers = list(self._workers)
        for worker, job in sends:
            try:
                worker.conn.send_bytes(job.payload)
            except OSError:  # it died before it took the job (it is buried below): requeued
                with self._lock:
                    self._queue.appendleft(job)
                    worker.job = None
        ends = [self._wake_reader, *(e for w in workers for e in (w.conn, w.process.sentinel))]
        ready = set(connection.wait(ends))
        if self._wake_reader in ready:
            with self._lock:
                self._wake_reader.recv_bytes()
                self._woken = False
        for worker in workers:
            exited = worker.process.sentinel in ready
            # A dead worker may have answered before it died: that is read first.
            if (exited or worker.conn in ready) and (not self._receive(worker) or exited):
                self._bury(worker)
        return True

    def _next_job(self) -> _Job | None:
        while self._queue:
            if (job := self._queue.popleft()).start():
                return job
        return None  # (cancelled ones are dropped)

    def _receive(self, worker: _Worker) -> bool:
        """Handle the worker's waiting messages; False if its pipe is closed."""
        try:
            while worker.conn.poll():
                kind, value = worker.conn.recv()
                if kind == "ready":
                    with self._lock:
                        worker.ready = True
                        self._start_failures = 0
                        self._changed.notify_all()
                    continue
                job, worker.job = worker.job, None
                assert job is not None, f"a worker answered {kind!r} with no job"
                if kind == "ok":
                    job.future.set_result(value)
                else:
                    job.future.set_exception(_error(job, *value))
        except (EOFError, OSError):
            return False
        return True

    def _bury(self, worker: _Worker) -> None:
        """A worker died (or closed its pipe): fail its job, and replace it if need be."""
        worker.conn.close()
        status = _reap(worker.process)
        job, worker.job = worker.job, None
        with self._lock:
            self._workers.remove(worker)
            if not worker.ready:
                self._start_failures += 1
                _log.error("a RenderPool worker died as it started (%s)", status)
                if self._start_failures >= MAX_START_FAILURES:
                    self._broken = f"{self._start_failures} workers in a row died at start"
            replace = self._broken is None and not (self._closing and not self._queue)
        if replace:
            replacement = self._start_worker()
            with self._lock:
                self._workers.append(replacement)
        if job is not None:
            _log.warning("a RenderPool worker died rendering %s (%s)", job.name, status)
            job.fail(WorkerCrashed(f"the worker process rendering {job.name} died ({status})"))

    def _stop(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, []
            left = [w.job for w in workers if w.job is not None] + list(self._queue)
            self._queue.clear()
            self._woken = True  # for good: the wake pipe closes below
            self._changed.notify_all()
        for worker in workers:
            worker.conn.close()  # the worker reads EOF and exits
            if not worker.ready:
                worker.process.terminate()  # still importing matplotlib: no need to wait
        for worker in workers:
            _reap(worker.process)
        self._wake_reader.close()
        self._wake_writer.close()
        for job in left:  # (only if the pool broke)
            job.fail(WorkerCrashed(f"the RenderPool broke: {self._broken}"))


_pools: weakref.WeakSet[RenderPool] = weakref.WeakSet()


@atexit.register
def _shut_down_pools() -> None:
    # Runs before multiprocessing's exit handler (registered earlier): workers exit cleanly.
    for pool in list(_pools):
        pool.shutdown(wait=True, cancel_futures=True)
