"""Figure builders for the RenderPool tests: module-level, so worker processes import them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


class BuildFailed(Exception):
    """What a build raises: a type of the tests' own, to check it arrives as itself."""


class Unpicklable(Exception):
    """An exception that pickles but cannot be unpickled (its __init__ wants two args)."""

    def __init__(self, a: str, b: str) -> None:
        super().__init__(a + b)


def sine(frequency: float, size: tuple[float, float] = (4, 3)) -> Figure:
    figure = Figure(figsize=size, dpi=100)
    ax = figure.add_subplot()
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.sin(2 * np.pi * frequency * x))
    ax.set_title(f"{frequency} Hz")
    return figure


def scatter(points: int, seed: int = 0) -> Figure:
    rng = np.random.default_rng(seed)
    figure = Figure(figsize=(6, 4), dpi=100)
    ax = figure.add_subplot()
    ax.scatter(rng.normal(size=points), rng.normal(size=points), s=4, alpha=0.5)
    return figure


def failing(message: str) -> Figure:
    raise BuildFailed(message)


def failing_oddly() -> Figure:
    raise Unpicklable("no ", "way back")


def not_a_figure() -> Figure:
    return "a string"  # type: ignore[return-value]


def exiting(code: int) -> Figure:
    os._exit(code)


def killed() -> Figure:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def held(started: str, go: str, frequency: float) -> Figure:
    """``sine(frequency)``, once the file ``go`` exists; the file ``started`` says it began."""
    Path(started).touch()
    deadline = time.monotonic() + 10
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{go} never appeared")
        time.sleep(0.01)
    return sine(frequency)
