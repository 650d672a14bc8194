"""A figure saved for a download: in a worker process when it can travel, here otherwise."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

import matplotlib as mpl

from ..rendering.offload import CannotOffload, pickled, save_workers
from ..rendering.render import file_dpi, render
from ..wire.interfaces import DownloadOptions

if TYPE_CHECKING:
    from .canvas import WebfigCanvas

_log = logging.getLogger(__name__)


def save_figure(
    canvas: WebfigCanvas, fmt: str, options: DownloadOptions, redraw: Callable[[], None]
) -> bytes:
    """``canvas``' figure as a file in ``fmt``; blocks, so call it off the event loop.

    The figure is pickled holding the canvas' lock and saved in a worker process (see
    :mod:`webfig.rendering.offload`), so that a slow save stops no other figure; a figure
    that cannot be saved there is saved here, holding the lock. ``redraw`` asks for the
    viewers' picture again, unchanged (a save here draws Agg's buffer at the file's dpi);
    the figure's revision stays as it was.
    """
    figure = canvas.figure
    savefig_kwargs = options.savefig_kwargs()
    with canvas.lock:
        dpi = file_dpi(figure, options.dpi)
        try:
            snapshot: bytes | None = pickled(figure)
        except CannotOffload as error:
            snapshot, reason = None, str(error)
        if snapshot is not None and figure.stale:
            # The file shows the figure as it is: its revision (which counted the change)
            # stays until it changes again, and viewers get the change drawn.
            figure.stale = False
            redraw()
    if snapshot is not None:
        try:
            return save_workers().save(snapshot, fmt, dpi, **savefig_kwargs)
        except CannotOffload as error:
            reason = str(error)
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


def download_formats(canvas: WebfigCanvas) -> dict[str, str]:
    """The formats ``canvas`` can save in on this machine, with their descriptions: its own,
    less pgf when there is no TeX to make it."""
    formats = dict(canvas.get_supported_filetypes())
    if shutil.which(mpl.rcParams["pgf.texsystem"]) is None:
        formats.pop("pgf", None)
    return formats
