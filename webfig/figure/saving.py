"""A figure saved for a download: in a worker process when it can travel, here otherwise.

matplotlib draws one figure at a time in a process (``Figure.draw`` holds a lock that every
figure shares), so a PDF of a 100 000-point scatter saved in the server's process would stop
every other figure's frames for seconds. A download instead sends a pickle of the figure to
the download pool's worker processes (a :class:`~webfig.rendering.process_pool.ProcessPool`),
with this process' rcParams and fonts, and the worker saves it on another core.

A save in a worker has a deadline, ``save_timeout`` (``WEBFIG_SAVE_TIMEOUT``, 60 s by
default): past it the worker is stopped, a new one takes its place, and the save raises
:class:`~webfig.rendering.process_pool.RenderTimeout`. It is not tried here: that would
take as long, and hold the figure's lock all the while.

A figure that cannot travel (a formatter that is a lambda; an artist class defined in the
script's ``__main__``, which a download's worker never imports, so that it never runs the
script) is saved in this process as before, and so is one whose save raised in the worker:
what the user gets never depends on whether the worker could help. Not one whose worker
died (:class:`~webfig.rendering.process_pool.WorkerCrashed`): a save that killed a process,
out of memory say, would kill this one too.

A save in this process has no deadline. Nothing can stop it (a thread cannot be killed, and
matplotlib's draw cannot be interrupted), and giving up on it would free nothing: it holds
the figure's lock, so the figure's frames wait for it either way, and the download's thread
until it ends. Only figures that cannot travel get here, their size is bounded as every
download's is (``?dpi=`` at most 16384 px a side), and repeat requests for the same file
wait for the one save. Nor has the wait for the figure's lock before a save (which a draw,
or the script, may hold) a deadline.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from typing import Final

import matplotlib as mpl

from ..config import current_settings
from ..rendering.process_pool import ProcessPool, RenderTimeout, WorkerCrashed, job_payload
from ..rendering.render import file_dpi, render
from ..wire.interfaces import DownloadOptions
from .drawable import Drawable

_log = logging.getLogger(__name__)

# Worker processes for downloads: saves beyond that wait for one to be free.
DOWNLOAD_PROCESSES: Final = 2


_lock = threading.Lock()
_processes: ProcessPool | None = None


def download_processes() -> ProcessPool:
    """The process' download workers, started on first use, stopped at exit."""
    global _processes  # noqa: PLW0603 - one pool per process, created lazily
    with _lock:
        if _processes is None:
            _processes = ProcessPool(
                DOWNLOAD_PROCESSES, name="the download pool", import_main=False, warm_up=False
            )
        return _processes


def save_figure(
    canvas: Drawable,
    fmt: str,
    options: DownloadOptions,
    redraw: Callable[[], None],
    *,
    timeout: float | None = None,
) -> bytes:
    """``canvas``' figure as a file in ``fmt``; blocks, so call it off the event loop.

    The figure is pickled holding the canvas' lock and saved by a worker process within
    ``timeout`` seconds (None: the ``save_timeout`` setting; past it, :class:`RenderTimeout`),
    so that a slow save stops no other figure; a figure that cannot be saved there is saved
    here, holding the lock, with no deadline (see the module's docstring). ``redraw`` asks
    for the viewers' picture again, unchanged (a save here draws Agg's buffer at the file's
    dpi); the figure's revision stays as it was.
    """
    if timeout is None:
        timeout = current_settings().save_timeout
    figure = canvas.figure
    savefig_kwargs = options.savefig_kwargs()
    with canvas.lock:
        dpi = file_dpi(figure, options.dpi)
        try:
            job: bytes | None = job_payload(figure, (), fmt, dpi, savefig_kwargs)
        except Exception as error:
            job, reason = None, f"the figure cannot be pickled: {error}"
        if job is not None and figure.stale:
            # The file shows the figure as it is: its revision (which counted the change)
            # stays until it changes again, and viewers get the change drawn.
            figure.stale = False
            redraw()
    if job is not None:
        name = f"the save of figure {figure.number} as {fmt}"
        try:
            return download_processes().submit(job, name, timeout).result()
        except (RenderTimeout, WorkerCrashed):
            raise
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
    _log.debug("saving figure %s in the server's process: %s", figure.number, reason)
    try:
        with canvas.lock:
            body = render(figure, fmt, dpi, **savefig_kwargs)
            # savefig puts the figure's colours back as it found them, which marks the
            # figure stale; it is not (a stale figure would change the revision).
            figure.stale = False
        return body
    finally:
        redraw()


def download_formats(canvas: Drawable) -> dict[str, str]:
    """The formats ``canvas`` can save in on this machine, with their descriptions: its own,
    less pgf when there is no TeX to make it."""
    formats = dict(canvas.get_supported_filetypes())
    if shutil.which(mpl.rcParams["pgf.texsystem"]) is None:
        formats.pop("pgf", None)
    return formats
