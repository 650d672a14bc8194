"""Waiting for a condition, the one way every test does it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from playwright.sync_api import Page

T = TypeVar("T")

# Seconds any wait in the tests may take before it fails.
TIMEOUT = 10.0


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = TIMEOUT,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
    page: Page | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy, and return that; fail at the
    deadline, saying what was awaited.

    With ``page``, the pauses between polls let Playwright dispatch the page's events.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout} s waiting for {text}")
        if page is not None:
            page.wait_for_timeout(interval * 1000)
        else:
            pause.wait(interval)
