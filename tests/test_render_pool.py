"""RenderPool: figures built and rendered in worker processes, as they would be in-process,
with this process' rcParams and fonts; a job that crashes its worker or passes its deadline
fails alone."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import matplotlib as mpl
import pytest

import webfig
from webfig.rendering import process_pool
from webfig.rendering.render_pool import RemoteTraceback, RenderPool, RenderTimeout, WorkerCrashed

from . import misbehaving
from . import pool_builders as builders
from .imaging import decode_png
from .waiting import TIMEOUT, wait_until


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    """Two workers for the whole module: each costs about a second to start."""
    with RenderPool(processes=2) as shared:
        yield shared


@pytest.fixture(scope="module")
def lone() -> Iterator[RenderPool]:
    """One worker: the next job after a lost one is sure to run on its replacement."""
    with RenderPool(processes=1) as shared:
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


def test_a_render_follows_this_processs_rcparams_for_that_job_only(pool: RenderPool) -> None:
    with mpl.rc_context({"figure.facecolor": "yellow", "lines.linewidth": 6}):
        here = webfig.render(builders.sine(3))
        body = pool.submit(builders.sine, 3).result(TIMEOUT)
    assert body == here
    assert tuple(decode_png(body)[0, 0]) == (255, 255, 0, 255)
    # Then the workers are back to this process' settings as they are now.
    plain = [pool.submit(builders.sine, 3) for _ in range(4)]
    assert {future.result(TIMEOUT) for future in plain} == {webfig.render(builders.sine(3))}


def test_a_font_registered_here_reaches_the_workers(
    pool: RenderPool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    family = builders.register_font(tmp_path_factory.mktemp("fonts"))
    with mpl.rc_context({"font.family": family}):
        here = webfig.render(builders.sine(3))
        futures = [pool.submit(builders.sine, 3) for _ in range(4)]
    assert here != webfig.render(builders.sine(3))  # the font shows
    assert {future.result(TIMEOUT) for future in futures} == {here}


def test_a_job_past_its_deadline_fails_alone_and_a_new_worker_takes_the_next(
    lone: RenderPool, tmp_path: Path
) -> None:
    (first,) = lone.pids
    with pytest.raises(
        RenderTimeout, match=r"pool_builders\.sleeping ran past its deadline of 0\.5 s"
    ) as raised:
        lone.submit(builders.sleeping, 60, timeout=0.5).result(TIMEOUT)
    assert isinstance(raised.value, TimeoutError)
    built_in = tmp_path / "pid"
    body = lone.submit(builders.whose, str(built_in), 2).result(TIMEOUT)
    assert body == webfig.render(builders.sine(2))
    assert int(built_in.read_text()) != first
    assert lone.pids == (int(built_in.read_text()),)
    with pytest.raises(ProcessLookupError):
        os.kill(first, 0)  # killed, and reaped


def test_a_timeout_must_be_a_positive_number(lone: RenderPool) -> None:
    for timeout in (0, -1.0):
        with pytest.raises(ValueError, match=r"a timeout is a number of seconds above 0"):
            lone.submit(builders.sine, 1, timeout=timeout)


def test_the_pools_timeout_is_the_default_deadline_and_shutdown_never_waits_past_its_own(
    tmp_path: Path,
) -> None:
    own = RenderPool(processes=1, timeout=0.5)
    assert own.timeout == 0.5
    with pytest.raises(RenderTimeout, match=r"sleeping ran past its deadline of 0\.5 s"):
        own.submit(builders.sleeping, 60).result(TIMEOUT)
    # A job of its own deadline that never ends, and one queued behind it.
    started, never = tmp_path / "started", tmp_path / "never"
    stuck = own.submit(builders.held, str(started), str(never), 1, timeout=60)
    queued = own.submit(builders.sine, 2, timeout=60)
    wait_until(started.exists, message="the stuck job to start")
    pids = own.pids
    stopping = threading.Thread(target=own.shutdown, kwargs={"timeout": 0.2})
    stopping.start()
    stopping.join(TIMEOUT)
    assert not stopping.is_alive(), "shutdown waited for the stuck job"
    with pytest.raises(
        RenderTimeout, match=r"held was still running 0\.2 s after the RenderPool was shut down"
    ):
        stuck.result(0)
    with pytest.raises(RenderTimeout, match=r"sine was still queued 0\.2 s after"):
        queued.result(0)
    assert own.pids == ()
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_a_build_defined_in_the_script_makes_a_worker_import_it_then_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = builders.script_as_main(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert builders.runs_of(tmp_path) == {f"ran as __main__ in {os.getpid()}"}
    with RenderPool(processes=1) as own:
        (worker,) = own.pids
        assert own.submit(builders.sine, 1).result(TIMEOUT) == webfig.render(builders.sine(1))
        assert len(builders.runs_of(tmp_path)) == 1  # builds from modules need no script
        body = own.submit(script.bars, 4).result(TIMEOUT)
        assert body == webfig.render(script.bars(4))
        # As __mp_main__: the script's `if __name__ == "__main__":` part does not run.
        assert builders.runs_of(tmp_path) - {f"ran as __main__ in {os.getpid()}"} == {
            f"ran as __mp_main__ in {worker}"
        }
        own.submit(script.bars, 2).result(TIMEOUT)
        assert len(builders.runs_of(tmp_path)) == 2  # once per worker


def test_a_worker_that_dies_leaving_its_pipe_open_fails_its_job_alone(tmp_path: Path) -> None:
    """A process the job started inherited the worker's end of the pipe and keeps it open,
    so no EOF says the worker died: its exit status does."""
    child_file = tmp_path / "child"
    with RenderPool(processes=1) as own:
        try:
            with pytest.raises(
                WorkerCrashed, match=r"misbehaving\.exiting_leaving_a_child died \(exit code 5\)"
            ):
                own.submit(misbehaving.exiting_leaving_a_child, str(child_file)).result(TIMEOUT)
            assert own.submit(builders.sine, 2).result(TIMEOUT) == webfig.render(builders.sine(2))
        finally:
            if child_file.exists():
                os.kill(int(child_file.read_text()), signal.SIGKILL)


def test_shutdown_kills_a_worker_that_outlives_its_pipe_and_ignores_sigterm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(process_pool, "EXIT_TIMEOUT", 0.2)
    own = RenderPool(processes=1)
    (worker,) = own.pids
    body = own.submit(misbehaving.outliving_the_pipe, 3).result(TIMEOUT)
    assert body == webfig.render(builders.sine(3))
    stopping = threading.Thread(target=own.shutdown)
    stopping.start()
    stopping.join(TIMEOUT)
    assert not stopping.is_alive(), "shutdown waited for the worker to exit by itself"
    assert own.pids == ()
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # killed, and reaped


def test_a_pool_that_does_not_trust_its_workers_gets_their_errors_as_text() -> None:
    """The hub's pool: a job's exception is not unpickled here (a worker taken over by what
    it loaded could send one that runs code), only its text comes back."""
    pool = process_pool.ProcessPool(
        1, name="an untrusting pool", import_main=False, trust_replies=False
    )
    try:
        failing = process_pool.job_payload(builders.failing, ("no data yet",), "png", None, {})
        with pytest.raises(process_pool.WorkerError, match="BuildFailed: no data yet"):
            pool.submit(failing, "a failing build").result(TIMEOUT)
        working = process_pool.job_payload(builders.sine, (1.0,), "png", None, {})
        assert decode_png(pool.submit(working, "a sine").result(TIMEOUT)).shape[:2] == (300, 400)
    finally:
        pool.shutdown()


def test_a_worker_within_a_memory_limit_fails_a_job_that_needs_more_and_goes_on() -> None:
    pool = process_pool.ProcessPool(
        1, name="a pool of 1 GiB workers", import_main=False, memory_limit=1024**3
    )
    try:
        too_big = process_pool.job_payload(builders.scatter, (200_000_000,), "png", None, {})
        with pytest.raises(MemoryError, match="Unable to allocate"):
            pool.submit(too_big, "a 1.5 GiB scatter").result(TIMEOUT)
        working = process_pool.job_payload(builders.sine, (1.0,), "png", None, {})
        assert decode_png(pool.submit(working, "a sine").result(TIMEOUT)).shape[:2] == (300, 400)
    finally:
        pool.shutdown()
