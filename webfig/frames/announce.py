"""What a viewer is told along with its frames: the image mode before a standard frame whose
mode changed, and for a viewer that previews, the axes' geometry and the seq a frame
reflects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..wire import outgoing

if TYPE_CHECKING:
    from ..wire.interfaces import Viewer
    from .encoder import Frame
    from .viewer_state import Snapshot, ViewerState


def png_frame(viewer: Viewer, state: ViewerState, frame: Frame | None) -> bytes:
    """A standard frame, its image mode announced first when it changes."""
    if frame is None:
        return b""
    if state.image_mode != frame.kind:
        state.image_mode = frame.kind
        viewer.send_json(outgoing.image_mode(frame.kind))
    return frame.png


def announce_preview(
    viewer: Viewer, state: ViewerState, current: Snapshot, *, framed: bool
) -> None:
    """Before a previewing viewer's frame of ``current``: the geometry if it changed, then
    the seq the frame reflects. Without a frame, only a seq it was not told yet."""
    seq = current.seqs.get(viewer, -1)
    if framed:
        if current.geometry is not None and current.geometry != state.sent_geometry:
            viewer.send_json(outgoing.preview_geometry(current.geometry))
            state.sent_geometry = current.geometry
    elif seq <= state.sent_seq:
        return
    viewer.send_json(outgoing.frame_seq(seq, frame=framed))
    state.sent_seq = seq
