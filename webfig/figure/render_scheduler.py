"""When a figure is drawn: render requests coalesced, drawn on the figure's thread, published
for delivery."""

from __future__ import annotations

import itertools
import logging
import threading
import time

from ..frames.blit_regions import SavedRegion
from ..frames.delivery import FrameDelivery
from ..runtime.event_loop import server_thread
from ..runtime.log_once import ProblemLog
from ..wire.incoming import Mouse
from ..wire.interfaces import Viewer
from .drawable import Drawable
from .preview_geometry import AxesIds, axes_geometry

_log = logging.getLogger(__name__)

# Numbers no two figures of a process share (figure numbers are reused).
_serials = itertools.count(1)


class RenderScheduler:
    """Draws one figure when it changed and a viewer can take the picture.

    Any number of requests before the figure's thread gets to it make one render. A render runs on
    the canvas' figure thread holding its lock, then publishes a copy of Agg's buffer to
    ``delivery`` on the event loop. It starts as soon as some viewer could take a frame by
    the time the render is done (see :meth:`FrameDelivery.wants_render`), so a render
    overlaps the encode and travel of the frame before it.

    For viewers that negotiated ``preview``, each snapshot also says which of their pointer
    messages the figure had handled, and where the axes are; with no such viewer, renders
    read neither.
    """

    def __init__(self, canvas: Drawable, delivery: FrameDelivery) -> None:
        self._canvas = canvas
        self._delivery = delivery
        self._serial = next(_serials)
        self._lock = threading.Lock()
        self._revision = 0
        self._pending = False
        # The figure must be drawn again; Agg's buffer changed since the last snapshot.
        self._needs_draw = True
        self._needs_publish = False
        # The figure was drawn, or ensure_drawn asked for a draw that runs watched or not.
        self._drawn = False
        # Agg's buffer is the picture as the script blitted it, until it asks for a draw.
        self._as_blitted = False
        # The region a blit restored since the last render (viewers may restore it too).
        self._restored: SavedRegion | None = None
        # Previewing viewers, with the seq of the last of their pointer messages the figure
        # handled (-1: none yet).
        self._seqs: dict[Viewer, int] = {}
        self._axes_ids = AxesIds()
        # Draw failures, each kind logged once until a draw works.
        self._draw_failures = ProblemLog(_log, logging.ERROR)

    def revision(self) -> str:
        """Changes whenever the figure may have: every draw or blit asked for, and a figure
        changed since its last draw. Unique in the process."""
        with self._lock:
            if self._canvas.figure.stale:
                self._revision += 1
            return f"{self._serial}.{self._revision}"

    def request(self, *, draw: bool = True, changed: bool = True) -> None:
        """Render and publish soon; from any thread. See ``WebfigManager.schedule_render``."""
        with self._lock:
            if changed:
                self._revision += 1
                self._delivery.note_change()
            if draw:
                self._needs_draw = True
                self._as_blitted = False
            else:
                self._needs_publish = True
                # A blit (a change to show without drawing): Agg's buffer is the picture.
                self._as_blitted = self._as_blitted or changed
        self.start()

    def note_restore(self, region: SavedRegion) -> None:
        """A blit restored ``region``: the next frame may tell viewers to restore it too."""
        with self._lock:
            self._restored = region

    def ensure_drawn(self) -> bool:
        """Draw the figure now if it never was, whether a viewer watches or not; from any
        thread. A figure that is shown is drawn, as a window is when it opens: ``draw_event``
        fires (an animation starts on it), and the first viewer finds its picture ready.
        True if that draw was asked for now (it runs on the figure's thread)."""
        with self._lock:
            if self._drawn:
                return False
            self._drawn = self._needs_draw = True
        self._canvas.figure_thread.submit(self._render, transparent=True)
        return True

    def set_preview(self, viewer: Viewer, preview: bool) -> None:
        """Whether ``viewer`` previews pans and zooms (it negotiated ``preview``; it left)."""
        with self._lock:
            first = preview and not self._seqs
            if preview:
                self._seqs.setdefault(viewer, -1)
            else:
                self._seqs.pop(viewer, None)
        if first:
            # Renders so far read no geometry, and the viewer's first frame needs one.
            self.request(draw=False, changed=False)

    def handled(self, viewer: Viewer, message: Mouse) -> None:
        """On the figure's thread, once the figure handled ``viewer``'s pointer ``message``: the
        snapshots from now on carry its seq, if the viewer previews."""
        if message.seq is None:
            return
        with self._lock:
            if viewer not in self._seqs:
                return
            # Never backwards, whatever the client numbers.
            self._seqs[viewer] = max(self._seqs[viewer], message.seq)
        if message.type in ("button_release", "scroll", "pinch"):
            # The viewer previews until a frame reflects its release, wheel step or pinch: it
            # gets one (an empty one, if nothing changed).
            self.request(draw=False, changed=False)

    def want_current(self) -> None:
        """A viewer asks for the figure as it is now (a page's refresh, WebAgg's ``draw``):
        the next render draws a figure changed since its last draw, as a window that opens
        is drawn, unless the script is blitting (a draw would wipe what it blitted); the
        caller starts it. Nothing else draws a figure only because it is stale: matplotlib's
        backends leave that to the script (``draw_idle``), or to pyplot's interactive mode,
        which asks as each change is made. From any thread."""
        with self._lock:
            if self._canvas.figure.stale and not self._as_blitted:
                self._needs_draw = True

    @property
    def wanted(self) -> bool:
        """Whether the next render would publish something new."""
        return self._needs_draw or self._needs_publish

    def start(self) -> None:
        """Make sure a render runs soon if one is wanted; from any thread."""
        if not self.wanted:
            return
        with self._lock:
            if self._pending:
                return
            self._pending = True
        if self._canvas.figure_thread.is_current():
            # The figure's own work asked (an event's handler called draw_idle): the render
            # queues behind it at once, with no trip through the loop while the thread idles.
            self._submit()
        else:
            server_thread().call_soon(self._submit)

    def _submit(self) -> None:
        """On the loop or the figure's thread: have the figure's thread render, if a viewer
        could take the frame. Otherwise the next ``start`` (an ack, a finished encode, a new
        viewer) renders, with the newest state then; changes made meanwhile cost nothing."""
        if self._delivery.wants_render():
            self._canvas.figure_thread.submit(self._render, transparent=True)
            return
        with self._lock:
            self._pending = False
        # An ack or a finished encode between the look and the flag's clearing found the
        # render pending and left it to this call: look again, or that wake-up is lost.
        if self._delivery.wants_render():
            self.start()

    def _render(self) -> None:
        """On the figure's thread: draw if needed, and publish a copy of Agg's buffer."""
        with self._lock:
            self._pending = False
            draw = self._needs_draw
            publish = draw or self._needs_publish
            # After a full draw the last restore says nothing about the picture.
            restored = None if draw else self._restored
            self._needs_draw = self._needs_publish = False
            self._restored = None
        if not publish:
            return
        started = time.perf_counter()
        try:
            with self._canvas.lock:
                # Drawn and copied under one hold: the copy is of one whole picture, whatever
                # the script's threads do; the seqs and geometry are those of that picture.
                with self._lock:
                    seqs = dict(self._seqs)
                if draw:
                    self._drawn = True
                    self._canvas.render_agg()
                pixels = self._canvas.pixels()
                geometry = axes_geometry(self._canvas.figure, self._axes_ids) if seqs else None
        except Exception as error:
            # A figure the script left half-changed; viewers keep the last good picture
            # and the next change draws again. Logged once per kind until a draw works: a
            # figure broken for good is asked to draw at every change. The kind is the
            # error's type: its message may differ at every draw (a counter, a value).
            self._draw_failures.report(
                f"{type(error).__module__}.{type(error).__qualname__}",
                f"drawing figure {self._canvas.figure.number} failed: "
                f"{type(error).__name__}: {error}"[:300],
                exc_info=True,
            )
            return
        self._draw_failures.forget()
        took = time.perf_counter() - started
        server_thread().call_soon(
            lambda: self._delivery.publish(pixels, restored, took, seqs=seqs, geometry=geometry)
        )
