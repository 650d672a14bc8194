"""The wire protocol against a real server on a free port: every message type, both ways."""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.error
import urllib.request

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tornado.web

from webfig.config import Settings
from webfig.frames.viewer_state import WINDOW
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer, PortBusyError, figure_routes
from webfig.server.handlers import STATIC_DIR

from .imaging import decode_png, paint, paint_rect_frame
from .processes import run_python
from .waiting import wait_until


def fetch(
    server: FigureServer, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def picture(client) -> np.ndarray:
    """What a WebAgg client's canvas shows after the frames it has received so far."""
    canvas, mode = None, "full"
    for message in client.received:
        if isinstance(message, bytes):
            canvas = paint(canvas, mode, message)
        elif json.loads(message)["type"] == "image_mode":
            mode = json.loads(message)["mode"]
    return canvas


def test_the_connection_sequence(server, connect, figure):
    client = connect(server, 1)
    frame = client.receive_frame()
    types = [m["type"] for m in client.json_messages()]
    assert types[:3] == ["figure_label", "resize", "image_mode"]
    assert client.json_messages()[1] == {"type": "resize", "size": [400, 300], "forward": True}
    assert client.json_messages()[2] == {"type": "image_mode", "mode": "full"}
    assert {"history_buttons", "navigate_mode", "capture_scroll", "message"} <= set(types)
    np.testing.assert_array_equal(decode_png(frame), figure.canvas.pixels())


def test_frames_as_text_for_clients_without_binary(server, connect, figure):
    client = connect(server, 1, handshake=False)
    client.send("supports_binary", value=False)
    client.send("refresh")
    text = client.receive_until(lambda m: isinstance(m, str) and m.startswith("data:image/png"))
    png = base64.b64decode(text.removeprefix("data:image/png;base64,"))
    np.testing.assert_array_equal(decode_png(png), figure.canvas.pixels())


def test_diff_frames_bring_every_client_to_the_new_picture(server, connect, figure):
    first, second = connect(server, 1), connect(server, 1)
    # A viewer may get a frame before its own refresh has been handled; wait for both.
    for client in (first, second):
        client.sync()
        client.wait_until(client.frames)
    figure.axes[0].lines[0].set_color("tab:red")
    figure.canvas.draw_idle()
    for client in (first, second):
        client.receive_frame()
        assert client.json_messages()[-1] == {"type": "image_mode", "mode": "diff"}
    server_thread().run_sync(lambda: None)
    np.testing.assert_array_equal(picture(first), figure.canvas.pixels())
    np.testing.assert_array_equal(picture(second), figure.canvas.pixels())


def test_resize_and_pixel_ratio(server, connect, figure):
    client = connect(server, 1)
    client.receive_frame()
    client.send("resize", width=300, height=200)
    assert client.receive_json("resize") == {
        "type": "resize",
        "size": [300.0, 200.0],
        "forward": False,
    }
    assert decode_png(client.receive_frame()).shape == (200, 300, 4)
    client.send("set_device_pixel_ratio", device_pixel_ratio=2)
    assert client.receive_json("resize")["size"] == [300.0, 200.0]
    assert decode_png(client.receive_frame()).shape == (400, 600, 4)
    client.send("set_dpi_ratio", dpi_ratio=1)
    assert decode_png(client.receive_frame()).shape == (200, 300, 4)


def test_pointer_and_key_events_reach_callbacks(server, connect, figure):
    events: list[str] = []
    for name in [
        "button_press_event",
        "button_release_event",
        "motion_notify_event",
        "scroll_event",
        "figure_enter_event",
        "figure_leave_event",
        "key_press_event",
        "key_release_event",
    ]:
        figure.canvas.mpl_connect(
            name, lambda e: events.append(f"{e.name}:{getattr(e, 'key', None) or ''}")
        )
    client = connect(server, 1)
    client.receive_frame()
    pointer = {"x": 200, "y": 150, "modifiers": [], "guiEvent": {"type": "x"}}
    client.send("figure_enter", **pointer)
    client.send("motion_notify", buttons=0, **pointer)
    client.send("button_press", button=0, buttons=1, **pointer)
    client.send("button_release", button=0, buttons=0, **pointer)
    client.send("dblclick", button=0, buttons=0, **pointer)
    client.send("scroll", step=1, **pointer)
    client.send("key_press", key="ctrl+alt+kx")
    client.send("key_release", key="ctrl+alt+kx")
    client.send("figure_leave", **pointer)
    client.sync()
    assert events == [
        "figure_enter_event:",
        "motion_notify_event:",
        "button_press_event:",
        "button_release_event:",
        "button_press_event:",
        "scroll_event:",
        "key_press_event:ctrl+alt+x",
        "key_release_event:ctrl+alt+x",
        "figure_leave_event:",
    ]


def test_toolbar_state_messages(server, connect, figure):
    client, other = connect(server, 1), connect(server, 1)
    client.sync()
    other.sync()
    client.send("toolbar_button", name="zoom")
    assert other.receive_json("navigate_mode")["mode"] == "ZOOM"
    client.send("motion_notify", x=100, y=100, buttons=0)
    assert other.receive_json("cursor")["cursor"] == "crosshair"
    assert "(" in other.receive_until(
        lambda m: isinstance(m, str) and '"message"' in m and '"message": ""' not in m
    )
    client.send("button_press", x=100, y=100, button=0, buttons=1)
    client.send("motion_notify", x=200, y=200, buttons=1)
    assert other.receive_json("rubberband") == {
        "type": "rubberband",
        "x0": 100,
        "y0": 200,
        "x1": 200,
        "y1": 100,
    }
    client.send("button_release", x=200, y=200, button=0, buttons=0)
    assert other.receive_json("rubberband")["x0"] == -1
    assert other.receive_json("history_buttons") == {
        "type": "history_buttons",
        "Back": True,
        "Forward": False,
    }
    client.send("key_press", key="ctrl+ks")
    assert client.receive_json("save") == {"type": "save"}
    client.send("toolbar_button", name="back")
    other.receive_until(lambda m: isinstance(m, str) and '"Forward": true' in m)
    # matplotlib sends the history buttons before it sets the view back: wait for all of it.
    client.sync()
    assert figure.axes[0].get_xlim() == pytest.approx((0, 2))


def test_label_and_capture_scroll_from_the_script(server, connect, figure):
    client = connect(server, 1)
    client.receive_frame()
    figure.canvas.manager.set_window_title("<b>Pressure</b>")
    figure.canvas.set_capture_scroll(True)
    assert client.receive_json("figure_label")["label"] == "<b>Pressure</b>"
    assert client.receive_json("capture_scroll")["capture_scroll"] is True


def test_ack_and_hello(server, connect, figure):
    client = connect(server, 1, handshake=False)
    client.send("webfig_hello", protocol=1, extensions=[])
    assert client.receive_json("webfig_welcome") == {
        "type": "webfig_welcome",
        "protocol": 1,
        "extensions": [],
    }
    client.send("ack")
    client.send("refresh")
    client.receive_frame()


def test_bad_messages_are_logged_once_and_harm_nothing(server, connect, figure, caplog):
    client = connect(server, 1)
    client.receive_frame()
    caplog.set_level(logging.DEBUG, logger="webfig")
    for _ in range(3):
        client.send_raw("{not json")
    client.send("resize", width=float("nan"), height=5)
    client.send("explode")
    client.send("toolbar_button", name="__init__")
    client.send_raw(b"\x00\x01binary")
    client.send("refresh")
    frame = client.receive_frame()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("not valid JSON" in w for w in warnings) == 1  # once, though sent four times
    assert any("must be finite" in w for w in warnings)
    assert any("unknown message type 'explode'" in w for w in warnings)
    assert any("toolbar_button name" in w for w in warnings)
    assert tuple(figure.get_size_inches()) == (4, 3)
    np.testing.assert_array_equal(decode_png(frame), figure.canvas.pixels())


def test_pages(server, figure):
    plt.figure(num="Second figure")
    status, _headers, body = fetch(server, "/")
    assert status == 200
    assert body.count(b'class="webfig-figure"') == 2
    assert b"Second figure" in body
    status, _, body = fetch(server, "/1")
    assert status == 200
    assert b'data-socket-path="/1/ws"' in body
    assert b"/js/mpl.js" in body


def test_labels_are_escaped_in_pages(server):
    plt.figure(num="<script>alert(1)</script>")
    _, _, body = fetch(server, "/1")
    assert b"<script>alert(1)" not in body
    assert b"&lt;script&gt;alert(1)" in body


# (A socket to a figure that is not there: test_viewers.)
@pytest.mark.parametrize("path", ["/99", "/99/download.png"])
def test_unknown_figures_are_404_with_a_message(server, figure, path):
    status, _, body = fetch(server, path)
    assert status == 404
    assert b"There is no figure 99." in body


def test_client_script_is_served_as_a_module(server):
    status, headers, body = fetch(server, "/js/mpl.js")
    assert status == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert b"import" in body
    status, _, _ = fetch(server, "/js/../handlers.py")
    assert status in (403, 404)


@pytest.mark.parametrize("prefix", ["", "/plots"])
def test_the_site_root_has_webfigs_icon_whatever_the_prefix(make_server, prefix):
    server = make_server(prefix=prefix)
    status, headers, body = fetch(server, "/favicon.ico")
    assert status == 200
    assert headers["Content-Type"] == "image/svg+xml"
    assert body == (STATIC_DIR / "icons" / "webfig.svg").read_bytes()


def test_a_url_prefix(make_server, connect, figure):
    server = make_server(prefix="/plots")
    assert server.url.endswith("/plots/")
    status, _, body = fetch(server, "/plots/1")
    assert status == 200
    assert b'data-socket-path="/plots/1/ws"' in body
    assert b'src="/plots/js/mpl.js"' in body
    assert fetch(server, "/plots/static/webfig.css")[0] == 200
    client = connect(server, 1)
    np.testing.assert_array_equal(decode_png(client.receive_frame()), figure.canvas.pixels())


def test_mounted_in_another_tornado_application(connect, figure):
    class Home(tornado.web.RequestHandler):
        def get(self) -> None:
            self.write("the host app")

    app = tornado.web.Application([(r"/", Home), *figure_routes("/figures")])
    server = FigureServer(Settings(port=0, open_browser=False), application=app)
    server.start()
    try:
        assert fetch(server, "/")[2] == b"the host app"
        assert fetch(server, "/figures/1")[0] == 200
        client = connect(server, 1, prefix="/figures")
        assert client.receive_frame().startswith(b"\x89PNG")
    finally:
        server.stop()


def test_a_busy_port_moves_to_the_next(make_server):
    first = make_server()
    busy = FigureServer(Settings(port=first.port, open_browser=False))
    busy.start()
    try:
        assert busy.port == first.port + 1
    finally:
        busy.stop()


def test_no_port_retries_means_that_port_or_an_error_naming_it(make_server):
    first = make_server()
    busy = FigureServer(Settings(port=first.port, port_retries=0, open_browser=False))
    with pytest.raises(PortBusyError, match=f"port {first.port} is busy"):
        busy.start()
    assert not busy.running
    # And the next start, with the port free, listens on it.
    port = first.port
    first.stop()
    busy.start()
    try:
        assert busy.port == port
    finally:
        busy.stop()


@pytest.mark.parametrize(("xheaders", "logged"), [(False, "127.0.0.1"), (True, "203.0.113.7")])
def test_logs_name_the_browser_behind_a_proxy_only_when_told_to(caplog, xheaders, logged):
    server = FigureServer(Settings(port=0, open_browser=False, token="", xheaders=xheaders))
    server.start()
    try:
        with caplog.at_level(logging.WARNING, logger="tornado.access"):
            status, _, _ = fetch(server, "/99", {"X-Real-IP": "203.0.113.7"})
    finally:
        server.stop()
    assert status == 404
    access = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    assert len(access) == 1, access
    pattern = rf"404 GET /99 \({re.escape(logged)}\) [\d.]+ms: There is no figure 99\."
    assert re.fullmatch(pattern, access[0]), access


def test_a_script_whose_port_is_taken_exits_saying_so(make_server):
    """With WEBFIG_PORT_RETRIES=0 a busy port is an error the script ends with, not a hang
    or a server on another port (a proxy in front routes to this one)."""
    taken = make_server()
    result = run_python(
        "import matplotlib; matplotlib.use('webfig'); import matplotlib.pyplot as plt;"
        "plt.plot([1, 2]); plt.show()",
        WEBFIG_PORT=str(taken.port),
        WEBFIG_PORT_RETRIES="0",
    )
    assert result.returncode == 1
    assert f"PortBusyError: [Errno 98] webfig: port {taken.port} is busy" in result.stderr
    assert "Exception in thread" not in result.stderr
    assert "serving figures" not in result.stdout


def test_stopping_the_server_closes_its_websockets(make_server, connect, figure):
    server = make_server()
    client = connect(server, 1)
    client.receive_frame()
    server.stop()
    with pytest.raises(ConnectionError, match="closed"):
        client.receive_until(lambda _: False)
    wait_until(lambda: figure.canvas.manager.viewer_count == 0)


def test_rect_frames_over_the_socket(server, connect, figure):
    client = connect(server, 1, handshake=False)
    client.send("webfig_hello", protocol=1, extensions=["rect_frames"])
    client.send("refresh")
    picture = paint_rect_frame(None, client.receive_frame())
    np.testing.assert_array_equal(picture, figure.canvas.pixels())
    figure.axes[0].set_title("rect frames")
    figure.canvas.draw_idle()
    picture = paint_rect_frame(picture, client.receive_frame())
    server_thread().run_sync(lambda: None)
    np.testing.assert_array_equal(picture, figure.canvas.pixels())


def test_a_client_that_stops_acknowledging_gets_no_backlog(server, connect, figure):
    """A client that acknowledges is paced by its acks: once they stop, so do its frames
    (a client that never acknowledged is paced by its connection instead)."""
    stalled = connect(server, 1)
    stalled.receive_frame()  # and acknowledges it
    stalled.acknowledge = False
    lively = connect(server, 1)
    lively.sync()
    for value in np.linspace(0.1, 0.9, 10):
        count = len(lively.frames())
        figure.axes[0].lines[0].set_ydata([0, value, 0])
        figure.canvas.draw_idle()
        lively.wait_until(lambda c=count: len(lively.frames()) > c)
    stalled.sync()
    assert 1 <= len(stalled.frames()) - 1 <= WINDOW
    assert len(lively.frames()) >= 10
