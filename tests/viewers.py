"""A viewer that records what the figure manager sends it, for tests without a browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from webfig.frames.encoder import RECT_FRAME_MAGIC, Pixels

from .imaging import paint, paint_rect_frame
from .waiting import TIMEOUT


class RecordingViewer:
    """Implements the Viewer interface by keeping every message, in order."""

    def __init__(self, on_frame: Callable[[], object] | None = None) -> None:
        self.messages: list[dict[str, Any] | bytes] = []
        self.closed = False
        self._changed = threading.Condition()
        # Called after each frame, like a browser that acknowledges what it painted.
        self._on_frame = on_frame

    def send_json(self, content: Mapping[str, object]) -> None:
        self._add(dict(content))

    def send_binary(self, blob: bytes) -> None:
        self._add(blob)
        if self._on_frame is not None:
            self._on_frame()

    def figure_closed(self) -> None:
        self.closed = True
        self._add({"type": "figure_closed"})

    def reconnect(self) -> None:
        self._add({"type": "reconnect"})

    def _add(self, message: dict[str, Any] | bytes) -> None:
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any] | bytes], bool], *, after: int = 0
    ) -> dict[str, Any] | bytes:
        """The first message from index ``after`` on that matches, waiting for it.

        ``predicate`` runs without this viewer's lock: it may take the canvas' lock, which
        the server thread holds while it sends (a draw sets the cursor, say).
        """
        deadline = time.monotonic() + TIMEOUT
        while True:
            with self._changed:
                count = len(self.messages)
                messages = self.messages[after:]
            found = next((m for m in messages if predicate(m)), None)
            if found is not None:
                return found
            with self._changed:
                more = self._changed.wait_for(
                    lambda seen=count: len(self.messages) > seen, deadline - time.monotonic()
                )
            if not more:
                raise TimeoutError(f"no matching message; got {self.summary()}")

    def wait_for_json(self, type: str, *, after: int = 0) -> dict[str, Any]:
        message = self.wait_for(lambda m: isinstance(m, dict) and m["type"] == type, after=after)
        assert isinstance(message, dict)
        return message

    def wait_for_frame(self, *, after: int = 0) -> bytes:
        frame = self.wait_for(lambda m: isinstance(m, bytes), after=after)
        assert isinstance(frame, bytes)
        return frame

    def summary(self) -> list[object]:
        """The messages, with frames shortened to their size."""
        return [f"<frame of {len(m)} bytes>" if isinstance(m, bytes) else m for m in self.messages]

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if isinstance(m, dict) and m["type"] == type]

    def frames(self) -> list[bytes]:
        return [m for m in self.messages if isinstance(m, bytes)]

    def picture(self) -> Pixels:
        """What the viewer's canvas shows after painting every frame it got, in order."""
        canvas: Pixels | None = None
        mode = "full"
        regions: dict[int, Pixels] = {}
        for message in list(self.messages):
            if isinstance(message, bytes) and message.startswith(RECT_FRAME_MAGIC):
                canvas = paint_rect_frame(canvas, message, regions)
            elif isinstance(message, bytes):
                canvas = paint(canvas, mode, message)
            elif message["type"] == "image_mode":
                mode = message["mode"]
        assert canvas is not None, "no frame yet"
        return canvas

    def image_mode_of(self, frame: bytes) -> str:
        """The image mode in force when ``frame`` arrived."""
        index = next(i for i, m in enumerate(self.messages) if m is frame)
        modes = [
            m for m in self.messages[:index] if isinstance(m, dict) and m["type"] == "image_mode"
        ]
        return modes[-1]["mode"]
