"""What one viewer's connection can carry, measured from its own frames.

Every frame sent is timed until the viewer acknowledges it. A frame sent while an earlier one
was still on its way starts when that one was acknowledged (the link was busy until then), so
on a saturated link each sample is a frame's own transfer time; on an idle one it includes the
round trip, which only makes the estimate careful.

Acknowledgements come in order, so each is the oldest timed frame's. The meter times at most
:data:`MAX_TIMED` frames: more than flow control ever lets an acknowledging viewer have on its
way, so a viewer that never acknowledges (flow control goes by the transport then) costs a
few entries, not one per frame for ever. A refresh starts the timing afresh (:meth:`restart`):
the viewer's acknowledgements of frames from before it are lost or meaningless.
"""

from __future__ import annotations

from collections import deque
from typing import Final

# Weight of the newest sample in the running estimates.
SMOOTHING: Final = 0.3
# Frames timed at most (the oldest are forgotten): a few times a viewer's window.
MAX_TIMED: Final = 8


class LinkMeter:
    """Bytes per second of one viewer's frames, and their usual size; pure bookkeeping, given the
    times (seconds, any monotonic clock)."""

    def __init__(self) -> None:
        # Frames sent and not yet acknowledged, the newest MAX_TIMED: when, and how many bytes.
        self._unacknowledged: deque[tuple[float, int]] = deque(maxlen=MAX_TIMED)
        self._last_acknowledged: float | None = None
        self.bandwidth: float | None = None
        self.lossless_bytes: float | None = None

    def sent(self, size: int, now: float, *, usual: bool = True) -> None:
        """A frame of ``size`` bytes left for the viewer; ``usual``: a lossless frame of the
        changes, which ``lossless_bytes`` follows (not a full or lossy one)."""
        self._unacknowledged.append((now, size))
        if usual:
            self.lossless_bytes = _smooth(self.lossless_bytes, size)

    @property
    def timed(self) -> int:
        """Frames sent that wait for their acknowledgement."""
        return len(self._unacknowledged)

    def restart(self) -> None:
        """The viewer starts afresh (a refresh): the frames sent so far are no longer timed,
        so the next acknowledgement is paired with the next frame. What is known of the link
        stays."""
        self._unacknowledged.clear()
        self._last_acknowledged = None

    def acknowledged(self, now: float) -> None:
        """The viewer acknowledged its oldest frame."""
        if not self._unacknowledged:
            return
        sent_at, size = self._unacknowledged.popleft()
        started = sent_at
        if self._last_acknowledged is not None:
            started = max(started, self._last_acknowledged)
        self._last_acknowledged = now
        # A clock that did not move says nothing of the link.
        if now > started:
            self.bandwidth = _smooth(self.bandwidth, size / (now - started))

    def lossless_transfer_time(self) -> float | None:
        """Seconds a lossless frame of the usual size takes to reach the viewer, if known."""
        if self.bandwidth is None or self.lossless_bytes is None:
            return None
        return self.lossless_bytes / self.bandwidth


def _smooth(estimate: float | None, sample: float) -> float:
    return sample if estimate is None else estimate + SMOOTHING * (sample - estimate)
