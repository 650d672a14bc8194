"""What the hub does with what scripts send it to keep: pictures stored as they come, pickles
stored once a worker process loaded them through the restricted unpickler, and files of kept
figures made there too. The hub's own process never unpickles a published figure."""

from __future__ import annotations

import logging
from typing import Final

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


class Keeper:
    """The hub's ``store``, and the worker processes (made on first use) that load and draw
    kept figures. Blocking: call it off the event loop."""

    def __init__(self, store: HubStore, *, timeout: float = LOAD_TIMEOUT) -> None:
        self.store = store
        self._timeout = timeout
        self._pool: ProcessPool | None = None

    def _processes(self) -> ProcessPool:
        if self._pool is None:
            self._pool = ProcessPool(
                LOADING_PROCESSES,
                name="the hub's loading pool",
                import_main=False,
                warm_up=False,
                # What loads published pickles could be taken over: its replies are data.
                trust_replies=False,
                memory_limit=LOAD_MEMORY,
            )
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

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.store.close()
