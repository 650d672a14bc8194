"""Which figures a server shows, and what a page needs to know of each."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import Protocol

import matplotlib as mpl
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureCanvasBase

from .manager import FigureManagerWebfig


class FigureRegistry(Protocol):
    """Where the server finds figures by number."""

    def get(self, num: int) -> FigureManagerWebfig | None: ...

    def managers(self) -> list[FigureManagerWebfig]: ...


class PyplotFigures:
    """pyplot's open figures that use the webfig backend."""

    def get(self, num: int) -> FigureManagerWebfig | None:
        # Gcf.get_fig_manager would also make the figure pyplot's current one: a viewer
        # opening a page must not change which figure the script draws on.
        manager = Gcf.figs.get(num)
        return manager if isinstance(manager, FigureManagerWebfig) else None

    def managers(self) -> list[FigureManagerWebfig]:
        return [
            manager
            for _, manager in sorted(list(Gcf.figs.items()))
            if isinstance(manager, FigureManagerWebfig)
        ]


def download_formats(canvas: FigureCanvasBase) -> dict[str, str]:
    """The formats a figure can be saved in on this machine, with their descriptions: the
    canvas' own, less pgf when there is no TeX to make it."""
    formats = dict(canvas.get_supported_filetypes())
    if shutil.which(mpl.rcParams["pgf.texsystem"]) is None:
        formats.pop("pgf", None)
    return formats


@dataclass(frozen=True)
class FigureInfo:
    """What a page shows of one figure before its socket connects."""

    num: int
    label: str
    width: float
    height: float
    socket_path: str
    download_path: str
    formats: list[str]
    default_format: str

    @classmethod
    def of(cls, manager: FigureManagerWebfig, prefix: str) -> FigureInfo:
        canvas = manager.canvas
        width, height = canvas.get_width_height()
        return cls(
            num=int(manager.num),
            label=manager.get_window_title(),
            width=width,
            height=height,
            socket_path=f"{prefix}/{manager.num}/ws",
            download_path=f"{prefix}/{manager.num}/download",
            formats=sorted(download_formats(canvas)),
            default_format=canvas.get_default_filetype(),
        )
