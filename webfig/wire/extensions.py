"""The protocol's version and its extensions (``docs/protocol.md``, "Extensions"): their
names, the ones the server speaks, and which of them a viewer gets."""

from __future__ import annotations

from typing import Final

PROTOCOL_VERSION: Final = 1
# Frames that carry only the changed rectangles (see webfig.frames.encoder).
RECT_FRAMES: Final = "rect_frames"
# The server answers each motion_notify, so a client keeps at most one in flight.
MOTION_ACK: Final = "motion_ack"
# Lossy tiles while the link limits the frame rate (with rect frames only).
LOSSY_FRAMES: Final = "lossy_frames"
# The client previews pans and zooms itself: the server tells it the axes' geometry and which
# pointer message each frame reflects (with rect frames only).
PREVIEW: Final = "preview"
# The server sends a heartbeat every few seconds: a client that hears nothing for a while
# knows the path died.
HEARTBEAT: Final = "heartbeat"
# The client says when its page is hidden (a background tab): it gets no frames meanwhile,
# and the picture as it is then once it is shown again.
VISIBILITY: Final = "visibility"
# The server sends the figure's text alternative (titles, axes, what it holds) whenever it
# changes, for the page to give assistive technology.
DESCRIPTION: Final = "description"
# The client sends a two-finger pinch as one message, which the server applies as one view
# change.
PINCH: Final = "pinch"
# Every extension the server speaks.
SUPPORTED_EXTENSIONS: Final = frozenset(
    {
        RECT_FRAMES,
        MOTION_ACK,
        LOSSY_FRAMES,
        PREVIEW,
        HEARTBEAT,
        VISIBILITY,
        DESCRIPTION,
        PINCH,
    }
)
# Extensions that only come with rect frames.
NEED_RECT_FRAMES: Final = frozenset({LOSSY_FRAMES, PREVIEW})


def accepted_extensions(
    asked: tuple[str, ...], *, lossy: bool = True, preview: bool = True
) -> frozenset[str]:
    """The extensions of ``asked`` that the server speaks: those it knows, less lossy frames
    and the preview when the settings turn them off, or without rect frames."""
    accepted = set(asked) & SUPPORTED_EXTENSIONS
    if RECT_FRAMES not in accepted:
        accepted -= NEED_RECT_FRAMES
    if not lossy:
        accepted.discard(LOSSY_FRAMES)
    if not preview:
        accepted.discard(PREVIEW)
    return frozenset(accepted)
