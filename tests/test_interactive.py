"""pyplot's interactive mode (``plt.ion()``): figures shown as they are made, drawn when they
change and only then."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from webfig.backend import default_server

from .processes import ONLY_A_BUSY_PORT, run_python
from .test_manager import acknowledging_viewer, join, on_loop, send, settle
from .waiting import TIMEOUT


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Interactive mode, whose figures start the default server (on a free port), stopped
    at teardown."""
    monkeypatch.setenv("WEBFIG_PORT", "0")
    plt.ion()
    yield
    # Not plt.ioff(): it would also take pyplot's REPL hook away, and with it the redraws
    # of figures made later in interactive mode.
    matplotlib.interactive(False)
    plt.close("all")
    default_server().stop()


def count_draws(figure: Figure) -> list[int]:
    """A list that grows by one at each full draw of ``figure``."""
    draws: list[int] = []
    figure.canvas.mpl_connect("draw_event", lambda _: draws.append(1))
    return draws


def test_an_unchanged_interactive_figure_is_drawn_once_for_its_viewer(interactive):
    """Artists mark themselves stale while they draw, and pyplot answers each with a
    draw_idle: that must not ask for the same picture again (it did, 40 times a second)."""
    figure = plt.figure()
    plt.plot([1, 3, 2])
    draws = count_draws(figure)
    manager = figure.canvas.manager
    viewer = join(manager)
    for _ in range(3):  # the acknowledgement, and any render it let start, are through
        settle(manager)
    assert len(draws) == 1
    assert len(viewer.frames()) == 1


def test_a_change_the_script_makes_while_the_figure_draws_is_drawn_next(interactive):
    """Only the draw's own requests are dropped: the script's thread, changing the figure
    while the figure's thread draws it, still gets the change drawn."""
    figure = plt.figure()
    (line,) = plt.plot([0, 1], [0, 0], lw=5)
    plt.ylim(-1, 2)
    inside, release = threading.Event(), threading.Event()

    class Gate(Artist):
        """Holds the figure's first draw, after the axes drew, until released."""

        def draw(self, renderer: object) -> None:
            if not release.is_set():
                inside.set()
                release.wait(TIMEOUT)

    figure.add_artist(Gate()).set_zorder(10)
    draws = count_draws(figure)
    manager = figure.canvas.manager
    viewer = acknowledging_viewer(manager)
    on_loop(lambda: manager.add_viewer(viewer))
    send_refresh = threading.Thread(target=send, args=(manager, viewer, "refresh"))
    send_refresh.start()
    assert inside.wait(TIMEOUT)
    line.set_ydata([1, 1])  # pyplot's stale callback asks for a draw, from this thread
    release.set()
    send_refresh.join(TIMEOUT)
    viewer.wait_for(lambda _: len(viewer.frames()) >= 2)
    settle(manager)
    assert len(draws) == 2
    first, last = viewer.frames()
    assert first != last
    np.testing.assert_array_equal(viewer.picture(), figure.canvas.pixels())


def test_a_figure_made_in_interactive_mode_is_served_at_once(tmp_path: Path):
    """As a desktop backend opens a window: the server starts, prints its URL and opens one
    browser tab when the first figure is made, before any show() or pause()."""
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys\nwith open({str(opened)!r}, 'a') as f:\n"
        "    f.write(sys.argv[1] + '\\n')\n"
    )
    browser.chmod(0o755)
    result = run_python(
        dedent(
            f"""
            import pathlib, time, urllib.request
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            from webfig.backend import default_server
            plt.ion()
            print("before", default_server().running, flush=True)
            plt.plot([1, 2, 3])
            plt.figure()
            with urllib.request.urlopen(default_server().url + "1", timeout=10) as page:
                print(page.status, b"webfig-figure" in page.read(), flush=True)
            opened = pathlib.Path({str(opened)!r})
            deadline = time.monotonic() + {TIMEOUT}
            while not opened.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            print(default_server().url, flush=True)
            """
        ),
        WEBFIG_OPEN_BROWSER="1",
        BROWSER=str(browser),
    )
    assert result.returncode == 0, result.stderr
    before, url_line, page, url = result.stdout.splitlines()
    assert before == "before False"
    assert url_line == f"webfig: serving figures at {url}"
    assert page == "200 True"
    assert opened.read_text().splitlines() == [url]  # one tab, for both figures


def test_interactive_mode_warns_when_the_server_cannot_start_and_show_raises():
    """A busy port is a warning as the figure is made (the figure is made all the same), and
    the error itself from plt.show()."""
    result = run_python(
        ONLY_A_BUSY_PORT
        + dedent(
            """
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            plt.ion()
            plt.plot([1, 2, 3])
            print("figures", len(plt.get_fignums()), flush=True)
            try:
                plt.show()
            except OSError as error:
                print(f"port {busy} is busy" in str(error), flush=True)
                print(error, flush=True)
            """
        )
    )
    assert result.returncode == 0, result.stderr
    made, names_the_port, error = result.stdout.splitlines()
    assert (made, names_the_port) == ("figures 1", "True")
    assert result.stderr.splitlines() == [error]
