"""The backend as matplotlib users meet it: selecting it, plt.show, timers, the demo."""

from __future__ import annotations

import importlib.metadata
import re
import signal
import threading
import urllib.request
from pathlib import Path
from textwrap import dedent

import matplotlib.pyplot as plt
import pytest
from matplotlib.animation import FuncAnimation
from matplotlib.backend_bases import FigureCanvasBase

from webfig.backend import FigureCanvasWebfig
from webfig.figure.timers import TimerWebfig
from webfig.runtime.event_loop import server_thread

from .processes import ONLY_A_BUSY_PORT, Script, run_python
from .test_manager import join
from .waiting import TIMEOUT

SHOW_BACKEND = (
    "import matplotlib.pyplot as plt; plt.figure(); "
    "print(plt.get_backend(), type(plt.gcf().canvas).__name__)"
)


def test_the_entry_point_is_registered():
    entry_points = importlib.metadata.entry_points(group="matplotlib.backend")
    assert {(e.name, e.value) for e in entry_points} >= {("webfig", "webfig.backend")}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"code": "import matplotlib; matplotlib.use('webfig'); "}, "webfig"),
        ({"MPLBACKEND": "webfig"}, "webfig"),
        ({"MPLBACKEND": "module://webfig.backend"}, "module://webfig.backend"),
    ],
)
def test_every_way_of_choosing_the_backend(selection, expected):
    code = selection.pop("code", "") + SHOW_BACKEND
    result = run_python(code, **selection)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, "FigureCanvasWebfig"]


def test_show_without_blocking_returns_and_keeps_serving():
    result = run_python(
        dedent(
            """
            import urllib.request
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            from webfig.backend import default_server
            plt.plot([1, 2, 3])
            plt.show(block=False)
            print("returned")
            with urllib.request.urlopen(default_server().url + "1", timeout=10) as page:
                print(page.status, b"webfig-figure" in page.read())
            """
        )
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"webfig: serving figures at http://127\.0\.0\.1:\d+/", lines[0])
    assert lines[1:] == ["returned", "200 True"]


def interrupted(script: Path, last: str) -> list[str]:
    """Run ``script`` until it serves figure 1, press Ctrl+C, and return what it printed
    after the server's first line, up to the line ``last``; it must end with 0 and no
    traceback."""
    process = Script(str(script))
    try:
        with urllib.request.urlopen(process.url() + "1", timeout=10) as page:
            assert page.status == 200
        process.process.send_signal(signal.SIGINT)
        assert process.process.wait(TIMEOUT) == 0, process.stderr
        assert "Traceback" not in process.stderr
        process.wait_for_line(re.compile(re.escape(last)))
        return process.lines[1:]
    finally:
        process.stop()


def test_ctrl_c_in_a_blocking_show_stops_the_server_and_reaches_the_caller(tmp_path):
    script = tmp_path / "plot.py"
    script.write_text(
        dedent(
            """
            import socket
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            from webfig.backend import default_server
            plt.plot([1, 2, 3])
            port = default_server().port
            try:
                plt.show()
            except KeyboardInterrupt:
                print("interrupted", flush=True)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                print("still listening")
            except ConnectionRefusedError:
                print("stopped", flush=True)
            """
        )
    )
    assert interrupted(script, "stopped") == ["interrupted", "stopped"]


def test_ctrl_c_in_pause_stops_the_server_and_reaches_the_caller():
    """The script presses Ctrl+C on itself a second into a long pause, so the press surely
    lands in it (from outside, it might land between two pauses: the script's own code,
    where no backend can stop anything)."""
    result = run_python(
        dedent(
            """
            import os, signal, threading
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            from webfig.backend import default_server
            plt.ion()
            line, = plt.plot([1, 2, 3])
            threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
            try:
                step = 0
                while True:
                    step += 1
                    line.set_ydata([step % 3, 2, 3])
                    plt.pause(20)
            except KeyboardInterrupt:
                print("interrupted", default_server().running, flush=True)
            """
        )
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[1:] == ["interrupted False"]


def test_a_blocking_show_returns_once_the_last_figure_is_closed():
    result = run_python(
        dedent(
            """
            import threading
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            closed = []
            for number in (1, 2):
                figure = plt.figure(number)
                figure.canvas.mpl_connect("close_event", lambda event: closed.append(event.name))
            # The script's own thread closes one figure, a timer (on the figure's thread) the
            # other, as a callback would.
            threading.Timer(0.5, plt.close, args=(1,)).start()
            timer = plt.figure(2).canvas.new_timer(interval=1000)
            timer.single_shot = True
            timer.add_callback(plt.close, 2)
            timer.start()
            plt.show()
            print("show returned", closed, flush=True)
            plt.show()  # no figures: returns at once
            print("again", flush=True)
            """
        )
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "show returned ['close_event', 'close_event']",
        "again",
    ]


def test_ctrl_c_while_the_server_draws_exits_cleanly(tmp_path, connect):
    """The server thread may be inside matplotlib's drawing when Python shuts down; the
    process must still end with 0, not abort (it did about one time in two)."""
    script = tmp_path / "busy.py"
    script.write_text(
        dedent(
            """
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            import numpy as np
            fig, ax = plt.subplots()
            for i in range(60):
                ax.text(np.random.rand(), np.random.rand(), f"label {i}")
            def redraw():
                for text in ax.texts:
                    text.set_rotation(np.random.rand() * 360)
                fig.canvas.draw_idle()
            timer = fig.canvas.new_timer(interval=1)
            timer.add_callback(redraw)
            timer.start()
            try:
                plt.show()
            except KeyboardInterrupt:
                pass
            """
        )
    )
    for _ in range(4):
        process = Script(str(script))
        try:
            viewer = connect(process.url(), 1)
            viewer.receive_frame()
            viewer.receive_frame()  # drawing without pause now
            process.process.send_signal(signal.SIGINT)
            assert process.process.wait(TIMEOUT) == 0, process.stderr[-2000:]
        finally:
            process.stop()


@pytest.fixture
def canvas() -> FigureCanvasWebfig:
    return plt.figure().canvas


def test_timers_fire_on_the_figures_worker_holding_its_lock(canvas):
    ticks: list[tuple[str, bool]] = []
    three = threading.Event()

    def tick() -> None:
        # _is_owned: whether this thread holds the lock (what Condition asks an RLock).
        ticks.append((threading.current_thread().name, canvas.lock._is_owned()))
        if len(ticks) == 3:
            three.set()

    timer = canvas.new_timer(interval=5, callbacks=[(tick, (), {})])
    assert isinstance(timer, TimerWebfig)
    timer.start()
    assert three.wait(TIMEOUT)
    timer.stop()
    count = len(ticks)
    canvas.figure_thread.run_sync(lambda: None)
    stopped_at = len(ticks)
    assert stopped_at in (count, count + 1)  # a tick already running may finish
    assert set(ticks) == {(canvas.figure_thread.name, True)}
    assert canvas.figure_thread.name != server_thread().name
    # After a stop, nothing more fires, even after several intervals.
    fired_late = threading.Event()
    late = canvas.new_timer(interval=30, callbacks=[(fired_late.set, (), {})])
    late.start()
    assert fired_late.wait(TIMEOUT)
    assert len(ticks) == stopped_at


def test_a_single_shot_timer_fires_once(canvas):
    fired: list[int] = []
    timer = canvas.new_timer(interval=1, callbacks=[(lambda: fired.append(1), (), {})])
    timer.single_shot = True
    timer.start()
    done = threading.Event()
    after = canvas.new_timer(interval=50, callbacks=[(done.set, (), {})])
    after.single_shot = True
    after.start()
    assert done.wait(TIMEOUT)
    assert fired == [1]


def test_func_animation_sends_frames_to_viewers():
    fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 0])

    def step(frame: int) -> tuple[object, ...]:
        line.set_ydata([0, (frame % 10) / 10])
        return (line,)

    animation = FuncAnimation(fig, step, interval=10, cache_frame_data=False)
    viewer = join(fig.canvas.manager)
    viewer.wait_for(lambda _: len(viewer.frames()) >= 4)
    animation.pause()
    assert all(viewer.image_mode_of(f) == "diff" for f in viewer.frames()[1:4])


def test_settings_configured_after_a_failed_start_are_used_by_the_next():
    result = run_python(
        ONLY_A_BUSY_PORT
        + dedent(
            """
            import matplotlib; matplotlib.use("webfig")
            import matplotlib.pyplot as plt
            from webfig.backend import default_server
            plt.plot([1, 2, 3])
            try:
                plt.show(block=False)
            except OSError as error:
                print("failed", f"port {busy} is busy" in str(error), flush=True)
            webfig.configure(port=0)
            plt.show(block=False)
            print("serving", default_server().port not in (None, busy), flush=True)
            """
        )
    )
    assert result.returncode == 0, result.stderr
    failed, url, serving = result.stdout.splitlines()
    assert (failed, serving) == ("failed True", "serving True")
    assert url.startswith("webfig: serving figures at http://127.0.0.1:")


def test_the_demo_serves_live_figures():
    demo = Script("-m", "webfig", "demo")
    try:
        url = demo.url()
        with urllib.request.urlopen(url, timeout=10) as page:
            body = page.read()
        assert body.count(b'class="webfig-figure"') == 4
        for label in [b"Lines", b"Image", b"Animation", b"Click to add points"]:
            assert label in body
        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(TIMEOUT) == 0
        assert "Traceback" not in demo.stderr
        # Nobody watched, yet plt.show() drew every figure, so the animation started.
        assert "Animation was deleted" not in demo.stderr
    finally:
        demo.stop()


def test_closing_fires_close_event_once_and_gives_the_figure_the_base_canvas_back():
    figure = plt.figure()
    manager = figure.canvas.manager
    closed: list[str] = []
    figure.canvas.mpl_connect("close_event", lambda event: closed.append(event.name))
    plt.close(figure)
    assert manager is not None
    manager.destroy()  # again: nothing more happens
    assert closed == ["close_event"]
    assert type(figure.canvas) is FigureCanvasBase
