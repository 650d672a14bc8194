"""Downloads: every format with its type and name, parameters, ETags and the cache."""

from __future__ import annotations

import io
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from webfig.rendering.render import figure_lock
from webfig.server.download_query import BadDownload, download_name, parse_options
from webfig.wire.interfaces import DownloadOptions

from . import misbehaving
from .imaging import decode_png
from .test_misses import request, warnings_logged
from .test_server import fetch
from .waiting import TIMEOUT, wait_until


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("png", "image/png", b"\x89PNG"),
        ("svg", "image/svg+xml", b"<?xml"),
        ("svgz", "image/svg+xml", b"\x1f\x8b"),
        ("pdf", "application/pdf", b"%PDF"),
        ("eps", "application/postscript", b"%!PS"),
        ("ps", "application/postscript", b"%!PS"),
        ("jpg", "image/jpeg", b"\xff\xd8\xff"),
        ("JPEG", "image/jpeg", b"\xff\xd8\xff"),
        ("tif", "image/tiff", b"II*\x00"),
        ("tiff", "image/tiff", b"II*\x00"),
        ("webp", "image/webp", b"RIFF"),
    ],
)
def test_every_format_with_its_type_and_name(server, figure, fmt, content_type, magic):
    figure.canvas.manager.set_window_title("Run 7: pressure/time")
    status, headers, body = fetch(server, f"/1/download.{fmt}")
    assert status == 200
    assert headers["Content-Type"] == content_type
    name = f"Run_7_pressure_time.{fmt.lower()}"
    assert headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert body.startswith(magic)


def test_a_png_download_has_the_figure_size_whatever_the_pixel_ratio(server, connect, figure):
    client = connect(server, 1)
    client.send("set_device_pixel_ratio", device_pixel_ratio=2)
    client.receive_frame()
    _, _, body = fetch(server, "/1/download.png")
    assert decode_png(body).shape[:2] == (300, 400)
    # Viewers still get frames at their own ratio afterwards.
    figure.axes[0].set_title("after download")
    figure.canvas.draw_idle()
    assert decode_png(client.receive_frame()).shape[:2] == (600, 800)


def test_dpi_transparent_and_tight(server, figure):
    status, _, body = fetch(server, "/1/download.png?dpi=50")
    assert status == 200
    assert decode_png(body).shape[:2] == (150, 200)

    opaque = decode_png(fetch(server, "/1/download.png")[2])
    clear = decode_png(fetch(server, "/1/download.png?transparent=1")[2])
    assert (opaque[..., 3] == 255).all()
    assert clear[0, 0, 3] == 0  # the figure's background is gone

    figure.set_size_inches(6, 4)
    figure.axes[0].set_position((0.3, 0.3, 0.2, 0.2))
    tight = decode_png(fetch(server, "/1/download.png?bbox=tight")[2])
    assert tight.shape[0] < 400
    assert tight.shape[1] < 600


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "Unknown parameter 'colour'; supported: bbox, dpi, transparent."),
        ("dpi=high", "dpi must be a number, not 'high'."),
        ("dpi=nan", "dpi must be between 10 and 1200, not nan."),
        ("dpi=5", "dpi must be between 10 and 1200, not 5."),
        ("dpi=1000", "At dpi 1000 this figure would be 4000 pixels long"),
        ("dpi=50&dpi=60", "Give 'dpi' once, not 2 times."),
        ("transparent=maybe", "transparent must be 1 or 0 (true or false), not 'maybe'."),
        ("bbox=loose", "bbox must be 'tight' or 'standard', not 'loose'."),
    ],
)
def test_bad_parameters_are_400_saying_why(server, figure, query, message):
    figure.set_size_inches(40, 3)  # 1000 dpi would make it 40 000 px long
    status, headers, body = fetch(server, f"/1/download.png?{query}")
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert message.replace("4000 pixels", "40000 pixels") in body.decode()


def test_unknown_download_format_is_404_listing_the_formats(server, figure):
    status, headers, body = fetch(server, "/1/download.exe")
    assert status == 404
    assert headers["Content-Type"].startswith("text/plain")
    assert b"Unknown format 'exe'" in body
    assert b"png" in body
    assert b"svg" in body


def count_saves(figure, monkeypatch) -> list[str]:
    """The formats ``figure`` is saved in from now on, one item a save."""
    manager = figure.canvas.manager
    saves: list[str] = []
    save = manager.save

    def counted(fmt, options):
        saves.append(fmt)
        return save(fmt, options)

    monkeypatch.setattr(manager, "save", counted)
    return saves


def test_an_unchanged_figure_answers_304_and_a_changed_one_a_new_file(server, figure, monkeypatch):
    saves = count_saves(figure, monkeypatch)
    status, headers, first = fetch(server, "/1/download.png")
    etag = headers["Etag"]
    assert status == 200
    assert headers["Cache-Control"] == "no-cache"
    assert saves == ["png"]

    status, headers, body = fetch(server, "/1/download.png", {"If-None-Match": etag})
    assert status == 304
    assert body == b""
    assert headers["Etag"] == etag
    # Asked again without the ETag: the cache answers, nothing is saved again.
    status, headers, again = fetch(server, "/1/download.png")
    assert (status, headers["Etag"], again) == (200, etag, first)
    assert saves == ["png"]

    # Another format or parameter is another file.
    assert fetch(server, "/1/download.png?dpi=50")[1]["Etag"] != etag

    figure.axes[0].set_title("changed")  # no draw asked for: the figure is just stale
    status, headers, changed = fetch(server, "/1/download.png", {"If-None-Match": etag})
    assert status == 200
    assert headers["Etag"] != etag
    assert changed != first


def test_head_answers_as_get_without_the_body_saving_only_what_is_not_cached(
    server, figure, monkeypatch
):
    saves = count_saves(figure, monkeypatch)
    path = "/1/download.png?dpi=50"
    status, headers, body = request(server, "HEAD", path)
    assert (status, body) == (200, b"")
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"] == 'attachment; filename="Figure_1.png"'
    assert saves == ["png"]  # not in the cache: saved, as GET would
    # The GET that follows comes from the cache, and is what HEAD announced.
    status, got, file = fetch(server, path)
    assert status == 200
    assert saves == ["png"]
    assert int(headers["Content-Length"]) == len(file)
    assert headers["Etag"] == got["Etag"]
    # Cached: HEAD saves nothing; with the ETag, 304.
    assert request(server, "HEAD", path)[1]["Content-Length"] == str(len(file))
    status, headers, body = request(server, "HEAD", path, {"If-None-Match": got["Etag"]})
    assert (status, body) == (304, b"")
    assert saves == ["png"]
    # Refused as GET would be.
    status, _, body = request(server, "HEAD", "/1/download.png?dpi=abc")
    assert (status, body) == (400, b"")


def test_downloads_are_saved_off_the_event_loop(server, figure):
    """While a download waits for the figure, the server goes on answering."""
    result: list[int] = []
    with figure_lock(figure):
        thread = threading.Thread(target=lambda: result.append(fetch(server, "/1/download.pdf")[0]))
        thread.start()
        assert fetch(server, "/")[0] == 200
        assert not result  # still waiting for the lock this test holds
    thread.join()
    assert result == [200]


def test_parse_options():
    size = (4.0, 3.0)
    assert parse_options({}, size) == DownloadOptions()
    options = parse_options({"dpi": ["150"], "transparent": ["true"], "bbox": ["tight"]}, size)
    assert options == DownloadOptions(dpi=150.0, transparent=True, tight=True)
    assert options.savefig_kwargs() == {"transparent": True, "bbox_inches": "tight"}
    assert parse_options({"token": ["x"]}, size) == DownloadOptions()
    # The longest side bounds the dpi: 16384 px over 16 inches.
    assert parse_options({"dpi": ["1024"]}, (16.0, 3.0)).dpi == 1024
    with pytest.raises(BadDownload, match="at most 16384, so dpi at most 1024"):
        parse_options({"dpi": ["1025"]}, (16.0, 3.0))


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Figure 1", "Figure_1.png"),
        ("../../etc/passwd", "etc_passwd.png"),
        ('a"b\r\nc', "a_b_c.png"),
        ("", "figure_3.png"),
        ("...", "figure_3.png"),
    ],
)
def test_download_names_are_safe(label, name):
    assert download_name(label, 3, "png") == name


def test_a_downloaded_png_equals_the_figure(server, figure):
    body = fetch(server, "/1/download.png")[2]
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (400, 300)
    figure.canvas.render_agg()
    np.testing.assert_array_equal(decode_png(body), figure.canvas.pixels())


def held_figure(tmp_path):
    """Figure 2, whose save in a worker waits for the file ``go``; ``started`` says it began."""
    started, go = tmp_path / "started", tmp_path / "go"
    held, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([0, 1], [1, 0])
    held.add_artist(misbehaving.HeldInWorkers(started, go))
    return held, started, go


def count_requests(figure, monkeypatch) -> list[str]:
    """One item per download request for ``figure`` the server has begun to answer: each
    asks for its revision first, on the event loop, and goes on without a pause."""
    manager = figure.canvas.manager
    asked: list[str] = []
    revision = manager.revision

    def counted() -> str:
        asked.append(revision())
        return asked[-1]

    monkeypatch.setattr(manager, "revision", counted)
    return asked


def test_repeat_requests_for_a_slow_save_hold_up_no_other_download(
    server, figure, tmp_path, monkeypatch
):
    """Downloads are saved on two threads: the slow save holds one, the requests that repeat
    it await it holding none, and another figure's download takes the other meanwhile."""
    held, started, go = held_figure(tmp_path)
    saves = count_saves(held, monkeypatch)
    asked = count_requests(held, monkeypatch)
    path = f"/{held.number}/download.pdf"
    with ThreadPoolExecutor(5) as clients:
        try:
            first = clients.submit(fetch, server, path)
            wait_until(started.exists, message="the slow save to start")
            repeats = [clients.submit(fetch, server, path) for _ in range(4)]
            wait_until(lambda: len(asked) == 5, message="the repeat requests to be answered")
            status, _, body = fetch(server, f"/{figure.number}/download.png")
            assert status == 200
            assert body.startswith(b"\x89PNG")
            assert not any(request.done() for request in [first, *repeats])
        finally:
            go.touch()
        answers = [request.result(TIMEOUT) for request in [first, *repeats]]
    assert {status for status, _, _ in answers} == {200}
    assert answers[0][2].startswith(b"%PDF")
    assert all(body == answers[0][2] for _, _, body in answers)
    assert saves == ["pdf"]


def test_a_save_past_its_deadline_is_a_503_that_names_the_setting(
    server, figure, tmp_path, monkeypatch
):
    monkeypatch.setenv("WEBFIG_SAVE_TIMEOUT", "0.5")
    held, started, go = held_figure(tmp_path)
    try:
        status, headers, body = fetch(server, f"/{held.number}/download.pdf")
    finally:
        go.touch()
    assert started.exists()
    assert status == 503
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "Saving the figure as pdf took longer than 0.5 s and was stopped" in text
    assert "WEBFIG_SAVE_TIMEOUT" in text
    assert "deadline" not in text  # the pool's own words are for the log
    # A new worker took the stopped one's place.
    assert fetch(server, f"/{figure.number}/download.png")[0] == 200


def test_a_failed_save_is_a_500_that_keeps_the_error_to_the_log(server, figure, caplog):
    figure.add_artist(misbehaving.FailsToDraw("cannot read /home/alice/secret.csv"))
    with caplog.at_level(logging.ERROR):
        status, _, body = fetch(server, "/1/download.png")
    assert status == 500
    assert "Saving the figure as png failed." in body.decode()
    assert "secret" not in body.decode()
    # One record: the request's, with the error id the answer gives, and the traceback.
    (record,) = warnings_logged(caplog)
    error_id = re.search(r"error id (\w+)", body.decode())
    assert error_id is not None
    assert error_id.group(1) in record
    assert "cannot read /home/alice/secret.csv" in caplog.text
