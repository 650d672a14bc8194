"""The buttons of matplotlib's navigation toolbar as a page shows them, and which a page shows
for each kind of toolbar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from .incoming import ToolName

# Buttons the page runs by itself: no message names them (WebAgg's ``toolbar_button`` knows
# only ToolName's).
PageToolName: TypeAlias = Literal["copy"]


@dataclass(frozen=True)
class Tool:
    """A toolbar button as the page shows it."""

    name: ToolName | PageToolName
    tooltip: str
    icon: str


# ``None`` separates button groups.
TOOLS: Final[tuple[Tool | None, ...]] = (
    Tool("home", "Reset original view", "home.svg"),
    Tool("back", "Back to previous view", "back.svg"),
    Tool("forward", "Forward to next view", "forward.svg"),
    None,
    Tool(
        "pan",
        "Left button pans, right button zooms (x/y fixes axis, ctrl keeps aspect)",
        "move.svg",
    ),
    Tool("zoom", "Zoom to rectangle (x/y fixes axis)", "zoom.svg"),
    Tool("subplots", "Configure subplots", "subplots.svg"),
    None,
    Tool("download", "Download the figure", "download.svg"),
)
# The picture the page shows, put on the clipboard by the page (every kind of toolbar has it).
COPY: Final = Tool("copy", "Copy the figure to the clipboard (ctrl+c)", "copy.svg")


def page_tools(kind: str | None) -> tuple[Tool | None, ...]:
    """The buttons a page shows for a figure with toolbar ``kind``: matplotlib's navigation
    toolbar's; for a ToolManager's none of those (the page makes them from what the server
    says); only the download for a figure without a toolbar. Copy comes last, with every
    kind."""
    if kind == "toolbar2":
        return (*TOOLS, COPY)
    if kind == "toolmanager":
        return (COPY,)
    return (*(t for t in TOOLS if t and t.name == "download"), COPY)
