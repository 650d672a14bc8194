"""The figure manager: one figure, the viewers that watch it, and the frames they get."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import matplotlib as mpl
from matplotlib.backend_bases import FigureManagerBase

from . import protocol
from .eventloop import server_thread
from .frames import Frame, FrameKind, Pixels, encode_frame
from .protocol import ClientMessage, Command, Hello, Key, Mouse, Resize, SetPixelRatio
from .toolbar import NavigationToolbarWebfig
from .viewer import Viewer

if TYPE_CHECKING:
    from .canvas import FigureCanvasWebfig

_log = logging.getLogger(__name__)


@dataclass
class _ViewerState:
    """What the manager remembers of one viewer."""

    # The viewer asked for frames (with its first refresh or draw); until then it gets none,
    # so the full frame it asks for is the only one it gets on connecting.
    ready: bool = False
    # The viewer does not show the last published frame and must get a full one.
    needs_full: bool = True
    # The image mode last announced to the viewer with an ``image_mode`` message.
    image_mode: FrameKind | None = None
    extensions: frozenset[str] = field(default_factory=frozenset)


class FigureManagerWebfig(FigureManagerBase):
    """Keeps every viewer of one figure up to date.

    Viewer bookkeeping, message handling and rendering all run on the server's event loop;
    the public methods that a script may call from its own thread (``resize``,
    ``set_window_title``, ``broadcast``, ``schedule_render``) hand their work to the loop.
    Renders are coalesced: any number of ``draw_idle`` calls before the loop gets to it make
    one render, and each frame is encoded once, however many viewers receive it.
    """

    canvas: FigureCanvasWebfig
    toolbar: NavigationToolbarWebfig | None

    def __init__(self, canvas: FigureCanvasWebfig, num: int) -> None:
        self._viewers: dict[Viewer, _ViewerState] = {}
        self._window_title = ""
        self._last_pixels: Pixels | None = None
        self._schedule_lock = threading.Lock()
        self._render_pending = False
        self._needs_draw = True
        # The viewer whose message is being handled, so replies (``save``) reach only it.
        self._replying_to: Viewer | None = None
        super().__init__(canvas, num)
        if mpl.rcParams["toolbar"] == "toolbar2":
            self.toolbar = NavigationToolbarWebfig(canvas, self.broadcast, self.reply)

    # matplotlib's manager interface

    def show(self) -> None:
        """Make sure the figure server is running; the figure is live from now on."""
        from .server import default_server  # the backend starts the server, never the reverse

        default_server().ensure_started()

    @classmethod
    def start_main_loop(cls) -> None:
        """Serve until Ctrl+C (what a blocking ``plt.show()`` does)."""
        from .server import default_server

        default_server().serve_until_interrupted()

    def resize(self, w: float, h: float, forward: bool = True) -> None:
        """Tell every viewer the figure's new size (``w``, ``h`` in device pixels)."""
        ratio = self.canvas.device_pixel_ratio
        self.broadcast({"type": "resize", "size": [w / ratio, h / ratio], "forward": forward})
        server_thread().call_soon(self._invalidate_all_viewers)
        self.schedule_render()

    def set_window_title(self, title: str) -> None:
        self._window_title = title
        self.broadcast({"type": "figure_label", "label": title})

    def get_window_title(self) -> str:
        return self._window_title

    def destroy(self) -> None:
        server_thread().call_soon(self._viewers.clear)

    # Viewers

    @property
    def viewer_count(self) -> int:
        return len(self._viewers)

    def add_viewer(self, viewer: Viewer) -> None:
        """Start sending ``viewer`` this figure's messages; on the event loop only."""
        self._viewers[viewer] = _ViewerState()
        viewer.send_json({"type": "figure_label", "label": self._window_title})
        width, height = self.canvas.get_width_height()
        viewer.send_json({"type": "resize", "size": [width, height], "forward": True})

    def remove_viewer(self, viewer: Viewer) -> None:
        self._viewers.pop(viewer, None)

    def broadcast(self, content: Mapping[str, object]) -> None:
        """Send ``content`` to every viewer; from any thread."""
        if server_thread().in_loop_thread():
            for viewer in list(self._viewers):
                viewer.send_json(content)
        else:
            server_thread().call_soon(lambda: self.broadcast(content))

    def reply(self, content: Mapping[str, object]) -> None:
        """Send ``content`` to the viewer being answered, or to all when there is none."""
        if self._replying_to is not None:
            self._replying_to.send_json(content)
        else:
            self.broadcast(content)

    # Messages

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        """Act on one checked message from ``viewer``; on the event loop only."""
        state = self._viewers.get(viewer)
        if state is None:
            return
        self._replying_to = viewer
        try:
            self._dispatch(viewer, state, message)
        finally:
            self._replying_to = None
        # A callback may have changed the figure without asking for a draw. (Before the first
        # frame the figure is stale anyway, and the viewer's refresh will render it.)
        if self._last_pixels is not None and self.canvas.figure.stale:
            self.schedule_render()

    def _dispatch(self, viewer: Viewer, state: _ViewerState, message: ClientMessage) -> None:
        match message:
            case Mouse():
                self.canvas.dispatch_mouse(message)
            case Key():
                self.canvas.dispatch_key(message)
            case Command(type="ack"):
                pass
            case Command(type="draw"):
                state.ready = True
                self.schedule_render(draw=False)
            case Command(type="refresh"):
                self._refresh(viewer, state)
            case Command(type="send_image_mode"):
                self._announce_image_mode(viewer, state, "full" if state.needs_full else "diff")
            case SetPixelRatio(ratio=ratio):
                if self.canvas.set_pixel_ratio(ratio):
                    self.resize(*self.canvas.get_width_height(physical=True), forward=False)
            case Resize(width=width, height=height):
                self.canvas.resize_to(width, height)
                self.resize(*self.canvas.get_width_height(physical=True), forward=False)
            case protocol.ToolbarButton(name=name):
                self._press_tool(name)
            case Hello(extensions=extensions):
                state.extensions = frozenset(extensions) & protocol.SUPPORTED_EXTENSIONS
                viewer.send_json(
                    {
                        "type": "webfig_welcome",
                        "protocol": protocol.PROTOCOL_VERSION,
                        "extensions": sorted(state.extensions),
                    }
                )
            case protocol.SupportsBinary():
                pass  # a matter of the transport, which handles it before we see it

    def _refresh(self, viewer: Viewer, state: _ViewerState) -> None:
        viewer.send_json({"type": "figure_label", "label": self._window_title})
        if self.toolbar is not None:
            for content in self.toolbar.state_messages():
                viewer.send_json(content)
        viewer.send_json({"type": "capture_scroll", "capture_scroll": self.canvas.capture_scroll})
        state.ready = True
        state.needs_full = True
        self.schedule_render(draw=False)

    def _press_tool(self, name: protocol.ToolName) -> None:
        if self.toolbar is None:
            _log.warning("figure %s has no toolbar; ignoring the %r button", self.num, name)
        elif name == "download":
            self.toolbar.save_figure()
        else:
            getattr(self.toolbar, name)()

    # Rendering

    def schedule_render(self, *, draw: bool = True) -> None:
        """Render and send a frame soon; from any thread. Calls before the render coalesce.

        ``draw=False`` publishes what Agg last drew without drawing the figure again.
        """
        with self._schedule_lock:
            self._needs_draw = self._needs_draw or draw
            if self._render_pending:
                return
            self._render_pending = True
        server_thread().call_soon(self._render)

    def _invalidate_all_viewers(self) -> None:
        for state in self._viewers.values():
            state.needs_full = True

    def _render(self) -> None:
        with self._schedule_lock:
            self._render_pending = False
            needs_draw = self._needs_draw or self.canvas.figure.stale
            if not self._viewers:
                return  # nobody to show it to; the next viewer's refresh renders
            self._needs_draw = False
        if needs_draw:
            self.canvas.render_agg()
        self._publish(self.canvas.pixels())

    def _publish(self, current: Pixels) -> None:
        """Send each viewer the frame that brings it to ``current``, encoding each once."""
        in_step = [v for v, s in self._viewers.items() if s.ready and not s.needs_full]
        behind = [v for v, s in self._viewers.items() if s.ready and s.needs_full]
        frame = encode_frame(self._last_pixels, current) if in_step else None
        if frame is not None:
            self._send_frame(in_step, frame)
        if behind:
            if frame is None or frame.kind != "full":
                frame = cast(Frame, encode_frame(None, current, full=True))
            self._send_frame(behind, frame)
        self._last_pixels = current

    def _send_frame(self, viewers: list[Viewer], frame: Frame) -> None:
        for viewer in viewers:
            state = self._viewers[viewer]
            self._announce_image_mode(viewer, state, frame.kind)
            viewer.send_binary(frame.png)
            state.needs_full = False

    @staticmethod
    def _announce_image_mode(viewer: Viewer, state: _ViewerState, mode: FrameKind) -> None:
        if state.image_mode != mode:
            state.image_mode = mode
            viewer.send_json({"type": "image_mode", "mode": mode})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} figure {self.num}, {len(self._viewers)} viewer(s)>"
