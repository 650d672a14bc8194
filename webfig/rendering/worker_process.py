"""A worker process of a :class:`~webfig.rendering.process_pool.ProcessPool`.

    python -m webfig.rendering.worker_process FD

``FD`` is the worker's end of a socket pair (``multiprocessing.connection`` framing) that
the pool's process keeps the other end of; that process first sends how to find its
``__main__``. Then the worker warms up (matplotlib with Agg, and a tiny render, so that its
first job is no slower than the rest), says it is ready, and renders jobs one at a time
until the pipe closes. A job is (settings or None, payload): the rcParams and fonts, when
they changed (see :mod:`.job_settings`), and the pickled job, which ``job_payload``
describes.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import resource
import runpy
import signal
import sys
import traceback
import types
from multiprocessing.connection import Connection
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from .job_settings import WorkerSettings
from .render import render


class ScriptMain:
    """The sending process' ``__main__``, imported when a job first refers to it (as
    ``__mp_main__``, so that a script's ``if __name__ == "__main__":`` part does not run)."""

    def __init__(self, how: str, where: str) -> None:
        self._how, self._where = how, where
        self._module: types.ModuleType | None = None

    def module(self, wanted: str) -> types.ModuleType:
        if self._module is not None:
            return self._module
        if self._how == "none":
            raise pickle.UnpicklingError(
                f"{wanted} is defined in the script's __main__, which this worker does not"
                f" import: {self._where}"
            )
        module = types.ModuleType("__mp_main__")
        if self._how == "path":
            namespace = runpy.run_path(self._where, run_name="__mp_main__")
        else:
            namespace = runpy.run_module(self._where, run_name="__mp_main__", alter_sys=True)
        module.__dict__.update(namespace)
        sys.modules["__main__"] = sys.modules["__mp_main__"] = module
        self._module = module
        return module


class _Unpickler(pickle.Unpickler):
    """Finds what the sender's ``__main__`` defined in :class:`ScriptMain`."""

    def __init__(self, data: bytes, main: ScriptMain) -> None:
        super().__init__(io.BytesIO(data))
        self._main = main

    def find_class(self, module: str, name: str) -> Any:
        if module in {"__main__", "__mp_main__"}:
            return getattr(self._main.module(name), name)
        return super().find_class(module, name)


def _name(build: object) -> str:
    return f"{getattr(build, '__module__', '?')}.{getattr(build, '__qualname__', build)}"


class Worker:
    """What a worker keeps between jobs: the sender's settings, and its ``__main__``."""

    def __init__(self, main: ScriptMain) -> None:
        self.main = main
        self.settings = WorkerSettings()

    def run(self, payload: bytes) -> bytes:
        """The file a job's payload renders, made with the sender's rcParams."""
        with self.settings.applied():
            subject, args, fmt, dpi, savefig = _Unpickler(payload, self.main).load()
            figure = subject if isinstance(subject, Figure) else subject(*args)
            if not isinstance(figure, Figure):
                raise TypeError(f"{_name(subject)} returned {type(figure)!r}, not a Figure")
            try:
                return render(figure, fmt, dpi, **savefig)
            finally:
                # Unpickling a pyplot figure registered it with pyplot here.
                if (pyplot := sys.modules.get("matplotlib.pyplot")) is not None:
                    pyplot.close(figure)


def _warm_up() -> None:
    """Fonts and Agg's first-draw caches load now, not in the first job."""
    figure = Figure(figsize=(2, 1.5), dpi=50)
    figure.add_subplot().scatter([0, 1, 2], [1, 0, 1])
    render(figure, "png")


def serve(conn: Connection) -> None:
    worker = Worker(ScriptMain(*conn.recv()))
    _warm_up()
    conn.send(("ready", None))
    while True:
        settings, payload = conn.recv()
        if settings is not None:
            worker.settings.take(settings)
        try:
            reply: tuple[str, object] = ("ok", worker.run(payload))
        except Exception as exc:  # (SystemExit ends the worker: the parent sees a crash)
            text = "".join(traceback.format_exception(exc))
            try:
                reply = ("error", (pickle.dumps(exc, protocol=5), text))
            except Exception:
                reply = ("error", (b"", text))
        conn.send(reply)


def main() -> None:
    """``python -m webfig.rendering.worker_process FD [MEMORY_LIMIT]``: serve the parent on
    the socket FD, within MEMORY_LIMIT bytes of address space if given."""
    # Ctrl-C reaches the whole process group; the parent decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if len(sys.argv) > 2:
        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    mpl.use("agg")
    with Connection(int(sys.argv[1])) as conn, contextlib.suppress(EOFError, OSError):
        serve(conn)  # until the parent closes the pipe, or dies


if __name__ == "__main__":
    main()
