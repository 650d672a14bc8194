"""The hub (``python -m webfig serve``) with real scripts publishing to it, each a process of
its own: figures listed by label, downloads through the hub, and scripts that go on as if no
hub were set when it refuses them or cannot be reached."""

from __future__ import annotations

import asyncio
import io
import re
import socket
from collections.abc import Callable

import numpy as np
import pytest
import tornado.httpclient
import tornado.websocket
from PIL import Image

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


def listed_labels(hub: Hub) -> list[str]:
    _, _, page = fetch(hub.address + "/")
    return re.findall(r'class="webfig-title"[^>]*>([^<]*)<', page.decode())


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


def test_a_figure_leaves_the_hub_when_its_script_closes_it(
    hub: Hub, scripts: Callable[[Script], Script]
) -> None:
    script = scripts(hub.publishing("-c", QUICK))
    script.wait_for_line(MADE)
    assert script.process.wait(30) == 0
    wait_until(lambda: listed_labels(hub) == [], message="the ended script's figure gone")


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


def test_viewers_of_the_hub_need_its_token() -> None:
    hub = Hub(WEBFIG_TOKEN="viewers-token-123")
    try:
        assert hub.printed_url.endswith("?token=viewers-token-123")
        assert fetch(hub.address + "/")[0] == 403
        assert Visit(hub.printed_url).status == 200
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
