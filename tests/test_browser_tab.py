"""The browser tab webfig opens: it gets the token without the token on any command line."""

from __future__ import annotations

import os
import re
import stat
import threading
import urllib.parse
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from webfig.config import Settings
from webfig.server import FigureServer

from .processes import Visit
from .waiting import TIMEOUT

REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)">')


class Opened:
    """What ``webbrowser.open`` is given, in place of a browser."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self._done = threading.Event()

    def open(self, url: str) -> bool:
        self.addresses.append(url)
        self._done.set()
        return True

    def first(self) -> str:
        assert self._done.wait(TIMEOUT), "no browser tab was opened"
        return self.addresses[0]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    recorder = Opened()
    monkeypatch.setattr("webbrowser.open", recorder.open)
    return recorder


@pytest.fixture
def tab_server() -> Iterator[FigureServer]:
    server = FigureServer(Settings(port=0, open_browser=True))
    yield server
    server.stop()


def test_the_tab_opens_a_private_page_that_sends_it_on_with_the_token(tab_server, opened, figure):
    tab_server.ensure_started()
    token = tab_server.access.token
    assert token is not None
    argument = opened.first()
    # What the browser's command line and environment show: no token.
    assert token not in argument
    assert not any(token in value for value in os.environ.values())
    assert argument.startswith("file:///")
    page = Path(urllib.parse.unquote(urllib.parse.urlsplit(argument).path))
    # Only this user may read it.
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert stat.S_IMODE(page.parent.stat().st_mode) == 0o700
    assert page.parent.stat().st_uid == os.getuid()
    # It sends the browser on to the printed URL, which reaches the figures.
    match = REFRESH.search(page.read_text())
    assert match is not None, page.read_text()
    target = unescape(match.group(1))
    assert target == tab_server.url
    visit = Visit(target)
    assert visit.status == 200
    assert b'class="webfig-figure"' in visit.page
    # Gone with the server.
    tab_server.stop()
    assert not page.exists()
    assert not page.parent.exists()


def test_one_tab_only_and_without_a_token_the_address_itself(opened):
    server = FigureServer(Settings(port=0, open_browser=True, token=""))
    try:
        server.ensure_started()
        assert opened.first() == server.url
        server.ensure_started()  # already running: no second tab
        assert opened.addresses == [server.url]
    finally:
        server.stop()
