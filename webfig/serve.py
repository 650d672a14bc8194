"""``python -m webfig serve``: the hub, a long-running server that scripts anywhere publish
their figures to and that keeps them after the scripts end (docs/hub.md); and its
composition root, as :mod:`webfig.backend` is pyplot's."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Final

from matplotlib.figure import Figure

from .config import Settings, current_settings
from .figure.canvas import WebfigCanvas
from .figure.manager import WebfigManager
from .hub.keeper import Keeper
from .hub.publishing import RunInfo
from .hub.retention import Retention
from .hub.safe_pickle import load_figure
from .hub.store import HubStore
from .runtime.event_loop import server_thread
from .server.access import new_token
from .server.figure_server import FigureServer
from .server.hub_app import hub_application
from .server.hub_server import HubFigures
from .server.publisher import HubPublisher
from .server.registry import FixedFigures

_log = logging.getLogger(__name__)

PUBLISH_TOKEN_VARIABLE: Final = "WEBFIG_PUBLISH_TOKEN"
# Seconds between two applications of the retention rules.
RETENTION_INTERVAL: Final = 60.0


def default_data_directory() -> Path:
    """Where a hub keeps its figures unless told: the user's data directory's
    ``webfig-hub`` (``$XDG_DATA_HOME``, else ``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "webfig-hub"


def serve_kept(pickled: bytes, hub: str, token: str, figure_id: int, label: str) -> Figure:
    """In a worker of the hub's: serve kept figure ``figure_id`` (``pickled``, loaded
    through the restricted unpickler) to the hub at ``hub`` as a script would, live but for
    its Python callbacks, which did not survive; until the hub closes the connection (its
    viewers left). The figure, as they left it."""
    figure = load_figure(pickled)
    manager = WebfigManager(WebfigCanvas(figure), figure_id)
    manager.set_window_title(label)
    run = RunInfo(
        host=socket.gethostname(),
        script=f"kept figure {figure_id}",
        argv=(),
        pid=os.getpid(),
        started=time.time(),
        kept=figure_id,
    )
    publisher = HubPublisher(hub, token, FixedFigures([manager]), run, script=False)
    publisher.start()
    try:
        publisher.wait_ended()
    finally:
        publisher.stop()
    return figure


def hub_server(settings: Settings, publish_token: str, figures: HubFigures) -> FigureServer:
    """A hub serving ``figures`` with ``settings`` (not started); publishers need
    ``publish_token``."""
    return FigureServer(
        settings,
        figures,
        make_application=lambda access, sockets: hub_application(
            figures, publish_token, access, sockets, settings.url_prefix
        ),
    )


def main(
    address: str | None = None,
    port: int | None = None,
    data: Path | None = None,
    retention: Retention | None = None,
) -> None:
    """Serve the hub until Ctrl+C: on ``address`` and ``port`` if given, else as the
    settings say (``WEBFIG_ADDRESS``, ``WEBFIG_PORT``, ``WEBFIG_TOKEN`` for viewers), keeping
    figures in ``data`` (else :func:`default_data_directory`) as ``retention`` says. The
    publish token is ``WEBFIG_PUBLISH_TOKEN``, or one made up and printed."""
    # Not the browser: a hub runs on a server, and its users open it from elsewhere.
    settings = dataclasses.replace(current_settings(), open_browser=False)
    if address is not None:
        settings = dataclasses.replace(settings, address=address)
    if port is not None:
        settings = dataclasses.replace(settings, port=port)
    publish_token = os.environ.get(PUBLISH_TOKEN_VARIABLE, "").strip()
    if not publish_token:
        publish_token = new_token()
        # Printed, as the viewers' URL is: the person who starts the hub hands it to scripts.
        print(
            f"webfig hub: publish with WEBFIG_HUB_TOKEN={publish_token}"
            f" (set {PUBLISH_TOKEN_VARIABLE} to choose it)",
            flush=True,
        )
    directory = data or default_data_directory()
    figures = HubFigures(Keeper(HubStore(directory), serve_kept=serve_kept), publish_token)
    figures.load_kept()
    _log.info("webfig hub: keeping figures in %s", directory)
    stop_retention = threading.Event()
    if retention is not None:
        _apply_retention_every(RETENTION_INTERVAL, figures, retention, stop_retention)
    server = hub_server(settings, publish_token, figures)
    try:
        server.start()
        assert server.port is not None
        figures.address = f"http://{_loopback(settings.address)}:{server.port}{settings.url_prefix}"
        server.serve_until_interrupted()
    finally:
        stop_retention.set()
        figures.close()


def _loopback(address: str) -> str:
    """Where this machine reaches a server listening on ``address``."""
    if address in {"", "0.0.0.0", "localhost"}:
        return "127.0.0.1"
    if address == "::":
        return "[::1]"
    return f"[{address}]" if ":" in address else address


def _apply_retention_every(
    interval: float, figures: HubFigures, retention: Retention, stopped: threading.Event
) -> None:
    """Apply ``retention`` now, and every ``interval`` seconds until ``stopped``."""

    def apply() -> None:
        if stopped.is_set():
            return
        figures.apply_retention(retention)
        server_thread().loop.call_later(interval, apply)

    server_thread().call_soon(apply)
