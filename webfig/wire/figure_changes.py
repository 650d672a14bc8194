"""News of figures opening, closing and being relabelled, for pages that list figures."""

from __future__ import annotations

import threading
from collections.abc import Callable

Listener = Callable[[], None]


class FigureChanges:
    """Listeners told that the set of figures (or a figure's label) may have changed.

    Managers call :meth:`changed` from whatever thread opens, closes or relabels a figure;
    listeners are called on that thread and should only schedule work of their own (the
    figure list socket re-reads its registry on the event loop).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


# Every webfig figure in the process reports here, whichever server shows it.
figure_changes = FigureChanges()
