"""Worker processes that render figures, one job each at a time: :class:`ProcessPool`.

matplotlib draws one figure at a time in a process (``Figure.draw`` holds a lock that every
figure shares), so more threads render no faster. Both users of other cores go through
this one pool: :class:`~webfig.rendering.render_pool.RenderPool` (builds from a web
application) and downloads (:mod:`webfig.figure.saving`). This is the only module that
starts processes.

**Transport.** Each worker is ``python -m webfig.rendering.worker_process FD``, started with
:mod:`subprocess`, and talks to this process over one socket pair it inherits
(:mod:`multiprocessing.connection` framing). Not ``multiprocessing``'s spawn, which runs the
parent's ``__main__`` in every worker (a pyplot script has no ``if __name__ == "__main__":``
guard), and not fork, which can deadlock a process that runs threads. A job that refers to
the parent's ``__main__`` (a build defined in the script) makes the worker import the
script then, once, as ``__mp_main__`` (so its guarded part does not run), and only in a pool
made with ``import_main=True``: a download's worker never runs the script, and a figure that
needs it is saved in the server's process instead.

**Jobs.** One manager thread hands queued jobs to idle workers and reads the answers, so it
knows which job each worker runs (``concurrent.futures.ProcessPoolExecutor`` fails every
pending future when a worker dies). A job whose worker dies fails alone with
:class:`WorkerCrashed`, naming the exit code or the signal, and a new worker replaces the
dead one (a death is heard as the pipe's EOF, or from the worker's exit status when a
process the job started keeps the pipe open); so does a job past its deadline (``timeout``
seconds from when a worker takes it; the time it waited in the queue does not count), with
:class:`RenderTimeout`. An exception raised by the build or the render comes back pickled,
as itself. Workers that die before
they are ready, :data:`MAX_START_FAILURES` in a row, break the pool. ``shutdown()`` gives
what is left a deadline too, and every wait for a worker to exit is bounded, then it is
killed: no stuck job or worker can hang a shutdown, or the interpreter's exit.

**rcParams and fonts.** Each job carries this process' rcParams as they are when it is
submitted, and its registered fonts, applied in the worker for that job only: see
:mod:`.job_settings`. A worker is sent them only when they changed since it last got them.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing import connection
from multiprocessing.connection import Connection
from typing import Any, Final

from .job_settings import Settings, current_settings

_log = logging.getLogger(__name__)

# Workers in a row that may die before they are ready before the pool gives up (a broken
# install would otherwise start workers forever).
MAX_START_FAILURES: Final = 3
# Seconds a worker gets to exit once its pipe is closed (and again once it is killed).
EXIT_TIMEOUT: Final = 5.0
# Seconds ``shutdown()`` lets queued and running jobs go on before it stops their workers.
SHUTDOWN_TIMEOUT: Final = 30.0
# Seconds between looks at whether a busy worker still runs: one that died while a process
# it started holds its end of the pipe open sends no EOF.
LIVENESS_INTERVAL: Final = 1.0
WORKER_MODULE: Final = "webfig.rendering.worker_process"


class WorkerCrashed(RuntimeError):
    """The error of a job whose worker died (``os._exit``, a segfault, a kill) running it."""


class RenderTimeout(TimeoutError):
    """The error of a job that ran past its deadline: its worker was stopped."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker: its ``__cause__``, for the logs."""


def job_payload(
    subject: object, args: tuple[Any, ...], fmt: str, dpi: float | None, savefig: dict[str, Any]
) -> bytes:
    """A job for :meth:`ProcessPool.submit`: ``subject`` (a Figure, or a module-level
    function that returns one, called with ``args``) rendered as :func:`~.render.render`
    renders. Raises what pickling raises."""
    return pickle.dumps((subject, args, fmt, dpi, savefig), protocol=5)


def _main_module() -> tuple[str, str]:
    """How a worker finds this process' ``__main__``: ("path", file), ("module", name), or
    ("none", why not)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        if name == "__main__" or name.endswith(".__main__"):  # a package's: runs on import
            return "none", f"this process' main module is {name}, which a worker never runs"
        return "module", name
    path = getattr(main, "__file__", None)
    if path is None:
        return "none", "this process' __main__ has no file (an interactive session?)"
    return "path", os.path.abspath(path)


@dataclass(eq=False)
class _Job:
    future: Future[bytes]
    payload: bytes
    name: str  # for messages
    timeout: float | None
    settings: Settings
    started: bool = False  # its future is running
    deadline: float = float("inf")  # (time.monotonic) once a worker has it

    def start(self) -> bool:  # False if the future was cancelled
        self.started = self.started or self.future.set_running_or_notify_cancel()
        return self.started

    def fail(self, error: BaseException) -> None:
        if self.start():
            self.future.set_exception(error)


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    ready: bool = False
    job: _Job | None = None
    settings: Settings | None = None  # the last ones it was sent


class _ParentUnpickler(pickle.Unpickler):
    """Unpickles what a worker sends: its ``__mp_main__`` is this process' ``__main__``."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class("__main__" if module == "__mp_main__" else module, name)


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain data only (tuples, strings, bytes, numbers, None): a reply from a
    worker of a pool that does not trust its workers, which names no class to make."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a worker's reply named {module}.{name}: refused")


class WorkerError(RuntimeError):
    """A job failed in a worker of a pool that does not trust its workers: what it raised,
    as text (the exception itself is not unpickled here)."""


def _untrusted_error(job: _Job, text: str) -> BaseException:
    lines = text.strip().splitlines()
    error = WorkerError(f"{job.name} failed: {lines[-1] if lines else 'no reason given'}")
    error.__cause__ = RemoteTraceback(f"\nin the worker process:\n{text}")
    return error


def _error(job: _Job, pickled: bytes, text: str) -> BaseException:
    """The exception a worker sent back for ``job``, with its traceback as its cause."""
    try:
        error: BaseException = _ParentUnpickler(io.BytesIO(pickled)).load()
    except Exception:
        return RuntimeError(f"{job.name} raised an exception that could not be sent back:\n{text}")
    error.__cause__ = RemoteTraceback(f"\nin the worker process:\n{text}")
    return error


def _exit_status(code: int | None) -> str:
    if code is not None and code < 0:
        signals = {s.value: s.name for s in signal.Signals}
        return f"killed by signal {signals.get(-code, -code)}"
    return f"exit code {code}"


def _reap(process: subprocess.Popen[bytes]) -> str:
    """Wait, a bounded time, for a worker that was told to stop (or died) to exit, killing
    it if it does not; how it ended."""
    try:
        return _exit_status(process.wait(EXIT_TIMEOUT))
    except subprocess.TimeoutExpired:
        process.kill()
    try:
        return _exit_status(process.wait(EXIT_TIMEOUT))
    except subprocess.TimeoutExpired:
        _log.error("worker process %d did not end, even killed", process.pid)
        return "still running after it was killed"


class ProcessPool:
    """``processes`` worker processes that render jobs (see :func:`job_payload`);
    thread-safe. ``name`` says what the pool is in messages ("the RenderPool");
    ``import_main``: may a job make a worker import this process' ``__main__``; ``timeout``:
    the deadline of a job submitted without one; ``warm_up``: return once every worker is
    ready (else the first jobs wait for them). ``trust_replies=False``: workers' replies are
    read as plain data only, and a job's exception comes back as a :class:`WorkerError`
    with its text. ``memory_limit``: bytes of address space a worker may have (POSIX
    ``RLIMIT_AS``); a job that needs more fails, or its worker dies and is replaced.

    Security: with ``trust_replies`` (the default) a reply is unpickled as it comes, so a
    worker runs what it likes here: for workers that run this process' own figures only.
    A pool whose workers load what others sent (the hub's) must not trust them: a worker
    that such a load took over could send a pickle that runs code in this process."""

    def __init__(
        self,
        processes: int,
        *,
        name: str,
        import_main: bool,
        timeout: float | None = None,
        warm_up: bool = True,
        trust_replies: bool = True,
        memory_limit: int | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError(f"{name} needs at least one process, not {processes}")
        self.processes = processes
        self.name = name
        self.timeout = _checked_timeout(timeout)
        self._trust_replies = trust_replies
        self._memory_limit = memory_limit
        self._main = (
            _main_module() if import_main else ("none", "this pool's workers never run the script")
        )
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a worker became ready, or broke
        self._queue: deque[_Job] = deque()
        self._closing = False
        self._shutdown_deadline = float("inf")
        self._shutdown_timeout = 0.0  # (for messages)
        self._broken: str | None = None
        self._start_failures = 0
        # Wakes the manager for a new job or shutdown; one message at most is in flight.
        self._wake_reader, self._wake_writer = connection.Pipe(duplex=False)
        self._woken = False
        self._workers: list[_Worker] = []
        try:
            for _ in range(processes):
                self._workers.append(self._start_worker())
        except OSError:
            self._stop()
            raise
        self._manager = threading.Thread(target=self._manage, name="webfig-pool", daemon=True)
        self._manager.start()
        _pools.add(self)
        if warm_up and not self.wait_ready():
            self.shutdown()
            raise RuntimeError(f"the workers of {name} could not start: {self._broken}")

    @property
    def pids(self) -> tuple[int, ...]:
        """The workers' process ids now (a dead worker's replacement has a new one)."""
        with self._lock:
            return tuple(w.process.pid for w in self._workers)

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every worker has started and warmed up; False if the pool broke or
        shut down first, or ``timeout`` seconds passed."""

        def ready() -> bool:
            return len(self._workers) == self.processes and all(w.ready for w in self._workers)

        with self._changed:
            self._changed.wait_for(lambda: self._broken or self._closing or ready(), timeout)
            return not (self._broken or self._closing) and ready()

    def submit(self, payload: bytes, name: str, timeout: float | None = None) -> Future[bytes]:
        """A future of the file ``payload`` (from :func:`job_payload`) renders, made in a
        worker with this process' current settings, within ``timeout`` seconds (else the
        pool's). Its exception is what the job raised, :class:`WorkerCrashed` or
        :class:`RenderTimeout`."""
        timeout = self.timeout if timeout is None else _checked_timeout(timeout)
        job = _Job(Future(), payload, name, timeout, current_settings())
        with self._lock:
            if self._closing:
                raise RuntimeError(f"cannot submit {name}: {self.name} was shut down")
            if self._broken is not None:
                raise RuntimeError(f"cannot submit {name}: {self.name} broke: {self._broken}")
            self._queue.append(job)
            self._wake()
        return job.future

    def shutdown(
        self,
        wait: bool = True,
        *,
        cancel_futures: bool = False,
        timeout: float | None = SHUTDOWN_TIMEOUT,
    ) -> None:
        """Take no more jobs; finish the queued ones (or cancel them, with
        ``cancel_futures``) and stop the workers. Jobs still running or queued ``timeout``
        seconds from now (None: no limit) fail with :class:`RenderTimeout`, their workers
        stopped. ``wait``: return once the workers have exited."""
        with self._lock:
            self._closing = True
            if timeout is not None:
                deadline = time.monotonic() + timeout
                if deadline < self._shutdown_deadline:  # (of two shutdowns, the sooner counts)
                    self._shutdown_deadline, self._shutdown_timeout = deadline, timeout
            dropped = list(self._queue) if cancel_futures else []
            if cancel_futures:
                self._queue.clear()
            self._wake()
            self._changed.notify_all()
        for job in dropped:
            if not job.future.cancel():
                job.fail(RuntimeError(f"{self.name} was shut down"))
        # A done-callback running on the manager thread may shut the pool down too.
        if wait and threading.current_thread() is not self._manager:
            self._manager.join()

    # The rest runs on the manager thread, but _wake (under the lock) and the first starts.
    def _wake(self) -> None:
        if not self._woken:
            self._woken = True
            self._wake_writer.send_bytes(b"")

    def _start_worker(self) -> _Worker:
        ours, theirs = connection.Pipe()
        path = os.pathsep.join(entry for entry in sys.path if entry)
        try:
            limit = [] if self._memory_limit is None else [str(self._memory_limit)]
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, str(theirs.fileno()), *limit],
                stdin=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                env={**os.environ, "PYTHONPATH": path, "MPLBACKEND": "agg"},
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker has its own copy: when it dies, ours reads EOF
        with contextlib.suppress(OSError):  # (if it died already, the manager hears it)
            ours.send(self._main)
        return _Worker(process, ours)

    def _manage(self) -> None:
        try:
            while self._step():
                pass
        except BaseException:
            _log.exception("the manager thread of %s failed; the pool is broken", self.name)
            self._broken = self._broken or "its manager thread failed"
        finally:
            self._stop()

    def _step(self) -> bool:
        """Hand queued jobs to idle workers, hear the workers, stop those past a deadline;
        False when done."""
        self._bury_the_silent_dead()
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
            self._send(worker, job)
        ready = set(connection.wait([self._wake_reader, *(w.conn for w in workers)], self._due()))
        if self._wake_reader in ready:
            with self._lock:
                self._wake_reader.recv_bytes()
                self._woken = False
        for worker in workers:
            if worker.conn in ready and not self._receive(worker):
                self._bury(worker)
        self._stop_overdue(workers)
        return True

    def _next_job(self) -> _Job | None:
        while self._queue:
            if (job := self._queue.popleft()).start():
                return job
        return None  # (cancelled ones are dropped)

    def _send(self, worker: _Worker, job: _Job) -> None:
        settings = None if worker.settings is job.settings else job.settings.message
        if job.timeout is not None:
            job.deadline = time.monotonic() + job.timeout
        try:
            worker.conn.send((settings, job.payload))
        except OSError:  # it died before it took the job (it is buried next): requeued
            with self._lock:
                self._queue.appendleft(job)
                worker.job = None
            return
        worker.settings = job.settings

    def _due(self) -> float | None:
        """Seconds until the next deadline, or look at the busy workers, if any."""
        now = time.monotonic()
        with self._lock:
            running = [w.job.deadline for w in self._workers if w.job is not None]
            due = min([*running, self._shutdown_deadline if self._closing else float("inf")])
        if running:
            due = min(due, now + LIVENESS_INTERVAL)
        return None if due == float("inf") else max(0.0, due - now)

    def _bury_the_silent_dead(self) -> None:
        """Bury the workers that died with their pipe still open (a process a job started
        inherited it), which no EOF announces: before a job is sent to one, and within
        :data:`LIVENESS_INTERVAL` of the death of one running a job."""
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            # (One that left a message or EOF behind is heard as any other.)
            if worker.process.poll() is not None and not worker.conn.poll():
                self._bury(worker)

    def _receive(self, worker: _Worker) -> bool:
        """Handle the worker's waiting messages; False if its pipe is closed."""
        try:
            while worker.conn.poll():
                kind, value = self._reply(worker.conn.recv_bytes())
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
                    pickled, text = value
                    job.future.set_exception(
                        _error(job, pickled, text)
                        if self._trust_replies
                        else _untrusted_error(job, text)
                    )
        except (EOFError, OSError):
            return False
        return True

    def _reply(self, data: bytes) -> tuple[str, Any]:
        """A worker's message: its kind and value (read as plain data, unless trusted)."""
        if self._trust_replies:
            message: tuple[str, Any] = pickle.loads(data)
        else:
            message = _DataUnpickler(io.BytesIO(data)).load()
        return message

    def _stop_overdue(self, workers: list[_Worker]) -> None:
        """Fail what is still queued past the shutdown's deadline; stop the workers whose
        jobs are past theirs (or the shutdown's)."""
        now = time.monotonic()
        if now >= self._shutdown_deadline:
            with self._lock:
                queued = list(self._queue)
                self._queue.clear()
            for waiting in queued:
                waiting.fail(
                    RenderTimeout(
                        f"{waiting.name} was still queued {self._shutdown_timeout:g} s after"
                        f" {self.name} was shut down"
                    )
                )
        for worker in workers:
            job = worker.job
            if job is None or now < min(job.deadline, self._shutdown_deadline):
                continue
            if not self._receive(worker):  # it answered, or died, just now
                self._bury(worker)
            if worker.job is not job:
                continue
            worker.job = None
            worker.process.kill()
            status = self._remove(worker)
            if job.deadline <= self._shutdown_deadline:
                why = f"{job.name} ran past its deadline of {job.timeout:g} s"
            else:
                why = (
                    f"{job.name} was still running {self._shutdown_timeout:g} s after"
                    f" {self.name} was shut down"
                )
            _log.warning("%s; its worker process was stopped (%s)", why, status)
            job.fail(RenderTimeout(f"{why}; its worker process was stopped"))

    def _bury(self, worker: _Worker) -> None:
        """A worker died (or closed its pipe): fail its job, and replace it if need be."""
        job, worker.job = worker.job, None
        status = self._remove(worker)
        if job is not None:
            _log.warning("a worker of %s died running %s (%s)", self.name, job.name, status)
            job.fail(WorkerCrashed(f"the worker process rendering {job.name} died ({status})"))

    def _remove(self, worker: _Worker) -> str:
        """Forget a worker that died or was killed, starting another if need be; how it
        ended."""
        worker.conn.close()
        status = _reap(worker.process)
        with self._lock:
            self._workers.remove(worker)
            if not worker.ready:
                self._start_failures += 1
                _log.error("a worker of %s died as it started (%s)", self.name, status)
                if self._start_failures >= MAX_START_FAILURES:
                    self._broken = f"{self._start_failures} workers in a row died at start"
            replace = self._broken is None and (bool(self._queue) or not self._closing)
        if replace:
            try:
                replacement = self._start_worker()
            except OSError as error:
                with self._lock:
                    self._broken = f"no worker could start: {error}"
                    self._changed.notify_all()
            else:
                with self._lock:
                    self._workers.append(replacement)
        return status

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
                worker.process.kill()  # still importing matplotlib: no need to wait
        for worker in workers:
            _reap(worker.process)
        self._wake_reader.close()
        self._wake_writer.close()
        for job in left:  # (only if the pool broke)
            job.fail(WorkerCrashed(f"{self.name} broke: {self._broken}"))


def _checked_timeout(timeout: float | None) -> float | None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"a timeout is a number of seconds above 0 (or None), not {timeout!r}")
    return timeout


_pools: weakref.WeakSet[ProcessPool] = weakref.WeakSet()


@atexit.register
def _shut_down_pools() -> None:
    # Nothing can wait for a job any more: what runs is stopped at once.
    for pool in list(_pools):
        pool.shutdown(wait=True, cancel_futures=True, timeout=0)
