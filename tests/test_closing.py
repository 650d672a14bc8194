"""One rule for every way a viewer can close a figure: it may close the figure it views, only
if that figure is closable (pyplot's), and never another one, nor all of them.

The ways: the close button (``close_figure``), matplotlib's quit keys (``keymap.quit``,
``q`` and ``ctrl+w``; ``keymap.quit_all``) with either toolbar, and a ToolManager's
``quit`` and ``quit_all`` tools, by key or by a button the script put on the toolbar. What
the script itself does (``plt.close``, ``Gcf.destroy_all``, its own ``trigger_tool``) is
matplotlib's business and stays as matplotlib does it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from webfig.figure.canvas import WebfigCanvas
from webfig.figure.manager import WebfigManager
from webfig.server import FigureServer
from webfig.server.handlers import FIGURE_CLOSED

from .conftest import WsClient
from .waiting import wait_until

Connect = Callable[..., WsClient]


def use_toolbar(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Figures made from now on get ``kind`` of toolbar."""
    with warnings.catch_warnings():
        # matplotlib calls its tools experimental whenever the setting is made.
        warnings.filterwarnings("ignore", "Treat the new Tool classes", UserWarning)
        monkeypatch.setitem(mpl.rcParams, "toolbar", kind)


@pytest.fixture(params=["toolbar2", "toolmanager"])
def toolbar(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with matplotlib's navigation toolbar and with a ToolManager."""
    use_toolbar(monkeypatch, request.param)
    return str(request.param)


@pytest.fixture
def toolmanager(monkeypatch: pytest.MonkeyPatch) -> None:
    use_toolbar(monkeypatch, "toolmanager")


@pytest.fixture
def quit_all_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key bound to quit_all (matplotlib binds none by default; older versions bound Q)."""
    monkeypatch.setitem(mpl.rcParams, "keymap.quit_all", ["Q"])
    return "Q"


def two_figures() -> tuple[Figure, Figure]:
    """Figures 1 and 2 of pyplot, made with the toolbar in force."""
    first, second = plt.figure(1, figsize=(2, 2)), plt.figure(2, figsize=(2, 2))
    for figure in (first, second):
        figure.add_subplot().plot([0, 1])
    return first, second


def viewer(server: FigureServer, connect: Connect, num: int) -> WsClient:
    client = connect(server, num)
    client.receive_frame()
    return client


@pytest.mark.parametrize("key", ["kq", "ctrl+kw"])  # q and ctrl+w, as clients send them
@pytest.mark.usefixtures("toolbar")
def test_a_quit_key_closes_the_viewers_own_figure_only(
    server: FigureServer, connect: Connect, key: str
) -> None:
    two_figures()
    pressing, other = viewer(server, connect, 1), viewer(server, connect, 2)
    pressing.send("key_press", key=key)
    assert pressing.wait_closed() == (FIGURE_CLOSED, "figure closed")
    assert not plt.fignum_exists(1)
    other.sync()
    assert plt.fignum_exists(2)


@pytest.mark.usefixtures("toolbar")
def test_the_quit_all_key_closes_only_the_viewers_own_figure(
    server: FigureServer, connect: Connect, quit_all_key: str
) -> None:
    """matplotlib's quit_all closes every figure and ends plt.show(): one viewer would close
    the figures of every other. From a viewer it closes what the viewer may close."""
    two_figures()
    pressing, other = viewer(server, connect, 1), viewer(server, connect, 2)
    pressing.send("key_press", key=f"k{quit_all_key}")
    assert pressing.wait_closed() == (FIGURE_CLOSED, "figure closed")
    other.sync()
    assert plt.get_fignums() == [2]


@pytest.mark.usefixtures("toolmanager")
def test_a_viewer_cannot_trigger_quit_all_on_a_toolmanager_figure(
    server: FigureServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue's reproduction: ``trigger_tool quit_all`` closed every figure. The tool is
    the ToolManager's, not on the toolbar: refused, with one warning."""
    two_figures()
    pressing, other = viewer(server, connect, 1), viewer(server, connect, 2)
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for name in ("quit_all", "quit", "quit_all"):
            pressing.send("trigger_tool", name=name)
        pressing.sync()
        other.sync()
    assert plt.get_fignums() == [1, 2]
    refusals = [r for r in caplog.records if "refused trigger_tool" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert "not on the figure's toolbar" in refusals[0].getMessage()


@pytest.mark.usefixtures("toolmanager")
def test_quit_tools_the_script_puts_on_the_toolbar_close_the_viewers_own_figure_only(
    server: FigureServer, connect: Connect
) -> None:
    """On the toolbar they are the page's buttons, so a viewer may press them; quit_all
    closes at most the viewer's own figure all the same."""
    first, _ = two_figures()
    first.canvas.manager.toolbar.add_tool("quit_all", "io")
    pressing, other = viewer(server, connect, 1), viewer(server, connect, 2)
    pressing.send("trigger_tool", name="quit_all")
    assert pressing.wait_closed() == (FIGURE_CLOSED, "figure closed")
    other.sync()
    assert plt.get_fignums() == [2]


@pytest.mark.usefixtures("toolmanager")
def test_the_script_keeps_matplotlibs_quit_all() -> None:
    """The script's own trigger_tool is the script's: quit_all closes every figure."""
    first, _ = two_figures()
    first.canvas.manager.toolmanager.trigger_tool("quit_all")
    wait_until(lambda: not plt.get_fignums())


class OneFigure:
    """A registry of one figure that is not pyplot's, as an app embedding webfig may have."""

    def __init__(self, canvas: WebfigCanvas) -> None:
        self.manager = WebfigManager(canvas, 1)

    def get(self, num: int) -> WebfigManager | None:
        return self.manager if num == 1 else None

    def figures(self) -> list[WebfigManager]:
        return [self.manager]


@pytest.mark.usefixtures("toolbar")
def test_no_key_closes_a_figure_that_is_not_closable(
    make_server: Callable[..., FigureServer], connect: Connect, quit_all_key: str
) -> None:
    """Not pyplot's: no viewer may close it, by key or otherwise; pyplot's figures stay too."""
    plt.figure(1).add_subplot()
    registry = OneFigure(WebfigCanvas(Figure(figsize=(2, 2))))
    closed: list[str] = []
    registry.manager.canvas.mpl_connect("close_event", lambda event: closed.append(event.name))
    server = make_server(figures=registry)
    client = viewer(server, connect, 1)
    for key in ("kq", "ctrl+kw", f"k{quit_all_key}"):
        client.send("key_press", key=key)
    client.send("close_figure")
    client.sync()
    assert registry.manager.viewer_count == 1
    assert closed == []
    assert plt.get_fignums() == [1]
    registry.manager.destroy()


def test_a_script_that_disconnects_the_key_handler_turns_the_quit_keys_off(
    server: FigureServer, connect: Connect
) -> None:
    """matplotlib's way to turn its default key bindings off still works."""
    first, _ = two_figures()
    first.canvas.mpl_disconnect(first.canvas.manager.key_press_handler_id)
    pressing = viewer(server, connect, 1)
    pressing.send("key_press", key="kq")
    pressing.sync()
    assert plt.get_fignums() == [1, 2]
