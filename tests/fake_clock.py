"""A clock the tests move by hand (tests/conftest.py's ``clock`` and ``delivery``)."""

from __future__ import annotations


class Clock:
    """A clock the test moves: how slow a link is, and when the changes stop."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
