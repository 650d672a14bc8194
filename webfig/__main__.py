"""Command line: ``python -m webfig demo``."""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webfig", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="serve a few demo figures until Ctrl+C")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # One line per request would drown what matters.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    if arguments.command == "demo":
        from .demo import main as demo

        demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
