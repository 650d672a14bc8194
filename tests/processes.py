"""Running Python scripts that use webfig in processes of their own."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import IO

TIMEOUT = 30.0
URL_LINE = re.compile(r"^webfig: serving figures at (http://\S+)$")
# The start of a script whose webfig may listen only on a port that is taken, ``busy``.
ONLY_A_BUSY_PORT = """
import socket
import webfig
taken = socket.socket()
taken.bind(("127.0.0.1", 0))
taken.listen()
busy = taken.getsockname()[1]
webfig.configure(port=busy, port_retries=0)
"""


def environment(*, default_token: bool = False, **overrides: str) -> dict[str, str]:
    """The environment of a script the tests run: any free port, no browser tab, and the
    token off (``WEBFIG_TOKEN=""``), unless ``default_token``: then webfig's default, a random
    token in the URL the script prints (follow it with :class:`Visit`)."""
    env = {**os.environ, "WEBFIG_PORT": "0", "WEBFIG_OPEN_BROWSER": "0", "WEBFIG_TOKEN": ""}
    env.pop("MPLBACKEND", None)
    if default_token:
        del env["WEBFIG_TOKEN"]
    return env | overrides


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a GET, whatever the status."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


class Visit:
    """What a browser does with an address a script printed: it opens it (following the
    redirect that drops ``?token=``), keeps the cookies the server sets, and sends them with
    every request after, websockets' included (:attr:`cookie`)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        #: The address without its query: what relative addresses start from.
        self.base = urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
        self._cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self._cookies)
        )
        self.status, self.headers, self.page = self.fetch(url)

    def fetch(
        self, url: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of a GET of ``url`` (absolute, or relative to
        :attr:`base`), with the cookies, whatever the status."""
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base, url), headers=headers or {}
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()

    @property
    def cookie(self) -> str:
        """The ``Cookie`` header the browser sends."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self._cookies)


def run_python(
    code: str, *, default_token: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment(default_token=default_token, **env),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


class Script:
    """A running Python process whose output lines can be waited for."""

    def __init__(self, *args: str, default_token: bool = False, **env: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            env=environment(default_token=default_token, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._new_line = threading.Condition()
        self._stderr: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(
            target=self._stderr.extend,
            args=(self.process.stderr,),
            daemon=True,
        ).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._new_line:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()

    def wait_for_line(self, pattern: re.Pattern[str]) -> re.Match[str]:
        found: list[re.Match[str]] = []

        def match() -> bool:
            found[:] = [m for line in self.lines if (m := pattern.match(line))][:1]
            return bool(found) or self.process.poll() is not None

        with self._new_line:
            self._new_line.wait_for(match, TIMEOUT)
        assert found, f"no line matching {pattern.pattern}; output {self.lines}, {self.stderr}"
        return found[0]

    def url(self) -> str:
        return self.wait_for_line(URL_LINE).group(1)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(TIMEOUT)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


PUBLISH_TOKEN = "publish-token-for-tests"


class Hub(Script):
    """A hub (``python -m webfig serve``) on a free port, viewers' token off (unless ``env``
    sets one), publishers' PUBLISH_TOKEN: :attr:`address` is what scripts set ``WEBFIG_HUB``
    to, :attr:`printed_url` the address it printed for viewers."""

    def __init__(self, data: Path, *args: str, **env: str) -> None:
        """Keeping its figures in ``data``, with ``args`` more on its command line."""
        command = ("-m", "webfig", "serve", "--data", str(data), *args)
        super().__init__(*command, WEBFIG_PUBLISH_TOKEN=PUBLISH_TOKEN, **env)
        self.data = data
        self.printed_url = self.url()
        parts = urllib.parse.urlsplit(self.printed_url)
        self.address = f"{parts.scheme}://{parts.netloc}"

    def publishing(self, *args: str, token: str = PUBLISH_TOKEN, **env: str) -> Script:
        """A script run with ``args``, publishing to this hub with ``token``."""
        return Script(*args, WEBFIG_HUB=self.address, WEBFIG_HUB_TOKEN=token, **env)
