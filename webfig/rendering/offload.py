"""Saving figures in worker processes, so that a slow save stops no other figure.

matplotlib draws one figure at a time in a process: ``Figure.draw`` holds a lock that every
figure shares (it guards matplotlib's font and mathtext caches). A PDF of a 100 000-point
scatter saved in the server's process would therefore stop every other figure's frames for
seconds, whichever thread saves it. A download instead sends a pickle of the figure, with the
process' rcParams and fonts, to a worker process (``python -m webfig.rendering.save_worker``), which
saves it there, on another core.

A figure that cannot travel (a formatter that is a lambda, an artist class defined in the
script's ``__main__``) is saved in this process as before, and so is one whose save fails in
the worker for any reason: what the user gets never depends on whether the worker could help.
"""

from __future__ import annotations

import atexit
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import IO, Any, Final

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure

# Worker processes at most: saves beyond that wait for one to be free.
MAX_WORKERS: Final = 2
# Each message: its length (8 bytes, big-endian), then a pickle.
_LENGTH = struct.Struct(">Q")
# rcParams that belong to this process, not to a figure's file.
_LOCAL_PARAMS: Final = frozenset({"backend", "backend_fallback", "interactive"})


class CannotOffload(Exception):
    """The worker could not save the figure; save it in this process instead."""


def write_message(stream: IO[bytes], content: object) -> None:
    data = pickle.dumps(content, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_message(stream: IO[bytes]) -> Any:
    """The next message, or None at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        return None
    return pickle.loads(data)


def pickled(figure: Figure) -> bytes:
    """``figure`` as it is now, for a worker; hold its lock. Raises :class:`CannotOffload`."""
    try:
        return pickle.dumps(figure, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        raise CannotOffload(f"the figure cannot be pickled: {error}") from None


class _Worker:
    """One worker process, one save at a time."""

    def __init__(self) -> None:
        path = os.pathsep.join(entry for entry in sys.path if entry)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "webfig.rendering.save_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path, "MPLBACKEND": "agg"},
        )

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def save(self, request: dict[str, Any]) -> bytes:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        try:
            write_message(self._process.stdin, request)
            answer = read_message(self._process.stdout)
        except OSError as error:
            raise CannotOffload(f"the save worker went away: {error}") from None
        if answer is None:
            raise CannotOffload("the save worker went away")
        status, content = answer
        if status != "ok":
            raise CannotOffload(content)
        assert isinstance(content, bytes)
        return content

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()  # the worker ends when its input does
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


class SaveWorkers:
    """Worker processes, started when first needed and reused; thread-safe."""

    def __init__(self, max_workers: int = MAX_WORKERS) -> None:
        self._idle: list[_Worker] = []
        self._started = 0
        self._max = max_workers
        self._free = threading.Condition()

    def save(self, snapshot: bytes, fmt: str, dpi: float, **savefig_kwargs: Any) -> bytes:
        """The figure pickled in ``snapshot`` (see :func:`pickled`) as a file, saved by a
        worker; blocks. Raises :class:`CannotOffload`."""
        request = {
            "figure": snapshot,
            "format": fmt,
            "dpi": dpi,
            "savefig": savefig_kwargs,
            "rc": {k: v for k, v in mpl.rcParams.copy().items() if k not in _LOCAL_PARAMS},
            "fonts": sorted({font.fname for font in font_manager.fontManager.ttflist}),
        }
        worker = self._borrow()
        try:
            return worker.save(request)
        finally:
            self._give_back(worker)

    def _borrow(self) -> _Worker:
        with self._free:
            while not self._idle and self._started >= self._max:
                self._free.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return _Worker()
        except OSError as error:
            with self._free:
                self._started -= 1
                self._free.notify()
            raise CannotOffload(f"no save worker could start: {error}") from None

    def _give_back(self, worker: _Worker) -> None:
        with self._free:
            if worker.alive:
                self._idle.append(worker)
            else:
                self._started -= 1
            self._free.notify()

    def close(self) -> None:
        """End the idle workers (those saving end when they are given back)."""
        with self._free:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for worker in idle:
            worker.close()


_lock = threading.Lock()
_workers: SaveWorkers | None = None


def save_workers() -> SaveWorkers:
    """The process' save workers, created on first use, ended at exit."""
    global _workers  # noqa: PLW0603 - one set per process, created lazily
    with _lock:
        if _workers is None:
            _workers = SaveWorkers()
            atexit.register(_workers.close)
        return _workers
