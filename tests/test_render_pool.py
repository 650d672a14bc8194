"""RenderPool: figures built and rendered in worker processes, as they would be in-process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

import webfig
from webfig.rendering.render_pool import RemoteTraceback, RenderPool, WorkerCrashed

from . import pool_builders as builders
from .imaging import decode_png
from .waiting import TIMEOUT, wait_until


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    """Two workers for the whole module: each costs about a second to start."""
    with RenderPool(processes=2) as shared:
        yield shared


def test_the_pool_renders_the_bytes_render_makes_in_process(pool: RenderPool) -> None:
    # Several at once, with different arguments: each future gets its own figure's bytes.
    futures = {f: pool.submit(builders.sine, f) for f in (1, 2, 3, 4)}
    for frequency, future in futures.items():
        assert future.result(TIMEOUT) == webfig.render(builders.sine(frequency))
    assert len({future.result() for future in futures.values()}) == 4
    pdf = pool.submit(builders.sine, 2, format="pdf", metadata={"CreationDate": None})
    assert pdf.result(TIMEOUT) == webfig.render(
        builders.sine(2), "pdf", metadata={"CreationDate": None}
    )


def test_args_dpi_and_savefig_keywords_reach_the_worker(pool: RenderPool) -> None:
    body = pool.submit(builders.sine, 2, (2, 1), dpi=50, transparent=True).result(TIMEOUT)
    assert body == webfig.render(builders.sine(2, (2, 1)), dpi=50, transparent=True)
    pixels = decode_png(body)
    assert pixels.shape == (50, 100, 4)
    assert pixels[0, 0, 3] == 0  # transparent=True arrived
    svg = pool.submit(builders.sine, 7, format="svg", metadata={"Date": None}).result(TIMEOUT)
    assert svg.startswith(b"<?xml")
    assert b"7 Hz" in svg


def test_an_exception_in_the_build_or_render_reaches_the_caller_as_itself(
    pool: RenderPool,
) -> None:
    pids = pool.pids
    with pytest.raises(builders.BuildFailed, match="no data yet") as raised:
        pool.submit(builders.failing, "no data yet").result(TIMEOUT)
    # The worker's traceback rides along, for the logs.
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "pool_builders.py" in str(raised.value.__cause__)
    with pytest.raises(ValueError, match="nonsense"):
        pool.submit(builders.sine, 1, format="nonsense").result(TIMEOUT)
    with pytest.raises(TypeError, match=r"not_a_figure returned <class 'str'>, not a Figure"):
        pool.submit(builders.not_a_figure).result(TIMEOUT)
    # One that cannot be unpickled here still says what happened.
    with pytest.raises(RuntimeError, match=r"(?s)could not be sent back.*no way back"):
        pool.submit(builders.failing_oddly).result(TIMEOUT)
    # None of that cost a worker.
    assert pool.submit(builders.sine, 1).result(TIMEOUT).startswith(b"\x89PNG")
    assert pool.pids == pids


def test_a_build_that_cannot_travel_is_refused_at_submit(pool: RenderPool) -> None:
    with pytest.raises(TypeError, match="module-level function"):
        pool.submit(lambda: builders.sine(1))


def test_a_crashed_worker_fails_its_job_alone_and_is_replaced(
    pool: RenderPool, tmp_path: Path
) -> None:
    started, go = tmp_path / "started", tmp_path / "go"
    # One job holds a worker, so the crash happens while it runs on the other.
    running = pool.submit(builders.held, str(started), str(go), 3)
    wait_until(started.exists, message="the held job to start")
    pids = set(pool.pids)
    crashing = pool.submit(builders.exiting, 3)
    queued = [pool.submit(builders.sine, f) for f in (1, 2)]
    with pytest.raises(WorkerCrashed, match=r"pool_builders\.exiting died \(exit code 3\)"):
        crashing.result(TIMEOUT)
    go.touch()
    assert running.result(TIMEOUT) == webfig.render(builders.sine(3))
    assert [f.result(TIMEOUT) for f in queued] == [webfig.render(builders.sine(f)) for f in (1, 2)]
    # A new worker took the dead one's place, and the pool goes on working.
    wait_until(lambda: len(pool.pids) == 2 and set(pool.pids) != pids, message="a new worker")
    assert len(set(pool.pids) & pids) == 1
    assert pool.submit(builders.sine, 5).result(TIMEOUT) == webfig.render(builders.sine(5))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL here")
def test_a_killed_worker_names_the_signal(pool: RenderPool) -> None:
    with pytest.raises(
        WorkerCrashed, match=r"pool_builders\.killed died \(killed by signal SIGKILL"
    ):
        pool.submit(builders.killed).result(TIMEOUT)
    assert pool.submit(builders.sine, 6).result(TIMEOUT) == webfig.render(builders.sine(6))


def test_render_is_awaitable(pool: RenderPool) -> None:
    async def main() -> list[bytes]:
        return await asyncio.gather(
            pool.render(builders.sine, 1), pool.render(builders.sine, 2, format="pdf")
        )

    png, pdf = asyncio.run(main())
    assert png == webfig.render(builders.sine(1))
    assert pdf.startswith(b"%PDF")


def test_the_cache_renders_through_the_pool_once_per_key(pool: RenderPool) -> None:
    cache = webfig.RenderCache()
    submitted: list[Future[bytes]] = []

    def render() -> bytes:
        submitted.append(pool.submit(builders.sine, 4))
        return submitted[-1].result(TIMEOUT)

    first = cache.get_or_render(("sine", 4), render)
    assert cache.get_or_render(("sine", 4), render) == first == webfig.render(builders.sine(4))
    assert len(submitted) == 1


def test_shutdown_finishes_queued_jobs_stops_every_worker_and_refuses_more() -> None:
    with RenderPool(processes=1, warm_up=False) as own:
        futures = [own.submit(builders.sine, f) for f in (1, 2, 3)]
        pids = own.pids
        assert len(pids) == 1
    # Leaving the block waited for the queue, then for the worker to exit.
    assert [f.result(0) for f in futures] == [webfig.render(builders.sine(f)) for f in (1, 2, 3)]
    assert own.pids == ()
    assert not {p.pid for p in multiprocessing.active_children()} & set(pids)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # exited, and reaped
    with pytest.raises(RuntimeError, match="shut down"):
        own.submit(builders.sine, 1)
    own.close()  # again: nothing to do
    assert not own.wait_ready(0)


def test_shutdown_can_cancel_what_is_still_queued(tmp_path: Path) -> None:
    started, go = tmp_path / "started", tmp_path / "go"
    own = RenderPool(processes=1)
    running = own.submit(builders.held, str(started), str(go), 1)
    queued = own.submit(builders.sine, 2)
    wait_until(started.exists, message="the held job to start")
    own.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    go.touch()
    assert running.result(TIMEOUT) == webfig.render(builders.sine(1))
    own.shutdown(wait=True)
    assert own.pids == ()


def test_processes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one process"):
        RenderPool(processes=0)
