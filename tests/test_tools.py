"""The ToolManager toolbar and the subplot tool, through real sockets: what viewers are shown,
what their buttons do, and what is refused."""

from __future__ import annotations

import base64
import io
import logging
import warnings
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backend_tools import ToolToggleBase
from matplotlib.figure import Figure
from PIL import Image

from .test_server import fetch

BUTTON_GROUPS = {
    "navigation": ["home", "back", "forward"],
    "zoompan": ["pan", "zoom", "subplots"],
    "io": ["save", "help"],
}


@pytest.fixture
def toolmanager_figure(monkeypatch: pytest.MonkeyPatch) -> Figure:
    """Figure 1 of pyplot, made with ``rcParams["toolbar"] = "toolmanager"``."""
    with warnings.catch_warnings():
        # matplotlib calls its tools experimental whenever the setting is made.
        warnings.filterwarnings("ignore", "Treat the new Tool classes", UserWarning)
        monkeypatch.setitem(mpl.rcParams, "toolbar", "toolmanager")
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1, 2], [0, 1, 0], lw=3)
    ax.set(xlim=(0, 2), ylim=(0, 1))
    return figure


def tool_names(message: dict) -> dict[str, list[str]]:
    return {group["name"]: [tool["name"] for tool in group["tools"]] for group in message["groups"]}


def tools_by_name(message: dict) -> dict[str, dict]:
    return {tool["name"]: tool for group in message["groups"] for tool in group["tools"]}


def decode_icon(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix), url[:40]
    return Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))


def test_the_page_of_a_toolmanager_figure_has_a_container_not_toolbar2s_buttons(
    server, toolmanager_figure
):
    page = fetch(server, "/1")[2].decode()
    assert 'data-toolbar="toolmanager"' in page
    assert 'class="webfig-tool-groups"' in page
    assert 'data-tool="pan"' not in page


def test_a_viewer_is_shown_the_default_tools_in_their_groups(server, connect, toolmanager_figure):
    viewer = connect(server, 1)
    items = viewer.receive_json("tool_items")
    assert tool_names(items) == BUTTON_GROUPS
    tools = tools_by_name(items)
    assert [name for name, tool in tools.items() if tool["toggle"]] == ["pan", "zoom"]
    # matplotlib's stock icons come in webfig's style.
    home = base64.b64decode(tools["home"]["icon"].removeprefix("data:image/svg+xml;base64,"))
    assert home.startswith(b"<svg")
    assert tools["pan"]["description"]


def test_a_toggle_pressed_by_one_viewer_is_shown_pressed_to_all(
    server, connect, toolmanager_figure
):
    first, second = connect(server, 1), connect(server, 1)
    first.receive_frame()
    second.receive_frame()
    first.send("trigger_tool", name="pan")
    for viewer in (first, second):
        assert viewer.receive_json("tool_toggled") == {
            "type": "tool_toggled",
            "name": "pan",
            "toggled": True,
        }
    assert toolmanager_figure.canvas.manager.toolmanager.active_toggle["default"] == "pan"
    # The tool manager's key maps: o switches to zoom, which switches pan off.
    second.send("key_press", key="ko")
    toggles = [second.receive_json("tool_toggled") for _ in range(2)]
    assert {(t["name"], t["toggled"]) for t in toggles} == {("pan", False), ("zoom", True)}
    # A viewer that comes later sees the toolbar as it is.
    third = connect(server, 1)
    assert tools_by_name(third.receive_json("tool_items"))["zoom"]["toggled"] is True


@pytest.mark.parametrize("mode", ["LA", "RGBA", "P", "L"])
def test_a_custom_tool_appears_with_its_icon_and_goes_when_removed(
    server, connect, toolmanager_figure, tmp_path, mode
):
    icon = Image.new("RGBA", (26, 26), (200, 30, 30, 255)).convert(mode)
    path = tmp_path / f"icon_{mode}.png"
    icon.save(path)
    pressed: list[bool] = []

    class Marker(ToolToggleBase):
        image = str(path)
        description = "Mark points"

        def enable(self, event=None) -> None:
            pressed.append(True)

        def disable(self, event=None) -> None:
            pressed.append(False)

    viewer = connect(server, 1)
    viewer.receive_frame()
    manager = toolmanager_figure.canvas.manager
    manager.toolmanager.add_tool("marker", Marker)
    manager.toolbar.add_tool("marker", "custom")
    items = viewer.receive_json("tool_items")
    assert tool_names(items)["custom"] == ["marker"]
    shown = decode_icon(tools_by_name(items)["marker"]["icon"])
    assert (shown.mode, shown.size) == ("RGBA", (26, 26))
    expected = np.asarray(Image.open(path).convert("RGBA"))
    np.testing.assert_array_equal(np.asarray(shown), expected)

    viewer.send("trigger_tool", name="marker")
    assert viewer.receive_json("tool_toggled")["toggled"] is True
    assert pressed == [True]

    manager.toolmanager.remove_tool("marker")
    assert "custom" not in tool_names(viewer.receive_json("tool_items"))


def test_an_icon_that_cannot_be_read_leaves_a_text_button_and_a_warning(
    toolmanager_figure, tmp_path, caplog
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")

    class Broken(ToolToggleBase):
        image = str(broken)
        description = "Broken icon"

    manager = toolmanager_figure.canvas.manager
    manager.toolmanager.add_tool("broken", Broken)
    with caplog.at_level(logging.WARNING, logger="webfig"):
        manager.toolbar.add_tool("broken", "custom")
    assert tools_by_name(manager.toolbar.items_message())["broken"]["icon"] is None
    assert any("could not be read" in record.getMessage() for record in caplog.records)


def test_a_tool_the_figure_does_not_have_is_refused_with_one_warning(
    server, connect, toolmanager_figure, caplog
):
    viewer = connect(server, 1)
    viewer.receive_frame()
    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for name in ("exec", "os.system", "x" * 100):
            viewer.send("trigger_tool", name=name)
        viewer.sync()
    refusals = [r for r in caplog.records if "refused trigger_tool" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert not [m for m in viewer.json_messages() if m["type"] == "tool_toggled"]


def test_only_the_tools_on_the_toolbar_may_be_triggered(
    server, connect, toolmanager_figure, caplog
):
    """The ToolManager has more tools than the toolbar shows (copy, fullscreen, quit_all...):
    those are refused, with one warning, until the script puts one on the toolbar; one it
    takes off the toolbar is refused again."""
    manager = toolmanager_figure.canvas.manager
    assert manager.toolmanager.get_tool("copy", warn=False) is not None
    viewer = connect(server, 1)
    viewer.receive_frame()

    def copy_ran() -> bool:
        """Whether the copy tool ran (it only logs that it copies nothing: webfig's browser
        client copies itself)."""
        return any("copy tool copies nothing" in r.getMessage() for r in caplog.records)

    with caplog.at_level(logging.DEBUG, logger="webfig"):
        for name in ("copy", "fullscreen", "copy"):
            viewer.send("trigger_tool", name=name)
        viewer.sync()
        assert not copy_ran()
        refusals = [r for r in caplog.records if "refused trigger_tool" in r.getMessage()]
        assert [r.levelno for r in refusals] == [logging.WARNING, logging.DEBUG, logging.DEBUG]

        manager.toolbar.add_tool("copy", "io")
        viewer.send("trigger_tool", name="copy")
        viewer.sync()
        assert copy_ran()

        manager.toolbar.remove_toolitem("copy")
        caplog.clear()
        viewer.send("trigger_tool", name="copy")
        viewer.sync()
        assert any("refused trigger_tool" in r.getMessage() for r in caplog.records)
        assert not copy_ran()


def test_the_copy_tool_says_nothing_is_unavailable(server, connect, toolmanager_figure):
    """ctrl+c reaches ToolManager's copy tool too, after the page copied the figure: it must
    not say that copying is not available."""
    viewer = connect(server, 1)
    viewer.receive_frame()
    toolmanager_figure.canvas.manager.toolmanager.trigger_tool("copy")
    viewer.send("key_press", key="ctrl+c")
    viewer.sync()
    messages = [m["message"] for m in viewer.json_messages() if m["type"] == "message"]
    assert not any("not available" in message for message in messages), messages


def test_trigger_tool_is_refused_for_a_figure_with_the_navigation_toolbar(
    server, connect, figure, caplog
):
    viewer = connect(server, 1)
    viewer.receive_frame()
    with caplog.at_level(logging.WARNING, logger="webfig"):
        viewer.send("trigger_tool", name="pan")
        viewer.sync()
    assert any("refused trigger_tool" in r.getMessage() for r in caplog.records)
    assert figure.canvas.manager.toolbar.mode.name == "NONE"


def test_webagg_clients_buttons_work_on_a_toolmanager_figure(server, connect, toolmanager_figure):
    """mpl.js knows only toolbar2's names: they reach the tools of the same name (download:
    save)."""
    viewer = connect(server, 1)
    viewer.receive_frame()
    viewer.send("toolbar_button", name="zoom")
    assert viewer.receive_json("tool_toggled") == {
        "type": "tool_toggled",
        "name": "zoom",
        "toggled": True,
    }
    viewer.send("toolbar_button", name="download")
    assert viewer.receive_json("save") == {"type": "save"}


def test_help_lists_the_tools_with_their_keys(server, connect, toolmanager_figure):
    viewer = connect(server, 1)
    viewer.receive_frame()
    viewer.send("trigger_tool", name="help")
    entries = {name: (keys, text) for name, keys, text in viewer.receive_json("tool_help")["tools"]}
    assert entries["pan"][0] == "p"
    assert "Ctrl+S" in entries["save"][0]
    assert entries["zoom"][1]


# The subplot tool -------------------------------------------------------------------------


def params_of(figure: Figure) -> dict[str, float]:
    pars = figure.subplotpars
    return {
        name: getattr(pars, name) for name in ("left", "right", "bottom", "top", "wspace", "hspace")
    }


@pytest.mark.parametrize("open_with", ["toolbar2", "toolmanager"])
def test_the_subplot_tool_opens_for_the_viewer_that_asked_and_moves_the_axes_for_all(
    server, connect, request, open_with
):
    figure = request.getfixturevalue("figure" if open_with == "toolbar2" else "toolmanager_figure")
    first, second = connect(server, 1), connect(server, 1)
    first.receive_frame()
    second.receive_frame()
    before = params_of(figure)
    if open_with == "toolbar2":
        first.send("toolbar_button", name="subplots")
    else:
        first.send("trigger_tool", name="subplots")
    opened = first.receive_json("subplot_params")
    assert opened == {"type": "subplot_params", "params": before, "open": True}

    wanted = {**before, "left": 0.3, "bottom": 0.25}
    mark = len(second.frames())
    first.send("subplots_adjust", **wanted)
    for viewer in (first, second):
        assert viewer.receive_json("subplot_params") == {
            "type": "subplot_params",
            "params": pytest.approx(wanted),
            "open": False,
        }
    second.receive_frame()
    assert len(second.frames()) > mark
    assert figure.axes[0].get_position().x0 == pytest.approx(0.3)
    # Only the viewer that asked opened the panel.
    assert [m["open"] for m in second.json_messages() if m["type"] == "subplot_params"] == [False]

    second.send("subplots_reset")
    assert first.receive_json("subplot_params")["params"] == pytest.approx(before)
    assert params_of(figure) == pytest.approx(before)


def test_subplot_parameters_that_matplotlib_would_refuse_are_refused(
    server, connect, figure, caplog
):
    viewer = connect(server, 1)
    viewer.receive_frame()
    before = params_of(figure)
    with caplog.at_level(logging.WARNING, logger="webfig"):
        viewer.send("subplots_adjust", **{**before, "left": 0.8, "right": 0.2})
        viewer.send("subplots_adjust", **{**before, "top": 1.5})
        viewer.sync()
    assert params_of(figure) == before
    problems = [r.getMessage() for r in caplog.records]
    assert any("'left' must be less than 'right'" in problem for problem in problems)


def test_a_figure_whose_layout_engine_places_the_subplots_says_so(server, connect):
    figure = plt.figure(layout="constrained")
    figure.add_subplot().plot([0, 1])
    viewer = connect(server, 1)
    viewer.receive_frame()
    viewer.send("toolbar_button", name="subplots")
    status = viewer.receive_json("message")
    assert "layout engine" in status["message"]
    assert not [m for m in viewer.json_messages() if m["type"] == "subplot_params"]


def test_the_protocol_documents_the_new_messages():
    text = (Path(__file__).parents[1] / "docs" / "protocol.md").read_text()
    for name in ("trigger_tool", "subplots_adjust", "subplots_reset", "tool_items"):
        assert f"`{name}`" in text, name
    for name in ("tool_toggled", "tool_help", "subplot_params"):
        assert f"`{name}`" in text, name
