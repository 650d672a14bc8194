"""Smoke tests of examples/: each one runs as a user runs it, headless, for a few seconds.

With webfig's default token: a test visits the URL an example prints as a browser would
(:class:`~tests.processes.Visit`), and its viewers send the cookie that visit got.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from .conftest import WsClient
from .processes import PUBLISH_TOKEN, TIMEOUT, Hub, Script, Visit, environment, fetch
from .servers import free_port
from .waiting import wait_until

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run_example() -> Iterator[Callable[..., Script]]:
    """Starts ``examples/<name>`` with arguments (and environment variables); killed at
    teardown if still running."""
    scripts: list[Script] = []

    def run(name: str, *args: str, **env: str) -> Script:
        script = Script(str(EXAMPLES / name), *args, default_token=True, **env)
        scripts.append(script)
        return script

    yield run
    for script in scripts:
        script.stop()


def interrupt(script: Script, *, bad_requests: bool = False, shows: bool = False) -> None:
    """Ctrl+C: the example must end by itself and log nothing above INFO (but the warnings of
    the bad requests a test made on purpose). A script in a blocking ``plt.show()``
    (``shows``) gets the KeyboardInterrupt, as with any backend: Python's traceback of it
    and nothing else, and the status of a Ctrl+C; the others end with status 0 and no
    traceback."""
    script.process.send_signal(signal.SIGINT)
    status = script.process.wait(TIMEOUT)
    if shows:
        assert status == -signal.SIGINT, script.stderr
        assert script.stderr.count("Traceback") == 1, script.stderr
        assert script.stderr.rstrip().endswith("KeyboardInterrupt"), script.stderr
    else:
        assert status == 0, script.stderr
        assert "Traceback" not in script.stderr
    levels = "ERROR|CRITICAL" if bad_requests else "WARNING|ERROR|CRITICAL"
    assert not re.search(rf"^({levels}) ", script.stderr, re.MULTILINE), script.stderr


def labels(client: WsClient) -> list[str]:
    return [m["label"] for m in client.json_messages() if m["type"] == "figure_label"]


def test_basic(run_example, connect):
    script = run_example("basic.py")
    url = script.url()
    assert "?token=" in url
    visit = Visit(url)
    status, _, page = visit.fetch("1")
    assert status == 200
    assert b"webfig-figure" in page
    viewer = connect(visit, 1)
    assert viewer.receive_frame().startswith(PNG_SIGNATURE)
    assert set(labels(viewer)) == {"Basic"}
    interrupt(script, shows=True)  # with the viewer still connected, as when a tab stays open


def test_several_figures(run_example, connect):
    script = run_example("several_figures.py")
    visit = Visit(script.url())
    status, page = visit.status, visit.page
    assert status == 200
    assert page.count(b'class="webfig-figure"') == 4
    for label in [b"Lines", b"Scatter and histogram", b"Bars", b"Image"]:
        assert label in page
    for num in range(1, 5):
        assert connect(visit, num).receive_frame().startswith(PNG_SIGNATURE)
    interrupt(script, shows=True)


def test_animation_sends_frames_without_being_asked(run_example, connect):
    script = run_example("animation.py")
    viewer = connect(Visit(script.url()), 1)
    viewer.receive_frame()
    viewer.wait_until(lambda: len(viewer.frames()) >= 6)
    interrupt(script, shows=True)


def test_events_clicks_and_keys_change_the_points(run_example, connect):
    script = run_example("events.py")
    viewer = connect(Visit(script.url()), 1)
    viewer.receive_frame()
    assert labels(viewer)[-1] == "Click to add points: 0 points"

    def act(type: str, status: str, **fields: object) -> None:
        """Send one action; wait for the label it sets, then for the frame drawn after it."""
        mark = len(viewer.received)
        viewer.send(type, **fields)
        label = {"type": "figure_label", "label": f"Click to add points: {status}"}

        def drawn() -> bool:
            news = viewer.received[mark:]
            at = [i for i, m in enumerate(news) if isinstance(m, str) and json.loads(m) == label]
            return bool(at) and any(isinstance(m, bytes) for m in news[at[0] :])

        viewer.wait_until(drawn)

    # The middle of the 640 × 480 canvas is inside the axes (y counts from the top).
    act("button_press", "1 point", x=320, y=240, button=0, buttons=1)
    viewer.send("button_release", x=320, y=240, button=0, buttons=0)
    act("key_press", "11 points", key="kr")
    act("key_press", "0 points", key="kc")
    # matplotlib's "q" closes the figure; with its last figure closed, show() returns and the
    # script goes on.
    viewer.send("key_press", key="kq")
    assert script.process.wait(TIMEOUT) == 0, script.stderr
    assert "0 points at the end" in script.stderr
    assert "Traceback" not in script.stderr


def test_tornado_app_serves_its_pages_and_the_figures(run_example, connect):
    script = run_example("tornado_app.py")
    visit = Visit(script.url())
    home = script.wait_for_line(re.compile(r"^tornado_app: home page at (http://\S+)$")).group(1)
    assert visit.base == home + "figures/"
    # The home page is the application's own: it needs no token.
    status, _, page = fetch(home)
    assert status == 200
    for link in [b'href="/figures/"', b'href="/figures/1">Signal<', b'href="/figures/2">Noise<']:
        assert link in page
    assert (visit.status, visit.page.count(b'class="webfig-figure"')) == (200, 2)
    assert visit.fetch("2")[0] == 200
    assert fetch(home + "figures/2")[0] == 403  # the figures do, in the cookie of the visit
    assert visit.fetch("3")[0] == 404
    assert visit.fetch("/nowhere")[0] == 404
    viewer = connect(visit, 1)
    assert viewer.receive_frame().startswith(PNG_SIGNATURE)
    assert set(labels(viewer)) == {"Signal"}
    interrupt(script, bad_requests=True)


def test_png_endpoint_caches_and_validates(run_example):
    script = run_example("png_endpoint.py", "--port", "0")
    base = script.wait_for_line(re.compile(r"^png_endpoint: serving at (http://\S+)$")).group(1)

    def renders() -> list[str]:
        return re.findall(r"rendered (\w+) PlotRequest\((.*?)\)", script.stderr)

    status, _, page = fetch(base)
    assert status == 200
    assert b'<img src="/plot.png?freq=3"' in page

    status, headers, png = fetch(base + "plot.png?freq=3")
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert png.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(png)).size == (600, 350)
    etag = headers["Etag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    # Revalidation: 304 and no body; the same parameters spelt otherwise are the same image.
    status, headers, body = fetch(base + "plot.png?freq=3.0", {"If-None-Match": etag})
    assert (status, body, headers["Etag"]) == (304, b"", etag)
    status, _, again = fetch(base + "plot.png?freq=3&dpi=100")  # from the cache
    assert (status, again) == (200, png)

    status, headers, small = fetch(base + "plot.png?freq=3&dpi=50")
    assert Image.open(io.BytesIO(small)).size == (300, 175)
    assert headers["Etag"] != etag
    status, headers, svg = fetch(base + "plot.svg?freq=3")
    assert (status, headers["Content-Type"]) == (200, "image/svg+xml")
    assert b"<svg" in svg

    for query, message in [
        ("freq=abc", "freq must be a number, not 'abc'"),
        ("freq=nan", "freq must be between 0.1 and 20, not 'nan'"),
        ("freq=100", "freq must be between 0.1 and 20, not '100'"),
        ("dpi=72.5", "dpi must be a whole number, not 72.5"),
        ("colour=red", "unknown parameter 'colour'"),
    ]:
        status, headers, body = fetch(base + "plot.png?" + query)
        assert status == 400, query
        assert headers["Content-Type"].startswith("text/plain")
        assert message in body.decode(), (query, body)
    assert fetch(base + "plot.gif?freq=3")[0] == 404

    # Output is in order: once freq=4 has rendered, any other render has been logged too.
    fetch(base + "plot.png?freq=4")
    wait_until(lambda: ("png", "freq=4.0, dpi=100") in renders())
    assert renders() == [
        ("png", "freq=3.0, dpi=100"),
        ("png", "freq=3.0, dpi=50"),
        ("svg", "freq=3.0, dpi=100"),
        ("png", "freq=4.0, dpi=100"),
    ]
    interrupt(script, bad_requests=True)


@pytest.mark.parametrize(
    ("name", "mode"),
    [(None, "RGB"), ("figure.png", "RGBA"), ("figure.gif", "P")],
)
def test_rgba_to_pillow(tmp_path, name, mode):
    # Without a path the example writes a JPEG in the temporary directory.
    output = tmp_path / (name or "webfig-example.jpg")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "rgba_to_pillow.py"), *([str(output)] if name else [])],
        env=environment(TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"rgba_to_pillow: wrote {output} (640 × 480 pixels)\n"
    with Image.open(output) as image:
        assert (image.size, image.mode) == ((640, 480), mode)
        colours = image.convert("RGB").getcolors(maxcolors=640 * 480)
    assert colours is not None
    assert len(colours) > 10  # a plot, not a blank canvas


def test_shared_cache_renders_once_across_processes(run_example, servers):
    redis = servers.start("redis")
    script = run_example(
        "shared_cache.py", "--port", "0", "--processes", "2", "--pool", "1",
        "--redis", f"redis://127.0.0.1:{redis.port}/0",
    )  # fmt: skip
    pattern = re.compile(r"^shared_cache: serving at (http://\S+)$")
    url = script.wait_for_line(pattern).group(1) + "?points=20000&seed=7"

    def renders() -> list[str]:
        return re.findall(r"rendered scatter points=20000 seed=7 in process (\d+)", script.stderr)

    # Eight requests at once, taken by whichever web process accepts first: one render.
    with ThreadPoolExecutor(8) as requests:
        answers = list(requests.map(lambda _: fetch(url), range(8)))
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1
    assert len({headers["Etag"] for _, headers, _ in answers}) == 1
    png = answers[0][2]
    assert Image.open(io.BytesIO(png)).size == (600, 400)
    assert len(renders()) == 1
    etag = answers[0][1]["Etag"]
    assert fetch(url, {"If-None-Match": etag})[:3:2] == (304, b"")

    status, _, body = fetch(url.replace("points=20000", "points=0"))
    assert status == 400
    assert body == b"points must be a whole number from 1 to 200000, not '0'\n"
    # Ctrl+C reaches the first process; it stops the other one (and its render worker).
    interrupt(script, bad_requests=True)
    assert script.stderr.count("INFO shared_cache: stopped process") == 2
    assert len(renders()) == 1


# The web endpoints, each with the arguments that make it quick to start (one process, no
# pool, no store): what their printed line looks like and the path of an image they serve.
ENDPOINTS = {
    "png_endpoint.py": ((), "plot.png?freq=2"),
    "shared_cache.py": (("--processes", "1", "--pool", "0"), "?points=500"),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoints_listen_on_webfig_port(run_example, name):
    arguments, image = ENDPOINTS[name]
    port = free_port()
    script = run_example(name, *arguments, WEBFIG_PORT=str(port))
    pattern = re.compile(rf"^{Path(name).stem}: serving at (http://\S+)$")
    url = script.wait_for_line(pattern).group(1)
    assert url.startswith(f"http://127.0.0.1:{port}/")
    status, headers, png = fetch(url + image)
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert png.startswith(PNG_SIGNATURE)
    interrupt(script)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_endpoints_refuse_a_bad_webfig_port(name):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *ENDPOINTS[name][0]],
        env=environment(WEBFIG_PORT="80a"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.endswith(
        f"{name}: error: argument --port: WEBFIG_PORT and --port take a whole number"
        " from 0 to 65535, not '80a'\n"
    ), result.stderr


def test_batch_job_publishes_to_a_hub_which_keeps_its_figures(hub: Hub) -> None:
    script = Script(
        str(EXAMPLES / "batch_job.py"),
        "--epochs",
        "3",
        "--pause",
        "0",
        WEBFIG_HUB=hub.address,
        WEBFIG_HUB_TOKEN=PUBLISH_TOKEN,
    )
    try:
        assert script.process.wait(TIMEOUT) == 0, script.stderr
        assert "epoch 3" in script.stderr
    finally:
        script.stop()

    def kept() -> bool:
        return all(fetch(f"{hub.address}/{n}/download.svg")[0] == 200 for n in (1, 2))

    wait_until(kept, message="both figures kept with their pickles")
    page = fetch(hub.address + "/")[2].decode()
    assert "loss curve" in page
    assert "weights" in page
    status, _, png = fetch(f"{hub.address}/2/download.png")
    assert status == 200
    assert png.startswith(PNG_SIGNATURE)


def test_every_example_is_tested():
    assert {path.stem for path in EXAMPLES.glob("*.py")} == {
        "basic",
        "several_figures",
        "animation",
        "events",
        "tornado_app",
        "png_endpoint",
        "rgba_to_pillow",
        "shared_cache",
        "batch_job",
    }
    for path in EXAMPLES.glob("*.py"):
        source = path.read_text()
        assert f"python examples/{path.name}" in source, path.name
        assert "from __future__ import annotations" in source, path.name
