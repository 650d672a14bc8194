"""The figure manager: one figure, the viewers that watch it, and the frames they get."""

from __future__ import annotations

import functools
import logging
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal

import matplotlib as mpl
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import (
    CloseEvent,
    Event,
    FigureManagerBase,
    KeyEvent,
    key_press_handler,
)

from ..config import current_settings
from ..frames.blit_regions import SavedRegion
from ..frames.delivery import FrameDelivery
from ..frames.viewer_state import ViewerState
from ..runtime.event_loop import encoder_pool, server_thread
from ..runtime.log_once import ProblemLog
from ..runtime.throttle import Throttle
from ..wire import incoming, outgoing
from ..wire.extensions import DESCRIPTION, MOTION_ACK, PROTOCOL_VERSION, accepted_extensions
from ..wire.figure_changes import figure_changes
from ..wire.incoming import ClientMessage, Command, Hello, Key, Mouse, Resize, SetPixelRatio
from ..wire.interfaces import DownloadOptions, ServedFigure, Viewer
from ..wire.outgoing import Message
from .canvas import CanvasOwner, WebfigCanvas
from .description import describe
from .drawable import Drawable
from .render_scheduler import RenderScheduler
from .saving import download_formats, save_figure
from .subplot_tool import SubplotTool
from .toolbar import NavigationToolbarWebfig
from .toolmanager import ToolContainerWebfig, install_tools

_log = logging.getLogger(__name__)

# Seconds between two status line updates (cursor coordinates), at most.
STATUS_INTERVAL: Final = 0.1


class WebfigManager(FigureManagerBase):
    """Keeps every viewer of one figure up to date: the figure as a
    :class:`~webfig.wire.interfaces.ServedFigure`.

    Two threads share the work. Viewer bookkeeping and frame delivery run on the server's
    event loop, which never waits for the figure. Whatever touches the figure (viewers'
    events, toolbar buttons, resizes, drawing) runs on the canvas' ``figure_thread``, in the order
    it came, holding the canvas' ``lock``: a script that changes the figure from its own
    thread inside ``with fig.canvas.lock:`` never races it, and a busy figure holds up no
    other figure and no request. Pointer moves that pile up while the figure is busy
    coalesce to the latest; presses, releases, scrolls and keys are never dropped. The
    public methods a script may call from its own thread (``resize``, ``set_window_title``,
    ``broadcast``, ``schedule_render``, ``destroy``) hand their work to the right thread.

    Renders are coalesced: any number of ``draw_idle`` calls before the figure's thread gets to it
    make one render, whatever the number of viewers. Each render becomes a snapshot that
    :class:`~webfig.frames.delivery.FrameDelivery` encodes and sends, with flow control per viewer;
    the next render may start while the last frame still encodes or travels, so frames
    follow one another at the speed the figure draws.

    Size policy: the figure's size changes only when the script sets it or a viewer's user
    resizes it explicitly; opening a page changes nothing for the others. The figure renders
    at the highest device pixel ratio among its viewers, so every screen gets a sharp picture,
    but never at more than ``max_pixels`` device pixels a side (the settings'): the ratio is
    lowered as far as the size needs, and a viewer's resize beyond ``max_pixels`` CSS pixels
    a side is refused. So what one viewer asks costs the server, and every other viewer, a
    bounded render.

    Closing rule: a viewer may close the figure it views, and only a closable one (pyplot's,
    which the script could close with ``plt.close``); never another figure, never all of
    them. Every way a viewer closes a figure comes to :meth:`_close_for_viewer`: the close
    button (``close_figure``), matplotlib's quit keys (``keymap.quit``, and
    ``keymap.quit_all``, which from a viewer closes only its own figure), and a ToolManager's
    ``quit`` and ``quit_all`` tools (by key, or by a button the script put on the toolbar).
    The script's own closing (``plt.close``, its own ``trigger_tool("quit_all")``) stays
    matplotlib's.

    Which server shows the figure is not the manager's business: any server whose registry
    lists it does. pyplot's manager (:class:`webfig.backend.FigureManagerWebfig`) starts the
    default server in ``show``.
    """

    canvas: WebfigCanvas
    toolbar: NavigationToolbarWebfig | ToolContainerWebfig | None

    def __init__(self, canvas: WebfigCanvas, num: int) -> None:
        # When a viewer can take a frame again, a render may start. (A lambda: the
        # scheduler needs the delivery, so it comes second.)
        self._delivery = FrameDelivery(
            server_thread().loop,
            encoder_pool(),
            lambda: self._renders.start(),  # noqa: PLW0108
        )
        self._renders = RenderScheduler(canvas, self._delivery)
        self._window_title = ""
        # The viewer whose message is being handled, so replies (``save``) reach only it.
        self._replying_to: Viewer | None = None
        # The status line follows the pointer; repainting it on every move costs a browser
        # as much as a frame does, and nobody reads ten updates a second anyway.
        self._status: Throttle[Message] = Throttle(server_thread(), STATUS_INTERVAL, self.broadcast)
        # Viewers' asks refused, each kind logged once: a page may ask again and again.
        self._refusals = ProblemLog(_log)
        self._closing = threading.Lock()
        self._closed = False
        self.subplot_tool = SubplotTool(canvas.figure, self.reply, self.broadcast)
        # The figure's text alternative as last drawn (the ``description`` extension), and
        # the one each viewer was sent last (on the loop).
        self._description = ""
        self._described: dict[Viewer, str] = {}
        super().__init__(canvas, num)
        canvas.mpl_connect("draw_event", self._describe)
        canvas.figure_thread.name = f"webfig-figure-{num}"
        if self.key_press_handler_id is not None:
            # matplotlib's default key bindings, with its quit keys under the closing rule
            # (a script that disconnects key_press_handler_id still turns them all off).
            canvas.mpl_disconnect(self.key_press_handler_id)
            self.key_press_handler_id = canvas.mpl_connect("key_press_event", self._key_press)
        if mpl.rcParams["toolbar"] == "toolbar2":
            self.toolbar = NavigationToolbarWebfig(
                canvas, self.broadcast, self.reply, self.broadcast_status, self.subplot_tool.open
            )
        elif self.toolmanager is not None:
            self.toolbar = install_tools(self.toolmanager, self.broadcast, self.broadcast_status)
        figure_changes.changed()

    # matplotlib's manager interface

    def show(self) -> None:
        """Draw the figure if it never was, as a window is drawn when it opens."""
        self.start_first_draw()

    def start_first_draw(self) -> bool:
        """Have the figure drawn if it never was; True if that draw starts now (on the
        figure's thread: ``canvas.flush_events()`` waits for it)."""
        return self._renders.ensure_drawn()

    def resize(self, w: float, h: float, forward: bool = True) -> None:
        """The script resized the figure (``w``, ``h`` in device pixels: matplotlib's
        ``set_size_inches`` calls this): every viewer is told the new size, and the figure
        renders at the pixel ratio that size allows (see :func:`.canvas.render_ratio`)."""
        self._announce_size(w, h, forward=forward)
        self.canvas.figure_thread.submit(self._fit_pixel_ratio)

    def _announce_size(self, w: float, h: float, *, forward: bool = False) -> None:
        """Tell every viewer the figure's size (``w``, ``h`` in device pixels); each gets a
        full frame of it."""
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
        """The figure was closed, by whoever: ``close_event`` fires (once, however often this
        is called), the figure gets matplotlib's base canvas back, as every backend's does,
        and every viewer's connection ends, saying why; from any thread."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        self.canvas.callbacks.process("close_event", CloseEvent("close_event", self.canvas))
        super().destroy()
        server_thread().call_soon(self._close_viewers)
        figure_changes.changed()

    def quit(self, *, all_figures: bool = False) -> None:
        """matplotlib's quit (``all_figures``: quit_all), from a key or a tool: a viewer's
        closes what the closing rule lets it; the script's, as matplotlib does."""
        if self._viewer_acting() is not None:
            self._close_for_viewer()
        elif all_figures:
            Gcf.destroy_all()
        else:
            Gcf.destroy_fig(self.canvas.figure)

    def _close_for_viewer(self) -> None:
        """On the figure's thread: a viewer closes the figure, if it is closable (see the
        closing rule in the class' docstring): for everyone, as ``plt.close`` would."""
        if self.closable:
            Gcf.destroy(self)
        else:
            _log.debug("figure %s is not pyplot's; a viewer may not close it", self.num)

    def _key_press(self, event: Event) -> None:
        """matplotlib's key bindings (``key_press_handler``); a quit key does only that."""
        assert isinstance(event, KeyEvent)
        quit_keys, quit_all_keys = mpl.rcParams["keymap.quit"], mpl.rcParams["keymap.quit_all"]
        if event.key in quit_keys or event.key in quit_all_keys:
            self.quit(all_figures=event.key in quit_all_keys)
        else:
            navigation = self.toolbar if isinstance(self.toolbar, NavigationToolbarWebfig) else None
            key_press_handler(event, self.canvas, navigation)

    def _describe(self, event: Event) -> None:
        """After a draw, on the figure's thread (holding its lock): the viewers that negotiated
        ``description`` hear the figure's text alternative, when it changed."""
        try:
            text = describe(self.canvas.figure)
        except Exception:  # an artist of a kind it does not know costs no draw
            self._refusals.report(
                "description", f"figure {self.num}: describing it failed", exc_info=True
            )
            return
        if text != self._description:
            self._description = text
            server_thread().call_soon(lambda: self._tell_describers(text))

    def _tell_describers(self, text: str) -> None:
        for viewer in self._delivery.viewers():
            self._send_description(viewer, text)

    def _send_description(self, viewer: Viewer, text: str) -> None:
        state = self._delivery.state(viewer)
        if state is None or DESCRIPTION not in state.extensions:
            return
        if text and self._described.get(viewer) != text:
            self._described[viewer] = text
            viewer.send_json(outgoing.description(text))

    def _viewer_acting(self) -> Viewer | None:
        """The viewer whose message the figure's thread is handling, if this is it doing so
        (rather than the script's thread, or a timer)."""
        viewer = self._replying_to
        return viewer if viewer is not None and self.canvas.figure_thread.is_current() else None

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
    def toolbar_kind(self) -> Literal["toolbar2", "toolmanager"] | None:
        if isinstance(self.toolbar, ToolContainerWebfig):
            return "toolmanager"
        return "toolbar2" if self.toolbar is not None else None

    def has_tool(self, name: str) -> bool:
        return isinstance(self.toolbar, ToolContainerWebfig) and self.toolbar.has_tool(name)

    @property
    def closable(self) -> bool:
        """pyplot's figures only: what ``plt.close`` could close, a viewer may close too."""
        return Gcf.figs.get(self.number) is self

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
        return download_formats(self.canvas)

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        """The figure as a file in ``fmt`` (see :func:`.saving.save_figure`); blocks."""
        return save_figure(self.canvas, fmt, options, lambda: self.schedule_render(changed=False))

    def pickled(self) -> bytes:
        """The figure pickled as it is now, holding its lock (a hub keeps it so after the
        script ends); its callbacks stay behind, as matplotlib's pickling leaves them."""
        with self.canvas.lock:
            return pickle.dumps(self.canvas.figure, protocol=5)

    # Viewers

    @property
    def viewer_count(self) -> int:
        return len(self._delivery)

    @property
    def frames_sent(self) -> int:
        """Frames sent to viewers so far, all viewers together."""
        return self._delivery.frames_sent

    def add_viewer(self, viewer: Viewer) -> None:
        """Start sending ``viewer`` this figure's messages; on the event loop only. The
        rendered size's bound (``max_pixels``) is read from the settings as it connects."""
        max_pixels = current_settings().max_pixels
        if max_pixels != self.canvas.max_pixels:
            self.canvas.figure_thread.submit(lambda: self._set_max_pixels(max_pixels))
        self._delivery.add(viewer)
        viewer.send_json(outgoing.figure_label(self._window_title))
        viewer.send_json(outgoing.resize(*self.size, forward=True))

    def remove_viewer(self, viewer: Viewer) -> None:
        self._delivery.remove(viewer)
        self._described.pop(viewer, None)
        self._renders.set_preview(viewer, False)
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
        viewer = self._viewer_acting()
        if viewer is not None:
            self._send_to(viewer, content)
        else:
            self.broadcast(content)

    def _send_to(self, viewer: Viewer, content: Message) -> None:
        """Send ``content`` to ``viewer`` if it is still here; from any thread."""
        if not server_thread().in_loop_thread():
            server_thread().call_soon(lambda: self._send_to(viewer, content))
        elif self._delivery.state(viewer) is not None:
            viewer.send_json(content)

    # Messages

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        """Act on one checked message from ``viewer``; on the event loop only.

        Delivery's own messages are handled at once; what needs the figure goes to its
        thread, after the figure's earlier work. A refresh and a hello wait for that work
        too, then run on the loop: a viewer that just sent its pixel ratio or size gets a
        picture that follows it, and the welcome tells the viewer all it sent before was
        handled.
        """
        state = self._delivery.state(viewer)
        if state is None:
            return
        match message:
            case Command(type="ack"):
                self._delivery.acknowledge(viewer)
            case Command(type="draw"):
                state.ready = True
                self._renders.want_current()
                self._renders.start()
            case Command(type="send_image_mode"):
                state.image_mode = "full" if state.needs_full else "diff"
                viewer.send_json(outgoing.image_mode(state.image_mode))
            case incoming.SupportsBinary():
                pass  # a matter of the transport, which handles it before we see it
            case incoming.Visibility(visible=visible):
                self._delivery.set_hidden(viewer, not visible, newer_coming=self._renders.wanted)
            case SetPixelRatio(ratio=ratio):
                state.pixel_ratio = ratio
                self._follow_pixel_ratios()
            case Command(type="refresh"):
                self._after_figure_work(viewer, lambda: self._refresh(viewer))
            case Hello(extensions=extensions):
                self._after_figure_work(viewer, lambda: self._welcome(viewer, state, extensions))
            case Mouse():
                self._pointer(viewer, state, message)
            case _:
                self.canvas.figure_thread.submit(lambda: self._on_figure(viewer, message))

    def frame_written(self, viewer: Viewer) -> None:
        self._delivery.written(viewer)

    def _pointer(self, viewer: Viewer, state: ViewerState, message: Mouse) -> None:
        """A pointer message goes to the figure's thread, where queued moves may merge."""
        if message.seq_problem is not None:
            # Once per viewer: a client that numbers one message wrong numbers them all.
            level = logging.DEBUG if state.seq_warned else logging.WARNING
            state.seq_warned = True
            _log.log(level, "figure %s: ignored a bad seq: %s", self.num, message.seq_problem)
        key = None
        if message.type == "motion_notify":
            # Answered on arrival: the move is queued for the figure, where moves that pile
            # up merge into the latest (seq and all), so the client may send the next now.
            if MOTION_ACK in state.extensions:
                viewer.send_json(outgoing.motion_ack())
            if message.buttons:
                self._delivery.note_change()  # a drag: the figure is about to move
            key = (viewer, message.buttons, message.modifiers)
        self.canvas.figure_thread.submit(lambda: self._on_figure(viewer, message), key=key)

    def _after_figure_work(self, viewer: Viewer, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop once the figure's thread did what it has now, unless
        ``viewer`` left meanwhile."""
        run = functools.partial(self._delivery.if_present, viewer, callback)
        self.canvas.figure_thread.submit(lambda: server_thread().call_soon(run))

    def _on_figure(self, viewer: Viewer, message: ClientMessage) -> None:
        """On the figure's thread: hand the figure a viewer's message."""
        self._replying_to = viewer
        try:
            with self.canvas.lock:
                match message:
                    case Mouse():
                        self.canvas.dispatch_mouse(message)
                    case Key():
                        self.canvas.dispatch_key(message)
                    case Resize(width=width, height=height):
                        self._resize_for(viewer, width, height)
                    case incoming.ToolbarButton(name=name):
                        self._press_tool(name)
                    case incoming.TriggerTool(name=name) if isinstance(
                        self.toolbar, ToolContainerWebfig
                    ):
                        self.toolbar.trigger(name)
                    case incoming.AdjustSubplots(params=params):
                        self.subplot_tool.adjust(params)
                    case Command(type="subplots_reset"):
                        self.subplot_tool.reset()
                    case Command(type="close_figure"):
                        self._close_for_viewer()
        finally:
            # Even after a callback that failed: the viewer's preview ends with its release.
            # A figure its callbacks left stale is not drawn: as on a desktop, a callback
            # that wants a draw asks for one (pyplot's interactive mode asks for it).
            self._replying_to = None
            if isinstance(message, Mouse):
                self._renders.handled(viewer, message)

    def _press_tool(self, name: incoming.ToolName) -> None:
        """On the figure's thread: a viewer pressed a toolbar button."""
        if self.toolbar is None:
            # Debug level: any viewer may press one, again and again (WebAgg's page shows
            # every button, whether the figure has a toolbar or not).
            _log.debug("figure %s has no toolbar; ignoring the %r button", self.num, name)
        else:
            self.toolbar.press(name)

    def _resize_for(self, viewer: Viewer, width: float, height: float) -> None:
        """On the figure's thread, holding its lock: ``viewer`` resizes the figure to
        ``width`` × ``height`` CSS pixels, for everyone. Beyond ``max_pixels`` a side it is
        refused (once a warning, then quietly), and only that viewer is told the size again,
        so its page takes back the size it previewed."""
        max_pixels = self.canvas.max_pixels
        if max(width, height) > max_pixels:
            self._refusals.report(
                "resize beyond max_pixels",
                f"figure {self.num}: refused a viewer's resize to {width:.0f} × {height:.0f}"
                f" CSS pixels: at most {max_pixels} a side (WEBFIG_MAX_PIXELS)",
            )
            self._send_to(viewer, outgoing.resize(*self.size, forward=False))
            return
        self.canvas.resize_to(width, height)
        self._announce_size(*self.canvas.get_width_height(physical=True))

    def _set_max_pixels(self, max_pixels: int) -> None:
        """On the figure's thread: the settings' bound changed since the last viewer came."""
        with self.canvas.lock:
            self.canvas.max_pixels = max_pixels
        self._fit_pixel_ratio()

    def _fit_pixel_ratio(self, asked: float | None = None) -> None:
        """On the figure's thread: render at the ratio viewers asked for (``asked``, a new
        one; else the last), as far as the figure's size allows now; the CSS size stays."""
        with self.canvas.lock:
            if asked is None:
                changed = self.canvas.fit_pixel_ratio()
            else:
                changed = self.canvas.set_pixel_ratio(asked)
        if changed:
            self._announce_size(*self.canvas.get_width_height(physical=True))

    def _follow_pixel_ratios(self) -> None:
        """Render at the highest pixel ratio a viewer asked for, as far as the figure's size
        allows (:func:`.canvas.render_ratio`); the CSS size stays."""
        ratios = [s.pixel_ratio for s in self._delivery.states() if s.pixel_ratio is not None]
        if ratios:  # else the last viewer left (or none said yet): nothing to re-render for
            ratio = max(ratios)
            self.canvas.figure_thread.submit(lambda: self._fit_pixel_ratio(ratio))

    def _welcome(self, viewer: Viewer, state: ViewerState, extensions: tuple[str, ...]) -> None:
        """Accept the extensions webfig knows; they change the protocol for this viewer only.
        Lossy frames and the preview come only with rect frames, as the settings allow."""
        settings = current_settings()
        state.negotiated(
            accepted_extensions(extensions, lossy=settings.lossy, preview=settings.preview)
        )
        self._renders.set_preview(viewer, state.preview)
        viewer.send_json(outgoing.welcome(PROTOCOL_VERSION, state.extensions))

    def _refresh(self, viewer: Viewer) -> None:
        viewer.send_json(outgoing.figure_label(self._window_title))
        if self.toolbar is not None:
            for content in self.toolbar.state_messages():
                viewer.send_json(content)
        viewer.send_json(outgoing.capture_scroll(self.canvas.capture_scroll))
        self._send_description(viewer, self._description)
        # With a render on its way, the viewer waits for it rather than get a stale picture
        # first (one from before its own pixel ratio, say).
        self._renders.want_current()
        self._delivery.request_full(viewer, newer_coming=self._renders.wanted)
        self._renders.start()

    # Rendering

    def revision(self) -> str:
        """Changes whenever the figure may have: every draw or blit asked for, and a figure
        changed since its last draw. Unique in the process, where figure numbers are reused:
        a download's ETag, made from it, never names another figure's file."""
        return self._renders.revision()

    def schedule_render(self, *, draw: bool = True, changed: bool = True) -> None:
        """Render and send a frame soon; from any thread. Calls before the render coalesce.

        ``draw=False`` publishes what Agg last drew (after a blit, or a draw by the script)
        without drawing the figure again. ``changed=False``: the figure is as it was, only
        Agg's buffer is not (a download drew it at another dpi).
        """
        self._renders.request(draw=draw, changed=changed)

    def note_restore(self, region: SavedRegion) -> None:
        """A blit restored ``region``: the next frame may tell viewers to restore it too."""
        self._renders.note_restore(region)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} figure {self.num}, {len(self._delivery)} viewer(s)>"


if TYPE_CHECKING:

    def _is_served_figure(manager: WebfigManager) -> ServedFigure:
        """Makes mypy check that the manager is what a server needs of a figure..."""
        return manager

    def _is_canvas_owner(manager: WebfigManager) -> CanvasOwner:
        """...and what its canvas needs of whoever shows it..."""
        return manager

    def _is_drawable(canvas: WebfigCanvas) -> Drawable:
        """...and that the canvas is what render scheduling and saving draw."""
        return canvas
