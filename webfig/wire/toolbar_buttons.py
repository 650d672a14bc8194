"""The buttons of matplotlib's navigation toolbar as a page shows them, and which a page shows
for each kind of toolbar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .incoming import ToolName


@dataclass(frozen=True)
class Tool:
    """A toolbar button as the page shows it."""

    name: ToolName
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


def page_tools(kind: str | None) -> tuple[Tool | None, ...]:
    """The buttons a page shows for a figure with toolbar ``kind``: matplotlib's navigation
    toolbar's; none for a ToolManager's (the page makes those from what the server says);
    only the download for a figure without a toolbar."""
    if kind == "toolbar2":
        return TOOLS
    return () if kind == "toolmanager" else tuple(t for t in TOOLS if t and t.name == "download")
