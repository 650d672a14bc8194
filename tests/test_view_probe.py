"""ViewProbe: which of a figure's notebook views are still there. Views that answer in time
stay, silent ones are let go, and the time a cell runs (when no answer can be read) does not
count.

What happens "in time" is done in one call on the event loop, where no timer can fire
between a probe's start and its answers, so a slow machine cannot let a view go that
answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from webfig.notebook.view_probe import ViewProbe
from webfig.runtime.event_loop import server_thread

from .waiting import wait_until

TIMEOUT = 0.2


class Probed:
    """A probe on the event loop, and what it did: pings sent, views let go, ends."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, int]] = []
        self.gone: list[set[str]] = []
        self.ended = threading.Event()
        self.busy = threading.Event()
        # How many times the probe asked whether a cell runs (once each time its timeout ends).
        self.busy_asked = 0
        self.probe = ViewProbe(
            ping=lambda view, number: self.pings.append((view, number)),
            gone=self.gone.append,
            kernel_busy=self._kernel_busy,
            timeout=TIMEOUT,
        )

    def _kernel_busy(self) -> bool:
        self.busy_asked += 1
        return self.busy.is_set()

    def at_once(self, *steps: Callable[[ViewProbe], object]) -> None:
        """Each of ``steps`` done to the probe, all in one call on the event loop."""

        def run() -> None:
            for step in steps:
                step(self.probe)

        server_thread().run_sync(run)

    def start(self, *views: str) -> Callable[[ViewProbe], object]:
        return lambda probe: probe.start(views, then=self.ended.set)


def answer(view: str, number: object) -> Callable[[ViewProbe], object]:
    return lambda probe: probe.answered(view, number)


@pytest.fixture
def probed() -> Iterator[Probed]:
    probed = Probed()
    yield probed
    server_thread().run_sync(probed.probe.cancel)


def ended(probed: Probed) -> Callable[[], bool]:
    return probed.ended.is_set


def test_views_that_answer_stay_and_silent_ones_are_let_go(probed: Probed) -> None:
    probed.at_once(probed.start("a", "b", "c"), answer("a", 1), answer("c", 1))
    assert sorted(probed.pings) == [("a", 1), ("b", 1), ("c", 1)]
    wait_until(ended(probed), message="the probe's end")
    assert probed.gone == [{"b"}]


def test_an_answer_to_an_earlier_probe_does_not_count(probed: Probed) -> None:
    probed.at_once(probed.start("a"), answer("a", 1))
    wait_until(ended(probed), message="the first probe's end")
    probed.ended.clear()
    probed.at_once(probed.start("a"), answer("a", 1))
    assert probed.pings[-1] == ("a", 2)
    wait_until(ended(probed), message="the second probe's end")
    assert probed.gone == [{"a"}]


def test_with_no_view_to_ask_it_ends_at_once(probed: Probed) -> None:
    probed.at_once(probed.start())
    assert probed.ended.is_set()
    assert probed.pings == []
    assert probed.gone == []


def test_the_time_a_cell_runs_does_not_count(probed: Probed) -> None:
    probed.busy.set()
    probed.at_once(probed.start("a"))
    # Three timeouts end while the cell runs: the view is not let go meanwhile.
    wait_until(lambda: probed.busy_asked >= 3, message="three timeouts")
    assert probed.gone == []
    assert not probed.ended.is_set()
    # The cell ends, and the answer that waited is read then: the view stays.
    probed.at_once(lambda _: probed.busy.clear(), answer("a", 1))
    wait_until(ended(probed), message="the probe's end")
    assert probed.gone == []


def test_a_view_asked_during_a_probe_joins_it(probed: Probed) -> None:
    probed.at_once(probed.start("a"), answer("a", 1), probed.start("b"), answer("b", 1))
    assert probed.pings == [("a", 1), ("b", 1)]
    wait_until(ended(probed), message="the probe's end")
    assert probed.gone == []
