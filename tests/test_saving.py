"""Downloads saved in worker processes: the same file as a save here, this process'
settings, a deadline, a fallback for figures that cannot travel (the script's own classes
among them: a download's worker never runs the script), and no stall for other figures."""

from __future__ import annotations

import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.ticker import FuncFormatter

from webfig.figure import saving
from webfig.rendering.process_pool import RenderTimeout, WorkerCrashed, job_payload
from webfig.rendering.render import render
from webfig.wire.interfaces import DownloadOptions

from . import misbehaving
from . import pool_builders as builders
from .imaging import decode_png
from .test_server import fetch
from .waiting import TIMEOUT


def saved_by_a_worker(figure, fmt="png", dpi=100, **savefig_kwargs) -> bytes:
    """``figure`` saved by the download pool's workers, as a download saves it."""
    job = job_payload(figure, (), fmt, dpi, savefig_kwargs)
    return saving.download_processes().submit(job, "a test's save").result(TIMEOUT)


def labelled_figure():
    figure, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([0, 1, 2], [0, 1, 0], lw=3)
    ax.set_title(r"$\alpha^2$ and text")
    return figure, ax


def test_a_worker_saves_the_same_file_as_this_process():
    figure, _ = labelled_figure()
    here = render(figure, "png", 100)
    assert saved_by_a_worker(figure, "png", 100) == here


def test_a_worker_saves_with_this_processs_rcparams():
    figure, _ = labelled_figure()
    with mpl.rc_context({"savefig.facecolor": "yellow"}):
        body = saved_by_a_worker(figure, "png", 50)
    corner = decode_png(body)[0, 0]
    assert tuple(corner) == (255, 255, 0, 255)
    # And the next save is back to the defaults: requests do not leak into each other.
    assert tuple(decode_png(saved_by_a_worker(figure, "png", 50))[0, 0]) == (255,) * 4


def test_a_download_uses_the_fonts_registered_here(server, tmp_path_factory):
    family = builders.register_font(tmp_path_factory.mktemp("fonts"))
    with mpl.rc_context({"font.family": family}):
        figure, _ = labelled_figure()
        status, _, body = fetch(server, f"/{figure.number}/download.png")
        here = render(figure, "png")
    assert status == 200
    plain, _ = labelled_figure()
    assert here != render(plain, "png")  # the font shows
    assert body == here


class Unsaveable(Artist):
    """Draws nowhere: it raises (importable, so it reaches the worker)."""

    def draw(self, renderer) -> None:
        raise RuntimeError("no drawing this")


def test_a_save_that_fails_in_the_worker_says_why():
    figure, _ = labelled_figure()
    figure.add_artist(Unsaveable())
    pids = saving.download_processes().pids
    with pytest.raises(RuntimeError, match="no drawing this"):
        saved_by_a_worker(figure, "png", 50)
    # The worker lives on for the next save.
    plain, _ = labelled_figure()
    assert saved_by_a_worker(plain, "png", 50) == render(plain, "png", 50)
    assert saving.download_processes().pids == pids


def test_a_download_of_a_figure_that_cannot_travel_is_saved_here(server, figure, caplog):
    ax = figure.axes[0]
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"<{value:g}>"))
    with caplog.at_level(logging.DEBUG, logger=saving.__name__):
        status, _, body = fetch(server, "/1/download.png")
    assert status == 200
    assert "saving figure 1 in the server's process: the figure cannot be pickled" in caplog.text
    figure.canvas.render_agg()
    np.testing.assert_array_equal(decode_png(body), figure.canvas.pixels())


def test_a_download_never_runs_the_script_in_a_worker(
    server, figure, tmp_path, monkeypatch, caplog
):
    """A figure with an artist of the script's own pickles (by reference to __main__), but a
    worker would have to run the script to load it: pyplot scripts have no __main__ guard."""
    script = builders.script_as_main(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", script)
    figure.add_artist(script.Banner())
    with caplog.at_level(logging.DEBUG, logger=saving.__name__):
        status, _, body = fetch(server, "/1/download.png")
    assert status == 200
    assert "Banner is defined in the script's __main__, which this worker does not" in caplog.text
    assert tuple(decode_png(body)[5, 200]) == (255, 0, 0, 255)  # the banner, saved here
    assert builders.runs_of(tmp_path) == {f"ran as __main__ in {os.getpid()}"}


def test_a_save_past_its_deadline_fails_and_is_not_tried_here(figure, monkeypatch):
    saved_here: list[object] = []
    monkeypatch.setattr(saving, "render", lambda *args, **kwargs: saved_here.append(args))
    pids = set(saving.download_processes().pids)
    slow, _ = labelled_figure()
    slow.add_artist(builders.Sleepy(60))
    with pytest.raises(RenderTimeout, match=r"figure 2 as png ran past its deadline of 0\.5 s"):
        saving.save_figure(slow.canvas, "png", DownloadOptions(), lambda: None, timeout=0.5)
    assert saved_here == []
    # A new worker took the stopped one's place.
    body = saving.save_figure(figure.canvas, "png", DownloadOptions(dpi=50), lambda: None)
    assert body == render(figure, "png", 50)
    assert len(set(saving.download_processes().pids) - pids) == 1


def test_a_download_at_pixel_ratio_two_is_the_figures_own_size(server, connect, figure):
    viewer = connect(server, 1, handshake=False)
    viewer.send("set_device_pixel_ratio", device_pixel_ratio=2)
    viewer.sync()
    assert figure.dpi == 200
    status, _, body = fetch(server, "/1/download.png")
    assert status == 200
    assert decode_png(body).shape[:2] == (300, 400)


def test_another_figure_keeps_its_frames_while_a_large_pdf_is_saved(server, connect):
    """The PDF is saved in a worker: in this process matplotlib would draw nothing else
    until it is done (every figure's draw takes one lock)."""
    light, ax = plt.subplots(figsize=(3, 2), dpi=100)
    (line,) = ax.plot([0, 1, 2], [0, 1, 0])
    heavy, heavy_ax = plt.subplots(figsize=(3, 2), dpi=100)
    spread = np.random.default_rng(3).normal(size=(2, 100_000))
    heavy_ax.scatter(spread[0], spread[1], s=4)
    watcher = connect(server, light.number)
    watcher.receive_frame()

    saved: list[tuple[int, bytes]] = []
    download = threading.Thread(
        target=lambda: saved.append(fetch(server, f"/{heavy.number}/download.pdf")[::2])
    )
    download.start()
    frames = 0
    while download.is_alive() and frames < 3:
        line.set_ydata([0, 0.1 * frames, 0])
        light.canvas.draw_idle()
        watcher.receive_frame()
        frames += 1
    still_saving = download.is_alive()
    download.join(6 * TIMEOUT)
    assert saved
    assert saved[0][0] == 200
    assert saved[0][1].startswith(b"%PDF")
    assert frames == 3
    assert still_saving, "the PDF was saved before three frames of the other figure came"


def test_a_saves_deadline_is_the_save_timeout_setting(figure, monkeypatch, tmp_path):
    monkeypatch.setenv("WEBFIG_SAVE_TIMEOUT", "0.5")
    started, go = tmp_path / "started", tmp_path / "go"
    figure.add_artist(misbehaving.HeldInWorkers(started, go))
    with ThreadPoolExecutor(1) as thread:
        try:
            saving_it = thread.submit(
                saving.save_figure, figure.canvas, "png", DownloadOptions(), lambda: None
            )
            with pytest.raises(RenderTimeout, match=r"ran past its deadline of 0\.5 s"):
                saving_it.result(TIMEOUT)
        finally:
            go.touch()  # (with no deadline, the save ends now)
    assert started.exists()


def test_a_save_that_kills_its_worker_is_not_tried_here(figure):
    """Whatever killed the worker (running out of memory, say) would kill this process too."""
    killer = figure.add_artist(misbehaving.KillsWorkers())
    pids = set(saving.download_processes().pids)
    with pytest.raises(WorkerCrashed, match=r"figure 1 as png died \(exit code 3\)"):
        saving.save_figure(figure.canvas, "png", DownloadOptions(), lambda: None)
    assert killer.draws_here == 0
    killer.remove()
    body = saving.save_figure(figure.canvas, "png", DownloadOptions(dpi=50), lambda: None)
    assert body == render(figure, "png", 50)
    assert len(set(saving.download_processes().pids) - pids) == 1
