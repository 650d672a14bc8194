"""What the benchmark scripts share: free ports, the machine line, Chromium, and talking to a
scene server subprocess line by line. (The browser tests launch Chromium from here too.)"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
from collections.abc import Callable
from pathlib import Path

import matplotlib
import tornado

# Debian's Chromium: Playwright cannot download a browser of its own on these machines.
CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root, with no display; the background-networking flags stop Chromium from
# calling hosts this closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_port(address: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


def machine(*extra: str) -> str:
    """The machine and the versions that matter, for the top of a report."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = [
        f"Python {platform.python_version()}",
        f"matplotlib {matplotlib.__version__}",
        f"tornado {tornado.version}",
        *extra,
    ]
    return f"{os.cpu_count()} cores ({model}), " + ", ".join(versions)


async def read_line(
    process: asyncio.subprocess.Process,
    wanted: Callable[[str], bool],
    timeout: float,
    ended: Callable[[], str],
) -> str:
    """The first line ``process`` prints that is ``wanted``; ``ended()`` says why when the
    process ends first."""
    assert process.stdout is not None
    while True:
        raw = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not raw:
            raise RuntimeError(ended())
        if wanted(line := raw.decode().strip()):
            return line
