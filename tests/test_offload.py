"""Downloads saved in worker processes: the same file as a save here, this process'
settings, a fallback for figures that cannot travel, and no stall for other figures."""

from __future__ import annotations

import threading

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.ticker import FuncFormatter

from webfig.rendering.offload import CannotOffload, SaveWorkers, pickled
from webfig.rendering.render import render

from .imaging import decode_png
from .test_server import fetch
from .waiting import TIMEOUT


@pytest.fixture(scope="module")
def workers():
    workers = SaveWorkers(max_workers=1)
    yield workers
    workers.close()


def labelled_figure():
    figure, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([0, 1, 2], [0, 1, 0], lw=3)
    ax.set_title(r"$\alpha^2$ and text")
    return figure, ax


def test_a_worker_saves_the_same_file_as_this_process(workers):
    figure, _ = labelled_figure()
    here = render(figure, "png", 100)
    assert workers.save(pickled(figure), "png", 100) == here


def test_a_worker_saves_with_this_processs_rcparams(workers):
    figure, _ = labelled_figure()
    with mpl.rc_context({"savefig.facecolor": "yellow"}):
        body = workers.save(pickled(figure), "png", 50)
    corner = decode_png(body)[0, 0]
    assert tuple(corner) == (255, 255, 0, 255)
    # And the next save is back to the defaults: requests do not leak into each other.
    assert tuple(decode_png(workers.save(pickled(figure), "png", 50))[0, 0]) == (255,) * 4


class Unsaveable(Artist):
    """Draws nowhere: it raises (importable, so it reaches the worker)."""

    def draw(self, renderer) -> None:
        raise RuntimeError("no drawing this")


def test_a_save_that_fails_in_the_worker_says_why(workers):
    figure, _ = labelled_figure()
    figure.add_artist(Unsaveable())
    with pytest.raises(CannotOffload, match="no drawing this"):
        workers.save(pickled(figure), "png", 50)
    # The worker lives on for the next save.
    plain, _ = labelled_figure()
    assert workers.save(pickled(plain), "png", 50) == render(plain, "png", 50)


def test_a_figure_that_cannot_be_pickled_is_refused_plainly():
    figure, ax = labelled_figure()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"<{value:g}>"))
    with pytest.raises(CannotOffload, match="pickled"):
        pickled(figure)


def test_a_download_of_a_figure_that_cannot_travel_is_saved_here(server, figure):
    ax = figure.axes[0]
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"<{value:g}>"))
    status, _, body = fetch(server, "/1/download.png")
    assert status == 200
    figure.canvas.render_agg()
    np.testing.assert_array_equal(decode_png(body), figure.canvas.pixels())


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
