"""Which figures a server shows, and what a page needs to know of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from matplotlib._pylab_helpers import Gcf

from ..wire.interfaces import ServedFigure


class FigureRegistry(Protocol):
    """Where the server finds figures by number."""

    def get(self, num: int) -> ServedFigure | None: ...

    def figures(self) -> list[ServedFigure]:
        """Every figure, in number order."""


class PyplotFigures:
    """pyplot's open figures that webfig can serve (those of the webfig backend)."""

    def get(self, num: int) -> ServedFigure | None:
        # Gcf.get_fig_manager would also make the figure pyplot's current one: a viewer
        # opening a page must not change which figure the script draws on.
        manager = Gcf.figs.get(num)
        return manager if isinstance(manager, ServedFigure) else None

    def figures(self) -> list[ServedFigure]:
        return [
            manager
            for _, manager in sorted(list(Gcf.figs.items()))
            if isinstance(manager, ServedFigure)
        ]


class FixedFigures:
    """A given list of figures, none pyplot's (a hub's worker serves one so)."""

    def __init__(self, figures: list[ServedFigure]) -> None:
        self._figures = {figure.number: figure for figure in figures}

    def get(self, num: int) -> ServedFigure | None:
        return self._figures.get(num)

    def figures(self) -> list[ServedFigure]:
        return [self._figures[num] for num in sorted(self._figures)]


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
    closable: bool
    toolbar_kind: str | None

    @classmethod
    def of(cls, figure: ServedFigure, prefix: str) -> FigureInfo:
        width, height = figure.size
        return cls(
            num=figure.number,
            label=figure.title,
            width=width,
            height=height,
            socket_path=f"{prefix}/{figure.number}/ws",
            download_path=f"{prefix}/{figure.number}/download",
            formats=sorted(figure.download_formats()),
            default_format=figure.default_format,
            closable=figure.closable,
            toolbar_kind=figure.toolbar_kind,
        )
