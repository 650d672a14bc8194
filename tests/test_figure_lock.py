"""Figures' locks: reentrant as an RLock, and never deadlocked by one figure's callbacks
reaching into another (matplotlib's MultiCursor across figures, a click that redraws another
figure), whatever the threads hold and wait for."""

from __future__ import annotations

import threading
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.widgets import MultiCursor

from webfig.runtime.figure_lock import FigureLock, TrackedLock

from .test_manager import join
from .waiting import TIMEOUT


def in_thread(work: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def finished(*threads: threading.Thread) -> bool:
    """Whether every thread ends within the tests' timeout (a deadlocked one never does)."""
    for thread in threads:
        thread.join(TIMEOUT)
    return not any(thread.is_alive() for thread in threads)


def test_a_figure_lock_is_reentrant_and_only_its_holder_releases_it():
    lock = FigureLock()
    with lock, lock:
        assert lock._is_owned()
        other: list[bool] = []
        assert finished(in_thread(lambda: other.append(lock.acquire(blocking=False))))
        assert other == [False]
        assert finished(in_thread(lambda: other.append(lock.acquire(timeout=0.05))))
        assert other == [False, False]
    assert not lock._is_owned()
    with pytest.raises(RuntimeError):
        lock.release()
    assert lock.acquire(blocking=False)
    lock.release()


def test_a_busy_holder_is_waited_for():
    """A holder that waits on nobody will let go: the other thread waits its turn."""
    lock = FigureLock()
    order: list[str] = []
    held, go = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            held.set()
            go.wait(TIMEOUT)
            order.append("holder done")

    def wait_for_it() -> None:
        with lock:
            order.append("waiter in")

    holder = in_thread(hold)
    held.wait(TIMEOUT)
    waiter = in_thread(wait_for_it)
    threading.Event().wait(0.1)  # ten looks at the holder, who waits on nobody
    assert order == []
    go.set()
    assert finished(holder, waiter)
    assert order == ["holder done", "waiter in"]


def test_two_threads_that_each_hold_what_the_other_wants_both_go_on():
    """Figure A's callback reaches into figure B while B's reaches into A."""
    first, second = FigureLock(), FigureLock()
    both_hold = threading.Barrier(2, timeout=TIMEOUT)
    done: list[str] = []

    def cross(mine: FigureLock, theirs: FigureLock, name: str) -> None:
        with mine:
            both_hold.wait()
            with theirs, theirs:  # and again, as nested calls do
                done.append(name)

    threads = (
        in_thread(lambda: cross(first, second, "a")),
        in_thread(lambda: cross(second, first, "b")),
    )
    assert finished(*threads)
    assert sorted(done) == ["a", "b"]
    for lock in (first, second):  # nothing is left held or lent
        assert lock.acquire(blocking=False)
        lock.release()


def test_a_holder_waiting_to_draw_lends_its_figure_to_the_thread_that_draws():
    """Thread 1 draws (it holds the drawing lock) and its draw_event wants figure B's lock;
    thread 2 holds B's lock and waits for the drawing lock to draw B."""
    drawing, figure_b = TrackedLock(threading.RLock()), FigureLock()
    drawing_held, b_held = threading.Event(), threading.Event()
    done: list[str] = []

    def draw_a() -> None:
        with drawing:
            drawing_held.set()
            b_held.wait(TIMEOUT)
            with figure_b:
                done.append("a's draw_event used b")

    def draw_b() -> None:
        drawing_held.wait(TIMEOUT)
        with figure_b:
            b_held.set()
            with drawing:
                done.append("b drew")

    threads = in_thread(draw_a), in_thread(draw_b)
    assert finished(*threads)
    assert done == ["a's draw_event used b", "b drew"]


def test_a_chain_of_waits_back_to_the_waiter_lends_the_lock():
    """1 holds A and wants C; C's holder 3 waits for B, whose holder 2 waits for A."""
    a, b, c = FigureLock(), FigureLock(), FigureLock()
    barrier = threading.Barrier(3, timeout=TIMEOUT)
    done: list[int] = []

    def hold_then_want(mine: FigureLock, wanted: FigureLock, number: int) -> None:
        with mine:
            barrier.wait()
            with wanted:
                done.append(number)

    threads = (
        in_thread(lambda: hold_then_want(a, c, 1)),
        in_thread(lambda: hold_then_want(b, a, 2)),
        in_thread(lambda: hold_then_want(c, b, 3)),
    )
    assert finished(*threads)
    assert sorted(done) == [1, 2, 3]


def test_a_multicursor_across_two_figures_does_not_stop_them_drawing():
    """matplotlib's multicursor example: at each figure's draw_event the cursor copies both
    figures' backgrounds. Figure 2's own lock is held by the script, which draws it (the
    script's own ``with fig.canvas.lock: ... fig.canvas.draw()``) while figure 1 draws."""
    first, (top, bottom) = plt.subplots(2, figsize=(3, 3), dpi=100)
    second, ax = plt.subplots(figsize=(3, 2), dpi=100)
    for axes in (top, bottom, ax):
        axes.plot([0, 1], [0, 1])
    in_draw_event = threading.Event()
    first.canvas.mpl_connect("draw_event", lambda _: in_draw_event.set())  # before the cursor's
    multi = MultiCursor((top, bottom, ax), color="red", lw=2)

    def script() -> None:
        with second.canvas.lock:
            first.canvas.draw_idle()  # figure 1 draws on its own thread...
            in_draw_event.wait(TIMEOUT)  # ...and its draw_event wants figure 2's lock
            second.canvas.draw()

    viewers = join(first.canvas.manager), join(second.canvas.manager)
    in_draw_event.clear()
    assert finished(in_thread(script))
    for figure, viewer in zip((first, second), viewers, strict=True):
        viewer.wait_for(
            lambda _, f=figure, v=viewer: np.array_equal(v.picture(), f.canvas.pixels())
        )
    assert all(info["background"] is not None for info in multi._canvas_infos.values())
