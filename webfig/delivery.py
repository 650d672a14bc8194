"""Frame delivery: which viewer gets which frame, when, encoded where.

Each render is published as a :class:`Snapshot`. Every viewer remembers the snapshot it was
last sent and has at most :data:`WINDOW` frames unacknowledged; a viewer that lags behind gets
one frame from what it has to the newest snapshot, never a backlog. Viewers that have the same
snapshot and speak the same frame format share one encode, so with viewers that keep up each
change is encoded once. Encoding runs on a small thread pool, off the event loop; everything
else here runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from . import outgoing
from .frames import (
    Frame,
    FrameKind,
    Pixels,
    Tile,
    changed_rects,
    encode_frame,
    encode_png,
    encode_tile,
    pack_rect_frame,
)
from .interfaces import Viewer
from .regions import SavedRegion

_log = logging.getLogger(__name__)

T = TypeVar("T")

# Frames a viewer may have unacknowledged: two, so a frame encodes while the last one paints.
WINDOW: Final = 2
# Saved regions a viewer keeps at most (one per blitted axes is typical).
REGION_SLOTS: Final = 8

Format = Literal["png", "rect"]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One rendered image of the figure; shared, never modified."""

    pixels: Pixels
    # The region a blit restored just before this snapshot, if any.
    restored: SavedRegion | None = None

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
    encoding: bool = False
    # The image mode last announced with ``image_mode`` (png viewers only).
    image_mode: FrameKind | None = None
    extensions: frozenset[str] = field(default_factory=frozenset)
    # Saved regions the viewer keeps (rect viewers only): region id to slot, oldest first.
    regions: OrderedDict[int, int] = field(default_factory=OrderedDict)
    # The device pixel ratio of the viewer's screen, once it said.
    pixel_ratio: float | None = None

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
        """It asked for frames, none is encoding for it, and its window has room."""
        return self.ready and not self.encoding and self.in_flight < WINDOW

    @property
    def can_take_render(self) -> bool:
        return self.ready and self.in_flight + self.encoding < WINDOW

    def wants_frame(self, current: Snapshot) -> bool:
        return self.can_take_frame and (self.needs_full or self.shown is not current)


class FrameDelivery:
    """Delivers one figure's snapshots to its viewers; call it on the event loop only."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pool: Executor,
        on_capacity: Callable[[], None] = lambda: None,
    ) -> None:
        """``on_capacity`` is called when a viewer can take a frame again."""
        self._loop = loop
        self._pool = pool
        self._on_capacity = on_capacity
        self._viewers: dict[Viewer, ViewerState] = {}
        self._current: Snapshot | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.frames_sent = 0

    @property
    def current(self) -> Snapshot | None:
        return self._current

    def __len__(self) -> int:
        return len(self._viewers)

    def viewers(self) -> list[Viewer]:
        return list(self._viewers)

    def states(self) -> list[ViewerState]:
        return list(self._viewers.values())

    def wants_render(self) -> bool:
        """Whether some viewer could take a new frame once those it has coming are through:
        worth drawing one for now, so that the draw overlaps their encode and travel."""
        return any(state.can_take_render for state in self._viewers.values())

    def state(self, viewer: Viewer) -> ViewerState | None:
        return self._viewers.get(viewer)

    def add(self, viewer: Viewer) -> None:
        self._viewers[viewer] = ViewerState()

    def remove(self, viewer: Viewer) -> None:
        self._viewers.pop(viewer, None)

    def clear(self) -> None:
        self._viewers.clear()

    def request_full(self, viewer: Viewer, *, newer_coming: bool = False) -> None:
        """``viewer`` wants a full frame (and frames at all, from now on). With
        ``newer_coming`` it gets the next snapshot, not the current one."""
        state = self._viewers[viewer]
        state.ready = True
        state.needs_full = True
        if newer_coming:
            self._on_capacity()
        else:
            self._room_made()

    def invalidate_all(self) -> None:
        """Every viewer needs a full frame (the size or pixel ratio changed)."""
        for state in self._viewers.values():
            state.needs_full = True

    def acknowledge(self, viewer: Viewer) -> None:
        state = self._viewers.get(viewer)
        if state is not None and state.in_flight > 0:
            state.in_flight -= 1
            self._room_made()

    def publish(self, pixels: Pixels, restored: SavedRegion | None = None) -> None:
        """A new render (``restored``: the region a blit restored before it, if any);
        viewers that can take a frame get one."""
        self._current = Snapshot(pixels, restored)
        self.pump()

    def _room_made(self) -> None:
        """A viewer can take a frame again: send what there is, and let a render follow."""
        self.pump()
        self._on_capacity()

    def pump(self) -> None:
        """Start an encode for every group of viewers that can take a frame now."""
        current = self._current
        if current is None:
            return
        # Viewers grouped by the snapshot they have (None: they need a full frame) and format.
        groups: dict[tuple[Snapshot | None, Format], list[Viewer]] = {}
        for viewer, state in self._viewers.items():
            if state.wants_frame(current):
                previous = None if state.needs_full else state.shown
                groups.setdefault((previous, state.format), []).append(viewer)
        for (previous, fmt), viewers in groups.items():
            for viewer in viewers:
                self._viewers[viewer].encoding = True
            task = self._loop.create_task(self._deliver(viewers, fmt, previous, current))
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("encoding a frame failed", exc_info=task.exception())

    async def _deliver(
        self, viewers: list[Viewer], fmt: Format, previous: Snapshot | None, current: Snapshot
    ) -> None:
        """Encode one frame for a group of viewers that have the same snapshot, and send it.

        (Any of them may leave while it encodes; the frame goes to those still here.)
        """
        try:
            if fmt == "rect":
                await self._deliver_rects(viewers, previous, current)
            else:
                before = previous.pixels if previous else None
                frame = await self._run(encode_frame, before, current.pixels)
                self._send(viewers, current, lambda viewer, state: _send_png(viewer, state, frame))
        finally:
            for viewer in viewers:
                if (state := self._viewers.get(viewer)) is not None:
                    state.encoding = False
            self._room_made()

    async def _deliver_rects(
        self, viewers: list[Viewer], previous: Snapshot | None, current: Snapshot
    ) -> None:
        """Rect frames: the changed tiles, after restoring the blit background if there was
        one. Tiles are computed against the viewer's picture with that region restored, so
        a blit animation's frames carry only what was drawn over the background."""
        full = previous is None or previous.size != current.size
        before = None if full or previous is None else previous.pixels
        region = current.restored
        if before is None or region is None or not region.fits(current.size):
            region = None
        else:
            before = await self._run(_with_region, before, region)
            if region.image is None:
                region.image = await self._run(encode_png, region.pixels)
        rects = await self._run(changed_rects, before, current.pixels)
        tiles = await asyncio.gather(
            *(self._run(encode_tile, before, current.pixels, rect) for rect in rects)
        )

        # Viewers that keep the region in the same slot get the very same message.
        messages: dict[tuple[tuple[str, int], ...], bytes] = {}

        def send(viewer: Viewer, state: ViewerState) -> bool:
            steps: list[Tile] = []
            if region is not None:
                slot, new = state.slot_for(region)
                if new:
                    steps.append(Tile(region.rect, "store", region.image or b"", slot))
                steps.append(Tile(region.rect, "restore", slot=slot))
            if not steps and not tiles:
                return False
            key = tuple((step.kind, step.slot) for step in steps)
            if key not in messages:
                messages[key] = pack_rect_frame(current.size, steps + tiles, full=full)
            viewer.send_binary(messages[key])
            return True

        self._send(viewers, current, send)

    def _send(
        self,
        viewers: list[Viewer],
        current: Snapshot,
        send: Callable[[Viewer, ViewerState], bool],
    ) -> None:
        """Send each viewer still here its frame; it has ``current`` from now on."""
        for viewer in viewers:
            state = self._viewers.get(viewer)
            if state is None:
                continue  # it left while its frame was encoding
            if send(viewer, state):
                state.in_flight += 1
                self.frames_sent += 1
            state.shown = current
            state.needs_full = False

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await self._loop.run_in_executor(self._pool, function, *args)


def _send_png(viewer: Viewer, state: ViewerState, frame: Frame | None) -> bool:
    """Send a standard frame, announcing its image mode first when it changes."""
    if frame is None:
        return False
    if state.image_mode != frame.kind:
        state.image_mode = frame.kind
        viewer.send_json(outgoing.image_mode(frame.kind))
    viewer.send_binary(frame.png)
    return True


def _with_region(pixels: Pixels, region: SavedRegion) -> Pixels:
    """``pixels`` with ``region`` restored into a copy: what a viewer has after restoring."""
    restored = pixels.copy()
    region.rect.of(restored)[...] = region.pixels
    return restored
