"""A viewer's checked message handed to its figure: the rules every transport applies.

A local viewer's websocket, a hub's relayed viewer and a notebook's view all come through
here, so a message the page could not have sent is refused the same way whichever way it
came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .incoming import ClientMessage, Command, TriggerTool
from .interfaces import ServedFigure


class Report(Protocol):
    """Where problems go: :meth:`webfig.runtime.log_once.ProblemLog.report`'s shape."""

    def __call__(self, kind: str, problem: str, /, *, exc_info: bool = False) -> None: ...


def deliver(
    figure: ServedFigure, message: ClientMessage, report: Report, handle: Callable[[], None]
) -> None:
    """Call ``handle`` (which hands ``message`` to ``figure``) unless the figure's page does
    not offer what the message asks for; report a refusal, or a failure of ``handle``.

    Security: a viewer may close only a figure the script could close with ``plt.close``
    (one whose page shows the close button), and trigger only the ToolManager tools on the
    figure's toolbar: a tool's name is no licence to run code, and the ToolManager's other
    tools (``quit_all`` closes every figure) are the script's.
    """
    if message == Command("close_figure") and not figure.closable:
        report("close_figure: not closable", "refused close_figure: not a pyplot figure")
        return
    if isinstance(message, TriggerTool) and not figure.has_tool(message.name):
        report(
            "trigger_tool: not on the toolbar",
            f"refused trigger_tool: {message.name[:60]!r} is not on the figure's toolbar",
        )
        return
    try:
        handle()
    except Exception as error:
        # matplotlib, or a callback of the script's, failed on a valid message (a zoom to a
        # rectangle of no width, say). As in desktop backends the figure and the viewer go
        # on; left to the transport, the connection would be dropped.
        name = type(message).__name__
        report(
            f"failed: {name}: {type(error).__name__}",
            f"handling a {name} message failed: {error!r}",
            exc_info=True,
        )
