"""``python -m webfig demo``: a few figures that show what webfig does."""

from __future__ import annotations

import contextlib
from typing import Any

import matplotlib

matplotlib.use("webfig")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.backend_bases import MouseButton, MouseEvent


def lines() -> None:
    _, ax = plt.subplots(num="Lines", figsize=(6.4, 4.0), layout="constrained")
    x = np.linspace(0, 4 * np.pi, 2000)
    for phase in range(4):
        ax.plot(x, np.sin(x + phase * np.pi / 4), label=f"phase {phase}π/4")
    ax.set(xlabel="x", ylabel="sin(x + φ)", title="Pan with the left button, zoom with the right")
    ax.legend(loc="upper right")
    ax.grid(True)


def image() -> None:
    fig, ax = plt.subplots(num="Image", figsize=(5.0, 4.0), layout="constrained")
    y, x = np.mgrid[-2:2:400j, -3:3:600j]
    z = np.sin(x**2 + y) * np.cos(y * 2 - x)
    shown = ax.imshow(z, extent=(-3, 3, -2, 2), origin="lower", cmap="viridis")
    fig.colorbar(shown, ax=ax)
    ax.set_title("Zoom into the image with the rectangle tool")


def animation() -> FuncAnimation:
    fig, ax = plt.subplots(num="Animation", figsize=(5.0, 3.5))
    x = np.linspace(0, 2 * np.pi, 400)
    (line,) = ax.plot(x, np.sin(x))
    ax.set(ylim=(-1.2, 1.2), title="A travelling wave (FuncAnimation)")

    def step(frame: int) -> tuple[Any, ...]:
        line.set_ydata(np.sin(x + frame / 10))
        return (line,)

    return FuncAnimation(fig, step, interval=50, cache_frame_data=False)


def click_to_add_points() -> None:
    fig, ax = plt.subplots(num="Click to add points", figsize=(5.0, 4.0))
    ax.set(xlim=(0, 10), ylim=(0, 10), title="Click to add a point; 'c' clears")
    (points,) = ax.plot([], [], "o", color="tab:red")
    xs: list[float] = []
    ys: list[float] = []

    def on_click(event: MouseEvent) -> None:
        navigating = fig.canvas.toolbar is not None and fig.canvas.toolbar.mode.name != "NONE"
        if event.inaxes is not ax or event.button is not MouseButton.LEFT or navigating:
            return
        if event.xdata is not None and event.ydata is not None:
            xs.append(event.xdata)
            ys.append(event.ydata)
            points.set_data(xs, ys)
            fig.canvas.draw_idle()

    def on_key(event: Any) -> None:
        if event.key == "c":
            xs.clear()
            ys.clear()
            points.set_data(xs, ys)
            fig.canvas.draw_idle()

    fig.canvas.mpl_connect("button_press_event", on_click)
    fig.canvas.mpl_connect("key_press_event", on_key)
    # "c" is also matplotlib's "back" key; here it only clears.
    if "c" in plt.rcParams["keymap.back"]:
        plt.rcParams["keymap.back"].remove("c")


def main() -> None:
    lines()
    image()
    wave = animation()  # noqa: F841 - an animation stops when it is garbage collected
    click_to_add_points()
    # Ctrl+C ends the demo, quietly: the server has stopped by then.
    with contextlib.suppress(KeyboardInterrupt):
        plt.show()


if __name__ == "__main__":
    main()
