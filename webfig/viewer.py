"""What the backend knows of a viewer: somewhere to send messages and frames.

The figure manager talks to viewers only through this interface, never to Tornado, so the
backend can be driven by any transport (and by plain objects in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Viewer(Protocol):
    """One browser view of one figure."""

    def send_json(self, content: Mapping[str, object]) -> None:
        """Send one JSON message. May be called from any thread."""

    def send_binary(self, blob: bytes) -> None:
        """Send one binary frame. May be called from any thread."""

    def figure_closed(self) -> None:
        """The figure is gone: tell the viewer so and end the connection. On the event loop."""
