"""Rendering figures in worker processes, on every core: :class:`RenderPool`.

matplotlib draws one figure at a time in a process (``Figure.draw`` holds a lock all figures
share), so more threads render no faster. A pool's workers are processes: each calls a
module-level function that builds a :class:`~matplotlib.figure.Figure` (no pyplot), renders
it with :func:`webfig.rendering.render.render` and sends back the bytes::

    pool = RenderPool(processes=2)  # charts.py: def scatter(points: int) -> Figure: ...
    body = pool.submit(charts.scatter, 40_000, format="png", dpi=100).result()
    body = await pool.render(charts.scatter, 40_000, format="svg")  # in asyncio code
    body = pool.submit(charts.scatter, 40_000, timeout=5).result()  # at most 5 s in a worker
    body = cache.get_or_render(key, lambda: pool.submit(charts.scatter, 40_000).result())
    pool.close()  # or: with RenderPool() as pool: ...

The workers are a :class:`~webfig.rendering.process_pool.ProcessPool`, which says how they
work: a job whose worker dies fails alone with :class:`WorkerCrashed` (never retried), one
past its deadline with :class:`RenderTimeout`, and a new worker replaces the old; an
exception from the build or the render comes back pickled, as itself. Only the build
(pickled by name), its arguments, savefig's keywords and this process' rcParams and fonts
travel, and the bytes back. A build defined in the script itself makes a worker import the
script (as ``__mp_main__``): such a script needs the ``if __name__ == "__main__":`` guard,
as with ``multiprocessing``; builds in modules of their own need nothing.

Each worker imports matplotlib (Agg) and renders a tiny figure before it takes jobs, so its
first job is no slower than the rest: the constructor waits for that (about a second,
workers in parallel) unless ``warm_up=False``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure

from .process_pool import (
    SHUTDOWN_TIMEOUT,
    ProcessPool,
    RemoteTraceback,
    RenderTimeout,
    WorkerCrashed,
    job_payload,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVarTuple, Unpack

    Ts = TypeVarTuple("Ts")

__all__ = ["RemoteTraceback", "RenderPool", "RenderTimeout", "WorkerCrashed"]


def _name(build: object) -> str:
    return f"{getattr(build, '__module__', '?')}.{getattr(build, '__qualname__', build)}"


class RenderPool:
    """``processes`` worker processes (default: one per core) that build and render
    figures; thread-safe, and a context manager that shuts it down on exit. ``warm_up``:
    return once every worker is ready (else the first jobs wait for them); ``timeout``: the
    seconds a job submitted without one may run in its worker (default: no limit)::

        with RenderPool(processes=2, timeout=10) as pool:
            bodies = [f.result() for f in [pool.submit(charts.scatter, n) for n in sizes]]
    """

    def __init__(
        self, processes: int | None = None, *, warm_up: bool = True, timeout: float | None = None
    ) -> None:
        count = (os.cpu_count() or 1) if processes is None else processes
        self._pool = ProcessPool(
            count, name="the RenderPool", import_main=True, timeout=timeout, warm_up=warm_up
        )
        self.processes = count

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(wait=True)

    @property
    def timeout(self) -> float | None:
        """The deadline of a job submitted without one, in seconds (None: no limit)."""
        return self._pool.timeout

    @property
    def pids(self) -> tuple[int, ...]:
        """The workers' process ids now (a dead worker's replacement has a new one)."""
        return self._pool.pids

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every worker has started and warmed up; False if the pool broke or
        shut down first, or ``timeout`` seconds passed."""
        return self._pool.wait_ready(timeout)

    def submit(
        self,
        build: Callable[[Unpack[Ts]], Figure],
        *args: Unpack[Ts],
        format: str = "png",
        dpi: float | None = None,
        timeout: float | None = None,
        **savefig_kwargs: Any,
    ) -> Future[bytes]:
        """A future of ``build(*args)`` rendered in a worker as :func:`webfig.render` renders
        it (``format``, ``dpi`` and ``savefig_kwargs`` as there), with this process'
        rcParams as they are now. ``build`` is a module-level function the workers can
        import, and ``args`` must pickle. ``timeout``: the seconds it may run in its worker
        (else the pool's). The future's exception is what ``build`` or the render raised,
        :class:`WorkerCrashed` or :class:`RenderTimeout`."""
        name = _name(build)
        try:
            payload = job_payload(build, args, format, dpi, savefig_kwargs)
        except Exception as exc:
            why = "a build must be a module-level function, and its arguments must pickle"
            raise TypeError(f"cannot send {name} to a worker process ({exc}): {why}") from exc
        return self._pool.submit(payload, name, timeout)

    async def render(
        self,
        build: Callable[[Unpack[Ts]], Figure],
        *args: Unpack[Ts],
        format: str = "png",
        dpi: float | None = None,
        timeout: float | None = None,
        **savefig_kwargs: Any,
    ) -> bytes:
        """:meth:`submit`, awaited: ``body = await pool.render(charts.scatter, 40_000)``."""
        future = self.submit(
            build, *args, format=format, dpi=dpi, timeout=timeout, **savefig_kwargs
        )
        return await asyncio.wrap_future(future)

    def shutdown(
        self,
        wait: bool = True,
        *,
        cancel_futures: bool = False,
        timeout: float | None = SHUTDOWN_TIMEOUT,
    ) -> None:
        """Take no more jobs; finish the queued ones (or cancel them, with
        ``cancel_futures``) and stop the workers. What still runs or waits ``timeout``
        seconds from now (None: no limit) fails with :class:`RenderTimeout`, its worker
        stopped. ``wait``: return once the workers have exited."""
        self._pool.shutdown(wait, cancel_futures=cancel_futures, timeout=timeout)

    def close(self) -> None:
        self.shutdown(wait=True)
