"""Artists and builds that misbehave in a worker process on purpose, for the tests of
deadlines and of workers that end oddly (module-level, so that workers import them). In the
test's own process the artists draw nothing and harm nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from matplotlib.artist import Artist
from matplotlib.figure import Figure

from .pool_builders import sine

# Seconds a misbehaving worker goes on at most, should a test fail to end it.
LONGEST: float = 60.0


class _InWorkers(Artist):
    def __init__(self) -> None:
        super().__init__()
        self.home = os.getpid()

    def in_a_worker(self) -> bool:
        return os.getpid() != self.home


class HeldInWorkers(_InWorkers):
    """In a worker, draws once the file ``go`` exists; the file ``started`` says it began."""

    def __init__(self, started: Path, go: Path) -> None:
        super().__init__()
        self.started, self.go = str(started), str(go)

    def draw(self, renderer: object) -> None:
        if not self.in_a_worker():
            return
        Path(self.started).touch()
        deadline = time.monotonic() + LONGEST
        while not Path(self.go).exists() and time.monotonic() < deadline:
            time.sleep(0.01)


class KillsWorkers(_InWorkers):
    """Ends the worker that draws it (as running out of memory would); here, counts draws."""

    def __init__(self) -> None:
        super().__init__()
        self.draws_here = 0

    def draw(self, renderer: object) -> None:
        if self.in_a_worker():
            os._exit(3)
        self.draws_here += 1


def exiting_leaving_a_child(pid_file: str) -> Figure:
    """Ends the worker, leaving a process that inherited its end of the pipe and keeps it
    open: the pool reads no EOF. The child's pid goes in ``pid_file``."""
    child = subprocess.Popen(
        [sys.executable, "-c", f"import time; time.sleep({LONGEST})"], close_fds=False
    )
    Path(pid_file).write_text(str(child.pid))
    os._exit(5)


def outliving_the_pipe(frequency: float) -> Figure:
    """``sine(frequency)``, leaving the worker unable to exit when its pipe closes (a thread
    that is not a daemon goes on) and deaf to SIGTERM."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=time.sleep, args=(LONGEST,), name="keeps the worker").start()
    return sine(frequency)


class FailsToDraw(Artist):
    """Raises ``message``, here and in workers alike."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def draw(self, renderer: object) -> None:
        raise RuntimeError(self.message)
