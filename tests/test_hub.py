"""The hub (``python -m webfig serve``) with real scripts publishing to it, each a process of
its own: figures listed by label, downloads through the hub, and scripts that go on as if no
hub were set when it refuses them or cannot be reached."""

from __future__ import annotations

import asyncio
import io
import os
import pickle
import re
import signal
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import tornado.httpclient
import tornado.websocket
from PIL import Image

from webfig.hub import publishing
from webfig.hub.publishing import PublishedFigure, RunInfo

from .conftest import WsClient
from .processes import PUBLISH_TOKEN, URL_LINE, Hub, Script, Visit, fetch
from .waiting import wait_until

# A script that makes a labelled figure, says so, and shows it until a viewer presses "q".
PUBLISHER = """
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
figure = plt.figure("loss curve", figsize=(4, 3), dpi=100)
plt.plot([1, 3, 2], color="red")
def pressed(event):
    print("key", event.key, flush=True)
    if event.key == "q":
        plt.close("all")
figure.canvas.mpl_connect("key_press_event", pressed)
print("made", flush=True)
plt.show()
print("done", flush=True)
"""
# A script that makes a figure and ends at once.
QUICK = """
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
plt.figure("quick")
plt.plot([1, 2])
print("made", flush=True)
"""
MADE = re.compile(r"^made$")


def listed_labels(hub: Hub, query: str = "") -> list[str]:
    """The labels of the figures the hub's list shows, in its order."""
    return [text for kind, text in listed(hub, query) if kind == "figure"]


def listed(hub: Hub, query: str = "") -> list[tuple[str, str]]:
    """What the hub's list shows, in order: each run's script (a heading) and each figure's
    label, as ("run", script) and ("figure", label)."""
    _, _, page = fetch(hub.address + "/?" + urllib.parse.urlencode({"q": query}))
    run_heading = r'<h2 id="webfig-run-[^"]*">([^<]*)<'
    figure_link = r'<li[^>]*>\s*<a href="/[0-9]+">([^<]*)</a>'
    items = re.findall(f"{run_heading}|{figure_link}", page.decode())
    return [("run", script.strip()) if script else ("figure", label) for script, label in items]


def pictures_indexed(hub: Hub) -> int:
    """How many of the picture files in the hub's data its store's index names. The hub
    holds its index locked, so it is not opened: a committed row's text is in the index's
    file or its write-ahead log, and a file name is written nowhere else."""
    index = b"".join(
        path.read_bytes() for path in hub.data.glob("index.sqlite3*") if path.is_file()
    )
    pictures = hub.data.glob("figures/*/*.png")
    return sum(picture.name.encode() in index for picture in pictures)


def post(url: str, **headers: str) -> int:
    """The status of a POST of nothing to ``url`` (redirects not followed)."""
    request = urllib.request.Request(url, data=b"", method="POST", headers=headers)
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            return error.code


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_a_published_figure_is_listed_by_its_label_and_downloads_through_the_hub(
    hub: Hub, scripts: Callable[[Script], Script]
) -> None:
    script = scripts(hub.publishing("-c", PUBLISHER))
    script.wait_for_line(MADE)
    wait_until(lambda: listed_labels(hub) == ["loss curve"], message="the figure on the hub")

    status, headers, body = fetch(hub.address + "/1/download.png")
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(body))
    assert picture.size == (400, 300)
    rgb = np.asarray(picture.convert("RGB")).astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 80)
    assert red.sum() > 100  # the script's red line, drawn by the script
    status, _, body = fetch(hub.address + "/1/download.svg")
    assert status == 200
    assert body.lstrip().startswith(b"<?xml")
    # The script serves nothing itself: it prints no address of its own.
    assert not any(URL_LINE.match(line) for line in script.lines)


def kept_file(hub: Hub, fmt: str = "svg", figure_id: int = 1) -> bytes | None:
    """The file the hub makes of a kept figure from its pickle, once it has one (an SVG by
    default: a figure kept as its picture alone has none)."""
    status, _, body = fetch(f"{hub.address}/{figure_id}/download.{fmt}")
    return body if status == 200 else None


def test_a_batch_scripts_figure_is_kept_after_it_exits(
    hub: Hub, scripts: Callable[[Script], Script], connect: Callable[..., WsClient]
) -> None:
    script = scripts(hub.publishing("-c", QUICK))
    assert script.process.wait(30) == 0
    svg = wait_until(lambda: kept_file(hub), message="the kept figure's SVG")
    assert svg.lstrip().startswith(b"<?xml")
    assert listed_labels(hub) == ["quick"]
    status, _, pdf = fetch(hub.address + "/1/download.pdf")
    assert status == 200
    assert pdf.startswith(b"%PDF")

    viewer = connect(hub.address + "/", 1)
    said = viewer.receive_json("message")["message"]
    assert said.startswith("Kept, not live:")
    assert "ended" in said
    assert Image.open(io.BytesIO(viewer.receive_frame())).size == (640, 480)


def test_kept_figures_stay_across_a_restart_of_the_hub(
    tmp_path: Path, scripts: Callable[[Script], Script]
) -> None:
    first = Hub(tmp_path / "hub")
    try:
        scripts(first.publishing("-c", QUICK)).process.wait(30)
        wait_until(lambda: kept_file(first), message="the kept figure's SVG")
        png = kept_file(first, "png")
    finally:
        first.stop()
    again = Hub(tmp_path / "hub")
    try:
        assert listed_labels(again) == ["quick"]
        assert kept_file(again, "png") == png
        svg = kept_file(again)
        assert svg is not None
        assert svg.lstrip().startswith(b"<?xml")
    finally:
        again.stop()


def test_a_script_stopped_by_sigterm_keeps_its_figure(
    hub: Hub, scripts: Callable[[Script], Script], connect: Callable[..., WsClient]
) -> None:
    script = scripts(hub.publishing("-c", PUBLISHER))
    script.wait_for_line(MADE)
    wait_until(lambda: listed_labels(hub) == ["loss curve"], message="the live figure")
    script.process.send_signal(signal.SIGTERM)
    assert script.process.wait(30) == 128 + signal.SIGTERM
    wait_until(lambda: kept_file(hub), message="the kept figure's SVG")
    said = connect(hub.address + "/", 1).receive_json("message")["message"]
    assert "was stopped" in said


FAILING = QUICK + "raise RuntimeError('the job failed')\n"


@dataclass(frozen=True)
class Ending:
    """A way a script ends: its code, the signal that ends it (None: by itself), its exit
    status, and what its kept figure then says."""

    code: str
    signal: signal.Signals | None
    status: int
    said: str


@pytest.mark.parametrize(
    "ending",
    [
        Ending(FAILING, None, 1, "failed"),
        Ending(PUBLISHER, signal.SIGINT, -signal.SIGINT, "was stopped"),
    ],
    ids=["an exception", "ctrl+c"],
)
def test_how_a_script_ended_is_what_its_kept_figures_say(
    hub: Hub,
    scripts: Callable[[Script], Script],
    connect: Callable[..., WsClient],
    ending: Ending,
) -> None:
    script = scripts(hub.publishing("-c", ending.code))
    script.wait_for_line(MADE)
    if ending.signal is not None:
        wait_until(lambda: len(listed_labels(hub)) == 1, message="the live figure")
        script.process.send_signal(ending.signal)
    assert script.process.wait(30) == ending.status
    wait_until(lambda: kept_file(hub), message="the kept figure's SVG")
    assert ending.said in connect(hub.address + "/", 1).receive_json("message")["message"]


def test_a_script_killed_outright_leaves_its_last_picture(
    hub: Hub, scripts: Callable[[Script], Script], connect: Callable[..., WsClient]
) -> None:
    script = scripts(hub.publishing("-c", PUBLISHER))
    script.wait_for_line(MADE)
    wait_until(lambda: list(hub.data.glob("figures/*/*.png")), message="the picture stored")
    script.process.kill()
    script.process.wait(30)
    status, _, body = wait_until(
        lambda: (got := fetch(hub.address + "/1/download.png"))[0] == 200 and got,
        message="the picture",
    )
    assert status == 200
    assert Image.open(io.BytesIO(body)).size == (400, 300)
    said = connect(hub.address + "/", 1).receive_json("message")["message"]
    assert "was lost" in said


class Malicious:
    """A pickle of this runs a shell command as it loads."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (self.command,)


def test_a_malicious_pickle_is_refused_never_run_and_its_figure_kept_as_its_picture(
    hub: Hub, tmp_path: Path, connect: Callable[..., WsClient]
) -> None:
    marker = tmp_path / "pwned"
    publisher = WsClient(
        hub.address.replace("http", "ws") + publishing.PUBLISH_PATH,
        headers={"Authorization": f"Bearer {PUBLISH_TOKEN}"},
        acknowledge=False,
    )
    try:
        run = RunInfo(host="evil", script="evil.py", argv=(), pid=1, started=time.time())
        publisher.send_raw(publishing.run_message(run))
        info = PublishedFigure(
            num=1,
            label="innocent",
            width=400,
            height=300,
            width_inches=4,
            height_inches=3,
            formats={"png": "Portable Network Graphics"},
            default_format="png",
            toolbar_kind=None,
            closable=False,
        )
        publisher.send_raw(publishing.figure_message(info))
        picture = io.BytesIO()
        Image.new("RGB", (400, 300), "white").save(picture, format="png")
        publisher.send_raw(publishing.picture(1, picture.getvalue()))
        publisher.send_raw(publishing.kept(1, pickle.dumps(Malicious(f"touch {marker}"))))
        publisher.send_raw(publishing.end_message("exited"))
    finally:
        publisher.close()
    wait_until(lambda: "refused the pickle" in hub.stderr, message="the refusal logged")
    refusal = next(line for line in hub.stderr.splitlines() if "refused the pickle" in line)
    assert "system" in refusal
    wait_until(lambda: listed_labels(hub) == ["innocent"], message="the figure kept")
    assert fetch(hub.address + "/1/download.svg")[0] == 404
    assert fetch(hub.address + "/1/download.png")[2] == picture.getvalue()
    assert not marker.exists()


@pytest.mark.parametrize("token", ["not-the-hubs-token", ""])
def test_a_refused_publisher_runs_to_its_end_after_one_warning(
    hub: Hub, scripts: Callable[[Script], Script], token: str
) -> None:
    script = scripts(hub.publishing("-c", QUICK, token=token))
    assert script.process.wait(30) == 0
    warnings = [line for line in script.stderr.splitlines() if "not publishing" in line]
    assert len(warnings) == 1, script.stderr
    assert hub.address in warnings[0]
    assert ("refused" in warnings[0]) if token else ("WEBFIG_HUB_TOKEN is not set" in warnings[0])
    assert listed_labels(hub) == []


def test_a_publisher_whose_hub_is_not_there_runs_to_its_end_after_one_warning(
    scripts: Callable[[Script], Script],
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = f"http://127.0.0.1:{unused.getsockname()[1]}"
    script = scripts(Script("-c", QUICK, WEBFIG_HUB=address, WEBFIG_HUB_TOKEN=PUBLISH_TOKEN))
    assert script.process.wait(30) == 0
    warnings = [line for line in script.stderr.splitlines() if "not publishing" in line]
    assert len(warnings) == 1, script.stderr
    assert address in warnings[0]
    assert "cannot reach" in warnings[0]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token"}, 403),
    ],
)
def test_the_publishing_socket_refuses_without_the_publish_token(
    hub: Hub, headers: dict[str, str], status: int
) -> None:
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    got, _, body = fetch(hub.address + "/publish", headers={**upgrade, **headers})
    assert got == status, body


def test_viewers_of_the_hub_need_its_token(tmp_path: Path) -> None:
    hub = Hub(tmp_path / "hub", WEBFIG_TOKEN="viewers-token-123")
    try:
        assert hub.printed_url.endswith("?token=viewers-token-123")
        assert fetch(hub.address + "/")[0] == 403
        assert Visit(hub.printed_url).status == 200
        # Its site's icon too (a browser asks the root for one).
        assert fetch(hub.address + "/favicon.ico")[0] == 403
        assert fetch(hub.address + "/favicon.ico?token=viewers-token-123")[0] == 200
    finally:
        hub.stop()


def test_the_publishing_socket_refuses_a_web_page_even_with_the_token(hub: Hub) -> None:
    """A browser always sends an Origin: whatever page it is, it may not publish."""

    async def connect() -> int:
        request = tornado.httpclient.HTTPRequest(
            hub.address.replace("http", "ws") + "/publish",
            headers={"Authorization": f"Bearer {PUBLISH_TOKEN}", "Origin": hub.address},
        )
        try:
            connection = await tornado.websocket.websocket_connect(request)
        except tornado.httpclient.HTTPClientError as error:
            return error.code
        connection.close()
        return 101

    assert asyncio.run(connect()) == 403


# A script of two figures, labelled after its first argument.
TWO_FIGURES = """
import sys
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
for kind in ("loss", "accuracy"):
    plt.figure(f"{sys.argv[1]} {kind}")
    plt.plot([1, 2, 3])
"""


def test_the_list_groups_figures_by_run_newest_first_and_filters_them(
    hub: Hub, scripts: Callable[[Script], Script]
) -> None:
    for name in ("first", "second"):
        assert scripts(hub.publishing("-c", TWO_FIGURES, name)).process.wait(30) == 0
        wait_until(lambda n=name: f"{n} accuracy" in listed_labels(hub), message=name)
    # Each run under its script's name (python -c's is "-c"), the newest first.
    assert listed(hub) == [
        ("run", "-c"),
        ("figure", "second loss"),
        ("figure", "second accuracy"),
        ("run", "-c"),
        ("figure", "first loss"),
        ("figure", "first accuracy"),
    ]
    page = fetch(hub.address + "/")[2].decode()
    assert page.count(f'<span class="webfig-hub-host">on {socket.gethostname()}</span>') == 2
    assert listed_labels(hub, "ACCURACY") == ["second accuracy", "first accuracy"]
    assert listed_labels(hub, "first") == ["first loss", "first accuracy"]
    assert listed_labels(hub, "nothing like it") == []


def test_a_kept_figure_and_an_ended_run_can_be_deleted_but_not_from_another_site(
    hub: Hub, scripts: Callable[[Script], Script]
) -> None:
    assert scripts(hub.publishing("-c", TWO_FIGURES, "old")).process.wait(30) == 0
    wait_until(lambda: len(listed_labels(hub)) == 2, message="the kept figures")
    assert post(hub.address + "/1/delete", **{"Sec-Fetch-Site": "cross-site"}) == 403
    assert post(hub.address + "/1/delete") == 303
    assert listed_labels(hub) == ["old accuracy"]
    assert fetch(hub.address + "/1")[0] == 404
    assert not list(hub.data.glob("figures/*/1-*"))
    run_id = re.search(r"/runs/([A-Za-z0-9_-]+)/delete", fetch(hub.address + "/")[2].decode())
    assert run_id is not None
    assert post(f"{hub.address}/runs/{run_id.group(1)}/delete") == 303
    assert listed_labels(hub) == []
    assert not list(hub.data.glob("figures/*/*"))
    assert post(hub.address + "/99/delete") == 404


def test_a_live_figure_cannot_be_deleted(hub: Hub, scripts: Callable[[Script], Script]) -> None:
    script = scripts(hub.publishing("-c", PUBLISHER))
    script.wait_for_line(MADE)
    wait_until(lambda: listed_labels(hub) == ["loss curve"], message="the live figure")
    assert post(hub.address + "/1/delete") == 409
    assert listed_labels(hub) == ["loss curve"]


def test_a_running_script_publishes_again_to_a_restarted_hub(
    tmp_path: Path, scripts: Callable[[Script], Script]
) -> None:
    """The hub goes away while a script runs and comes back on the same port: the script's
    connection comes back by itself (its retries), with its figure live again; the figure
    the first hub lost is kept."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    first = Hub(tmp_path / "hub", "--port", port)
    script = scripts(first.publishing("-c", PUBLISHER))
    try:
        script.wait_for_line(MADE)
        wait_until(lambda: listed_labels(first) == ["loss curve"], message="the live figure")
        # Its picture is in the store's index, so that the figure this hub loses is kept (its
        # file is written first: a hub killed between the two has no picture of it).
        wait_until(lambda: pictures_indexed(first) == 1, message="the picture in the index")
    finally:
        first.stop()
    again = Hub(tmp_path / "hub", "--port", port)
    try:
        wait_until(
            lambda: listed_labels(again) == ["loss curve", "loss curve"],
            # The script's retries back off, doubling to 30 s: up to 16 s after a restart of
            # a few seconds, more on a busy machine.
            timeout=45,
            message=lambda: f"the figure live again, beside the one kept: {listed(again)}",
        )
        page = fetch(again.address + "/")[2].decode()
        assert page.count(">live<") == 2  # the run's, and its figure's
        assert "lost" in page
        assert script.process.poll() is None
    finally:
        again.stop()


def test_viewers_through_the_hub_negotiate_the_preview_and_each_gets_frames(
    hub: Hub, scripts: Callable[[Script], Script], connect: Callable[..., WsClient]
) -> None:
    """webfig's own client through the hub: its extensions reach the script (the preview's
    geometry comes back), and every viewer gets its frames."""
    script = scripts(hub.publishing("-c", PUBLISHER))
    script.wait_for_line(MADE)
    wait_until(lambda: listed_labels(hub) == ["loss curve"], message="the live figure")
    viewers = [connect(hub.address + "/", 1, handshake=False) for _ in range(2)]
    for viewer in viewers:
        viewer.send("webfig_hello", protocol=1, extensions=["rect_frames", "preview"])
        welcome = viewer.receive_json("webfig_welcome")
        assert {"rect_frames", "preview"} <= set(welcome["extensions"])
        viewer.send("refresh")
    for viewer in viewers:
        assert viewer.receive_json("preview_geometry")["axes"]
        viewer.receive_frame()


def test_a_kept_figure_served_live_by_a_worker_can_be_deleted(
    hub: Hub, scripts: Callable[[Script], Script], connect: Callable[..., WsClient]
) -> None:
    """While a viewer pans a kept figure (a worker serves a copy), it is still kept, not
    live: the list says so, it can be deleted, and its viewer hears it is gone."""
    assert scripts(hub.publishing("-c", QUICK)).process.wait(30) == 0
    wait_until(lambda: kept_file(hub), message="the kept figure's SVG")
    first = connect(hub.address + "/", 1)
    assert first.wait_closed()[0] == 1012  # a worker serves it now: connect again
    viewer = connect(hub.address + "/", 1)
    viewer.receive_until(lambda m: isinstance(m, str) and "Pan, zoom" in m)
    assert ">kept<" in fetch(hub.address + "/")[2].decode()
    assert post(hub.address + "/1/delete") == 303
    assert viewer.wait_closed()[0] == 4000
    assert listed_labels(hub) == []
    assert fetch(hub.address + "/1")[0] == 404
