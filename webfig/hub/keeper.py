"""What the hub does with what scripts send it to keep: pictures stored as they come, pickles
stored once a worker process loaded them through the restricted unpickler, and files of kept
figures made there too. The hub's own process never unpickles a published figure."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Final

from matplotlib.figure import Figure

from ..rendering.process_pool import ProcessPool, job_payload
from ..wire.interfaces import DownloadOptions
from .safe_pickle import load_figure
from .store import HubStore

_log = logging.getLogger(__name__)

# Worker processes that load published pickles, and seconds one may take.
LOADING_PROCESSES: Final = 2
LOAD_TIMEOUT: Final = 60.0
# Bytes of address space each may have: what a figure of a few million points needs (with
# matplotlib, numpy and fonts loaded, a worker starts at about 0.6 GB of it), not what a
# crafted pickle claims.
LOAD_MEMORY: Final = 2 * 1024**3


# Kept figures served live at once, each by a worker of its own while it has viewers.
SERVING_PROCESSES: Final = 4


class Keeper:
    """The hub's ``store``, and the worker processes (made on first use) that load and draw
    kept figures, and serve them live: ``serve_kept(pickled, hub, token, figure_id, label)``, a
    module-level function run in a worker, returns the figure once its viewers left (see
    :func:`webfig.serve.serve_kept`). Blocking: call it off the event loop."""

    def __init__(
        self,
        store: HubStore,
        *,
        serve_kept: Callable[[bytes, str, str, int, str], Figure] | None = None,
        timeout: float = LOAD_TIMEOUT,
    ) -> None:
        self.store = store
        self._serve_kept = serve_kept
        self._timeout = timeout
        self._pool: ProcessPool | None = None
        self._serving: ProcessPool | None = None

    def _processes(self) -> ProcessPool:
        if self._pool is None:
            self._pool = _untrusting_pool(LOADING_PROCESSES, "the hub's loading pool")
        return self._pool

    def render(self, pickled: bytes, fmt: str, options: DownloadOptions) -> bytes:
        """``pickled`` (a published figure) loaded in a worker through the restricted
        unpickler and saved as ``fmt``. Raises what loading raised there (a refusal:
        :class:`~webfig.hub.safe_pickle.RefusedPickle`), or the pool's errors."""
        payload = job_payload(load_figure, (pickled,), fmt, options.dpi, options.savefig_kwargs())
        name = f"a kept figure as {fmt}"
        return self._processes().submit(payload, name, self._timeout).result()

    def keep_pickle(self, run_id: str, figure_id: int, pickled: bytes) -> bool:
        """Store ``pickled`` for the figure if a worker can load it and draw it; else keep
        the figure as its last picture, with the reason, logged. Whether it was kept."""
        try:
            self.render(pickled, "png", DownloadOptions())
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"[:500]
            _log.warning(
                "webfig hub: refused the pickle of figure %d of run %s (kept as its last"
                " picture): %s",
                figure_id,
                run_id,
                reason,
            )
            self.store.refuse_pickle(run_id, figure_id, reason)
            return False
        self.store.put_pickle(run_id, figure_id, pickled)
        return True

    @property
    def serves(self) -> bool:
        """Whether kept figures can be served live."""
        return self._serve_kept is not None

    def serve(
        self, pickled: bytes, hub: str, token: str, figure_id: int, label: str
    ) -> Future[bytes]:
        """Serve kept figure ``figure_id`` (``pickled``) live to the hub at ``hub``, in a
        worker, until the hub lets it go; then its picture as its viewers left it."""
        assert self._serve_kept is not None, "this keeper serves no figure live"
        if self._serving is None:
            self._serving = _untrusting_pool(SERVING_PROCESSES, "the hub's serving pool")
        arguments = (pickled, hub, token, figure_id, label)
        payload = job_payload(self._serve_kept, arguments, "png", None, {})
        return self._serving.submit(payload, f"kept figure {figure_id} served live", None)

    def close(self) -> None:
        for pool in (self._pool, self._serving):
            if pool is not None:
                pool.shutdown()
        self.store.close()


def _untrusting_pool(processes: int, name: str) -> ProcessPool:
    """Workers that load published pickles: what they load could take them over, so their
    replies are read as data, and each has LOAD_MEMORY bytes of address space at most."""
    return ProcessPool(
        processes,
        name=name,
        import_main=False,
        warm_up=False,
        trust_replies=False,
        memory_limit=LOAD_MEMORY,
    )
