"""``python -m webfig serve``: the hub, a long-running server that scripts anywhere publish
their figures to and that keeps them after the scripts end (docs/hub.md); and its
composition root, as :mod:`webfig.backend` is pyplot's."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path
from typing import Final

from .config import Settings, current_settings
from .hub.keeper import Keeper
from .hub.retention import Retention
from .hub.store import HubStore
from .runtime.event_loop import server_thread
from .server.access import new_token
from .server.figure_server import FigureServer
from .server.hub_app import hub_application
from .server.hub_server import HubFigures

_log = logging.getLogger(__name__)

PUBLISH_TOKEN_VARIABLE: Final = "WEBFIG_PUBLISH_TOKEN"
# Seconds between two applications of the retention rules.
RETENTION_INTERVAL: Final = 60.0


def default_data_directory() -> Path:
    """Where a hub keeps its figures unless told: the user's data directory's
    ``webfig-hub`` (``$XDG_DATA_HOME``, else ``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "webfig-hub"


def hub_server(settings: Settings, publish_token: str, figures: HubFigures) -> FigureServer:
    """A hub serving ``figures`` with ``settings`` (not started); publishers need
    ``publish_token``."""
    return FigureServer(
        settings,
        figures,
        make_application=lambda access, sockets: hub_application(
            figures, publish_token, access, sockets
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
    figures = HubFigures(Keeper(HubStore(directory)))
    figures.load_kept()
    _log.info("webfig hub: keeping figures in %s", directory)
    stop_retention = threading.Event()
    if retention is not None:
        _apply_retention_every(RETENTION_INTERVAL, figures, retention, stop_retention)
    try:
        hub_server(settings, publish_token, figures).serve_until_interrupted()
    finally:
        stop_retention.set()
        figures.close()


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
