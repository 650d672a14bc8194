"""What the hub keeps of published figures, in its data directory: an index in SQLite
(``index.sqlite3``) next to the figures' files, kept across hub restarts.

The data directory::

    index.sqlite3            runs and figures (WAL mode: index.sqlite3-wal beside it)
    figures/<run id>/<figure id>-<version>.png      the figure's last picture
    figures/<run id>/<figure id>-<version>.pickle   the figure's pickle

Every write of a file goes to a new name (a fresh ``<version>``): the file is written as a
temporary file in its folder, flushed to disk, renamed into place, and only then does the
index point at it, and the file it replaces is removed. So the index never points at a half
written file, nor at a whole file that is not the one it describes (its size is the file's).
Whatever a hub killed at any moment leaves — temporary files, a renamed file the index never
took, a file the index let go — is cleaned up the next time the store opens; so is a file
deleted behind the store's back (see :meth:`HubStore._reconcile`).

The store stores bytes: it never unpickles or draws (the hub does that elsewhere, through the
restricted unpickler, in worker processes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, get_args

from .retention import Retention

logger = logging.getLogger(__name__)

HowEnded = Literal["exited", "exception", "signal", "lost"]
FigureState = Literal["live", "kept", "picture"]

INDEX_NAME: Final = "index.sqlite3"
FIGURES_FOLDER: Final = "figures"
PICTURE_SUFFIX: Final = ".png"
PICKLE_SUFFIX: Final = ".pickle"
TEMP_SUFFIX: Final = ".tmp"

# The index's format; a store refuses an index of a later one. Raise it with a migration.
SCHEMA_VERSION: Final = 1
# "wfhb" in the database header: an index of webfig's hub, not some other program's database.
APPLICATION_ID: Final = 0x77666862

# What a run id may be: URL-safe, and a folder name that cannot climb out of figures/.
_RUN_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Seconds to wait for a database another store has open before saying so.
_LOCK_TIMEOUT: Final = 1.0

_SCHEMA: Final = """
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    script TEXT NOT NULL,
    argv TEXT,
    pid INTEGER,
    started REAL NOT NULL,
    heard REAL NOT NULL,
    ended REAL,
    how_ended TEXT CHECK (how_ended IN ('exited', 'exception', 'signal', 'lost')),
    CHECK ((ended IS NULL) = (how_ended IS NULL))
);
CREATE INDEX runs_newest_first ON runs (heard DESC);
CREATE INDEX runs_by_end ON runs (ended) WHERE ended IS NOT NULL;
CREATE TABLE figures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('live', 'kept', 'picture')),
    picture_file TEXT,
    picture_size INTEGER,
    pickle_file TEXT,
    pickle_size INTEGER,
    refused TEXT,
    CHECK ((picture_file IS NULL) = (picture_size IS NULL)),
    CHECK ((pickle_file IS NULL) = (pickle_size IS NULL)),
    CHECK (state != 'kept' OR pickle_file IS NOT NULL),
    CHECK (state != 'picture' OR picture_file IS NOT NULL)
);
CREATE INDEX figures_of_run ON figures (run_id, id);
"""

_RUN_COLUMNS: Final = "id, host, script, argv, pid, started, heard, ended, how_ended"
_FIGURE_COLUMNS: Final = (
    "id, run_id, number, label, created, updated, state, picture_size, pickle_size, refused"
)
_FileColumn = Literal["picture_file", "pickle_file"]


class StoreError(Exception):
    """The data directory cannot be used: its index is another program's database, a later
    webfig's, or open in another hub."""


class UnknownRun(LookupError):
    """No run has this id (it never had, or it was deleted or expired)."""


class UnknownFigure(LookupError):
    """The run has no figure with this id (it never had, or it was deleted or expired)."""


@dataclass(frozen=True)
class Run:
    """One publishing process. ``started`` is the publisher's clock, ``heard`` (when the hub
    first heard of it) and ``ended`` the hub's: runs are ordered by ``heard``, since
    publishers' clocks need not agree. ``ended`` and ``how_ended`` are ``None`` while it is
    live; ``"lost"`` is a connection that dropped without an end message."""

    id: str
    host: str
    script: str
    argv: str | None
    pid: int | None
    started: float
    heard: float
    ended: float | None
    how_ended: HowEnded | None

    @property
    def live(self) -> bool:
        return self.ended is None


@dataclass(frozen=True)
class Figure:
    """One figure of a run. ``id`` is the store's, unique across runs and never reused (a
    deleted figure's address never shows another); ``number`` is the script's.

    ``state``: ``"live"`` while its script runs and has it open; then ``"kept"`` when its
    pickle is stored, ``"picture"`` when only its last picture is. Sizes are in bytes,
    ``None`` when there is no such file; ``refused`` says why the hub refused its pickle."""

    id: int
    run_id: str
    number: int
    label: str
    created: float
    updated: float
    state: FigureState
    picture_size: int | None
    pickle_size: int | None
    refused: str | None


@dataclass(frozen=True)
class RunFigures:
    """A run and its figures (those that matched, in a filtered listing), oldest first."""

    run: Run
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Expired:
    """What one application of the retention rules removed: whole runs (by id), every figure
    (by id, those of the removed runs included), and the bytes their files held."""

    runs: tuple[str, ...] = ()
    figures: tuple[int, ...] = ()
    freed: int = 0


class HubStore:
    """The hub's runs and figures, in the data directory ``directory`` (made if missing).

    Opening reconciles the index with the files (one query over the figures and one listing
    of the figures' folders; no file is read), and takes the index for this store alone: a
    second store, in this process or another hub, gets a :class:`StoreError` until this one
    is closed. An index of a later schema or another program is a :class:`StoreError` too,
    and is left untouched.

    Thread-safety: one SQLite connection, used only under one lock, so any thread may call
    any method (the event loop's, a pool's). A file's bytes are written and flushed to disk
    before the lock is taken and read after it is released, so a large pickle holds up no
    other call for longer than a rename; still, writes wait for the disk, so the hub makes
    them off its event loop.

    ``clock`` gives the hub's time (seconds since the epoch): when a run was heard of and
    ended, when a figure was made and updated, and the retention rules' "now".

    Methods that change a run or a figure raise :class:`UnknownRun` or
    :class:`UnknownFigure` when there is none; those that look one up return ``None``.
    """

    def __init__(self, directory: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.directory = Path(directory)
        self._figures = self.directory / FIGURES_FOLDER
        self._clock = clock
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._db = _open_index(self.directory / INDEX_NAME)
        try:
            self._reconcile()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HubStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Runs

    def add_run(
        self,
        *,
        host: str,
        script: str,
        started: float,
        argv: str | None = None,
        pid: int | None = None,
        run_id: str | None = None,
    ) -> Run:
        """A new live run; its id is ``run_id`` (letters, digits, ``-`` and ``_``, at most
        64) or a random one. ``started`` is the publisher's clock. A ValueError for an id
        that is malformed or taken."""
        run_id = secrets.token_urlsafe(12) if run_id is None else run_id
        if not _RUN_ID.fullmatch(run_id):
            raise ValueError(f"a run id is 1 to 64 letters, digits, '-' or '_': {run_id!r}")
        run = Run(run_id, host, script, argv, pid, started, self._clock(), None, None)
        with self._lock, self._transaction():
            try:
                self._db.execute(
                    f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run.id, host, script, argv, pid, started, run.heard, None, None),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"there is a run {run_id!r} already") from None
        return run

    def end_run(self, run_id: str, how: HowEnded) -> Run:
        """The run ended, ``how``. Each figure it still had open is kept as its pickle, else
        as its last picture; one with neither has nothing to show and is removed. A run
        that has ended already stays as it ended: a connection that drops after the end
        message was not lost."""
        if how not in get_args(HowEnded):
            raise ValueError(f"a run ends {', '.join(get_args(HowEnded))}; not {how!r}")
        with self._lock, self._transaction():
            run = self._run(run_id)
            if not run.live:
                return run
            self._db.execute(
                "UPDATE runs SET ended = ?, how_ended = ? WHERE id = ?",
                (self._clock(), how, run_id),
            )
            self._db.execute(
                "UPDATE figures SET state = CASE WHEN pickle_file IS NOT NULL THEN 'kept' "
                "WHEN picture_file IS NOT NULL THEN 'picture' ELSE state END "
                "WHERE run_id = ? AND state = 'live'",
                (run_id,),
            )
            self._db.execute("DELETE FROM figures WHERE run_id = ? AND state = 'live'", (run_id,))
            return self._run(run_id)

    def run(self, run_id: str) -> Run | None:
        with self._lock:
            return self._find_run(run_id)

    def delete_run(self, run_id: str) -> None:
        """The run, its figures and their files; a live run too (its later writes raise)."""
        with self._lock, self._transaction():
            if self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount == 0:
                raise UnknownRun(f"no run {run_id!r}")
        self._remove_run_folder(run_id)

    # Figures

    def add_figure(self, run_id: str, number: int, label: str | None = None) -> Figure:
        """A new live figure of a live run: the script's figure ``number``, with ``label``
        (the figure's own, ``plt.figure("loss curve")``), else "Figure <number>". A
        ValueError if the run has ended."""
        with self._lock, self._transaction():
            if not self._run(run_id).live:
                raise ValueError(f"run {run_id!r} has ended: it gets no new figures")
            now = self._clock()
            cursor = self._db.execute(
                "INSERT INTO figures (run_id, number, label, created, updated, state) "
                "VALUES (?, ?, ?, ?, ?, 'live')",
                (run_id, number, label or f"Figure {number}", now, now),
            )
            assert cursor.lastrowid is not None
            return self._figure(run_id, cursor.lastrowid)

    def live_figure(self, run_id: str, number: int) -> Figure | None:
        """The run's open figure with the script's ``number``, if any: what a publisher that
        reconnects after a hub restart means when it names its figures again."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_FIGURE_COLUMNS} FROM figures "
                "WHERE run_id = ? AND number = ? AND state = 'live' ORDER BY id DESC LIMIT 1",
                (run_id, number),
            ).fetchone()
            return None if row is None else _figure_of(row)

    def relabel_figure(self, run_id: str, figure_id: int, label: str | None) -> Figure:
        with self._lock, self._transaction():
            number = self._figure(run_id, figure_id).number
            self._db.execute(
                "UPDATE figures SET label = ?, updated = ? WHERE id = ?",
                (label or f"Figure {number}", self._clock(), figure_id),
            )
            return self._figure(run_id, figure_id)

    def close_figure(self, run_id: str, figure_id: int) -> Figure | None:
        """The script closed the figure: it is kept as its pickle, else as its last picture;
        with neither it has nothing to show, and is removed (``None``)."""
        with self._lock, self._transaction():
            figure = self._figure(run_id, figure_id)
            state = _settled(figure.pickle_size is not None, figure.picture_size is not None)
            if state is None:
                self._db.execute("DELETE FROM figures WHERE id = ?", (figure_id,))
                return None
            self._db.execute("UPDATE figures SET state = ? WHERE id = ?", (state, figure_id))
            return self._figure(run_id, figure_id)

    def put_picture(self, run_id: str, figure_id: int, png: bytes) -> Figure:
        """The figure's last picture is ``png``, replacing the one before."""
        return self._put_file(run_id, figure_id, "picture_file", png)

    def put_pickle(self, run_id: str, figure_id: int, data: bytes) -> Figure:
        """The figure's pickle is ``data`` (one the hub accepted), replacing the one before;
        a figure that is no longer live is now kept."""
        return self._put_file(run_id, figure_id, "pickle_file", data)

    def refuse_pickle(self, run_id: str, figure_id: int, reason: str) -> Figure | None:
        """The hub refused the figure's pickle, for ``reason``: any pickle stored before goes
        too (it no longer is the figure), and a figure that is no longer live is kept as its
        last picture, or removed (``None``) with none."""
        with self._lock, self._transaction():
            figure = self._figure(run_id, figure_id)
            old = self._file_name(figure_id, "pickle_file")
            state: FigureState | None = (
                "live"
                if figure.state == "live"
                else _settled(False, figure.picture_size is not None)
            )
            if state is None:
                self._db.execute("DELETE FROM figures WHERE id = ?", (figure_id,))
                result = None
            else:
                self._db.execute(
                    "UPDATE figures SET pickle_file = NULL, pickle_size = NULL, refused = ?, "
                    "updated = ?, state = ? WHERE id = ?",
                    (reason, self._clock(), state, figure_id),
                )
                result = self._figure(run_id, figure_id)
        self._remove_file(run_id, old)
        return result

    def figure(self, run_id: str, figure_id: int) -> Figure | None:
        with self._lock:
            return self._find_figure(run_id, figure_id)

    def figures_of(self, run_id: str) -> list[Figure]:
        """The run's figures, oldest first; none for a run that does not exist."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_FIGURE_COLUMNS} FROM figures WHERE run_id = ? ORDER BY id", (run_id,)
            ).fetchall()
        return [_figure_of(row) for row in rows]

    def picture(self, run_id: str, figure_id: int) -> bytes | None:
        """The figure's last picture (PNG), if it has one."""
        return self._read_file(run_id, figure_id, "picture_file")

    def pickle(self, run_id: str, figure_id: int) -> bytes | None:
        """The figure's pickle, if it has one; bytes, never unpickled here."""
        return self._read_file(run_id, figure_id, "pickle_file")

    def delete_figure(self, run_id: str, figure_id: int) -> None:
        """The figure and its files; a live one too (its later writes raise)."""
        with self._lock, self._transaction():
            self._figure(run_id, figure_id)
            files = self._file_names(figure_id)
            self._db.execute("DELETE FROM figures WHERE id = ?", (figure_id,))
        for name in files:
            self._remove_file(run_id, name)

    # The all-figures page

    def listing(self, text: str = "") -> list[RunFigures]:
        """Every run and its figures, the run the hub heard of last first. With ``text``,
        only what matches it (a case-insensitive substring): a run whose host or script
        matches, with all its figures; otherwise only the run's figures whose label
        matches, and the run not at all when none does."""
        with self._lock:
            runs = self._db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY heard DESC, rowid DESC"
            ).fetchall()
            figure_rows = self._db.execute(
                f"SELECT {_FIGURE_COLUMNS} FROM figures ORDER BY run_id, id"
            ).fetchall()
        figures: dict[str, list[Figure]] = {}
        for row in figure_rows:
            figure = _figure_of(row)
            figures.setdefault(figure.run_id, []).append(figure)
        wanted = text.strip().casefold()
        listing = []
        for run in map(_run_of, runs):
            shown = figures.get(run.id, [])
            if wanted not in run.host.casefold() and wanted not in run.script.casefold():
                shown = [figure for figure in shown if wanted in figure.label.casefold()]
                if not shown:
                    continue
            listing.append(RunFigures(run, tuple(shown)))
        return listing

    def total_bytes(self) -> int:
        """What the figures' files hold, pictures and pickles (not the index)."""
        with self._lock:
            return self._total_bytes()

    # Retention

    def apply_retention(self, retention: Retention) -> Expired:
        """Remove what ``retention``'s rules (see :mod:`.retention`) say is no longer kept,
        as of the clock's now."""
        runs: list[str] = []
        figures: list[int] = []
        files: list[tuple[str, str]] = []
        freed = 0
        with self._lock, self._transaction():
            if retention.keep is not None:
                for (run_id,) in self._db.execute(
                    "SELECT id FROM runs WHERE ended IS NOT NULL AND ended < ? ORDER BY ended",
                    (self._clock() - retention.keep,),
                ).fetchall():
                    for figure_id, size in self._db.execute(
                        "SELECT id, COALESCE(picture_size, 0) + COALESCE(pickle_size, 0) "
                        "FROM figures WHERE run_id = ?",
                        (run_id,),
                    ):
                        figures.append(figure_id)
                        freed += size
                    self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
                    runs.append(run_id)
            total = self._total_bytes()
            if retention.max_bytes is not None and total > retention.max_bytes:
                emptied: set[str] = set()
                candidates = self._db.execute(
                    "SELECT figures.id, run_id, picture_file, pickle_file, "
                    "COALESCE(picture_size, 0) + COALESCE(pickle_size, 0) "
                    "FROM figures JOIN runs ON runs.id = figures.run_id "
                    "WHERE runs.ended IS NOT NULL "
                    "ORDER BY runs.ended, runs.rowid, figures.updated, figures.id"
                ).fetchall()
                for figure_id, run_id, picture_file, pickle_file, size in candidates:
                    if total <= retention.max_bytes:
                        break
                    self._db.execute("DELETE FROM figures WHERE id = ?", (figure_id,))
                    figures.append(figure_id)
                    files += [(run_id, name) for name in (picture_file, pickle_file) if name]
                    emptied.add(run_id)
                    total -= size
                    freed += size
                for run_id in sorted(emptied):
                    if not self._db.execute(
                        "SELECT 1 FROM figures WHERE run_id = ? LIMIT 1", (run_id,)
                    ).fetchone():
                        self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
                        runs.append(run_id)
                if total > retention.max_bytes:
                    logger.warning(
                        "The live runs' figures alone hold %d bytes, more than the %d the hub "
                        "keeps: they stay while their scripts run, and go first once ended",
                        total,
                        retention.max_bytes,
                    )
        for run_id, name in files:
            self._remove_file(run_id, name)
        for run_id in runs:
            self._remove_run_folder(run_id)
        return Expired(tuple(runs), tuple(figures), freed)

    # Under the lock

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _find_run(self, run_id: str) -> Run | None:
        row = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        found = row.fetchone()
        return None if found is None else _run_of(found)

    def _run(self, run_id: str) -> Run:
        run = self._find_run(run_id)
        if run is None:
            raise UnknownRun(f"no run {run_id!r}")
        return run

    def _find_figure(self, run_id: str, figure_id: int) -> Figure | None:
        row = self._db.execute(
            f"SELECT {_FIGURE_COLUMNS} FROM figures WHERE id = ? AND run_id = ?",
            (figure_id, run_id),
        ).fetchone()
        return None if row is None else _figure_of(row)

    def _figure(self, run_id: str, figure_id: int) -> Figure:
        figure = self._find_figure(run_id, figure_id)
        if figure is None:
            raise UnknownFigure(f"run {run_id!r} has no figure {figure_id!r}")
        return figure

    def _file_name(self, figure_id: int, column: _FileColumn) -> str | None:
        row = self._db.execute(f"SELECT {column} FROM figures WHERE id = ?", (figure_id,))
        name: str | None = row.fetchone()[0]
        return name

    def _file_names(self, figure_id: int) -> list[str]:
        row = self._db.execute(
            "SELECT picture_file, pickle_file FROM figures WHERE id = ?", (figure_id,)
        ).fetchone()
        return [name for name in row if name]

    def _total_bytes(self) -> int:
        row = self._db.execute(
            "SELECT COALESCE(SUM(COALESCE(picture_size, 0) + COALESCE(pickle_size, 0)), 0) "
            "FROM figures"
        ).fetchone()
        total: int = row[0]
        return total

    # Files

    def _put_file(self, run_id: str, figure_id: int, column: _FileColumn, data: bytes) -> Figure:
        with self._lock:
            self._figure(run_id, figure_id)
        suffix = PICTURE_SUFFIX if column == "picture_file" else PICKLE_SUFFIX
        name = f"{figure_id}-{secrets.token_hex(4)}{suffix}"
        folder = self._figures / run_id
        try:
            _write_atomically(folder, name, data)
        except FileNotFoundError:
            # The run was deleted while its file was written: its folder went.
            raise UnknownFigure(f"run {run_id!r} has no figure {figure_id!r}") from None
        is_pickle = column == "pickle_file"
        size_column = "pickle_size" if is_pickle else "picture_size"
        try:
            with self._lock, self._transaction():
                figure = self._figure(run_id, figure_id)
                old = self._file_name(figure_id, column)
                kept = is_pickle or figure.pickle_size is not None
                state = "live" if figure.state == "live" else "kept" if kept else "picture"
                self._db.execute(
                    f"UPDATE figures SET {column} = ?, {size_column} = ?, updated = ?, state = ?"
                    f"{', refused = NULL' if is_pickle else ''} WHERE id = ?",
                    (name, len(data), self._clock(), state, figure_id),
                )
                result = self._figure(run_id, figure_id)
        except BaseException:
            _remove_quietly(folder / name)
            raise
        self._remove_file(run_id, old)
        return result

    def _read_file(self, run_id: str, figure_id: int, column: _FileColumn) -> bytes | None:
        with self._lock:
            if self._find_figure(run_id, figure_id) is None:
                return None
            name = self._file_name(figure_id, column)
            if name is None:
                return None
            # Opened under the lock, so a write that replaces it cannot remove it first;
            # read after, so a long read holds up no one.
            try:
                file = (self._figures / run_id / name).open("rb")
            except FileNotFoundError:
                logger.warning(
                    "%s is gone from the hub's data directory (deleted behind its back?)",
                    self._figures / run_id / name,
                )
                return None
        with file:
            return file.read()

    def _remove_file(self, run_id: str, name: str | None) -> None:
        if name is not None:
            _remove_quietly(self._figures / run_id / name)

    def _remove_run_folder(self, run_id: str) -> None:
        # A write racing the removal may leave a file behind: the next opening removes it.
        shutil.rmtree(self._figures / run_id, ignore_errors=True)

    # Opening

    def _reconcile(self) -> None:
        """Make the index and the files agree, after a hub was killed or files were deleted
        behind its back:

        - a file no row points at is removed (temporary files, a file written but never
          indexed or let go but not yet removed, anything else under ``figures/``);
        - a row whose file is missing forgets it: a kept figure whose pickle is missing is
          kept as its picture; a figure that is not live and is left with no file has
          nothing to show and is removed. A live figure stays, file or not: its script may
          still send it (a publisher reconnects after a hub restart).
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT id, run_id, state, picture_file, pickle_file FROM figures"
            ).fetchall()
            run_ids = {run_id for (run_id,) in self._db.execute("SELECT id FROM runs")}
        indexed = {
            (run_id, name)
            for _, run_id, _, picture, pickle in rows
            for name in (picture, pickle)
            if name
        }
        present: set[tuple[str, str]] = set()
        strays = 0
        if self._figures.is_dir():
            for folder in os.scandir(self._figures):
                if not folder.is_dir(follow_symlinks=False) or folder.name not in run_ids:
                    strays += _remove_entry(folder)
                    continue
                for entry in os.scandir(folder.path):
                    if (folder.name, entry.name) in indexed and entry.is_file(
                        follow_symlinks=False
                    ):
                        present.add((folder.name, entry.name))
                    else:
                        strays += _remove_entry(entry)
        missing_pictures = missing_pickles = removed = 0
        with self._lock, self._transaction():
            for figure_id, run_id, state, picture, pickle in rows:
                lost_picture = picture is not None and (run_id, picture) not in present
                lost_pickle = pickle is not None and (run_id, pickle) not in present
                if not (lost_picture or lost_pickle):
                    continue
                missing_pictures += lost_picture
                missing_pickles += lost_pickle
                has_picture = picture is not None and not lost_picture
                has_pickle = pickle is not None and not lost_pickle
                settled = "live" if state == "live" else _settled(has_pickle, has_picture)
                if settled is None:
                    self._db.execute("DELETE FROM figures WHERE id = ?", (figure_id,))
                    removed += 1
                    continue
                self._db.execute(
                    "UPDATE figures SET "
                    + ("picture_file = NULL, picture_size = NULL, " if lost_picture else "")
                    + ("pickle_file = NULL, pickle_size = NULL, " if lost_pickle else "")
                    + "state = ? WHERE id = ?",
                    (settled, figure_id),
                )
        if strays or missing_pictures or missing_pickles:
            logger.warning(
                "The hub's data directory %s did not match its index: %d files no figure "
                "had were removed; %d pictures and %d pickles were missing (%d figures, left "
                "with nothing to show, were removed)",
                self.directory,
                strays,
                missing_pictures,
                missing_pickles,
                removed,
            )


def _settled(has_pickle: bool, has_picture: bool) -> FigureState | None:
    """What a figure that is no longer live is: kept, a picture, or nothing to show."""
    return "kept" if has_pickle else "picture" if has_picture else None


def _run_of(row: Any) -> Run:
    return Run(*row)


def _figure_of(row: Any) -> Figure:
    return Figure(*row)


def _open_index(path: Path) -> sqlite3.Connection:
    """The index at ``path``, made if new, checked as ours and of a schema we read, in WAL
    mode, and locked for this connection alone."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=_LOCK_TIMEOUT)
    try:
        # Exclusive before WAL: the lock is held until close, and no shared-memory file.
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        # Read before anything is written: a foreign file is left as it was.
        try:
            db.execute("BEGIN EXCLUSIVE")
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                raise StoreError(f"{path} is open in another hub (or store)") from None
            raise StoreError(f"{path} cannot be opened: {error}") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{path} is not a webfig hub index: {error}") from None
        if tables and application_id != APPLICATION_ID:
            raise StoreError(
                f"{path} is another program's database, not a webfig hub index "
                f"(application id {application_id:#x}); give the hub a data directory of its own"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a later webfig (index schema {version}; this one reads "
                f"up to {SCHEMA_VERSION}): upgrade webfig, or give the hub another data directory"
            )
        db.execute("COMMIT")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"{path} cannot be put in WAL mode (it stays {mode!r})")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if not tables:
            # One transaction: a hub killed here leaves an empty index, made again next time.
            db.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
                f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
    except BaseException:
        db.close()
        raise
    return db


def _write_atomically(folder: Path, name: str, data: bytes) -> None:
    """``data`` as ``folder / name``, whole or not at all: written to a temporary file in
    the same folder, flushed to disk, then renamed. (The folder itself is not synced: a
    rename a power cut loses is a missing file, which the next opening reconciles.)"""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, folder / name)
    except BaseException:
        _remove_quietly(Path(temporary))
        raise


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("Could not remove %s from the hub's data directory: %s", path, error)


def _remove_entry(entry: os.DirEntry[str]) -> int:
    """Remove a file or folder the index does not know; how many files went."""
    if entry.is_dir(follow_symlinks=False):
        count = sum(len(files) for _, _, files in os.walk(entry.path))
        shutil.rmtree(entry.path, ignore_errors=True)
        return count
    _remove_quietly(Path(entry.path))
    return 1
