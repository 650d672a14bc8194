"""The canvas: Agg rendering, and viewers' input turned into matplotlib events."""

from __future__ import annotations

import math
import threading
from typing import Any, Final, Protocol

import numpy as np
from matplotlib.backend_bases import (
    KeyEvent,
    LocationEvent,
    MouseButton,
    MouseEvent,
    ResizeEvent,
)
from matplotlib.backend_tools import Cursors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..config import DEFAULT_MAX_PIXELS
from ..frames.blit_regions import SavedRegion
from ..frames.encoder import Pixels, Rect
from ..runtime.event_loop import server_thread
from ..runtime.figure_lock import FigureLock, TrackedLock
from ..runtime.figure_thread import FigureThread
from ..wire import outgoing
from ..wire.browser_names import DOM_BUTTON_BITS, DOM_BUTTONS
from ..wire.incoming import Key, Mouse, Pinch
from ..wire.outgoing import Message
from .scroll_callbacks import script_listens
from .timers import TimerWebfig
from .toolbar import apply_pinch

# Bounds that keep one viewer's request from making a canvas no browser (or server) can hold;
# the rendered size is bounded too, by ``max_pixels`` device pixels a side (see
# :func:`render_ratio`).
MIN_PIXEL_RATIO: Final = 0.5
MAX_PIXEL_RATIO: Final = 4.0
# CSS pixels a side, at least, that a viewer's resize leaves the figure.
MIN_CANVAS_SIDE: Final = 16
# Seconds flush_events waits for the figure at most.
FLUSH_TIMEOUT: Final = 10.0
# The one lock matplotlib draws every figure under (``Figure.draw`` holds it), taken first
# by webfig's draws, so that a figure's lock knows who draws and who waits to.
_DRAWING: Final = TrackedLock(Figure._render_lock)  # type: ignore[attr-defined]

# matplotlib's buttons by DOM ``MouseEvent.button`` number, and by ``MouseEvent.buttons`` bit.
_BUTTONS: Final = {number: MouseButton[name.upper()] for number, name in enumerate(DOM_BUTTONS)}
_BUTTON_BITS: Final = tuple(
    (bit, MouseButton[name.upper()]) for name, bit in DOM_BUTTON_BITS.items()
)
_CSS_CURSORS: Final = {
    Cursors.HAND: "pointer",
    Cursors.POINTER: "default",
    Cursors.SELECT_REGION: "crosshair",
    Cursors.MOVE: "move",
    Cursors.WAIT: "wait",
    Cursors.RESIZE_HORIZONTAL: "ew-resize",
    Cursors.RESIZE_VERTICAL: "ns-resize",
}


class CanvasOwner(Protocol):
    """What the canvas asks of the manager that shows its figure (the manager is made after
    the canvas, and knows it; the canvas knows only these calls)."""

    def schedule_render(self, *, draw: bool = True, changed: bool = True) -> None: ...

    def note_restore(self, region: SavedRegion) -> None: ...

    def broadcast(self, content: Message) -> None: ...


def render_ratio(asked: float, css_size: tuple[float, float], max_pixels: int) -> float:
    """The device pixel ratio to render a figure of ``css_size`` at, for viewers whose highest
    ratio is ``asked``: within MIN_PIXEL_RATIO to MAX_PIXEL_RATIO, and no higher than keeps
    each side within ``max_pixels`` device pixels. A figure the script made larger than that
    is rendered at its own size (ratio 1, or less if asked): viewers never enlarge it."""
    fits = max_pixels / max(*css_size, 1)
    return min(max(asked, MIN_PIXEL_RATIO), MAX_PIXEL_RATIO, max(fits, 1.0))


def held_buttons(bits: int) -> frozenset[MouseButton]:
    """The buttons a DOM ``buttons`` bitmask says are held."""
    return frozenset(button for bit, button in _BUTTON_BITS if bits & bit)


class WebfigCanvas(FigureCanvasAgg):
    """An Agg canvas whose pictures and events travel to and from browser viewers.

    pyplot uses :class:`webfig.backend.FigureCanvasWebfig`, this canvas bound to pyplot's
    figure manager (the binding is the backend's, webfig's composition root). A canvas made
    on its own is shown once a manager is made for it, ``WebfigManager(canvas, number)``;
    it knows that manager only as a :class:`CanvasOwner`.

    ``lock`` is held while webfig draws the figure, reads its pixels, or hands it a viewer's
    event or a timer tick; webfig does all of those on ``figure_thread``, the figure's own thread,
    so a figure that is busy (or locked by the script) holds up no other. A script that
    changes the figure from a thread of its own while viewers watch should hold it too,
    around each change that must appear whole::

        with fig.canvas.lock:
            line.set_data(x, y)
            ax.set_title(f"step {n}")
        fig.canvas.draw_idle()
    """

    manager: CanvasOwner | None  # type: ignore[assignment]  # a FigureManagerBase that is one
    _timer_cls = TimerWebfig
    # What the script set with set_capture_scroll, if it did.
    _capture_scroll_set: bool | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = FigureLock()
        self.figure_thread = FigureThread()
        # Key events carry the last pointer position, as in other backends.
        self._last_pointer: tuple[Any, Any] = (None, None)
        # The thread drawing the figure now, if any (it holds ``lock``).
        self._drawing_thread: int | None = None
        # Device pixels a side the figure is rendered at, at most, whatever viewers ask
        # (its manager keeps it as the settings say); and the ratio its viewers asked for.
        self.max_pixels = DEFAULT_MAX_PIXELS
        self._asked_ratio = 1.0

    # Drawing

    def render_agg(self) -> None:
        """Draw the figure with Agg, without publishing the result."""
        with self.lock, _DRAWING:
            outer, self._drawing_thread = self._drawing_thread, threading.get_ident()
            try:
                super().draw()  # type: ignore[no-untyped-call]  # backend_agg has no type hints
            finally:
                self._drawing_thread = outer

    def pixels(self) -> Pixels:
        """A copy of the image Agg last drew (Agg reuses its buffer)."""
        with self.lock:
            return np.asarray(self.buffer_rgba()).copy()  # type: ignore[no-untyped-call]

    def draw(self) -> None:
        """Draw the figure now and send the result to the viewers."""
        self.render_agg()
        if self.manager is not None:
            self.manager.schedule_render(draw=False)

    def print_figure(self, *args: Any, **kwargs: Any) -> Any:
        """Save the figure (``savefig``) holding the canvas' lock. A save draws into Agg's
        buffer at its own dpi, and then puts the figure's canvas back: a render on the
        figure's thread meanwhile would draw into the same buffer, and a timer's callback
        that closes the figure (whose canvas is then matplotlib's base one) would be undone by
        the save. (matplotlib's drawing lock too, as the save's draw would, so that the
        figure's lock knows who waits to draw.)"""
        with self.lock, _DRAWING:
            return super().print_figure(*args, **kwargs)

    def copy_from_bbox(self, bbox: Any) -> SavedRegion:
        """Save a region for a later ``restore_region``, as Agg does, and remember its pixels
        so that viewers can keep a copy too."""
        with self.lock:
            buffer = super().copy_from_bbox(bbox)  # type: ignore[no-untyped-call]
            width, height = self.get_width_height(physical=True)
            left, top, right, bottom = buffer.get_extents()
            left, right = max(0, min(left, width)), max(0, min(right, width))
            top, bottom = max(0, min(top, height)), max(0, min(bottom, height))
            rect = Rect(left, top, right - left, bottom - top)
            pixels = rect.of(np.asarray(self.buffer_rgba())).copy()  # type: ignore[no-untyped-call]
        return SavedRegion(buffer, rect, pixels)

    def restore_region(self, region: Any, bbox: Any = None, xy: Any = None) -> None:
        saved = region if isinstance(region, SavedRegion) else None
        with self.lock:
            super().restore_region(saved.buffer if saved else region, bbox, xy)  # type: ignore[no-untyped-call]
        # Only a whole region restored in place is one viewers can restore from their copy.
        if saved is not None and bbox is None and xy is None and self.manager is not None:
            self.manager.note_restore(saved)

    def blit(self, bbox: Any = None) -> None:
        """Send what was blitted into Agg's buffer (only the changed pixels travel)."""
        if self.manager is not None:
            self.manager.schedule_render(draw=False)

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Draw and send a frame soon; many calls before then make one render.

        A call a draw makes of itself is dropped, as desktop canvases drop it: artists mark
        themselves stale while they draw (ticks, an axes' position), and in interactive mode
        pyplot answers each with ``draw_idle``, which would ask for the same picture again,
        and again after that one. A call from another thread meanwhile (the script changed
        the figure) still counts.
        """
        if self._drawing_thread == threading.get_ident():
            return
        if self.manager is not None:
            self.manager.schedule_render()

    def flush_events(self) -> None:
        """Wait until the figure did the work handed to it so far (viewers' events, timer
        ticks, a draw asked for), as a GUI backend processes its pending events. From the
        figure's own thread or the event loop there is nothing to wait for (they do it)."""
        if self.figure_thread.is_current() or server_thread().in_loop_thread():
            return
        try:
            server_thread().run_sync(lambda: None, FLUSH_TIMEOUT)  # asked-for renders queue
            self.figure_thread.run_sync(lambda: None, FLUSH_TIMEOUT)
        except TimeoutError:
            # The figure is busy for long (a heavy draw, or this very thread holds its
            # lock): the script goes on rather than wait for it.
            return

    def start_event_loop(self, timeout: float = 0) -> None:
        """``plt.pause``: the figure's pending work first, then ``timeout`` seconds."""
        self.flush_events()
        super().start_event_loop(timeout)

    def new_timer(self, interval: float | None = None, callbacks: Any = None) -> TimerWebfig:
        """A timer whose callbacks (an animation's steps, say) run on ``figure_thread`` holding
        ``lock``."""
        return TimerWebfig(
            interval=interval, callbacks=callbacks, lock=self.lock, figure_thread=self.figure_thread
        )

    def set_cursor(self, cursor: Cursors) -> None:
        if self.manager is not None:
            self.manager.broadcast(outgoing.cursor(_CSS_CURSORS[cursor]))

    @property
    def capture_scroll(self) -> bool:
        """Whether wheel events over the canvas stop scrolling the page: as the script set it
        (``set_capture_scroll``), else whenever something of the script's listens to the
        wheel (a ``scroll_event`` callback gets every step, as on a desktop)."""
        if self._capture_scroll_set is not None:
            return self._capture_scroll_set
        return script_listens(self)

    def set_capture_scroll(self, capture: bool) -> None:
        """Whether wheel events over the canvas stop scrolling the page, whoever listens."""
        before = self.capture_scroll
        self._capture_scroll_set = capture
        self._tell_capture_scroll(before)

    def mpl_connect(self, s: Any, func: Any) -> int:
        before = self.capture_scroll
        cid = int(super().mpl_connect(s, func))
        self._tell_capture_scroll(before)
        return cid

    def mpl_disconnect(self, cid: int) -> None:
        before = self.capture_scroll
        super().mpl_disconnect(cid)
        self._tell_capture_scroll(before)

    def _tell_capture_scroll(self, before: bool) -> None:
        """Viewers hear of capture_scroll when it is no longer ``before``."""
        capture = self.capture_scroll
        if capture != before and self.manager is not None:
            self.manager.broadcast(outgoing.capture_scroll(capture))

    # Size

    def set_pixel_ratio(self, ratio: float) -> bool:
        """Render at ``ratio`` device pixels per CSS pixel, as far as :func:`render_ratio`
        allows at the figure's size; True if the ratio rendered at changed."""
        self._asked_ratio = ratio
        return self.fit_pixel_ratio()

    def fit_pixel_ratio(self) -> bool:
        """Render at the ratio asked for, as far as the figure's size allows now (the script
        resized it, say); True if the ratio rendered at changed. The CSS size stays."""
        css_size = self.get_width_height()
        ratio = render_ratio(self._asked_ratio, css_size, self.max_pixels)
        # The hook every HiDPI backend uses; not in the stubs.
        return bool(self._set_device_pixel_ratio(ratio))  # type: ignore[attr-defined]

    def resize_to(self, width: float, height: float) -> None:
        """Resize the figure to ``width`` × ``height`` CSS pixels: at least MIN_CANVAS_SIDE,
        and at most ``max_pixels`` a side (a viewer's larger ask is refused before it comes
        here); rendered at the ratio that size allows."""
        css_width, css_height = (
            min(max(side, MIN_CANVAS_SIDE), self.max_pixels) for side in (width, height)
        )
        ratio = render_ratio(self._asked_ratio, (css_width, css_height), self.max_pixels)
        self._set_device_pixel_ratio(ratio)  # type: ignore[attr-defined]
        figure = self.figure
        device_width, device_height = (
            min(math.floor(side * ratio), self.max_pixels) for side in (css_width, css_height)
        )
        if (device_width, device_height) != self.get_width_height(physical=True):
            figure.set_size_inches(
                device_width / figure.dpi, device_height / figure.dpi, forward=False
            )
        event = ResizeEvent("resize_event", self)
        self.callbacks.process(event.name, event)

    # Input

    def dispatch_mouse(self, message: Mouse) -> None:
        """Turn a viewer's pointer message into the matplotlib event(s) it stands for."""
        # Viewers measure from the top; matplotlib from the bottom.
        # (Any: the stubs say int, but matplotlib takes the sub-pixel positions browsers give.)
        x: Any = message.x
        y: Any = self.figure.bbox.height - message.y
        self._last_pointer = (x, y)
        common: dict[str, Any] = {"modifiers": message.modifiers, "guiEvent": message.gui_event}
        button = _BUTTONS.get(message.button)
        event: LocationEvent
        match message.type:
            case "button_press" | "button_release":
                event = MouseEvent(f"{message.type}_event", self, x, y, button, **common)
            case "dblclick":
                event = MouseEvent(
                    "button_press_event", self, x, y, button, dblclick=True, **common
                )
            case "scroll":
                key = self._wheel_key(message.modifiers)
                event = MouseEvent("scroll_event", self, x, y, key=key, step=message.step, **common)
            case "motion_notify":
                held = held_buttons(message.buttons)
                event = MouseEvent("motion_notify_event", self, x, y, buttons=held, **common)
            case "figure_enter" | "figure_leave":
                event = LocationEvent(f"{message.type}_event", self, x, y, **common)
            case "pinch":
                # No matplotlib event: a view change, as a toolbar's tool makes one.
                assert isinstance(message, Pinch)
                apply_pinch(self, message)
                return
        self.callbacks.process(event.name, event)

    def _wheel_key(self, modifiers: frozenset[str]) -> str | None:
        """The key a wheel step comes with: the one held in the figure (matplotlib's dead
        reckoning, ``None`` lets it fill that in), or control when the wheel event itself says
        control is held though the figure never got its key press (the keys went elsewhere),
        so that ctrl + wheel zooms as matplotlib's scroll_handler does on a desktop."""
        if self._key is None and "ctrl" in modifiers:  # type: ignore[attr-defined]
            return "control"
        return None

    def dispatch_key(self, message: Key) -> None:
        x, y = self._last_pointer
        event = KeyEvent(f"{message.type}_event", self, message.key, x, y, message.gui_event)
        self.callbacks.process(event.name, event)
