"""What the worker-process tests share: figure builders and artists (module-level, so that
worker processes import them), and a font no process has unless it is sent."""

from __future__ import annotations

import os
import signal
import time
import types
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.artist import Artist
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


def sleeping(seconds: float) -> Figure:
    time.sleep(seconds)
    return sine(1)


def whose(path: str, frequency: float) -> Figure:
    """``sine(frequency)``, writing the id of the process that built it in the file ``path``."""
    Path(path).write_text(str(os.getpid()))
    return sine(frequency)


class Sleepy(Artist):
    """An artist that takes ``seconds`` to draw (and draws nothing)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def draw(self, renderer: object) -> None:
        time.sleep(self.seconds)


# A family of fonts only a process that registered the file has.
FONT_FAMILY = "Webfig Test Serif"


def make_font(directory: Path) -> Path:
    """DejaVu Serif renamed :data:`FONT_FAMILY`, as a file in ``directory``."""
    font = TTFont(font_manager.findfont("DejaVu Serif", fallback_to_default=False))
    for record in font["name"].names:
        if record.nameID in {1, 4, 16}:
            record.string = FONT_FAMILY
        elif record.nameID == 6:
            record.string = FONT_FAMILY.replace(" ", "")
    path = directory / "WebfigTestSerif.ttf"
    font.save(path)
    return path


def register_font(directory: Path) -> str:
    """Register the font of :func:`make_font` in this process (once); its family."""
    if not any(font.name == FONT_FAMILY for font in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(make_font(directory)))
    return FONT_FAMILY


# A script's own builds and artists, for a process to take as its __main__: each process
# that runs it leaves a file saying as what it ran it, and where.
SCRIPT = '''
import os
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

Path(__file__).with_name(f"ran as {__name__} in {os.getpid()}").touch()


def bars(count):
    figure = Figure(figsize=(3, 2), dpi=50)
    figure.add_subplot().bar(range(count), range(count))
    return figure


class Banner(Rectangle):
    """A red band across the top of the figure."""

    def __init__(self):
        super().__init__((0, 0.8), 1, 0.2, color="red")  # (in figure coordinates)
'''


def script_as_main(directory: Path) -> types.ModuleType:
    """:data:`SCRIPT`, written in ``directory`` and run as a process runs its ``__main__``;
    the caller puts it in ``sys.modules["__main__"]``."""
    path = directory / "script.py"
    path.write_text(SCRIPT)
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    exec(compile(SCRIPT, path, "exec"), module.__dict__)
    return module


def runs_of(directory: Path) -> set[str]:
    """How the script in ``directory`` was run, and by which processes."""
    return {path.name for path in directory.glob("ran as *")}
