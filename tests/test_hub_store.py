"""The hub's store: runs and figures in an SQLite index next to their files, kept across
restarts, reconciled with the files on opening, and trimmed by the retention rules."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from webfig.hub.retention import Retention, parse_duration, parse_size
from webfig.hub.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Expired,
    Figure,
    HubStore,
    Run,
    StoreError,
    UnknownFigure,
    UnknownRun,
)

from .fake_clock import Clock

PNG = b"\x89PNG\r\n\x1a\n picture"
PICKLE = b"\x80\x05 pickle"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[HubStore]:
    with HubStore(tmp_path / "data", clock=clock) as store:
        yield store


def add_run(store: HubStore, script: str = "train.py", host: str = "node7", **kwargs: str) -> Run:
    return store.add_run(host=host, script=script, started=500.0, pid=42, **kwargs)


def files(store: HubStore) -> list[str]:
    """Every file under the data directory's figures/, relative to it."""
    root = store.directory / "figures"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# Parsing the command line's limits


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 30 * 86400), ("1.5h", 5400), ("45s", 45), ("2w", 14 * 86400), (" 90m ", 5400)],
)
def test_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30x", "unit is s, m, h, d or w.*'x'"),
        ("", "a duration is a number and a unit"),
        ("-1d", "a duration is a number and a unit.*'-1d'"),
        ("30", "needs a unit"),
        ("5M", "lowercase.*'M'"),
        ("0d", "more than 0"),
        ("infd", "a duration is a number"),
    ],
)
def test_bad_durations_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5G", 5 * 2**30),
        ("512M", 512 * 2**20),
        ("1.5G", 3 * 2**29),
        ("5g", 5 * 2**30),
        ("2GiB", 2 * 2**30),
        ("200MB", 200_000_000),
        ("1T", 2**40),
        ("4096", 4096),
        ("10B", 10),
    ],
)
def test_sizes_parse_to_bytes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a size is a number and a unit"),
        ("-1G", "a size is a number.*'-1G'"),
        ("5X", "unit is B, K, M, G or T.*'X'"),
        ("0", "at least 1 byte"),
        ("1e9", "a size is a number and a unit.*'1e9'"),
    ],
)
def test_bad_sizes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_size(text)


def test_a_retention_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="keep must be more than 0"):
        Retention(keep=0)
    with pytest.raises(ValueError, match="max_bytes must be more than 0"):
        Retention(max_bytes=-5)


# Runs and figures


def test_a_run_and_its_figures_are_rows_with_their_files(store: HubStore, clock: Clock) -> None:
    run = add_run(store, argv="--epochs 3")
    assert run == Run(run.id, "node7", "train.py", "--epochs 3", 42, 500.0, 1000.0, None, None)
    assert len(run.id) == 16
    assert run.live
    clock.now = 1001.0
    loss = store.add_figure(run.id, 1, "loss curve")
    unnamed = store.add_figure(run.id, 3)
    assert unnamed.label == "Figure 3"
    assert loss == Figure(
        loss.id, run.id, 1, "loss curve", 1001.0, 1001.0, "live", None, None, None
    )
    clock.now = 1002.0
    updated = store.put_picture(run.id, loss.id, PNG)
    assert (updated.picture_size, updated.updated, updated.state) == (len(PNG), 1002.0, "live")
    assert store.picture(run.id, loss.id) == PNG
    assert store.pickle(run.id, loss.id) is None
    assert store.picture(run.id, unnamed.id) is None
    [name] = files(store)
    assert name.startswith(f"{run.id}/{loss.id}-")
    assert name.endswith(".png")
    assert store.figures_of(run.id) == [updated, unnamed]
    assert store.run(run.id) == run
    assert store.run("nope") is None
    assert store.figure(run.id, 999) is None


def test_a_new_picture_replaces_the_old_file(store: HubStore) -> None:
    run = add_run(store)
    figure = store.add_figure(run.id, 1)
    store.put_picture(run.id, figure.id, PNG)
    store.put_picture(run.id, figure.id, b"second")
    store.put_pickle(run.id, figure.id, PICKLE)
    assert store.picture(run.id, figure.id) == b"second"
    assert sorted(Path(name).suffix for name in files(store)) == [".pickle", ".png"]
    assert store.total_bytes() == len(b"second") + len(PICKLE)


def test_run_ids_are_checked(store: HubStore) -> None:
    assert add_run(store, run_id="mine-1_A").id == "mine-1_A"
    with pytest.raises(ValueError, match="there is a run 'mine-1_A' already"):
        add_run(store, run_id="mine-1_A")
    for bad in ("../up", "", "a" * 65, "a.b"):
        with pytest.raises(ValueError, match="a run id is 1 to 64"):
            add_run(store, run_id=bad)
    assert [group.run.id for group in store.listing()] == ["mine-1_A"]


def test_ending_a_run_keeps_each_figure_as_what_it_has(store: HubStore, clock: Clock) -> None:
    run = add_run(store)
    pickled, pictured, empty = (store.add_figure(run.id, n) for n in (1, 2, 3))
    store.put_picture(run.id, pickled.id, PNG)
    store.put_pickle(run.id, pickled.id, PICKLE)
    store.put_picture(run.id, pictured.id, PNG)
    clock.now = 2000.0
    ended = store.end_run(run.id, "signal")
    assert (ended.ended, ended.how_ended, ended.live) == (2000.0, "signal", False)
    assert [(f.number, f.state) for f in store.figures_of(run.id)] == [
        (1, "kept"),
        (2, "picture"),
    ]
    assert store.figure(run.id, empty.id) is None
    clock.now = 2001.0
    assert store.end_run(run.id, "lost") == ended
    with pytest.raises(ValueError, match="has ended"):
        store.add_figure(run.id, 4)
    with pytest.raises(ValueError, match="a run ends exited, exception, signal, lost"):
        store.end_run(add_run(store).id, "vanished")  # type: ignore[arg-type]
    with pytest.raises(UnknownRun, match="no run 'nope'"):
        store.end_run("nope", "exited")


def test_a_closed_figure_is_kept_while_its_run_goes_on(store: HubStore) -> None:
    run = add_run(store)
    closed, empty, other = (store.add_figure(run.id, n) for n in (1, 2, 3))
    store.put_picture(run.id, closed.id, PNG)
    assert store.close_figure(run.id, closed.id) == store.figure(run.id, closed.id)
    assert store.close_figure(run.id, empty.id) is None
    assert [(f.id, f.state) for f in store.figures_of(run.id)] == [
        (closed.id, "picture"),
        (other.id, "live"),
    ]
    # A pickle that arrives after the close makes it kept; a new figure 1 is a new figure.
    assert store.put_pickle(run.id, closed.id, PICKLE).state == "kept"
    again = store.add_figure(run.id, 1)
    assert again.id != closed.id
    assert store.live_figure(run.id, 1) == again
    assert store.live_figure(run.id, 2) is None


def test_a_refused_pickle_leaves_the_last_picture(store: HubStore) -> None:
    run = add_run(store)
    figure = store.add_figure(run.id, 1)
    store.put_picture(run.id, figure.id, PNG)
    store.put_pickle(run.id, figure.id, PICKLE)
    store.end_run(run.id, "exited")
    refused = store.refuse_pickle(run.id, figure.id, "names os.system")
    assert refused is not None
    assert (refused.state, refused.refused, refused.pickle_size) == (
        "picture",
        "names os.system",
        None,
    )
    assert store.pickle(run.id, figure.id) is None
    assert [Path(name).suffix for name in files(store)] == [".png"]
    accepted = store.put_pickle(run.id, figure.id, PICKLE)
    assert (accepted.state, accepted.refused) == ("kept", None)


def test_a_refused_pickle_of_a_figure_with_no_picture_removes_it(store: HubStore) -> None:
    run = add_run(store)
    live = store.add_figure(run.id, 1)
    assert store.refuse_pickle(run.id, live.id, "a user class") is not None
    store.put_pickle(run.id, live.id, PICKLE)
    store.end_run(run.id, "exited")
    assert store.refuse_pickle(run.id, live.id, "a user class") is None
    assert store.figures_of(run.id) == []
    assert files(store) == []


def test_relabelling(store: HubStore) -> None:
    run = add_run(store)
    figure = store.add_figure(run.id, 2, "old")
    assert store.relabel_figure(run.id, figure.id, "new").label == "new"
    assert store.relabel_figure(run.id, figure.id, None).label == "Figure 2"


# Deleting


def test_deleting_a_figure_removes_its_files(store: HubStore) -> None:
    run = add_run(store)
    gone, stays = store.add_figure(run.id, 1), store.add_figure(run.id, 2)
    for figure in (gone, stays):
        store.put_picture(run.id, figure.id, PNG)
        store.put_pickle(run.id, figure.id, PICKLE)
    store.delete_figure(run.id, gone.id)
    assert [f.id for f in store.figures_of(run.id)] == [stays.id]
    assert all(name.startswith(f"{run.id}/{stays.id}-") for name in files(store))
    assert len(files(store)) == 2
    with pytest.raises(UnknownFigure):
        store.delete_figure(run.id, gone.id)
    with pytest.raises(UnknownFigure):
        store.put_picture(run.id, gone.id, PNG)
    assert len(files(store)) == 2


def test_a_figure_is_found_only_under_its_own_run(store: HubStore) -> None:
    mine, other = add_run(store), add_run(store)
    figure = store.add_figure(mine.id, 1)
    store.put_picture(mine.id, figure.id, PNG)
    assert store.figure(other.id, figure.id) is None
    assert store.picture(other.id, figure.id) is None
    with pytest.raises(UnknownFigure, match=f"run '{other.id}' has no figure {figure.id}"):
        store.delete_figure(other.id, figure.id)
    assert store.picture(mine.id, figure.id) == PNG


def test_deleting_a_run_removes_its_figures_and_folder(store: HubStore) -> None:
    gone, stays = add_run(store), add_run(store)
    for run in (gone, stays):
        store.put_picture(run.id, store.add_figure(run.id, 1).id, PNG)
    store.delete_run(gone.id)
    assert [group.run.id for group in store.listing()] == [stays.id]
    assert store.figures_of(gone.id) == []
    assert not (store.directory / "figures" / gone.id).exists()
    assert [name.split("/")[0] for name in files(store)] == [stays.id]
    with pytest.raises(UnknownRun):
        store.delete_run(gone.id)


# The all-figures page


def test_the_listing_groups_figures_by_run_newest_first(store: HubStore, clock: Clock) -> None:
    old = add_run(store, "old.py")
    clock.now += 1
    new = add_run(store, "new.py")
    clock.now += 1
    empty = add_run(store, "empty.py")
    old_figures = [store.add_figure(old.id, n, label) for n, label in ((1, "a"), (2, "b"))]
    new_figure = store.add_figure(new.id, 1, "c")
    assert [(g.run.script, [f.label for f in g.figures]) for g in store.listing()] == [
        ("empty.py", []),
        ("new.py", ["c"]),
        ("old.py", ["a", "b"]),
    ]
    listed = store.listing()
    assert listed[1].figures == (new_figure,)
    assert listed[2].figures == tuple(old_figures)
    assert listed[0].run == empty


def test_the_listing_filters_by_label_script_and_host(store: HubStore) -> None:
    cluster = add_run(store, "train.py", host="GPU-node3")
    laptop = add_run(store, "plots/Ümlaut.py", host="laptop")
    store.add_figure(cluster.id, 1, "Loss Curve")
    store.add_figure(cluster.id, 2, "accuracy")
    store.add_figure(laptop.id, 1, "loss by epoch")
    store.add_figure(laptop.id, 2, "histogram")

    def shown(text: str) -> list[tuple[str, list[str]]]:
        return [(g.run.host, [f.label for f in g.figures]) for g in store.listing(text)]

    assert shown("LOSS") == [("laptop", ["loss by epoch"]), ("GPU-node3", ["Loss Curve"])]
    assert shown("gpu") == [("GPU-node3", ["Loss Curve", "accuracy"])]
    assert shown("ümlaut ") == [("laptop", ["loss by epoch", "histogram"])]
    assert shown("nothing like it") == []
    assert len(shown("")) == 2


# Retention


def test_runs_ended_longer_ago_than_keep_are_removed(store: HubStore, clock: Clock) -> None:
    old, recent, live = add_run(store), add_run(store), add_run(store)
    figures = {}
    for run in (old, recent, live):
        figures[run.id] = store.add_figure(run.id, 1)
        store.put_picture(run.id, figures[run.id].id, PNG)
    store.end_run(old.id, "exited")
    clock.now += 100
    store.end_run(recent.id, "exception")
    clock.now += 1000
    expired = store.apply_retention(Retention(keep=1000))
    assert expired == Expired((old.id,), (figures[old.id].id,), len(PNG))
    assert [g.run.id for g in store.listing()] == [live.id, recent.id]
    assert not (store.directory / "figures" / old.id).exists()
    clock.now += 10_000
    assert store.apply_retention(Retention(keep=1000)).runs == (recent.id,)
    assert [g.run.id for g in store.listing()] == [live.id]
    assert [name.split("/")[0] for name in files(store)] == [live.id]


def test_the_oldest_ended_runs_figures_go_first_past_max_bytes(
    store: HubStore, clock: Clock
) -> None:
    first, second, live = add_run(store), add_run(store), add_run(store)
    sizes = {}
    for run in (first, second, live):
        for number in (1, 2):
            figure = store.add_figure(run.id, number)
            store.put_pickle(run.id, figure.id, b"x" * 100)
            sizes[(run.id, number)] = figure.id
    # second ends before first: it is the older ended run.
    store.end_run(second.id, "exited")
    clock.now += 1
    store.end_run(first.id, "exited")
    assert store.total_bytes() == 600
    expired = store.apply_retention(Retention(max_bytes=350))
    assert expired == Expired(
        (second.id,),
        (sizes[(second.id, 1)], sizes[(second.id, 2)], sizes[(first.id, 1)]),
        300,
    )
    assert store.total_bytes() == 300
    assert [(g.run.id, [f.number for f in g.figures]) for g in store.listing()] == [
        (live.id, [1, 2]),
        (first.id, [2]),
    ]
    assert len(files(store)) == 3
    assert store.apply_retention(Retention(max_bytes=300)) == Expired()


def test_live_figures_over_max_bytes_stay_with_a_warning(
    store: HubStore, caplog: pytest.LogCaptureFixture
) -> None:
    ended, live = add_run(store), add_run(store)
    for run in (ended, live):
        store.put_picture(run.id, store.add_figure(run.id, 1).id, b"x" * 100)
    store.end_run(ended.id, "exited")
    with caplog.at_level(logging.WARNING, "webfig.hub.store"):
        expired = store.apply_retention(Retention(max_bytes=50))
    assert expired.runs == (ended.id,)
    assert [g.run.id for g in store.listing()] == [live.id]
    assert store.total_bytes() == 100
    assert [r.getMessage() for r in caplog.records] == [
        "The live runs' figures alone hold 100 bytes, more than the 50 the hub keeps: they "
        "stay while their scripts run, and go first once ended"
    ]


# Restarts and reconciling


def test_what_was_stored_is_there_after_a_restart(tmp_path: Path, clock: Clock) -> None:
    with HubStore(tmp_path, clock=clock) as store:
        run = add_run(store)
        figure = store.add_figure(run.id, 1, "loss")
        store.put_picture(run.id, figure.id, PNG)
        store.put_pickle(run.id, figure.id, PICKLE)
        live = add_run(store)
        store.add_figure(live.id, 1)
        store.end_run(run.id, "exited")
        before = store.listing()
    with HubStore(tmp_path, clock=clock) as store:
        assert store.listing() == before
        assert store.picture(run.id, figure.id) == PNG
        assert store.pickle(run.id, figure.id) == PICKLE
        # A deleted figure's id (the newest here) is never given again, restart or not.
        newest = store.add_figure(live.id, 2)
        store.delete_figure(live.id, newest.id)
    with HubStore(tmp_path, clock=clock) as store:
        assert store.add_figure(live.id, 2).id == newest.id + 1


def test_a_file_is_on_disk_before_it_is_renamed_into_place(
    store: HubStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = add_run(store)
    figure = store.add_figure(run.id, 1)
    calls: list[str] = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(descriptor: int) -> None:
        calls.append("fsync")
        fsync(descriptor)

    def recording_replace(source: str, destination: Path) -> None:
        calls.append(f"replace {Path(source).suffix} -> {destination.suffix}")
        replace(source, destination)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    store.put_pickle(run.id, figure.id, PICKLE)
    assert calls == ["fsync", "replace .tmp -> .pickle"]


def test_the_index_is_in_wal_mode_with_our_schema(tmp_path: Path) -> None:
    HubStore(tmp_path).close()
    header = (tmp_path / "index.sqlite3").read_bytes()[:100]
    assert header[18:20] == b"\x02\x02"  # the file format's versions: 2 is WAL
    assert int.from_bytes(header[60:64], "big") == SCHEMA_VERSION
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID


def test_a_second_store_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    with HubStore(tmp_path) as store:
        with pytest.raises(StoreError, match="is open in another hub"):
            HubStore(tmp_path)
        add_run(store)
    with HubStore(tmp_path) as store:
        assert len(store.listing()) == 1


def test_an_index_of_a_later_schema_is_refused(tmp_path: Path) -> None:
    with HubStore(tmp_path) as store:
        add_run(store)
    db = sqlite3.connect(tmp_path / "index.sqlite3")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match=f"later webfig \\(index schema {SCHEMA_VERSION + 1};"):
        HubStore(tmp_path)


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "index.sqlite3")
    db.execute("CREATE TABLE accounts (name TEXT)")
    db.commit()
    db.close()
    before = (tmp_path / "index.sqlite3").read_bytes()
    with pytest.raises(StoreError, match="another program's database"):
        HubStore(tmp_path)
    assert (tmp_path / "index.sqlite3").read_bytes() == before
    (tmp_path / "index.sqlite3").write_bytes(b"not a database at all " * 20)
    with pytest.raises(StoreError, match="is not a webfig hub index: file is not a database"):
        HubStore(tmp_path)


def test_files_the_index_does_not_know_are_removed_on_opening(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with HubStore(tmp_path) as store:
        run = add_run(store)
        figure = store.add_figure(run.id, 1)
        store.put_picture(run.id, figure.id, PNG)
        kept = files(store)
    folder = tmp_path / "figures" / run.id
    # What a hub killed mid-write leaves: a temporary file, a renamed file never indexed.
    (folder / ".abc123.tmp").write_bytes(b"half")
    (folder / f"{figure.id}-deadbeef.png").write_bytes(b"never indexed")
    (tmp_path / "figures" / "deletedrun").mkdir()
    (tmp_path / "figures" / "deletedrun" / "1-00.png").write_bytes(b"x")
    (tmp_path / "figures" / "loose").write_bytes(b"x")
    with caplog.at_level(logging.WARNING, "webfig.hub.store"), HubStore(tmp_path) as store:
        assert files(store) == kept
        assert store.picture(run.id, figure.id) == PNG
    assert not (tmp_path / "figures" / "deletedrun").exists()
    [record] = caplog.records
    assert "4 files no figure had were removed; 0 pictures and 0 pickles" in record.getMessage()


def test_files_deleted_behind_the_stores_back_are_reconciled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with HubStore(tmp_path) as store:
        run = add_run(store)
        numbers = {}
        for number in (1, 2, 3):
            figure = store.add_figure(run.id, number)
            numbers[number] = figure.id
            store.put_picture(run.id, figure.id, PNG)
            if number != 3:
                store.put_pickle(run.id, figure.id, PICKLE)
        live = add_run(store)
        live_figure = store.add_figure(live.id, 1)
        store.put_picture(live.id, live_figure.id, PNG)
        store.end_run(run.id, "exited")
    folder = tmp_path / "figures" / run.id
    (next(folder.glob(f"{numbers[1]}-*.png"))).unlink()  # kept: still has its pickle
    (next(folder.glob(f"{numbers[2]}-*.pickle"))).unlink()  # kept: falls back to its picture
    (next(folder.glob(f"{numbers[3]}-*.png"))).unlink()  # a picture without its picture
    next((tmp_path / "figures" / live.id).glob("*.png")).unlink()  # live: stays live
    with caplog.at_level(logging.WARNING, "webfig.hub.store"), HubStore(tmp_path) as store:
        assert [
            (f.number, f.state, f.picture_size, f.pickle_size) for f in store.figures_of(run.id)
        ] == [
            (1, "kept", None, len(PICKLE)),
            (2, "picture", len(PNG), None),
        ]
        assert store.pickle(run.id, numbers[1]) == PICKLE
        assert store.picture(run.id, numbers[1]) is None
        assert [(f.state, f.picture_size) for f in store.figures_of(live.id)] == [("live", None)]
        assert store.total_bytes() == len(PICKLE) + len(PNG)
    [record] = caplog.records
    assert (
        "0 files no figure had were removed; 3 pictures and 1 pickles were missing "
        "(1 figures, left with nothing to show, were removed)"
    ) in record.getMessage()


def test_a_write_that_fails_leaves_no_file_and_the_row_as_it_was(
    store: HubStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = add_run(store)
    figure = store.put_picture(run.id, store.add_figure(run.id, 1).id, PNG)
    before = files(store)

    def disk_full(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.put_picture(run.id, figure.id, b"new picture")
    assert files(store) == before
    assert store.figure(run.id, figure.id) == figure
    assert store.picture(run.id, figure.id) == PNG


def test_threads_writing_one_figure_leave_one_whole_picture(store: HubStore) -> None:
    run = add_run(store)
    figure = store.add_figure(run.id, 1)
    pictures = [bytes([n]) * (1000 + n) for n in range(40)]
    read: list[bytes | None] = []

    def write(share: list[bytes]) -> None:
        for picture in share:
            store.put_picture(run.id, figure.id, picture)
            read.append(store.picture(run.id, figure.id))

    threads = [threading.Thread(target=write, args=(pictures[n::4],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(read) == 40
    assert all(picture in pictures for picture in read)
    last = store.picture(run.id, figure.id)
    assert last in pictures
    assert last is not None
    assert store.total_bytes() == len(last)
    assert len(files(store)) == 1


def test_ten_thousand_kept_figures_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Durability is not what this tests: ten thousand flushes to disk would take minutes.
    monkeypatch.setattr(os, "fsync", lambda descriptor: None)
    with HubStore(tmp_path) as store:
        for run_number in range(100):
            run = add_run(store, f"job{run_number}.py")
            for number in range(100):
                figure = store.add_figure(run.id, number)
                store.put_picture(run.id, figure.id, PNG)
                store.put_pickle(run.id, figure.id, PICKLE)
            store.end_run(run.id, "exited")
    with HubStore(tmp_path) as store:
        listing = store.listing()
        assert sum(len(group.figures) for group in listing) == 10_000
        assert {f.state for group in listing for f in group.figures} == {"kept"}
        assert store.total_bytes() == 10_000 * (len(PNG) + len(PICKLE))
        assert [group.run.script for group in store.listing("job99.")] == ["job99.py"]
