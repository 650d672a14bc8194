"""What travels with every job to a worker process: this process' rcParams and fonts.

One policy for downloads and :class:`~.render_pool.RenderPool` alike: a job carries this
process' rcParams as they are when it is submitted (all but :data:`LOCAL_PARAMS`, which
belong to a process, not to what it draws) and the font files registered here
(``font_manager.fontManager.addfont`` included). The worker applies the rcParams for that
job only, then puts its own back, so jobs never influence one another; a font it is sent
stays registered there, as it stays here (matplotlib has no way to forget one). So a
download looks like the figure on the screen, and a RenderPool render like one made here.

They are sent to a worker only when they changed since it last got them (the pool keeps
the :class:`Settings` each worker has): unchanged, a job costs a comparison of two dicts
here and two ``dict.update`` calls there.
"""

from __future__ import annotations

import contextlib
import pickle
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, cast

import matplotlib as mpl
from matplotlib import font_manager

# rcParams that belong to a process, not to what it draws.
LOCAL_PARAMS: Final = frozenset({"backend", "backend_fallback", "interactive"})


@dataclass(frozen=True, eq=False)
class Settings:
    """This process' rcParams (less :data:`LOCAL_PARAMS`) and font files at one time, and
    the message that takes them to a worker."""

    params: dict[str, Any]
    fonts: tuple[str, ...]
    message: bytes


_lock = threading.Lock()
_current: Settings | None = None
_fonts_seen: tuple[int, int, int] | None = None


def current_settings() -> Settings:
    """This process' settings now: the same object as last time if nothing changed since.
    Raises what pickling them raises (an rcParam whose value cannot travel)."""
    global _current, _fonts_seen  # noqa: PLW0603 - one process, one current value
    params: dict[str, Any] = {k: v for k, v in dict.items(mpl.rcParams) if k not in LOCAL_PARAMS}
    manager = font_manager.fontManager
    # addfont appends to these lists, and a rebuilt manager is a new object.
    seen = (id(manager), len(manager.ttflist), len(manager.afmlist))
    with _lock:
        if _current is None or seen != _fonts_seen:
            fonts = tuple(sorted({font.fname for font in [*manager.ttflist, *manager.afmlist]}))
        else:
            fonts = _current.fonts
        if _current is None or _current.fonts != fonts or _current.params != params:
            message = pickle.dumps((params, fonts), protocol=5)
            _current = Settings(params, fonts, message)
        _fonts_seen = seen
        return _current


def _raw(params: mpl.RcParams) -> dict[str, Any]:
    """rcParams as the dict they are, to copy values without validating them again."""
    return cast("dict[str, Any]", params)


class WorkerSettings:
    """A worker's side: its own rcParams, the sender's last ones, the fonts it has."""

    def __init__(self) -> None:
        self._own = dict(_raw(mpl.rcParams))
        self._sent: dict[str, Any] = {}
        self._unusable: Exception | None = None
        manager = font_manager.fontManager
        self._fonts = {font.fname for font in [*manager.ttflist, *manager.afmlist]}

    def take(self, message: bytes) -> None:
        """The sender's settings, for the jobs from now on: its rcParams to apply, its
        fonts registered here now."""
        try:
            self._sent, fonts = pickle.loads(message)
        except Exception as error:  # each job says so, until settings that load come
            self._unusable = error
            return
        self._unusable = None
        for path in fonts:
            if path not in self._fonts:
                self._fonts.add(path)
                # A font file the sender had and is gone: the job falls back as it would there.
                with contextlib.suppress(OSError, RuntimeError, ValueError):
                    font_manager.fontManager.addfont(path)

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """The sender's rcParams while the block runs, then this process' own again."""
        if self._unusable is not None:
            error = self._unusable
            raise RuntimeError(f"the sender's rcParams could not be loaded: {error}") from error
        # The values were checked where they were set; copied over as they are.
        dict.update(_raw(mpl.rcParams), self._sent)
        try:
            yield
        finally:
            dict.update(_raw(mpl.rcParams), self._own)
