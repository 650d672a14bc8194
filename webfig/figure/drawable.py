"""What drawing or saving a figure off the script's thread needs of its canvas.

Render scheduling and saving know a canvas only as a :class:`Drawable`, so neither depends on
the canvas module (which knows its manager only as a
:class:`~webfig.figure.canvas.CanvasOwner`): the figure's pieces meet at small interfaces.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from matplotlib.figure import Figure

from ..frames.encoder import Pixels
from ..runtime.figure_thread import FigureThread


class Drawable(Protocol):
    """A canvas as render scheduling and saving see it."""

    @property
    def figure(self) -> Figure: ...

    @property
    def lock(self) -> AbstractContextManager[bool]:
        """Held while anything draws, reads or changes the figure."""

    @property
    def figure_thread(self) -> FigureThread:
        """Where the figure's work runs, one job at a time."""

    def render_agg(self) -> None:
        """Draw the figure into Agg's buffer."""

    def pixels(self) -> Pixels:
        """A copy of what Agg last drew."""

    def get_supported_filetypes(self) -> dict[str, str]: ...
