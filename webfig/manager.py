"""The figure manager: one figure, the viewers that watch it, and the frames they get."""

from __future__ import annotations

import itertools
import logging
import shutil
import threading
from typing import TYPE_CHECKING, Final

import matplotlib as mpl
from matplotlib.backend_bases import FigureManagerBase

from . import outgoing, protocol
from .delivery import FrameDelivery, ViewerState
from .downloads import DownloadOptions
from .eventloop import encoder_pool, server_thread
from .interfaces import ServedFigure, Viewer
from .lifecycle import figure_changes
from .outgoing import Message
from .protocol import ClientMessage, Command, Hello, Key, Mouse, Resize, SetPixelRatio
from .regions import SavedRegion
from .render import render
from .throttle import Throttle
from .toolbar import NavigationToolbarWebfig

if TYPE_CHECKING:
    from .canvas import WebfigCanvas

_log = logging.getLogger(__name__)

# Seconds between two status line updates (cursor coordinates), at most.
STATUS_INTERVAL: Final = 0.1

# Numbers no two managers of a process share (figure numbers are reused).
_serials = itertools.count(1)


class WebfigManager(FigureManagerBase):
    """Keeps every viewer of one figure up to date: the figure as a
    :class:`~webfig.interfaces.ServedFigure`.

    Viewer bookkeeping, message handling and rendering all run on the server's event loop;
    the public methods that a script may call from its own thread (``resize``,
    ``set_window_title``, ``broadcast``, ``schedule_render``, ``destroy``) hand their work to
    the loop. Renders are coalesced: any number of ``draw_idle`` calls before the loop gets to
    it make one render, whatever the number of viewers. Each render becomes a snapshot that
    :class:`~webfig.delivery.FrameDelivery` encodes and sends, with flow control per viewer.

    Event handling, drawing and reading Agg's buffer hold the canvas' ``lock``, so a script
    that changes the figure from its own thread inside ``with fig.canvas.lock:`` never races
    them.

    Size policy: the figure's size changes only when the script sets it or a viewer's user
    resizes it explicitly; opening a page changes nothing for the others. The figure renders
    at the highest device pixel ratio among its viewers, so every screen gets a sharp picture.

    Which server shows the figure is not the manager's business: any server whose registry
    lists it does. pyplot's manager (:class:`webfig.backend.FigureManagerWebfig`) starts the
    default server in ``show``.
    """

    canvas: WebfigCanvas
    toolbar: NavigationToolbarWebfig | None

    def __init__(self, canvas: WebfigCanvas, num: int) -> None:
        self._delivery = FrameDelivery(server_thread().loop, encoder_pool(), self._schedule)
        self._window_title = ""
        self._serial = next(_serials)
        self._schedule_lock = threading.Lock()
        self._revision = 0
        self._render_pending = False
        # The figure must be drawn again; Agg's buffer changed since the last snapshot.
        self._needs_draw = True
        self._needs_publish = False
        # The region a blit restored since the last render (viewers may restore it too).
        self._restored: SavedRegion | None = None
        # The viewer whose message is being handled, so replies (``save``) reach only it.
        self._replying_to: Viewer | None = None
        # The status line follows the pointer; repainting it on every move costs a browser
        # as much as a frame does, and nobody reads ten updates a second anyway.
        self._status: Throttle[Message] = Throttle(server_thread(), STATUS_INTERVAL, self.broadcast)
        super().__init__(canvas, num)
        if mpl.rcParams["toolbar"] == "toolbar2":
            self.toolbar = NavigationToolbarWebfig(
                canvas, self.broadcast, self.reply, self.broadcast_status
            )
        figure_changes.changed()

    # matplotlib's manager interface

    def show(self) -> None:
        """Nothing to do: the figure is live for every server that lists it."""

    def resize(self, w: float, h: float, forward: bool = True) -> None:
        """Tell every viewer the figure's new size (``w``, ``h`` in device pixels)."""
        ratio = self.canvas.device_pixel_ratio
        self.broadcast(outgoing.resize(w / ratio, h / ratio, forward=forward))
        server_thread().call_soon(self._delivery.invalidate_all)
        self.schedule_render()

    def set_window_title(self, title: str) -> None:
        self._window_title = title
        self.broadcast(outgoing.figure_label(title))
        figure_changes.changed()

    def get_window_title(self) -> str:
        return self._window_title

    def destroy(self) -> None:
        """The figure was closed: end every viewer's connection, saying why; from any thread."""
        server_thread().call_soon(self._close_viewers)
        figure_changes.changed()

    def _close_viewers(self) -> None:
        for viewer in self._delivery.viewers():
            viewer.figure_closed()
        self._delivery.clear()
        self._status.cancel()

    # What a server shows of the figure

    @property
    def number(self) -> int:
        return int(self.num)

    @property
    def title(self) -> str:
        return self._window_title

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in CSS pixels."""
        return self.canvas.get_width_height()

    @property
    def size_inches(self) -> tuple[float, float]:
        width, height = self.canvas.figure.get_size_inches()
        return float(width), float(height)

    @property
    def default_format(self) -> str:
        return self.canvas.get_default_filetype()

    def download_formats(self) -> dict[str, str]:
        """The formats the figure can be saved in on this machine, with their descriptions:
        the canvas' own, less pgf when there is no TeX to make it."""
        formats = dict(self.canvas.get_supported_filetypes())
        if shutil.which(mpl.rcParams["pgf.texsystem"]) is None:
            formats.pop("pgf", None)
        return formats

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        """The figure as a file in ``fmt``; blocks, holding the canvas' lock, so call it off
        the event loop. Viewers' pictures and the figure's revision stay as they were."""
        figure = self.canvas.figure
        try:
            with self.canvas.lock:
                body = render(figure, fmt, options.dpi, **options.savefig_kwargs())
                # savefig puts the figure's colours back as it found them, which marks the
                # figure stale; it is not (a stale figure would change the revision).
                figure.stale = False
            return body
        finally:
            # Saving may have drawn Agg's buffer at the file's dpi; viewers need theirs back.
            self.schedule_render(changed=False)

    # Viewers

    @property
    def viewer_count(self) -> int:
        return len(self._delivery)

    @property
    def frames_sent(self) -> int:
        """Frames sent to viewers so far, all viewers together."""
        return self._delivery.frames_sent

    def add_viewer(self, viewer: Viewer) -> None:
        """Start sending ``viewer`` this figure's messages; on the event loop only."""
        self._delivery.add(viewer)
        viewer.send_json(outgoing.figure_label(self._window_title))
        viewer.send_json(outgoing.resize(*self.size, forward=True))

    def remove_viewer(self, viewer: Viewer) -> None:
        self._delivery.remove(viewer)
        self._follow_pixel_ratios()

    def broadcast(self, content: Message) -> None:
        """Send ``content`` to every viewer; from any thread."""
        if server_thread().in_loop_thread():
            for viewer in self._delivery.viewers():
                viewer.send_json(content)
        else:
            server_thread().call_soon(lambda: self.broadcast(content))

    def broadcast_status(self, content: Message) -> None:
        """Broadcast a status line update, at most one per STATUS_INTERVAL; from any thread."""
        self._status(content)

    def reply(self, content: Message) -> None:
        """Send ``content`` to the viewer being answered, or to all when there is none."""
        if self._replying_to is not None:
            self._replying_to.send_json(content)
        else:
            self.broadcast(content)

    # Messages

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        """Act on one checked message from ``viewer``; on the event loop only."""
        state = self._delivery.state(viewer)
        if state is None:
            return
        self._replying_to = viewer
        try:
            with self.canvas.lock:
                self._dispatch(viewer, state, message)
        finally:
            self._replying_to = None
            # A callback may have changed the figure without asking for a draw, or failed
            # halfway through a change. (Before the first frame the figure is stale anyway,
            # and the viewer's refresh will render it.)
            if self._delivery.current is not None and self.canvas.figure.stale:
                self.schedule_render()

    def _dispatch(self, viewer: Viewer, state: ViewerState, message: ClientMessage) -> None:
        match message:
            case Mouse():
                self._pointer(viewer, state, message)
            case Key():
                self.canvas.dispatch_key(message)
            case Command(type="ack"):
                self._delivery.acknowledge(viewer)
            case Command(type="draw"):
                state.ready = True
                self._schedule()
            case Command(type="refresh"):
                self._refresh(viewer)
            case Command(type="send_image_mode"):
                state.image_mode = "full" if state.needs_full else "diff"
                viewer.send_json(outgoing.image_mode(state.image_mode))
            case SetPixelRatio(ratio=ratio):
                state.pixel_ratio = ratio
                self._follow_pixel_ratios()
            case Resize(width=width, height=height):
                self.canvas.resize_to(width, height)
                self.resize(*self.canvas.get_width_height(physical=True), forward=False)
            case protocol.ToolbarButton(name=name):
                self._press_tool(name)
            case Hello(extensions=extensions):
                self._welcome(viewer, state, extensions)
            case protocol.SupportsBinary():
                pass  # a matter of the transport, which handles it before we see it

    def _pointer(self, viewer: Viewer, state: ViewerState, message: Mouse) -> None:
        self.canvas.dispatch_mouse(message)
        if message.type == "motion_notify" and protocol.MOTION_ACK in state.extensions:
            viewer.send_json(outgoing.motion_ack())

    def _follow_pixel_ratios(self) -> None:
        """Render at the highest pixel ratio a viewer asked for; the CSS size stays."""
        ratios = [s.pixel_ratio for s in self._delivery.states() if s.pixel_ratio is not None]
        if not ratios:
            return  # the last viewer left (or none said yet): nothing to re-render for
        with self.canvas.lock:
            changed = self.canvas.set_pixel_ratio(max(ratios))
        if changed:
            self.resize(*self.canvas.get_width_height(physical=True), forward=False)

    def _welcome(self, viewer: Viewer, state: ViewerState, extensions: tuple[str, ...]) -> None:
        """Accept the extensions webfig knows; they change the protocol for this viewer only."""
        state.extensions = frozenset(extensions) & protocol.SUPPORTED_EXTENSIONS
        state.format = "rect" if protocol.RECT_FRAMES in state.extensions else "png"
        viewer.send_json(outgoing.welcome(protocol.PROTOCOL_VERSION, state.extensions))

    def _refresh(self, viewer: Viewer) -> None:
        viewer.send_json(outgoing.figure_label(self._window_title))
        if self.toolbar is not None:
            for content in self.toolbar.state_messages():
                viewer.send_json(content)
        viewer.send_json(outgoing.capture_scroll(self.canvas.capture_scroll))
        # With a render on its way, the viewer waits for it rather than get a stale picture
        # first (one from before its own pixel ratio, say).
        self._delivery.request_full(viewer, newer_coming=self._render_wanted())
        self._schedule()

    def _press_tool(self, name: protocol.ToolName) -> None:
        if self.toolbar is None:
            # Debug level: every viewer of a toolbar-less figure may press it, again and again.
            _log.debug("figure %s has no toolbar; ignoring the %r button", self.num, name)
        elif name == "download":
            self.toolbar.save_figure()
        else:
            getattr(self.toolbar, name)()

    # Rendering

    def revision(self) -> str:
        """Changes whenever the figure may have: every draw or blit asked for, and a figure
        changed since its last draw. Unique in the process (figure numbers are reused)."""
        with self._schedule_lock:
            if self.canvas.figure.stale:
                self._revision += 1
            return f"{self._serial}.{self._revision}"

    def schedule_render(self, *, draw: bool = True, changed: bool = True) -> None:
        """Render and send a frame soon; from any thread. Calls before the render coalesce.

        ``draw=False`` publishes what Agg last drew (after a blit, or a draw by the script)
        without drawing the figure again. ``changed=False``: the figure is as it was, only
        Agg's buffer is not (a download drew it at another dpi).
        """
        with self._schedule_lock:
            if changed:
                self._revision += 1
            if draw:
                self._needs_draw = True
            else:
                self._needs_publish = True
        self._schedule()

    def note_restore(self, region: SavedRegion) -> None:
        """A blit restored ``region``: the next frame may tell viewers to restore it too."""
        with self._schedule_lock:
            self._restored = region

    def _render_wanted(self) -> bool:
        return self._needs_draw or self._needs_publish or self.canvas.figure.stale

    def _schedule(self) -> None:
        """Make sure a render runs soon; it does what the flags say, maybe nothing."""
        if not self._render_wanted():
            return
        with self._schedule_lock:
            if self._render_pending:
                return
            self._render_pending = True
        server_thread().call_soon(self._render)

    def _render(self) -> None:
        with self._schedule_lock:
            self._render_pending = False
            if not self._delivery.has_capacity():
                # Nobody could take the frame: render when somebody can (an ack, a finished
                # encode, a new viewer), then with the newest state. Changes made meanwhile
                # cost nothing.
                return
            draw = self._needs_draw or self.canvas.figure.stale
            publish = draw or self._needs_publish
            # After a full draw the last restore says nothing about the picture.
            restored = None if draw else self._restored
            self._needs_draw = self._needs_publish = False
            self._restored = None
        if not publish:
            return
        try:
            with self.canvas.lock:
                # Drawn and copied under one hold: the copy is of one whole picture, whatever
                # the script's threads do.
                if draw:
                    self.canvas.render_agg()
                pixels = self.canvas.pixels()
        except Exception:
            # A figure the script left half-changed; viewers keep the last good picture
            # and the next change draws again.
            _log.exception("drawing figure %s failed", self.num)
            return
        self._delivery.publish(pixels, restored)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} figure {self.num}, {len(self._delivery)} viewer(s)>"


if TYPE_CHECKING:

    def _is_served_figure(manager: WebfigManager) -> ServedFigure:
        """Makes mypy check that the manager is what a server needs of a figure."""
        return manager
