"""Figures opening and closing under viewers, the figure list socket, and what several
viewers of one figure share (state) and do not (pixel ratio)."""

from __future__ import annotations

import json
import logging

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from webfig.backend import FigureManagerWebfig
from webfig.figure.canvas import WebfigCanvas
from webfig.figure.manager import WebfigManager
from webfig.server.handlers import FIGURE_CLOSED

from .conftest import WsClient
from .imaging import decode_png
from .test_server import fetch
from .waiting import wait_until


class OneFigure:
    """A registry of one figure that is not pyplot's, as an app embedding webfig may have."""

    def __init__(self, canvas: WebfigCanvas) -> None:
        self.manager = WebfigManager(canvas, 1)

    def get(self, num):
        return self.manager if num == 1 else None

    def figures(self):
        return [self.manager]


def figure_list(server) -> WsClient:
    client = WsClient(f"ws://127.0.0.1:{server.port}/ws")
    return client


def next_list(client: WsClient) -> list[dict[str, object]]:
    figures: list[dict[str, object]] = client.receive_json("figures")["figures"]
    return figures


def test_closing_a_figure_closes_its_sockets_saying_why(server, connect, figure):
    first, second = connect(server, 1), connect(server, 1)
    first.receive_frame()
    second.receive_frame()
    manager = figure.canvas.manager
    assert isinstance(manager, FigureManagerWebfig)

    plt.close(figure)
    assert first.wait_closed() == (FIGURE_CLOSED, "figure closed")
    assert second.wait_closed() == (FIGURE_CLOSED, "figure closed")
    wait_until(lambda: manager.viewer_count == 0)
    status, _, body = fetch(server, "/1")
    assert status == 404
    assert b"There is no figure 1." in body


def test_the_close_button_closes_a_pyplot_figure_for_everyone(server, connect, figure):
    closed = []
    figure.canvas.mpl_connect("close_event", lambda event: closed.append(event.name))
    assert 'class="webfig-close"' in fetch(server, "/1")[2].decode()
    pressing, watching = connect(server, 1), connect(server, 1)
    pressing.receive_frame()
    watching.receive_frame()

    pressing.send("close_figure")
    assert pressing.wait_closed() == (FIGURE_CLOSED, "figure closed")
    assert watching.wait_closed() == (FIGURE_CLOSED, "figure closed")
    assert closed == ["close_event"]
    assert not plt.fignum_exists(1)


def test_a_figure_that_is_not_pyplots_cannot_be_closed_by_a_viewer(make_server, connect, caplog):
    registry = OneFigure(WebfigCanvas(Figure(figsize=(2, 2))))
    server = make_server(figures=registry)
    assert 'class="webfig-close"' not in fetch(server, "/1")[2].decode()
    viewer = connect(server, 1)
    viewer.receive_frame()

    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for _ in range(3):
            viewer.send("close_figure")
        viewer.send("refresh")
        viewer.receive_frame()  # everything before the refresh was handled
    refusals = [r for r in caplog.records if "refused close_figure" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert registry.manager.viewer_count == 1
    registry.manager.destroy()


def test_the_figure_list_follows_the_script(server):
    client = figure_list(server)
    try:
        assert next_list(client) == []
        plt.figure(2)
        assert next_list(client) == [{"num": 2, "label": "Figure 2"}]
        # A burst of changes makes one message, with all of them.
        plt.figure(7)
        plt.figure(4).canvas.manager.set_window_title("Spectra")
        assert next_list(client) == [
            {"num": 2, "label": "Figure 2"},
            {"num": 4, "label": "Spectra"},
            {"num": 7, "label": "Figure 7"},
        ]
        plt.close(2)
        assert [entry["num"] for entry in next_list(client)] == [4, 7]
        # Messages to the list socket are ignored; it keeps working.
        client.send_raw('{"type": "refresh"}')
        plt.close("all")
        assert next_list(client) == []
    finally:
        client.close()


def test_a_figure_fragment_is_one_card(server, figure):
    figure.canvas.manager.set_window_title("<b>Spectra</b>")
    status, _headers, body = fetch(server, "/1/fragment")
    assert status == 200
    html = body.decode()
    assert html.strip().startswith('<article class="webfig-card" data-figure-card="1">')
    assert 'data-socket-path="/1/ws"' in html
    assert "&lt;b&gt;Spectra&lt;/b&gt;" in html
    assert "<b>" not in html
    assert fetch(server, "/9/fragment")[0] == 404


def test_a_new_viewer_gets_the_shared_toolbar_state(server, connect, figure):
    first = connect(server, 1)
    first.sync()
    first.send("toolbar_button", name="pan")
    first.receive_json("navigate_mode")
    figure.canvas.manager.set_window_title("Shared")
    figure.canvas.manager.toolbar.set_message("hello")
    first.receive_until(lambda m: isinstance(m, str) and '"hello"' in m)

    late = connect(server, 1)
    late.sync()
    latest = {m["type"]: m for m in late.json_messages()}
    assert latest["navigate_mode"]["mode"] == "PAN"
    assert latest["figure_label"]["label"] == "Shared"
    assert latest["message"]["message"] == "hello"
    assert latest["history_buttons"] == {"type": "history_buttons", "Back": False, "Forward": False}


def test_opening_a_page_resizes_nothing_for_the_others(server, connect, figure):
    first = connect(server, 1)
    assert decode_png(first.receive_frame()).shape == (300, 400, 4)
    first.sync()
    seen = len(first.received)

    # A HiDPI viewer joins: the figure renders at its ratio, at the same CSS size for all.
    sharp = connect(server, 1, handshake=False)
    sharp.send("set_device_pixel_ratio", device_pixel_ratio=2)
    sharp.send("refresh")
    # (A frame of the picture as it was may come first, if it was on its way as it joined.)
    sharp.receive_until(lambda m: isinstance(m, bytes) and decode_png(m).shape == (600, 800, 4))
    first.receive_until(lambda m: isinstance(m, bytes) and decode_png(m).shape == (600, 800, 4))
    later = [json.loads(m) for m in first.received[seen:] if isinstance(m, str)]
    resizes = [m for m in later if m["type"] == "resize"]
    assert resizes
    assert all(m["size"] == [400, 300] for m in resizes)

    # It leaves: the others get their own ratio back.
    sharp.close()
    first.receive_until(lambda m: isinstance(m, bytes) and decode_png(m).shape == (300, 400, 4))
    assert figure.canvas.device_pixel_ratio == 1


def test_an_explicit_resize_applies_to_every_viewer(server, connect, figure):
    first, second = connect(server, 1), connect(server, 1)
    first.receive_frame()
    second.receive_frame()
    first.send("resize", width=320, height=240)
    assert second.receive_json("resize")["size"] == [320, 240]
    frame = second.receive_until(
        lambda m: isinstance(m, bytes) and decode_png(m).shape == (240, 320, 4)
    )
    assert isinstance(frame, bytes)
    assert np.asarray(figure.get_size_inches() * figure.dpi).tolist() == [320, 240]


def test_show_with_block_false_keeps_the_figure_live(server, connect, figure):
    client = connect(server, 1)
    client.receive_frame()
    plt.show(block=False)
    line = figure.axes[0].lines[0]
    for colour in ("red", "blue"):
        line.set_color(colour)
        plt.pause(0.01)
        wanted = figure.canvas.pixels()
        client.receive_until(
            lambda m, wanted=wanted: isinstance(m, bytes) and _shows(client, wanted)
        )


def _shows(client: WsClient, wanted: np.ndarray) -> bool:
    from .test_server import picture

    return bool(np.array_equal(picture(client), wanted))


def test_messages_to_the_list_socket_are_ignored(server):
    client = figure_list(server)
    try:
        next_list(client)
        client.send_raw(json.dumps({"type": "resize", "width": 1e9}))
        plt.figure(3)
        assert next_list(client) == [{"num": 3, "label": "Figure 3"}]
    finally:
        client.close()


def test_a_socket_to_a_figure_that_is_not_there_is_told_so_quietly(server, caplog):
    """A tab left open while the script ran again with fewer figures: told its figure is gone
    (so webfig's client stops retrying), with nothing in the script's terminal."""
    client = WsClient(f"ws://127.0.0.1:{server.port}/7/ws")
    try:
        assert client.wait_closed() == (FIGURE_CLOSED, "there is no figure 7")
    finally:
        client.close()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_interactive_mode_updates_viewers_without_a_draw_call(server, connect, figure):
    client = connect(server, 1)
    client.receive_frame()
    plt.ion()
    try:
        figure.axes[0].lines[0].set_color("red")  # pyplot asks for the draw itself
        wait_until(lambda: not figure.stale)
        wanted = figure.canvas.pixels()
        client.receive_until(lambda m: isinstance(m, bytes) and _shows(client, wanted))
    finally:
        plt.ioff()


def test_a_client_that_never_acknowledges_gets_a_frame_for_every_change(server, connect, figure):
    """WebAgg's protocol makes ``ack`` optional: such a client is paced by its connection."""
    client = connect(server, 1, acknowledge=False)
    client.receive_frame()
    line = figure.axes[0].lines[0]
    for step in range(10):
        count = len(client.frames())
        line.set_ydata([0, 0.1 + step * 0.08, 0])
        figure.canvas.draw_idle()
        client.receive_until(lambda m, count=count: len(client.frames()) > count)
    assert len(client.frames()) == 11
    from .test_server import picture

    assert np.array_equal(picture(client), figure.canvas.pixels())
