"""Hub: what a hub (``python -m webfig serve``) costs, against a script's own server, in one
run on one machine (issue 28).

    PYTHONPATH=. python benchmarks/hub.py [--scripts 50] [--figures 4] [--viewers 100]
                                          [--kept 10000]

Run from the repository's root. Four measurements, each with processes of its own:

- **A drag through the hub.** The benchmark figure (benchmarks/scene.py "lines", two
  2000-point lines) served by its script's own webfig server, and the same script publishing
  it to a hub instead: frames per second in headless Chromium during a pan drag of three
  seconds at 60 moves a second, at device pixel ratio 1 and 2 (benchmarks/frames.py's drag),
  straight to the script and through the hub, one after the other. The goal: through the
  hub, at least 0.8 of the frames a second straight to the script.
- **Many scripts and viewers.** ``--scripts`` scripts of ``--figures`` figures each publish
  to one hub, each figure redrawing itself twice a second (a timer); then ``--viewers``
  websocket viewers connect through the hub, spread over the figures, each acknowledging
  every frame as webfig's client does. Measured: how long until every viewer had a frame,
  the frames the viewers got a second in the next ten seconds (the scripts share the cores
  with the hub, and cannot all redraw twice a second: the rate is theirs), the hub's CPU
  and resident memory meanwhile.
- **Memory per kept figure.** The hub's resident memory after it started on a data
  directory of ``--kept`` kept figures (each a run's figure with a 20 kB picture and its
  pickle), less that on an empty one, per figure.
- **Start-up with kept figures.** Seconds from starting the hub on that data directory to
  its list answering (a GET of ``/``), and to that list itself.

The data directory is made through webfig.hub.store.HubStore, with ``os.fsync`` a no-op
meanwhile (20 000 flushed files would take minutes and measure the disk). This is a
benchmark, not a test: it asserts nothing. It prints the machine and the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt
from common import REPOSITORY, SCENE, free_port, read_line
from frames import browser_frames, machine
from load import cpu_seconds, resident_bytes
from pipeline import load
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

from webfig.hub.store import HubStore

PUBLISH_TOKEN = "benchmark-publish-token"
TIMEOUT = 120.0
# A script of FIGURES figures that each redraw twice a second, until stdin closes.
PUBLISHER = """
import sys, threading
import matplotlib
matplotlib.use("webfig")
import matplotlib.pyplot as plt
import numpy as np
figures = int(sys.argv[1])
for n in range(figures):
    figure, ax = plt.subplots(num=f"figure {n}", figsize=(4, 3), dpi=100)
    line, = ax.plot(np.random.default_rng(n).normal(size=200))
    def tick(line=line, figure=figure, rng=np.random.default_rng(n)):
        line.set_ydata(rng.normal(size=200))
        figure.canvas.draw_idle()
    timer = figure.canvas.new_timer(interval=500)
    timer.add_callback(tick)
    timer.start()
print("published", flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), plt.close("all")), daemon=True).start()
plt.show()
"""


def environment(**overrides: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", "WEBFIG_TOKEN": ""}
    env.pop("MPLBACKEND", None)
    return env | {"WEBFIG_OPEN_BROWSER": "0"} | overrides


@contextlib.asynccontextmanager
async def process(*command: str, **env: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """A process of ``command`` (Python's), killed as the block ends."""
    started = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=environment(**env),
    )
    try:
        yield started
    finally:
        if started.returncode is None:
            started.kill()
        await started.wait()


@contextlib.asynccontextmanager
async def hub(data: Path) -> AsyncIterator[tuple[str, asyncio.subprocess.Process, float]]:
    """A hub keeping figures in ``data``: its address, process, and seconds it took to print
    its address."""
    port = free_port()
    began = time.perf_counter()
    async with process(
        "-m", "webfig", "serve", "--port", str(port), "--data", str(data),
        WEBFIG_PUBLISH_TOKEN=PUBLISH_TOKEN,
    ) as started:  # fmt: skip
        await read_line(started, lambda line: "serving figures at" in line, TIMEOUT, str)
        yield f"http://127.0.0.1:{port}", started, time.perf_counter() - began


async def get(url: str) -> str:
    response = await AsyncHTTPClient().fetch(url, request_timeout=TIMEOUT)
    return response.body.decode()


async def wait_listed(address: str, count: int) -> None:
    deadline = time.perf_counter() + TIMEOUT
    while (await get(address + "/")).count("<li>") < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"fewer than {count} figures on the hub")
        await asyncio.sleep(0.2)


async def drag(ratio: float) -> tuple[float, float]:
    """Frames per second of the drag straight to the script, then through a hub."""
    port = free_port()
    async with process(str(SCENE), "webfig", "lines", str(port)) as scene:
        await read_line(scene, lambda line: f":{port}" in line, TIMEOUT, str)
        direct, _ = await browser_frames(f"http://127.0.0.1:{port}/1", ratio, drag=True)
    with tempfile.TemporaryDirectory() as data:
        async with hub(Path(data)) as (address, _, _), process(
            str(SCENE), "webfig", "lines", "0",
            WEBFIG_HUB=address, WEBFIG_HUB_TOKEN=PUBLISH_TOKEN,
        ):  # fmt: skip
            await wait_listed(address, 1)
            through, _ = await browser_frames(f"{address}/1", ratio, drag=True)
    return direct, through


async def viewer(address: str, figure: int, frames: list[float]) -> None:
    """A viewer of ``figure`` that acknowledges every frame and notes when it came."""
    connection = await websocket_connect(address.replace("http", "ws") + f"/{figure}/ws")
    connection.write_message(json.dumps({"type": "refresh", "figure_id": figure}))
    try:
        while (message := await connection.read_message()) is not None:
            if isinstance(message, bytes):
                frames.append(time.perf_counter())
                connection.write_message(json.dumps({"type": "ack", "figure_id": figure}))
    finally:
        connection.close()


async def many(scripts: int, figures: int, viewers: int) -> dict[str, float]:
    """``scripts`` publishers of ``figures`` figures each and ``viewers`` viewers on one hub."""
    with tempfile.TemporaryDirectory() as data:
        async with (
            hub(Path(data)) as (address, hub_process, _),
            contextlib.AsyncExitStack() as stack,
        ):
            for _ in range(scripts):
                started = await stack.enter_async_context(
                    process(
                        "-c",
                        PUBLISHER,
                        str(figures),
                        WEBFIG_HUB=address,
                        WEBFIG_HUB_TOKEN=PUBLISH_TOKEN,
                    )
                )
                await read_line(started, lambda line: line == "published", TIMEOUT, str)
            await wait_listed(address, scripts * figures)
            received: list[list[float]] = [[] for _ in range(viewers)]
            began = time.perf_counter()
            tasks = [
                asyncio.ensure_future(viewer(address, 1 + n % (scripts * figures), received[n]))
                for n in range(viewers)
            ]
            while not all(received) and time.perf_counter() - began < TIMEOUT:
                await asyncio.sleep(0.05)
            first_frames = time.perf_counter() - began
            cpu_before, window_start = cpu_seconds(hub_process.pid), time.perf_counter()
            counted = [len(frames) for frames in received]
            await asyncio.sleep(10)
            window = time.perf_counter() - window_start
            frames_per_second = (sum(len(f) for f in received) - sum(counted)) / window
            result = {
                "first": first_frames,
                "got": sum(1 for frames in received if frames),
                "fps": frames_per_second,
                "cpu": (cpu_seconds(hub_process.pid) - cpu_before) / window,
                "rss": resident_bytes(hub_process.pid),
            }
            for task in tasks:
                task.cancel()
    return result


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    saved = os.fsync
    os.fsync = lambda descriptor: None
    try:
        yield
    finally:
        os.fsync = saved


def kept_directory(directory: Path, count: int) -> None:
    """A data directory of ``count`` kept figures, a hundred a run."""
    figure, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    ax.plot(range(200), [n % 17 for n in range(200)])
    picture = io.BytesIO()
    figure.savefig(picture, format="png")
    pickled = pickle.dumps(figure, protocol=5)
    plt.close(figure)
    with no_fsync(), HubStore(directory) as store:
        for first in range(0, count, 100):
            run = store.add_run(host="node", script=f"job{first}.py", started=time.time())
            for number in range(1, min(100, count - first) + 1):
                kept = store.add_figure(run.id, number, f"figure {first + number}")
                store.put_picture(run.id, kept.id, picture.getvalue())
                store.put_pickle(run.id, kept.id, pickled)
            store.end_run(run.id, "exited")


async def kept(count: int) -> dict[str, float]:
    """The hub on an empty data directory and on one of ``count`` kept figures."""
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as full:
        async with hub(Path(empty)) as (address, started, _):
            await get(address + "/")
            result["rss_empty"] = resident_bytes(started.pid)
        kept_directory(Path(full), count)
        began = time.perf_counter()
        async with hub(Path(full)) as (address, started, printed):
            listed = await get(address + "/")
            result["answered"] = time.perf_counter() - began
            result["printed"] = printed
            page_began = time.perf_counter()
            await get(address + "/")
            result["page"] = time.perf_counter() - page_began
            result["rss_full"] = resident_bytes(started.pid)
            result["listed"] = listed.count("<li>")
    result["per_figure"] = (result["rss_full"] - result["rss_empty"]) / count
    return result


async def main(options: argparse.Namespace) -> None:
    print(f"Machine: {machine()}\n", flush=True)
    rows: list[tuple[str, str, str]] = []
    for ratio in (1, 2):
        direct, through = await drag(ratio)
        rows.append(
            (
                f"pan drag, frames per s at ratio {ratio}: straight to the script / through "
                "the hub (ratio)",
                f"{direct:.1f} / {through:.1f} ({through / direct:.2f})",
                "≥ 0.8",
            )
        )
        print(f"  drag at ratio {ratio}: {direct:.1f} / {through:.1f}", file=sys.stderr)
    served = await many(options.scripts, options.figures, options.viewers)
    rows += [
        (
            f"{options.scripts} scripts of {options.figures} figures, {options.viewers} viewers:"
            " viewers with a frame, seconds until all had one",
            f"{served['got']:.0f} of {options.viewers}, {served['first']:.1f} s",
            "all",
        ),
        (
            "  frames a second the hub relayed to them, all together (as fast as the scripts,"
            " on the same cores, redraw: each figure asks for two a second)",
            f"{served['fps']:.0f}",
            "",
        ),
        (
            "  the hub's CPU meanwhile, and its resident memory",
            f"{100 * served['cpu']:.0f} % of a core, {served['rss'] / 2**20:.0f} MiB",
            "",
        ),
    ]
    print(f"  many: {served}", file=sys.stderr)
    stored = await kept(options.kept)
    rows += [
        (
            f"resident memory per kept figure ({options.kept} kept)",
            f"{stored['per_figure'] / 1024:.1f} KiB",
            "",
        ),
        (
            f"start-up with {options.kept} kept figures: address printed, list answered",
            f"{stored['printed']:.2f} s, {stored['answered']:.2f} s",
            "",
        ),
        (
            f"  the list of {stored['listed']:.0f} figures, once started",
            f"{stored['page']:.2f} s",
            "",
        ),
    ]
    print(f"  kept: {stored}", file=sys.stderr)
    print("### The hub\n")
    print(f"{load()} at the end.\n")
    print("| metric | measured | target |\n| --- | ---: | --- |")
    for metric, value, target in rows:
        print(f"| {metric} | {value} | {target} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scripts", type=int, default=50, help="publishing scripts")
    parser.add_argument("--figures", type=int, default=4, help="figures per script")
    parser.add_argument("--viewers", type=int, default=100, help="viewers through the hub")
    parser.add_argument("--kept", type=int, default=10_000, help="kept figures for start-up")
    arguments: Any = parser.parse_args()
    asyncio.run(main(arguments))
