"""``python -m webfig serve``: the hub, a long-running server that scripts anywhere publish
their figures to (docs/hub.md), and its composition root, as :mod:`webfig.backend` is
pyplot's."""

from __future__ import annotations

import dataclasses
import logging
import os

from .config import Settings, current_settings
from .server.access import new_token
from .server.figure_server import FigureServer
from .server.hub_server import HubFigures, hub_application

_log = logging.getLogger(__name__)

PUBLISH_TOKEN_VARIABLE = "WEBFIG_PUBLISH_TOKEN"


def hub_server(settings: Settings, publish_token: str) -> FigureServer:
    """A hub serving with ``settings`` (not started); publishers need ``publish_token``."""
    figures = HubFigures()
    return FigureServer(
        settings,
        figures,
        make_application=lambda access, sockets: hub_application(
            figures, publish_token, access, sockets
        ),
    )


def main(address: str | None = None, port: int | None = None) -> None:
    """Serve the hub until Ctrl+C: on ``address`` and ``port`` if given, else as the
    settings say (``WEBFIG_ADDRESS``, ``WEBFIG_PORT``, ``WEBFIG_TOKEN`` for viewers). The
    publish token is ``WEBFIG_PUBLISH_TOKEN``, or one made up and printed."""
    settings = dataclasses.replace(current_settings(), open_browser=False)
    # (Not the browser: a hub runs on a server, and its users open it from elsewhere.)
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
    hub_server(settings, publish_token).serve_until_interrupted()
