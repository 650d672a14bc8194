"""The hub's server: webfig's pages for the figures scripts publish to it, and the
publishing socket they publish on (docs/hub.md).

A published figure is a :class:`RemoteFigure`, a
:class:`~webfig.wire.interfaces.ServedFigure` like any other to the pages and handlers; what
its viewers say goes to the publishing script, what the script sends goes to them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hmac
import itertools
import logging
import shlex
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeVar

import tornado.web
import tornado.websocket
from tornado.ioloop import IOLoop

from ..hub import publishing
from ..hub.keeper import Keeper
from ..hub.kept_figure import KeptFigure
from ..hub.publishing import PublishedFigure, PublishingError, RunInfo
from ..hub.retention import Retention
from ..runtime.event_loop import server_thread
from ..runtime.log_once import ProblemLog
from ..wire import outgoing
from ..wire.figure_changes import figure_changes
from ..wire.incoming import ClientMessage
from ..wire.interfaces import DownloadOptions, ServedFigure, Viewer
from .handlers import WebSocket
from .handlers.guard import Guarded

_log = logging.getLogger(__name__)

T = TypeVar("T")

# The largest message a publisher may send: a frame of a big figure, or a saved file.
MAX_PUBLISHED_MESSAGE: Final = 256 * 1024 * 1024
# Seconds a download waits for the publishing script to save the figure.
SAVE_WAIT: Final = 120.0
# Seconds a kept figure's worker serves it with no viewer before the hub lets it go.
KEPT_IDLE: Final = 30.0


def _log_store_failure(done: concurrent.futures.Future[Any]) -> None:
    if not done.cancelled() and (error := done.exception()) is not None:
        _log.error("webfig hub: keeping a figure failed: %r", error, exc_info=error)


class SaveFailed(Exception):
    """The publishing script could not save the figure, or is gone."""


class RemoteFigure:
    """One figure a script publishes, as the hub serves it: its page from what the script
    announced, its viewers relayed to the script."""

    def __init__(
        self,
        number: int,
        info: PublishedFigure,
        publisher: PublishSocket,
        *,
        kept_status: str | None = None,
    ) -> None:
        """``kept_status``: a kept figure served live by a worker of the hub's, which its
        viewers' status line first says; the worker is let go once it has had no viewer
        for KEPT_IDLE seconds."""
        self._number = number
        self.info = info
        self.publisher = publisher
        self.kept_status = kept_status
        self._viewers: dict[int, Viewer] = {}
        self._ids: dict[Viewer, int] = {}
        self._revision = 0

    @property
    def number(self) -> int:
        return self._number

    @property
    def title(self) -> str:
        return self.info.label

    @property
    def closable(self) -> bool:
        return self.info.closable

    @property
    def toolbar_kind(self) -> Literal["toolbar2", "toolmanager"] | None:
        return self.info.toolbar_kind

    def has_tool(self, name: str) -> bool:
        """A ToolManager's tools pass here; the script checks them against its toolbar."""
        return self.info.toolbar_kind == "toolmanager"

    @property
    def size(self) -> tuple[float, float]:
        return self.info.width, self.info.height

    @property
    def size_inches(self) -> tuple[float, float]:
        return self.info.width_inches, self.info.height_inches

    @property
    def default_format(self) -> str:
        return self.info.default_format

    def download_formats(self) -> Mapping[str, str]:
        return self.info.formats

    def revision(self) -> str:
        # The hub does not know when the figure changed: every frame may be a change.
        return f"hub-{self._number}-{self._revision}"

    def add_viewer(self, viewer: Viewer) -> None:
        viewer_id = self.publisher.new_viewer(self)
        self._viewers[viewer_id] = viewer
        self._ids[viewer] = viewer_id
        self.publisher.send(publishing.viewer_opened_message(viewer_id, self.info.num))
        if self.kept_status is not None:
            viewer.send_json(outgoing.status(self.kept_status))

    def remove_viewer(self, viewer: Viewer) -> None:
        viewer_id = self._ids.pop(viewer, None)
        if viewer_id is not None:
            del self._viewers[viewer_id]
            self.publisher.forget_viewer(viewer_id)
            self.publisher.send(publishing.viewer_closed_message(viewer_id))
        if self.kept_status is not None and not self._viewers:
            IOLoop.current().call_later(KEPT_IDLE, self._let_go_if_idle)

    def _let_go_if_idle(self) -> None:
        if not self._viewers:
            self.publisher.close()  # the worker's serve_kept returns

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        raise TypeError("a published figure takes its viewers' messages as text (relay)")

    def relay(self, viewer: Viewer, text: str) -> None:
        """Pass one of ``viewer``'s messages, checked already, to the script."""
        viewer_id = self._ids.get(viewer)
        if viewer_id is not None:
            self.publisher.send(publishing.viewer_message(viewer_id, text))

    def frame_written(self, viewer: Viewer) -> None:
        viewer_id = self._ids.get(viewer)
        if viewer_id is not None:
            self.publisher.send(publishing.frame_written_message(viewer_id))

    def to_viewer(self, viewer_id: int, content: dict[str, Any]) -> None:
        if (viewer := self._viewers.get(viewer_id)) is not None:
            if self.kept_status is not None and content == outgoing.status(""):
                # A kept figure's status line says so whenever it says nothing else.
                viewer.send_json(outgoing.status(self.kept_status))
            else:
                viewer.send_json(content)

    def frame_to_viewer(self, viewer_id: int, blob: bytes) -> None:
        if (viewer := self._viewers.get(viewer_id)) is not None:
            self._revision += 1
            viewer.send_binary(blob)

    def reconnect_viewers(self) -> None:
        for viewer in list(self._viewers.values()):
            viewer.reconnect()

    def reconnect_viewer(self, viewer_id: int) -> None:
        if (viewer := self._viewers.get(viewer_id)) is not None:
            viewer.reconnect()

    def close_viewer(self, viewer_id: int) -> None:
        """Tell one viewer the figure is gone: the script does not have it."""
        if (viewer := self._viewers.get(viewer_id)) is not None:
            viewer.figure_closed()

    def closed(self) -> None:
        """The figure is gone (closed by its script, or the script is gone)."""
        for viewer in list(self._viewers.values()):
            viewer.figure_closed()
        self._viewers.clear()
        self._ids.clear()

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        """Ask the script for the file and wait for it (off the event loop)."""
        return self.publisher.save(self.info.num, fmt, options).result(SAVE_WAIT)


class HubFigures:
    """The figures on the hub, live (:class:`RemoteFigure`) and kept
    (:class:`~webfig.hub.kept_figure.KeptFigure`), by the store's figure ids, which stay
    theirs across hub restarts (a figure's number in its script is only unique in its run).
    A :class:`~webfig.server.registry.FigureRegistry`.

    What touches the store runs on one thread of its own, in order (:meth:`stored`), never
    on the event loop: writes wait for the disk, and a pickle waits for a worker to load it.
    """

    def __init__(self, keeper: Keeper, publish_token: str) -> None:
        self.keeper = keeper
        self._publish_token = publish_token
        #: Where the hub's workers reach it (``http://127.0.0.1:port``), once it listens.
        self.address: str | None = None
        self._lock = threading.Lock()
        self._figures: dict[int, ServedFigure] = {}
        # Kept figures served live by a worker (or on their way to it): the kept ones, for
        # when the worker is let go.
        self._served: dict[int, KeptFigure] = {}
        self._starting: set[int] = set()
        self._store_thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="webfig-hub-store"
        )

    def get(self, num: int) -> ServedFigure | None:
        with self._lock:
            return self._figures.get(num)

    def figures(self) -> list[ServedFigure]:
        with self._lock:
            return [self._figures[num] for num in sorted(self._figures)]

    def stored(self, call: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``call`` (of the store or the keeper) on the store's thread, after those
        before it; a failure is logged."""
        done = self._store_thread.submit(call)
        done.add_done_callback(_log_store_failure)
        return done

    def load_kept(self) -> None:
        """The kept figures, as the hub starts. Runs still live in the store were cut off
        by the hub's own end: lost (their scripts publish anew when it is back)."""
        store = self.keeper.store
        for listed in store.listing():
            run = listed.run
            if run.live:
                run = store.end_run(run.id, "lost")
            for figure in store.figures_of(run.id):
                self._keep(figure.run_id, figure.id)

    def _keep(self, run_id: str, figure_id: int) -> None:
        """Serve the store's figure ``figure_id`` as kept, if the store kept it (on the
        store's thread)."""
        store = self.keeper.store
        figure, run = store.figure(run_id, figure_id), store.run(run_id)
        picture = store.picture(run_id, figure_id)
        with self._lock:
            if figure is None or run is None or picture is None or figure.state == "live":
                self._figures.pop(figure_id, None)
            else:
                self._figures[figure_id] = KeptFigure(
                    figure, run, picture, self.keeper, stored=self.stored, on_viewer=self.want_live
                )
        figure_changes.changed()

    def want_live(self, kept: KeptFigure) -> None:
        """A viewer opened ``kept``: have a worker serve it live, unless one does or will
        (on the event loop). Its viewers see its picture meanwhile, and connect again once
        the worker serves it."""
        figure_id = kept.number
        if not self.keeper.serves or self.address is None or kept.figure.state != "kept":
            return
        if figure_id in self._starting:
            return
        self._starting.add(figure_id)
        address, token, store = self.address, self._publish_token, self.keeper.store

        def start() -> None:
            pickled = store.pickle(kept.figure.run_id, figure_id)
            if pickled is None:  # deleted meanwhile
                self._done_starting(figure_id)
                return
            serving = self.keeper.serve(pickled, address, token, figure_id, kept.title)
            serving.add_done_callback(lambda done: self._served_out(figure_id, done))

        self.stored(start)

    def _served_out(self, figure_id: int, done: concurrent.futures.Future[bytes]) -> None:
        """A worker is done serving ``figure_id`` (from the pool's thread)."""
        if not done.cancelled() and (error := done.exception()) is not None:
            _log.warning(
                "webfig hub: kept figure %d could not be served live: %s", figure_id, error
            )
        self._done_starting(figure_id)

    def _done_starting(self, figure_id: int) -> None:
        """No worker serves ``figure_id`` any more, or none will: a viewer may start one."""
        server_thread().call_soon(lambda: self._starting.discard(figure_id))

    def serve_live(self, figure_id: int, live: RemoteFigure) -> bool:
        """A worker serves kept figure ``figure_id`` as ``live``: its viewers go there (on
        the event loop). False if there is no such kept figure."""
        with self._lock:
            kept = self._figures.get(figure_id)
            if not isinstance(kept, KeptFigure):
                return False
            self._served[figure_id] = kept
            self._figures[figure_id] = live
        kept.reconnect_viewers()
        return True

    def kept_again(self, figure_id: int, live: RemoteFigure) -> None:
        """``live``'s worker is gone: the kept figure is served from its picture again, and
        its viewers go back there (on the event loop)."""
        with self._lock:
            kept = self._served.pop(figure_id, None)
            if kept is not None and self._figures.get(figure_id) is live:
                self._figures[figure_id] = kept
        live.reconnect_viewers()

    def add_live(self, figure: RemoteFigure) -> None:
        with self._lock:
            self._figures[figure.number] = figure
        figure_changes.changed()

    def changed(self) -> None:
        """A figure's label or size changed."""
        figure_changes.changed()

    def live_ended(
        self,
        run_id: Callable[[], str],
        figure_id: Callable[[], int],
        figure: RemoteFigure | None,
    ) -> concurrent.futures.Future[None]:
        """A live figure ended (closed by its script, or the script is gone): its viewers
        are told, and it is served as kept, if the store kept it, once the store had all
        that came before (the future says when). ``run_id`` and ``figure_id`` are read on
        the store's thread (after the store made them); ``figure`` is None for one that
        ended before it was on the hub."""
        if figure is not None:
            figure.closed()
        return self.stored(lambda: self._ended(run_id(), figure_id()))

    def _ended(self, run_id: str, figure_id: int) -> None:
        self.keeper.store.close_figure(run_id, figure_id)
        self._keep(run_id, figure_id)

    def delete(self, figure_id: int) -> None:
        """Remove kept figure ``figure_id`` from the hub and the store (on the store's
        thread)."""
        with self._lock:
            figure = self._figures.get(figure_id)
            served = self._served.pop(figure_id, None)
            kept = figure if isinstance(figure, KeptFigure) else served
            if kept is None:
                return
            del self._figures[figure_id]
        if isinstance(figure, RemoteFigure):
            # A worker serves it live: its viewers hear it is gone, and the worker goes.
            server_thread().call_soon(figure.closed)
            server_thread().call_soon(figure.publisher.close)
        self.keeper.store.delete_figure(kept.figure.run_id, figure_id)
        figure_changes.changed()

    def delete_run(self, run_id: str) -> None:
        """Remove an ended run and its figures from the hub and the store (on the store's
        thread)."""
        store = self.keeper.store
        ids = {figure.id for figure in store.figures_of(run_id)}
        store.delete_run(run_id)
        with self._lock:
            for figure_id in ids:
                self._figures.pop(figure_id, None)
        figure_changes.changed()

    def apply_retention(self, retention: Retention) -> concurrent.futures.Future[None]:
        """Remove what ``retention`` no longer keeps, from the store and from the hub."""
        return self.stored(lambda: self._expire(retention))

    def _expire(self, retention: Retention) -> None:
        expired = self.keeper.store.apply_retention(retention)
        with self._lock:
            for figure_id in expired.figures:
                self._figures.pop(figure_id, None)
        if expired.figures:
            _log.info(
                "webfig hub: retention removed %d figures (%d bytes)",
                len(expired.figures),
                expired.freed,
            )
            figure_changes.changed()

    def close(self) -> None:
        self._store_thread.shutdown(wait=True)
        self.keeper.close()


class PublishSocket(Guarded, tornado.websocket.WebSocketHandler):
    """``/publish``: one publishing process' connection (docs/hub.md).

    Security: a publisher needs the publish token, in the ``Authorization`` header; it is
    not the viewers' token, and it lets a script put figures on the hub, not view others'.
    Browsers cannot set that header on a websocket, and any request with an ``Origin`` or a
    ``Sec-Fetch-Site`` (as every browser's has) is refused, so no web page can publish, not
    even one of the hub's own. A pickle it sends is loaded only in a worker process,
    through the restricted unpickler (:class:`~webfig.hub.keeper.Keeper`).
    """

    def initialize(self, figures: HubFigures, publish_token: str, problems: ProblemLog) -> None:
        self.figures = figures
        self.publish_token = publish_token
        self.problems = problems
        self._loop = IOLoop.current()
        self.run: RunInfo | None = None
        self._run_id: concurrent.futures.Future[str] | None = None
        self._how_ended: str = "lost"
        # Figures by the script's numbers: on the hub, announced last as, and their ids in
        # the store (a future: the store makes them on its thread).
        self._published: dict[int, RemoteFigure] = {}
        self._announced: dict[int, PublishedFigure] = {}
        self._figure_ids: dict[int, concurrent.futures.Future[int]] = {}
        self._viewers: dict[int, RemoteFigure] = {}
        self._viewer_ids = itertools.count(1)
        self._saves: dict[int, concurrent.futures.Future[bytes]] = {}
        self._save_ids = itertools.count(1)

    def prepare(self) -> None:
        """The publish token, not the viewers' rules (:class:`Guarded` gives the one line
        in the log a refusal gets)."""
        headers = self.request.headers
        if "Origin" in headers or "Sec-Fetch-Site" in headers:
            # A browser's: scripts publish, web pages (this hub's own included) do not.
            raise tornado.web.HTTPError(403, "a web page may not publish to the hub")
        scheme, _, token = headers.get(publishing.TOKEN_HEADER, "").partition(" ")
        if scheme != publishing.TOKEN_SCHEME or not token:
            raise tornado.web.HTTPError(
                401, "publishing needs the hub's publish token (WEBFIG_HUB_TOKEN)"
            )
        if not hmac.compare_digest(token.encode(), self.publish_token.encode()):
            raise tornado.web.HTTPError(
                403, "the publish token (WEBFIG_HUB_TOKEN) is not this hub's"
            )

    def check_origin(self, origin: str) -> bool:
        return False  # (prepare refused every request with an origin already)

    @property
    def max_message_size(self) -> int:
        """Frames of big figures, pickles and saved files, not a viewer's small messages."""
        return MAX_PUBLISHED_MESSAGE

    def on_message(self, message: str | bytes) -> None:
        try:
            if isinstance(message, bytes):
                self._binary(message)
            else:
                self._text(publishing.parse(message))
        except PublishingError as error:
            self.problems.report(
                "bad publisher message", f"{self.request.remote_ip}: ignored a message: {error}"
            )

    def _text(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if self.run is None:
            if kind != "run":
                raise PublishingError(f"the first message must say what runs, not {kind!r}")
            self._started(publishing.read_run(message))
            return
        read = {
            "figure": lambda: self._figure(publishing.read_figure(message)),
            "figure_closed": lambda: self._figure_closed(publishing.read_num(message)),
            "to_viewer": lambda: self._to_viewer(
                publishing.read_viewer(message), publishing.read_to_viewer(message)
            ),
            "viewer_closed": lambda: self._viewer_closed(publishing.read_viewer(message)),
            "save_failed": lambda: self._save_failed(
                publishing.read_request(message), publishing.read_problem(message)
            ),
            "end": lambda: self._ended(publishing.read_end(message)),
            "viewer_reconnect": lambda: self._viewer_reconnect(publishing.read_viewer(message)),
        }.get(kind)
        if read is None:
            raise PublishingError(f"unknown message type {kind[:40]!r}")
        read()

    def _figure_closed(self, num: int) -> None:
        if self.run is not None and self.run.kept is not None:
            if (live := self._published.pop(num, None)) is not None:
                self.figures.kept_again(self.run.kept, live)
            return
        self._announced.pop(num, None)
        if (figure_id := self._figure_ids.pop(num, None)) is not None:
            self.figures.live_ended(self._run, figure_id.result, self._published.pop(num, None))

    def _to_viewer(self, viewer_id: int, content: dict[str, Any]) -> None:
        if (figure := self._viewers.get(viewer_id)) is not None:
            figure.to_viewer(viewer_id, content)

    def _viewer_closed(self, viewer_id: int) -> None:
        """The script has no such figure (any more): the viewer's page hears it is gone."""
        if (figure := self._viewers.get(viewer_id)) is not None:
            figure.close_viewer(viewer_id)

    def _viewer_reconnect(self, viewer_id: int) -> None:
        if (figure := self._viewers.get(viewer_id)) is not None:
            figure.reconnect_viewer(viewer_id)

    def _save_failed(self, request: int, problem: str) -> None:
        if (saving := self._saves.pop(request, None)) is not None:
            saving.set_exception(SaveFailed(problem))

    @property
    def _serves_kept(self) -> bool:
        return self.run is not None and self.run.kept is not None

    def _ended(self, how: publishing.HowEnded) -> None:
        if self._serves_kept:
            return
        self._how_ended = how
        self.figures.stored(lambda: self.figures.keeper.store.end_run(self._run(), how))

    def _started(self, run: RunInfo) -> None:
        self.run = run
        if run.kept is not None:
            _log.info("webfig hub: a worker serves kept figure %d live", run.kept)
            return  # a worker of the hub's: nothing to store
        store = self.figures.keeper.store
        self._run_id = self.figures.stored(
            lambda: (
                store.add_run(
                    host=run.host,
                    script=run.script,
                    started=run.started,
                    argv=shlex.join(run.argv),
                    pid=run.pid,
                ).id
            )
        )
        _log.info("webfig hub: %s on %s publishes", run.script, run.host)

    def _run(self) -> str:
        """The run's id in the store (called on the store's thread, after add_run)."""
        assert self._run_id is not None
        return self._run_id.result()

    def _figure(self, info: PublishedFigure) -> None:
        assert self.run is not None
        if self.run.kept is not None:
            self._kept_figure(self.run.kept, info)
            return
        known = info.num in self._announced
        self._announced[info.num] = info
        if (figure := self._published.get(info.num)) is not None:
            relabelled = figure.info.label != info.label
            figure.info = info
            self.figures.changed()
            if relabelled:
                self.figures.stored(
                    lambda: self.figures.keeper.store.relabel_figure(
                        self._run(), figure.number, info.label
                    )
                )
        elif not known:
            store = self.figures.keeper.store
            added = self.figures.stored(
                lambda: store.add_figure(self._run(), info.num, info.label).id
            )
            self._figure_ids[info.num] = added
            added.add_done_callback(
                lambda done: self._loop.add_callback(self._figure_stored, info.num, done)
            )

    def _kept_figure(self, figure_id: int, info: PublishedFigure) -> None:
        """A worker announced the kept figure it serves: it goes live on the hub."""
        if (figure := self._published.get(info.num)) is not None:
            figure.info = info
            return
        kept = self.figures.get(figure_id)
        status = kept.status_live() if isinstance(kept, KeptFigure) else None
        live = RemoteFigure(figure_id, info, self, kept_status=status)
        if not self.figures.serve_live(figure_id, live):
            self.close()
            return
        self._published[info.num] = live

    def _figure_stored(self, num: int, added: concurrent.futures.Future[int]) -> None:
        """The store has figure ``num``: it goes on the hub, as announced last."""
        info = self._announced.get(num)
        if info is None or self.ws_connection is None or self._figure_ids.get(num) is not added:
            return  # closed, or gone, meanwhile: on_close and figure_closed saw to the store
        figure = RemoteFigure(added.result(), info, self)
        self._published[num] = figure
        self.figures.add_live(figure)

    def _binary(self, data: bytes) -> None:
        kind, owner, content = publishing.parse_binary(data)
        if kind == publishing.FRAME:
            if (figure := self._viewers.get(owner)) is not None:
                figure.frame_to_viewer(owner, content)
        elif kind == publishing.SAVED:
            if (saving := self._saves.pop(owner, None)) is not None:
                saving.set_result(content)
        elif (figure_id := self._figure_ids.get(owner)) is not None and not self._serves_kept:
            keeper = self.figures.keeper
            if kind == publishing.PICTURE:
                self.figures.stored(
                    lambda: keeper.store.put_picture(self._run(), figure_id.result(), content)
                )
            else:
                self.figures.stored(
                    lambda: keeper.keep_pickle(self._run(), figure_id.result(), content)
                )

    def on_close(self) -> None:
        if self.run is not None and self.run.kept is not None:
            for live in self._published.values():
                self.figures.kept_again(self.run.kept, live)
            self._published.clear()
            self._viewers.clear()
            return
        for num, figure_id in self._figure_ids.items():
            self.figures.live_ended(self._run, figure_id.result, self._published.get(num))
        if self.run is not None:
            how = self._how_ended
            if how == "lost":
                self.figures.stored(lambda: self.figures.keeper.store.end_run(self._run(), "lost"))
            _log.info("webfig hub: %s on %s is gone (%s)", self.run.script, self.run.host, how)
        self._published.clear()
        self._announced.clear()
        self._figure_ids.clear()
        self._viewers.clear()
        for saving in self._saves.values():
            saving.set_exception(SaveFailed("the script that published the figure is gone"))
        self._saves.clear()

    # What the figures it published ask of it, on the event loop (save: from any thread).

    def new_viewer(self, figure: RemoteFigure) -> int:
        viewer_id = next(self._viewer_ids)
        self._viewers[viewer_id] = figure
        return viewer_id

    def forget_viewer(self, viewer_id: int) -> None:
        self._viewers.pop(viewer_id, None)

    def send(self, message: str) -> None:
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):  # on_close cleans up
            self.write_message(message)

    def save(
        self, num: int, fmt: str, options: DownloadOptions
    ) -> concurrent.futures.Future[bytes]:
        saving: concurrent.futures.Future[bytes] = concurrent.futures.Future()

        def ask() -> None:
            if self.ws_connection is None:
                saving.set_exception(SaveFailed("the script that published the figure is gone"))
                return
            request = next(self._save_ids)
            self._saves[request] = saving
            self.send(publishing.save_message(request, num, fmt, options))

        self._loop.add_callback(ask)
        return saving


class RelayedWebSocket(WebSocket):
    """A hub viewer's websocket: its messages, once they pass the same checks a script's
    own server applies, go to the publishing script (or the worker serving a kept figure) as
    they came; a kept figure served from its picture takes them itself."""

    def _handle(self, parsed: ClientMessage, text: str | bytes) -> None:
        if isinstance(self.figure, RemoteFigure):
            self.figure.relay(self, text if isinstance(text, str) else text.decode())
        else:  # a kept figure, served from its picture here
            super()._handle(parsed, text)
