"""Real redis-server and memcached processes on free loopback ports, for the store tests.

Debian's binaries (``/usr/bin``), each server of the tests' own: a service the package may
have started is never used. A server is ready when it answers a command, polled against a
deadline; it is stopped (killed) at the fixture's teardown.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Final

from .waiting import TIMEOUT, wait_until

# A port that a server could not bind (taken between our look and its bind) is tried anew.
_ATTEMPTS: Final = 5


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int, command: bytes, reply: bytes) -> bool:
    """Whether a server on ``port`` answers ``command`` with a line starting ``reply``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(command)
            return connection.recv(64).startswith(reply)
    except OSError:
        return False


def _ready(server: Server, probe: bytes, reply: bytes) -> bool:
    """Whether ``server`` came to answer ``probe``; False if it exited instead (its port
    was taken, say)."""
    wait_until(
        lambda: not server.running() or _answers(server.port, probe, reply),
        message=lambda: f"{server} to answer; its log: {server.log.read_text()!r}",
    )
    return server.running()


class Server:
    """One server process on ``port``; :meth:`stop` ends it (at teardown at the latest)."""

    def __init__(self, kind: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.kind = kind
        self.port = port
        self.process = process
        self.log = log

    def __repr__(self) -> str:
        return f"<{self.kind} on 127.0.0.1:{self.port}>"

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill it: neither server keeps anything on disk here, and memcached takes most of
        a second over SIGTERM."""
        if self.running():
            self.process.kill()
        self.process.wait(TIMEOUT)


# What each server is started with, and how to ask it whether it is ready.
_COMMANDS: Final = {
    "redis": (
        lambda port, directory: [
            shutil.which("redis-server") or "/usr/bin/redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        b"PING\r\n",
        b"+PONG",
    ),
    "memcached": (
        lambda port, _directory: [
            shutil.which("memcached") or "/usr/bin/memcached",
            "-l",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "0",
            # memcached refuses to run as root unless told which user to be.
            *(["-u", "root"] if os.geteuid() == 0 else []),
        ],
        b"version\r\n",
        b"VERSION",
    ),
}


class Servers:
    """Starts servers in ``directory`` (their logs and working files) and stops them all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Server] = []

    def start(self, kind: str, port: int | None = None) -> Server:
        """A ready ``kind`` server ("redis" or "memcached"): on ``port`` (one a stopped
        server had, say) or on a free one."""
        command, probe, reply = _COMMANDS[kind]
        for attempt in range(_ATTEMPTS):
            chosen = port or free_port()
            log = self.directory / f"{kind}-{chosen}-{len(self.started)}-{attempt}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    command(chosen, self.directory),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            server = Server(kind, chosen, process, log)
            self.started.append(server)
            if _ready(server, probe, reply):
                return server
            server.stop()  # reaps it
            if port is not None:
                break  # the port asked for is taken: nothing else will do
        raise RuntimeError(f"{kind} did not start; its last log: {log.read_text()!r}")

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()
