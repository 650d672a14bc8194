"""The subplot tool: a figure's subplot parameters, shown and changed from its viewers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ..runtime.log_once import ProblemLog
from ..wire import outgoing
from ..wire.incoming import SUBPLOT_PARAMS
from ..wire.outgoing import Message

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_log = logging.getLogger(__name__)

Send = Callable[[Message], None]
Params = Mapping[str, float]


class SubplotTool:
    """One figure's subplot tool, whichever toolbar opens it (Qt and Tk offer the same).

    ``open`` shows the parameters to the viewer that asked (``reply``); every change reaches
    every viewer (``broadcast``), so all open panels follow the figure. Reset goes back to
    the parameters the figure had when the tool first opened. Call it on the figure's
    thread, holding the canvas' lock (it changes the figure).
    """

    def __init__(self, figure: Figure, reply: Send, broadcast: Send) -> None:
        self._figure = figure
        self._reply = reply
        self._broadcast = broadcast
        self._initial: dict[str, float] | None = None
        self._refusals = ProblemLog(_log)

    def params(self) -> dict[str, float]:
        subplotpars = self._figure.subplotpars
        return {name: float(getattr(subplotpars, name)) for name in SUBPLOT_PARAMS}

    def open(self) -> None:
        if not self._adjustable():
            self._reply(outgoing.status("This figure's layout engine places its subplots"))
            return
        if self._initial is None:
            self._initial = self.params()
        self._reply(outgoing.subplot_params(self.params(), open_tool=True))

    def adjust(self, params: Params) -> None:
        """Set the parameters (all six, checked: left below right, bottom below top)."""
        if not self._adjustable():
            # A viewer's panel opened before the script set a layout engine, say: once.
            self._refusals.report(
                "layout engine", "ignored subplots_adjust: a layout engine places the subplots"
            )
            return
        if self._initial is None:
            self._initial = self.params()
        self._figure.subplots_adjust(**params)
        self._broadcast(outgoing.subplot_params(self.params(), open_tool=False))
        self._figure.canvas.draw_idle()

    def reset(self) -> None:
        if self._initial is not None:
            self.adjust(self._initial)

    def _adjustable(self) -> bool:
        engine = self._figure.get_layout_engine()
        return engine is None or engine.adjust_compatible
