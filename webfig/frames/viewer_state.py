"""What frame delivery knows of each viewer, and the snapshots it delivers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from ..wire.axes_geometry import Geometry
from ..wire.extensions import LOSSY_FRAMES, PREVIEW, RECT_FRAMES
from ..wire.interfaces import Viewer
from ..wire.outgoing import FrameKind
from .blit_regions import SavedRegion
from .encoder import Pixels
from .link_meter import LinkMeter

# Frames a viewer may have unacknowledged: two, so a frame encodes while the last one paints.
WINDOW: Final = 2
# Saved regions a viewer keeps at most (one per blitted axes is typical).
REGION_SLOTS: Final = 8

# The link limits a viewer's frames when a lossless frame takes longer to reach it (and be
# acknowledged) than the figure takes to draw, and longer than this many seconds (a display
# shows no more than 60 frames a second anyway).
MIN_LINK_LIMITED: Final = 1 / 30
# Frames smaller than this are never worth making lossy: they cross any usable link in a few
# tens of ms, and on a fast one the time a frame takes is the page painting it, which lossy
# frames do not make faster (a blit animation's frames are 7-15 kB).
MIN_LOSSY_BYTES: Final = 32_000

Format = Literal["png", "rect"]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One rendered image of the figure; shared, never modified."""

    pixels: Pixels
    # The region a blit restored just before this snapshot, if any.
    restored: SavedRegion | None = None
    # Seconds the render took: how fast frames could follow one another.
    render_time: float = 0.0
    # For each viewer that negotiated ``preview``, the seq of its last pointer message the
    # figure had handled when the render began (-1: none yet).
    seqs: Mapping[Viewer, int] = field(default_factory=dict)
    # The axes' geometry as drawn, when some viewer negotiated ``preview``.
    geometry: Geometry | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]


@dataclass(eq=False)
class ViewerState:
    """What delivery knows of one viewer."""

    format: Format = "png"
    # The viewer asked for frames (its first refresh or draw); until then it gets none.
    ready: bool = False
    # The next frame must be full (new viewer, refresh, new size or pixel ratio).
    needs_full: bool = True
    # The snapshot the viewer has (or will have, once its frames in flight arrive).
    shown: Snapshot | None = None
    in_flight: int = 0
    # It sent an ``ack`` once: from then on its acks, not the transport, free its window.
    acknowledges: bool = False
    encoding: bool = False
    # The image mode last announced with ``image_mode`` (png viewers only).
    image_mode: FrameKind | None = None
    extensions: frozenset[str] = field(default_factory=frozenset)
    # Saved regions the viewer keeps (rect viewers only): region id to slot, oldest first.
    regions: OrderedDict[int, int] = field(default_factory=OrderedDict)
    # The device pixel ratio of the viewer's screen, once it said.
    pixel_ratio: float | None = None
    # It may get lossy frames (``lossy_frames``) while its link limits the frame rate.
    lossy_allowed: bool = False
    # Its picture is a lossy version of ``shown``: the next lossless frame must be full.
    lossy_shown: bool = False
    link: LinkMeter = field(default_factory=LinkMeter)
    # For a viewer that previews (see ``preview``): the geometry it was last sent, and the
    # seq the last ``frame_seq`` told it.
    sent_geometry: Geometry | None = None
    sent_seq: int = -1
    # It was warned about a bad ``seq`` already (once per viewer is enough).
    seq_warned: bool = False
    # Its page is hidden (``visibility``): frames wait until it can be seen, and nothing is
    # drawn for it meanwhile.
    hidden: bool = False

    def negotiated(self, extensions: frozenset[str]) -> None:
        """The viewer speaks ``extensions`` (those the server accepted) from now on."""
        self.extensions = extensions
        self.format = "rect" if RECT_FRAMES in extensions else "png"
        self.lossy_allowed = LOSSY_FRAMES in extensions

    @property
    def preview(self) -> bool:
        """It previews pans and zooms itself (it negotiated ``preview``)."""
        return PREVIEW in self.extensions

    def slot_for(self, region: SavedRegion) -> tuple[int, bool]:
        """The slot that holds ``region`` on the viewer, and whether it must be stored first
        (then evicting the region used longest ago, if every slot is taken)."""
        if region.id in self.regions:
            self.regions.move_to_end(region.id)
            return self.regions[region.id], False
        if len(self.regions) < REGION_SLOTS:
            slot = len(self.regions)
        else:
            slot = self.regions.pop(next(iter(self.regions)))
        self.regions[region.id] = slot
        return slot, True

    @property
    def can_take_frame(self) -> bool:
        """It asked for frames, can show them, none is encoding for it, and its window has
        room."""
        return self.ready and not self.hidden and not self.encoding and self.in_flight < WINDOW

    @property
    def can_take_render(self) -> bool:
        """Worth drawing for: the viewer will have room for the frame by the time the draw
        is done. One snapshot ahead of the window, so that when an acknowledgement makes
        room, the next picture is already drawn and only needs encoding."""
        return self.ready and not self.hidden and self.in_flight + self.encoding <= WINDOW

    def wants_frame(self, current: Snapshot) -> bool:
        # A previewing viewer's frames come with their geometry: it waits for a render that
        # has one (one is on its way once it negotiated).
        if self.preview and current.geometry is None:
            return False
        return self.can_take_frame and (self.needs_full or self.shown is not current)

    def link_limited(self, current: Snapshot) -> bool:
        """Whether the viewer may get a lossy frame of ``current``: its link, not the draw,
        limits its frame rate."""
        if not self.lossy_allowed:
            return False
        if (self.link.lossless_bytes or 0) < MIN_LOSSY_BYTES:
            return False
        transfer = self.link.lossless_transfer_time()
        return transfer is not None and transfer > max(current.render_time, MIN_LINK_LIMITED)
