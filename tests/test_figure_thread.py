"""A figure's own thread: jobs in order, moves coalesced, failures contained."""

from __future__ import annotations

import logging
import threading

import pytest

from webfig.runtime.figure_thread import FigureThread

from .waiting import TIMEOUT


@pytest.fixture
def figure_thread() -> FigureThread:
    figure_thread = FigureThread("webfig-test-figure")
    yield figure_thread
    figure_thread.close(TIMEOUT)


def blocked(figure_thread: FigureThread) -> threading.Event:
    """Keep ``figure_thread`` busy until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(TIMEOUT)

    figure_thread.submit(hold)
    assert started.wait(TIMEOUT)
    return release


def test_jobs_run_in_order_on_the_figures_thread(figure_thread):
    seen: list[tuple[int, str]] = []
    for n in range(50):
        figure_thread.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
    figure_thread.run_sync(lambda: None)
    assert seen == [(n, "webfig-test-figure") for n in range(50)]


def test_a_job_with_the_key_of_the_last_waiting_one_replaces_it(figure_thread):
    seen: list[str] = []
    release = blocked(figure_thread)
    figure_thread.submit(lambda: seen.append("move 1"), key="move")
    figure_thread.submit(lambda: seen.append("move 2"), key="move")
    figure_thread.submit(lambda: seen.append("press"))
    figure_thread.submit(lambda: seen.append("move 3"), key="move")
    figure_thread.submit(lambda: seen.append("move 4"), key="move")
    figure_thread.submit(lambda: seen.append("other 1"), key="other")
    assert figure_thread.pending == 5  # the running job, and four waiting
    release.set()
    figure_thread.run_sync(lambda: None)
    # Only neighbours merge: nothing moves across the press or across another key.
    assert seen == ["move 2", "press", "move 4", "other 1"]


def test_a_job_with_a_key_replaces_one_across_transparent_jobs_only(figure_thread):
    seen: list[str] = []
    release = blocked(figure_thread)
    figure_thread.submit(lambda: seen.append("move 1"), key="move")
    figure_thread.submit(lambda: seen.append("render 1"), transparent=True)
    figure_thread.submit(lambda: seen.append("move 2"), key="move")
    figure_thread.submit(lambda: seen.append("press"))
    figure_thread.submit(lambda: seen.append("render 2"), transparent=True)
    figure_thread.submit(lambda: seen.append("move 3"), key="move")
    release.set()
    figure_thread.run_sync(lambda: None)
    # The render shows the newest move; the press still comes between the moves.
    assert seen == ["move 2", "render 1", "press", "render 2", "move 3"]


def test_a_running_job_is_never_replaced(figure_thread):
    seen: list[str] = []
    started, release = threading.Event(), threading.Event()

    def running() -> None:
        started.set()
        release.wait(TIMEOUT)
        seen.append("move 1")

    figure_thread.submit(running, key="move")
    assert started.wait(TIMEOUT)
    figure_thread.submit(lambda: seen.append("move 2"), key="move")
    release.set()
    figure_thread.run_sync(lambda: None)
    assert seen == ["move 1", "move 2"]


def test_a_failing_job_is_logged_and_the_next_runs(figure_thread, caplog):
    caplog.set_level(logging.ERROR, logger="webfig.runtime.figure_thread")
    figure_thread.submit(lambda: 1 / 0)
    assert figure_thread.run_sync(lambda: "after") == "after"
    [record] = caplog.records
    assert "webfig-test-figure" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError


def test_run_sync_passes_on_the_exception(figure_thread):
    with pytest.raises(KeyError):
        figure_thread.run_sync(lambda: {}["missing"])


def test_run_sync_from_the_worker_itself_is_refused(figure_thread):
    error = figure_thread.run_sync(lambda: _call_refused(figure_thread))
    assert "own thread" in error


def _call_refused(figure_thread: FigureThread) -> str:
    try:
        figure_thread.run_sync(lambda: None)
    except RuntimeError as error:
        return str(error)
    return "not refused"


def test_the_thread_ends_when_idle_and_a_new_job_starts_another(figure_thread, monkeypatch):
    monkeypatch.setattr("webfig.runtime.figure_thread.LINGER", 0.01)
    first = figure_thread.run_sync(threading.current_thread)
    first.join(TIMEOUT)
    assert not first.is_alive()
    second = figure_thread.run_sync(threading.current_thread)
    assert second is not first
    assert second.name == "webfig-test-figure"


def test_close_drops_waiting_jobs_and_refuses_new_ones(figure_thread):
    seen: list[str] = []
    release = blocked(figure_thread)
    figure_thread.submit(lambda: seen.append("waiting"))
    release.set()
    figure_thread.close(TIMEOUT)
    figure_thread.submit(lambda: seen.append("late"))
    assert figure_thread.pending == 0
    assert seen == []
