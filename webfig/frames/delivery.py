"""Frame delivery: which viewer gets which frame, when, encoded where.

Each render is published as a :class:`Snapshot`. Every viewer remembers the snapshot it was
last sent and has at most :data:`WINDOW` frames unacknowledged (or, for a client that never
acknowledges, not yet handed to the network); a viewer that lags behind gets one frame from
what it has to the newest snapshot, never a backlog. Viewers that have the same snapshot and
speak the same frame format share one encode, so with viewers that keep up each change is
encoded once. Encoding runs on a small thread pool, off the event loop; everything else here
runs on the loop.

Viewers that negotiated ``lossy_frames`` (webfig's own client) get cheaper, lossy tiles while
the figure keeps changing (a drag, an animation) and their link, not the draw, is what limits
the frame rate: a lossless frame of the usual size would take longer to reach them than the
figure takes to draw. Once the changes stop (:data:`SETTLE`), such a viewer gets a full
lossless frame, so the picture it is left with is always exactly Agg's.

Viewers that negotiated ``preview`` get, right before each frame, the axes' geometry when it
differs from what they were last sent, and the seq of their last pointer message the frame
reflects; a snapshot that reflects a newer seq but leaves their picture as it was gets them
that seq alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Final, TypeVar

from ..wire import outgoing
from ..wire.axes_geometry import Geometry
from ..wire.interfaces import Viewer
from .blit_regions import SavedRegion
from .encode_retries import EncodeFailures
from .encoder import (
    Frame,
    Pixels,
    Tile,
    encode_changes,
    encode_frame,
    encode_lossy_changes,
    encode_png,
    pack_rect_frame,
)
from .viewer_state import Format, Snapshot, ViewerState

_log = logging.getLogger(__name__)

T = TypeVar("T")

# Two changes less than this many seconds apart are motion (a drag, an animation); a heavy
# figure may take a good part of it to draw each step.
MOTION_GAP: Final = 0.25
# Motion has stopped after no change for this long, or for one and a half times the last gap
# between changes if that is longer (a figure that draws slowly changes slowly): viewers whose
# picture is lossy get a lossless one then.
SETTLE: Final = 0.1
# Changes closer than this are one (a pan step asks for a draw per axis limit).
SAME_CHANGE: Final = 0.005


class FrameDelivery:
    """Delivers one figure's snapshots to its viewers; call it on the event loop only (but see
    :meth:`wants_render`)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pool: Executor,
        on_capacity: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``on_capacity`` is called when a viewer can take a frame again; ``clock`` times
        links and motion."""
        self._loop = loop
        self._pool = pool
        self._on_capacity = on_capacity
        self._clock = clock
        # When the figure last changed, and how long after the change before that.
        self._last_change = -float("inf")
        self._change_gap = float("inf")
        self._settle_handle: asyncio.TimerHandle | None = None
        self._viewers: dict[Viewer, ViewerState] = {}
        self._current: Snapshot | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.frames_sent = 0
        self._failures = EncodeFailures(loop, self._room_made)

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
        worth drawing one for now, so that the draw overlaps their encode and travel.

        The one call that may come from another thread (the figure's thread): it only reads,
        from a copy of the viewers, and whatever changes after it calls ``on_capacity``.
        """
        return any(state.can_take_render for state in list(self._viewers.values()))

    def state(self, viewer: Viewer) -> ViewerState | None:
        return self._viewers.get(viewer)

    def add(self, viewer: Viewer) -> None:
        self._viewers[viewer] = ViewerState()

    def remove(self, viewer: Viewer) -> None:
        self._viewers.pop(viewer, None)

    def clear(self) -> None:
        self._viewers.clear()
        self._failures.cancel()

    def if_present(self, viewer: Viewer, callback: Callable[[], None]) -> None:
        """``callback()``, unless ``viewer`` left: work queued for a viewer can outlive it
        (a refresh waits for the figure's pending work), and its state went with it."""
        if viewer in self._viewers:
            callback()

    def request_full(self, viewer: Viewer, *, newer_coming: bool = False) -> None:
        """``viewer`` wants a full frame (and frames at all, from now on). With
        ``newer_coming`` it gets the next snapshot, not the current one."""
        state = self._viewers[viewer]
        state.ready = True
        state.needs_full = True
        # A fresh start: acknowledgements lost on the way (a client that reloaded its
        # picture) hold nothing up any more, and the link is timed from the next frame on.
        state.in_flight = 0
        state.link.restart()
        if newer_coming:
            self._on_capacity()
        else:
            self._room_made()

    def set_hidden(self, viewer: Viewer, hidden: bool, *, newer_coming: bool = False) -> None:
        """``viewer``'s page was hidden, or shown again: then it gets the picture as it is
        now, a frame from the one it has. With ``newer_coming`` (the figure changed while no
        viewer could take a render) that is the next snapshot, not the current one."""
        state = self._viewers.get(viewer)
        if state is None or state.hidden == hidden:
            return
        state.hidden = hidden
        if hidden:
            return
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
        if state is None:
            return
        state.acknowledges = True
        if state.in_flight > 0:
            state.in_flight -= 1
            state.link.acknowledged(self._clock())
            self._room_made()

    def written(self, viewer: Viewer) -> None:
        """One of ``viewer``'s frames went out to the network. A viewer that never sent an
        ``ack`` (WebAgg's protocol makes it optional) is paced by this: it gets a frame per
        change while its connection takes them, and none piles up once it stops reading."""
        state = self._viewers.get(viewer)
        if state is not None and not state.acknowledges and state.in_flight > 0:
            state.in_flight -= 1
            self._room_made()

    def note_change(self) -> None:
        """The figure changed (a render is coming), or a viewer drags over it; from any
        thread. Changes in quick succession are motion, which lossy frames may follow. One
        step's changes (a pan sets both limits) count once."""
        now = self._clock()
        if now - self._last_change >= SAME_CHANGE:
            self._change_gap = now - self._last_change
        self._last_change = now

    def publish(
        self,
        pixels: Pixels,
        restored: SavedRegion | None = None,
        render_time: float = 0.0,
        *,
        seqs: Mapping[Viewer, int] | None = None,
        geometry: Geometry | None = None,
    ) -> None:
        """A new render (``restored``: the region a blit restored before it, if any;
        ``render_time``: how long it took; ``seqs`` and ``geometry`` for previewing viewers,
        see :class:`Snapshot`); viewers that can take a frame get one."""
        self._current = Snapshot(pixels, restored, render_time, seqs or {}, geometry)
        self._failures.new_picture()
        self.pump()

    def _room_made(self) -> None:
        """A viewer can take a frame again: send what there is, and let a render follow."""
        self.pump()
        self._on_capacity()

    def pump(self) -> None:
        """Start an encode for every group of viewers that can take a frame now."""
        current = self._current
        if current is None or self._failures.holds(current):
            return
        # Viewers grouped by the snapshot they have (None: they need a full frame), format,
        # and whether the frame is lossy.
        groups: dict[tuple[Snapshot | None, Format, bool], list[Viewer]] = {}
        motion = self._in_motion()
        for viewer, state in self._viewers.items():
            if state.wants_frame(current):
                # A blit's frames are small already: what it restores travels once.
                lossy = motion and current.restored is None and state.link_limited(current)
                full = state.needs_full or (state.lossy_shown and not lossy)
                previous = None if full else state.shown
                groups.setdefault((previous, state.format, lossy), []).append(viewer)
        for (previous, fmt, lossy), viewers in groups.items():
            for viewer in viewers:
                self._viewers[viewer].encoding = True
            task = self._loop.create_task(self._deliver(viewers, fmt, previous, current, lossy))
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)

    def _in_motion(self) -> bool:
        """Whether the figure keeps changing: two changes in quick succession, and the last
        one recent enough that another may be on its way."""
        return self._change_gap < MOTION_GAP and self._clock() - self._last_change < self._hold()

    def _hold(self) -> float:
        """How long after a change the figure still counts as moving."""
        return min(MOTION_GAP, max(SETTLE, 1.5 * self._change_gap))

    def _settle(self) -> None:
        """Once motion stops, viewers whose picture is lossy get a full lossless frame."""
        self._settle_handle = None
        lossy = [state for state in self._viewers.values() if state.lossy_shown]
        if not lossy:
            return
        if self._in_motion():
            self._arm_settle()
            return
        for state in lossy:
            state.needs_full = True
        self.pump()

    def _arm_settle(self) -> None:
        if self._settle_handle is None:
            wait = self._last_change + self._hold() - self._clock()
            self._settle_handle = self._loop.call_later(max(wait, 0.01), self._settle)

    async def _deliver(
        self,
        viewers: list[Viewer],
        fmt: Format,
        previous: Snapshot | None,
        current: Snapshot,
        lossy: bool,
    ) -> None:
        """Encode one frame for a group of viewers that have the same snapshot, and send it.

        (Any of them may leave while it encodes; the frame goes to those still here.)
        """
        failed = False
        try:
            if lossy:
                await self._deliver_lossy(viewers, previous, current)
            elif fmt == "rect":
                await self._deliver_rects(viewers, previous, current)
            else:
                before = previous.pixels if previous else None
                frame = await self._run(encode_frame, before, current.pixels)
                self._send(
                    viewers,
                    current,
                    lambda viewer, state: _png_frame(viewer, state, frame),
                    fmt="png",
                    full=previous is None,
                )
        except Exception as error:
            failed = True
            self._failures.failed(current, error)
        else:
            self._failures.succeeded()
        finally:
            for viewer in viewers:
                if (state := self._viewers.get(viewer)) is not None:
                    state.encoding = False
            if not failed:
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
        # One job: each job's start and end takes the GIL from the figure's draw.
        tiles, region_image = await self._run(_rect_tiles, before, current.pixels, region)
        if region is not None and region.image is None:
            region.image = region_image

        # Viewers that keep the region in the same slot get the very same message.
        messages: dict[tuple[tuple[str, int], ...], bytes] = {}

        def frame_for(viewer: Viewer, state: ViewerState) -> bytes:
            steps: list[Tile] = []
            if region is not None:
                slot, new = state.slot_for(region)
                if new:
                    steps.append(Tile(region.rect, "store", region.image or b"", slot))
                steps.append(Tile(region.rect, "restore", slot=slot))
            if not steps and not tiles:
                return b""
            key = tuple((step.kind, step.slot) for step in steps)
            if key not in messages:
                messages[key] = pack_rect_frame(current.size, steps + tiles, full=full)
            return messages[key]

        self._send(viewers, current, frame_for, fmt="rect", full=full)

    async def _deliver_lossy(
        self, viewers: list[Viewer], previous: Snapshot | None, current: Snapshot
    ) -> None:
        """A rect frame of lossy tiles replacing what changed since the (exact) previous
        snapshot; the settle frame puts every pixel right later."""
        full = previous is None or previous.size != current.size
        before = None if full or previous is None else previous.pixels
        tiles = await self._run(encode_lossy_changes, before, current.pixels)
        message = pack_rect_frame(current.size, tiles, full=full) if tiles else b""
        self._send(
            viewers, current, lambda viewer, state: message, fmt="rect", full=full, lossy=True
        )
        self._arm_settle()

    def _send(
        self,
        viewers: list[Viewer],
        current: Snapshot,
        frame_for: Callable[[Viewer, ViewerState], bytes],
        *,
        fmt: Format,
        full: bool,
        lossy: bool = False,
    ) -> None:
        """Send each viewer still here its frame (``frame_for`` makes it, empty for none, in
        ``fmt``); it has ``current`` from now on."""
        now = self._clock()
        for viewer in viewers:
            state = self._viewers.get(viewer)
            if state is None:
                continue  # it left while its frame was encoding
            if state.format != fmt:
                # It negotiated another format meanwhile (its hello came as it joined), and
                # could not read this frame: the next pump sends its picture in its format.
                state.needs_full = True
                continue
            frame = frame_for(viewer, state)
            if state.preview:
                _announce_preview(viewer, state, current, framed=bool(frame))
            if frame:
                viewer.send_binary(frame)
                state.in_flight += 1
                # What the viewer's frames usually cost: changes, not the odd full frame.
                state.link.sent(len(frame), now, usual=not (lossy or full))
                self.frames_sent += 1
            if lossy:
                state.lossy_shown = True
            elif state.needs_full:
                state.lossy_shown = False
            state.shown = current
            state.needs_full = False

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        return await self._loop.run_in_executor(self._pool, function, *args)


def _rect_tiles(
    before: Pixels | None, current: Pixels, region: SavedRegion | None
) -> tuple[list[Tile], bytes | None]:
    """The tiles that take a viewer from ``before`` to ``current``, once it restored
    ``region`` (if any) from its copy; and the region's image for that copy, if not made yet.
    """
    image = None
    if before is not None and region is not None:
        # What the viewer has after restoring: the tiles carry only what was drawn over it.
        before = before.copy()
        region.rect.of(before)[...] = region.pixels
        image = region.image or encode_png(region.pixels)
    return encode_changes(before, current), image


def _png_frame(viewer: Viewer, state: ViewerState, frame: Frame | None) -> bytes:
    """A standard frame, its image mode announced first when it changes."""
    if frame is None:
        return b""
    if state.image_mode != frame.kind:
        state.image_mode = frame.kind
        viewer.send_json(outgoing.image_mode(frame.kind))
    return frame.png


def _announce_preview(
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
