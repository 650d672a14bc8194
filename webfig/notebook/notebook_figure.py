"""One figure in a notebook: its widget, the views it is displayed in, and their messages."""

from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Final

from ..rendering.render import content_type
from ..runtime.event_loop import download_pool, server_thread
from ..runtime.log_once import ProblemLog
from ..wire.incoming import Command, Key, Mouse, ProtocolError, SupportsBinary, parse_message
from ..wire.interfaces import DownloadOptions, ServedFigure
from ..wire.viewer_messages import deliver
from .comm_viewer import CommViewer
from .figure_widget import FigureWidget
from .view_probe import ViewProbe

_log = logging.getLogger(__name__)

# A view id is the browser's random hex; anything longer is not one of webfig's.
MAX_VIEW_ID: Final = 64


class NotebookFigure:
    """A figure shown in a notebook through its :class:`FigureWidget`.

    Each place the widget is displayed is a view, which opens, sends messages and closes over
    the widget's comm; each open view is a :class:`CommViewer` of the figure. Messages are
    checked as a websocket's are (:func:`~webfig.wire.viewer_messages.deliver`'s rules) and
    handled on the event loop, as the figure expects.

    ``kernel_busy()`` says whether a cell is running, when the browser's acknowledgements
    cannot be read (see :class:`CommViewer`). ``tab_url(figure)``, which may block, starts
    webfig's own server if need be and gives the address of the figure's page there.

    Security: the comm reaches only the notebook's own front end, which the Jupyter server
    already let in; still, nothing it sends is trusted beyond what a websocket's viewer may
    do.
    """

    def __init__(
        self,
        figure: ServedFigure,
        markup: str,
        *,
        kernel_busy: Callable[[], bool],
        tab_url: Callable[[ServedFigure], str] | None = None,
    ) -> None:
        self.figure = figure
        self.widget = FigureWidget(markup=markup)
        self._kernel_busy = kernel_busy
        self._tab_url = tab_url
        self._views: dict[str, CommViewer] = {}
        # Saves under way, by format: a view that asks again awaits the same file.
        self._saving: dict[str, concurrent.futures.Future[bytes]] = {}
        self._problems = ProblemLog(_log)
        # When a view last sent pointer or key input, and the views holding a button down.
        self._last_input = -math.inf
        self._holding: set[str] = set()
        self._probe = ViewProbe(ping=self._ping, gone=self._let_go, kernel_busy=kernel_busy)
        self.widget.on_msg(self._received)

    @property
    def view_count(self) -> int:
        return len(self._views)

    def left_alone_for(self, seconds: float) -> bool:
        """Whether no view has had a pointer or a key on the figure for ``seconds``, and none
        holds a button down: the outputs may be rendered anew without cutting a gesture."""
        return not self._holding and time.monotonic() - self._last_input >= seconds

    def close(self) -> None:
        """Close the widget (its comm, and every view of it in the front end); on the loop,
        after whatever was sent before."""
        server_thread().call_soon(self._probe.cancel)
        server_thread().call_soon(self.widget.close)

    # From the front end

    def _received(self, widget: object, content: object, buffers: object) -> None:
        """A comm message, on the kernel's shell thread: handled on the event loop."""
        server_thread().call_soon(lambda: self._handle(content))

    def _handle(self, content: object) -> None:
        if not isinstance(content, dict):
            self._report("not an object", "ignored a comm message that is not an object")
            return
        view = content.get("view")
        if not isinstance(view, str) or not 0 < len(view) <= MAX_VIEW_ID:
            self._report("no view", "ignored a comm message with no valid view id")
            return
        if content.get("open") is True:
            self._open(view)
            return
        viewer = self._views.get(view)
        if viewer is None:
            self._report("unknown view", "ignored a comm message from a view that is not open")
        elif content.get("close") is True:
            self._close(viewer, cleared=content.get("cleared") is True)
        elif "pong" in content:
            self._probe.answered(view, content["pong"])
        elif "message" in content:
            self._message(viewer, content["message"])
        elif isinstance(content.get("request"), int):
            self._request(viewer, content["request"], content)
        else:
            self._report("unknown", "ignored a comm message of no known kind")

    def _open(self, view: str) -> None:
        """A view opened. A page that opens one may be a page reloaded, or a notebook opened
        again, whose views went without a word: the others are probed."""
        if view in self._views:
            return
        others = list(self._views)
        viewer = CommViewer(
            view, self._send, frame_sent=self._frame_sent, figure_closed=self._forget
        )
        self._views[view] = viewer
        self.figure.add_viewer(viewer)
        self._probe.start(others)

    def _close(self, viewer: CommViewer, *, cleared: bool) -> None:
        """A view closed; ``cleared``: because its output was cleared, which closes the
        figure, as its close button would, when no other view of it is left once the silent
        ones are let go (a figure shown in another cell too stays there)."""
        self._forget(viewer)
        if not (cleared and self.figure.closable):
            self.figure.remove_viewer(viewer)
            return

        def close_if_unseen() -> None:
            if not self._views and self.widget.comm is not None:
                self.figure.handle_message(viewer, Command("close_figure"))
            self.figure.remove_viewer(viewer)

        self._probe.start(self._views, then=close_if_unseen)

    def _forget(self, viewer: CommViewer) -> None:
        self._views.pop(viewer.view, None)
        self._holding.discard(viewer.view)
        self._probe.forget(viewer.view)

    def _ping(self, view: str, number: int) -> None:
        viewer = self._views.get(view)
        if viewer is not None:
            viewer.ping(number)

    def _let_go(self, views: set[str]) -> None:
        """Views that did not answer a probe: their page is gone."""
        for view in views:
            viewer = self._views.get(view)
            if viewer is not None:
                _log.debug("figure %s: view %s did not answer; let go", self.figure.number, view)
                self._close(viewer, cleared=False)

    def _message(self, viewer: CommViewer, message: object) -> None:
        try:
            parsed = parse_message(json.dumps(message))
        except (ProtocolError, TypeError, ValueError) as error:
            kind = error.kind if isinstance(error, ProtocolError) else "not JSON"
            self._report(kind, f"ignored a message: {error}")
            return
        if isinstance(parsed, SupportsBinary):
            return  # frames always travel as buffers here
        if parsed == Command("ack") and not viewer.take_ack():
            return
        if isinstance(parsed, Mouse | Key):
            self._last_input = time.monotonic()
            if isinstance(parsed, Mouse) and parsed.buttons:
                self._holding.add(viewer.view)
            else:
                self._holding.discard(viewer.view)
        deliver(
            self.figure, parsed, self._report, lambda: self.figure.handle_message(viewer, parsed)
        )

    def _frame_sent(self, viewer: CommViewer) -> None:
        """On the loop, after a frame went out: while a cell runs the browser's acknowledgement
        cannot be read, so the frame is counted acknowledged now (the browser's, when it
        comes, is dropped) and the figure goes on sending what the script draws."""
        if self._kernel_busy() and viewer.view in self._views:
            viewer.stand_in_ack()
            self.figure.handle_message(viewer, Command("ack"))

    # Requests: a file, a tab

    def _request(self, viewer: CommViewer, request: int, content: dict[str, Any]) -> None:
        download = content.get("download")
        if isinstance(download, dict):
            self._download(viewer, request, download.get("format"))
        elif content.get("tab") is True and self._tab_url is not None:
            self._open_tab(viewer, request)
        else:
            self._report("unknown request", "refused a request of no known kind")
            viewer.reply(request, {"error": "unknown request"})

    def _download(self, viewer: CommViewer, request: int, fmt: object) -> None:
        formats = self.figure.download_formats()
        if not isinstance(fmt, str) or fmt.lower() not in formats:
            supported = ", ".join(sorted(formats))
            error = f"Unknown format {str(fmt)[:20]!r}; supported: {supported}."
            self._report("download: format", f"refused a download: {error}")
            viewer.reply(request, {"error": error})
            return
        fmt = fmt.lower()
        saving = self._saving.get(fmt)
        if saving is None:
            saving = download_pool().submit(self.figure.save, fmt, DownloadOptions())
            self._saving[fmt] = saving
            saving.add_done_callback(lambda _: server_thread().call_soon(lambda: self._saved(fmt)))
        saving.add_done_callback(
            lambda done: server_thread().call_soon(
                lambda: self._send_file(viewer, request, fmt, done)
            )
        )

    def _saved(self, fmt: str) -> None:
        self._saving.pop(fmt, None)

    def _send_file(
        self,
        viewer: CommViewer,
        request: int,
        fmt: str,
        done: concurrent.futures.Future[bytes],
    ) -> None:
        error = done.exception()
        if error is not None:
            self._report(
                f"download: {type(error).__name__}", f"saving a {fmt} file failed: {error!r}"
            )
            viewer.reply(request, {"error": f"the {fmt} file could not be made"})
        else:
            viewer.reply(request, {"type": content_type(fmt)}, done.result())

    def _open_tab(self, viewer: CommViewer, request: int) -> None:
        assert self._tab_url is not None
        starting = download_pool().submit(self._tab_url, self.figure)

        def started(done: concurrent.futures.Future[str]) -> None:
            error = done.exception()
            if error is not None:
                self._report("tab", f"no tab of the figure's own server: {error}")
                viewer.reply(request, {"error": str(error)})
            else:
                viewer.reply(request, {"url": done.result()})

        starting.add_done_callback(lambda done: server_thread().call_soon(lambda: started(done)))

    # To the front end

    def _send(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        """On the loop. A widget closed meanwhile (its figure closed) takes nothing more."""
        if self.widget.comm is not None:
            self.widget.send(content, buffers)

    def _report(self, kind: str, problem: str, *, exc_info: bool = False) -> None:
        self._problems.report(kind, f"figure {self.figure.number}: {problem}", exc_info=exc_info)
