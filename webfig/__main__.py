"""Command line: ``python -m webfig demo`` and ``python -m webfig serve``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .hub.retention import Retention, parse_duration, parse_size

T = TypeVar("T")

# Plain text for --help (the module docstring is reStructuredText, for readers of the code).
DESCRIPTION = "webfig: live, interactive matplotlib figures in the browser, over websockets."
EPILOG = (
    "The server listens on 127.0.0.1:8988 (the next free port if that one is busy) and opens"
    " a browser tab there. WEBFIG_PORT, WEBFIG_ADDRESS and WEBFIG_OPEN_BROWSER=0 change"
    " that; README.md lists every setting."
)


def _checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` for argparse: its ValueError's message shown as it is."""

    def checked(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m webfig", description=DESCRIPTION, epilog=EPILOG
    )
    commands = parser.add_subparsers(title="commands", dest="command", required=True)
    commands.add_parser(
        "demo",
        help="serve a few demo figures until Ctrl+C",
        description="Serve a few demo figures to pan, zoom and click in, until Ctrl+C.",
        epilog=EPILOG,
    )
    serve = commands.add_parser(
        "serve",
        help="run a hub that scripts publish their figures to, until Ctrl+C",
        description=(
            "Run a hub: scripts with WEBFIG_HUB=http://this-host:port and WEBFIG_HUB_TOKEN"
            " set publish their figures to it, and viewers open them here."
        ),
        epilog="Viewers need WEBFIG_TOKEN, as for every webfig server (made up if unset).",
    )
    serve.add_argument("--address", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="the port to listen on (default 8988)")
    serve.add_argument(
        "--data",
        type=Path,
        help="the directory to keep figures in (default ~/.local/share/webfig-hub)",
    )
    serve.add_argument(
        "--keep",
        type=_checked(parse_duration),
        help="remove runs that ended longer ago than this: 30d, 12h, 2w (default: keep all)",
    )
    serve.add_argument(
        "--max-bytes",
        type=_checked(parse_size),
        help="remove the oldest ended runs' figures past this total: 5G, 512M (default: no limit)",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # One line per request would drown what matters.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    if arguments.command == "demo":
        from .demo import main as demo

        demo()
    elif arguments.command == "serve":
        from .serve import main as serve_hub

        retention = None
        if arguments.keep is not None or arguments.max_bytes is not None:
            retention = Retention(keep=arguments.keep, max_bytes=arguments.max_bytes)
        serve_hub(arguments.address, arguments.port, arguments.data, retention)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
