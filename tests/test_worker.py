"""The figure worker: jobs in order on one thread, moves coalesced, failures contained."""

from __future__ import annotations

import logging
import threading

import pytest

from webfig.runtime.figure_thread import FigureWorker

from .waiting import TIMEOUT


@pytest.fixture
def worker() -> FigureWorker:
    worker = FigureWorker("webfig-test-worker")
    yield worker
    worker.close(TIMEOUT)


def blocked(worker: FigureWorker) -> threading.Event:
    """Keep ``worker`` busy until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(TIMEOUT)

    worker.submit(hold)
    assert started.wait(TIMEOUT)
    return release


def test_jobs_run_in_order_on_the_workers_thread(worker):
    seen: list[tuple[int, str]] = []
    for n in range(50):
        worker.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
    worker.run_sync(lambda: None)
    assert seen == [(n, "webfig-test-worker") for n in range(50)]


def test_a_job_with_the_key_of_the_last_waiting_one_replaces_it(worker):
    seen: list[str] = []
    release = blocked(worker)
    worker.submit(lambda: seen.append("move 1"), key="move")
    worker.submit(lambda: seen.append("move 2"), key="move")
    worker.submit(lambda: seen.append("press"))
    worker.submit(lambda: seen.append("move 3"), key="move")
    worker.submit(lambda: seen.append("move 4"), key="move")
    worker.submit(lambda: seen.append("other 1"), key="other")
    assert worker.pending == 5  # the running job, and four waiting
    release.set()
    worker.run_sync(lambda: None)
    # Only neighbours merge: nothing moves across the press or across another key.
    assert seen == ["move 2", "press", "move 4", "other 1"]


def test_a_job_with_a_key_replaces_one_across_transparent_jobs_only(worker):
    seen: list[str] = []
    release = blocked(worker)
    worker.submit(lambda: seen.append("move 1"), key="move")
    worker.submit(lambda: seen.append("render 1"), transparent=True)
    worker.submit(lambda: seen.append("move 2"), key="move")
    worker.submit(lambda: seen.append("press"))
    worker.submit(lambda: seen.append("render 2"), transparent=True)
    worker.submit(lambda: seen.append("move 3"), key="move")
    release.set()
    worker.run_sync(lambda: None)
    # The render shows the newest move; the press still comes between the moves.
    assert seen == ["move 2", "render 1", "press", "render 2", "move 3"]


def test_a_running_job_is_never_replaced(worker):
    seen: list[str] = []
    started, release = threading.Event(), threading.Event()

    def running() -> None:
        started.set()
        release.wait(TIMEOUT)
        seen.append("move 1")

    worker.submit(running, key="move")
    assert started.wait(TIMEOUT)
    worker.submit(lambda: seen.append("move 2"), key="move")
    release.set()
    worker.run_sync(lambda: None)
    assert seen == ["move 1", "move 2"]


def test_a_failing_job_is_logged_and_the_next_runs(worker, caplog):
    caplog.set_level(logging.ERROR, logger="webfig.runtime.figure_thread")
    worker.submit(lambda: 1 / 0)
    assert worker.run_sync(lambda: "after") == "after"
    [record] = caplog.records
    assert "webfig-test-worker" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError


def test_run_sync_passes_on_the_exception(worker):
    with pytest.raises(KeyError):
        worker.run_sync(lambda: {}["missing"])


def test_run_sync_from_the_worker_itself_is_refused(worker):
    error = worker.run_sync(lambda: _call_refused(worker))
    assert "own thread" in error


def _call_refused(worker: FigureWorker) -> str:
    try:
        worker.run_sync(lambda: None)
    except RuntimeError as error:
        return str(error)
    return "not refused"


def test_the_thread_ends_when_idle_and_a_new_job_starts_another(worker, monkeypatch):
    monkeypatch.setattr("webfig.runtime.figure_thread.LINGER", 0.01)
    first = worker.run_sync(threading.current_thread)
    first.join(TIMEOUT)
    assert not first.is_alive()
    second = worker.run_sync(threading.current_thread)
    assert second is not first
    assert second.name == "webfig-test-worker"


def test_close_drops_waiting_jobs_and_refuses_new_ones(worker):
    seen: list[str] = []
    release = blocked(worker)
    worker.submit(lambda: seen.append("waiting"))
    release.set()
    worker.close(TIMEOUT)
    worker.submit(lambda: seen.append("late"))
    assert worker.pending == 0
    assert seen == []
