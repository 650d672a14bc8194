"""What one viewer's connection has not sent yet, kept bounded whatever the viewer does.

A viewer that stops reading (a stalled tab, a dead path not yet noticed) would have every
message queued for it in memory. Frames are bounded by flow control already; this bounds
the rest. Past HOLD_BYTES unsent, messages that only say a state (the status line, the
cursor, the title...) wait, the latest of each kind replacing the one before, and go out
once the connection catches up. Past MAX_UNSENT_BYTES the viewer is too far behind to be
worth waiting for: the socket closes it (it reconnects, and starts afresh).
"""

from __future__ import annotations

from typing import Final, Literal

# Message types whose latest message says all there is (states, not events).
COALESCED: Final = frozenset(
    {
        "message",
        "cursor",
        "figure_label",
        "history_buttons",
        "navigate_mode",
        "capture_scroll",
        "description",
    }
)
HOLD_BYTES: Final = 256 * 1024
MAX_UNSENT_BYTES: Final = 8 * 2**20

Verdict = Literal["send", "hold", "overflow"]


class Backlog:
    """The bytes handed to the connection and not yet sent, and the state messages held."""

    def __init__(self, hold_bytes: int = HOLD_BYTES, max_bytes: int = MAX_UNSENT_BYTES) -> None:
        self.hold_bytes = hold_bytes
        self.max_bytes = max_bytes
        self.unsent = 0
        self._held: dict[str, str] = {}

    @property
    def held(self) -> int:
        return len(self._held)

    def admit(self, kind: str | None, message: str | bytes) -> Verdict:
        """Whether to send ``message`` (of type ``kind``, if it is JSON) now, hold it, or
        give up on the viewer. A sent message counts as unsent until :meth:`sent`."""
        if kind in COALESCED and (self.unsent > self.hold_bytes or self._held):
            assert kind is not None
            # The latest goes to the back, so held messages keep the order of their latest.
            self._held.pop(kind, None)
            self._held[kind] = str(message)
            return "hold"
        if self.unsent + len(message) > self.max_bytes:
            return "overflow"
        self.unsent += len(message)
        return "send"

    def sent(self, size: int) -> list[str]:
        """``size`` bytes went out; the held messages to send now, if the connection caught
        up (they are not held again)."""
        self.unsent -= size
        if not self._held or self.unsent > self.hold_bytes:
            return []
        released = list(self._held.values())
        self._held.clear()
        return released
