"""Several figures of different kinds, all served by one ``plt.show()``.

Run it with ``python examples/several_figures.py`` and open the printed URL: ``/`` shows
every figure, ``/<num>`` (``/1``, ``/2``...) one of them. Ctrl+C stops the server.
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("webfig")

import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(seed=1)


def lines() -> None:
    _, ax = plt.subplots(num="Lines", layout="constrained")
    x = np.linspace(0, 10, 500)
    for damping in (0.1, 0.3, 0.6):
        ax.plot(x, np.exp(-damping * x) * np.cos(2 * x), label=f"damping {damping}")
    ax.set(xlabel="t", ylabel="amplitude", title="Damped oscillations")
    ax.legend()
    ax.grid(True)


def scatter_and_histogram() -> None:
    fig, (left, right) = plt.subplots(1, 2, num="Scatter and histogram", layout="constrained")
    x = rng.normal(size=500)
    y = 0.6 * x + rng.normal(scale=0.5, size=500)
    left.scatter(x, y, c=np.hypot(x, y), s=12, cmap="plasma")
    left.set(xlabel="x", ylabel="y", title="Scatter")
    right.hist(y, bins=30, color="tab:green")
    right.set(xlabel="y", title="Histogram")
    fig.suptitle("Two axes in one figure")


def bars() -> None:
    _, ax = plt.subplots(num="Bars", layout="constrained")
    fruits = ["apples", "pears", "plums", "figs"]
    ax.bar(fruits, [12, 7, 9, 4], color=["tab:red", "tab:olive", "tab:purple", "tab:brown"])
    ax.set(ylabel="boxes", title="Bar chart")


def image() -> None:
    fig, ax = plt.subplots(num="Image", layout="constrained")
    y, x = np.mgrid[-2:2:300j, -3:3:450j]
    shown = ax.imshow(np.sin(x**2 + y) * np.cos(2 * y - x), extent=(-3, 3, -2, 2), cmap="viridis")
    fig.colorbar(shown, ax=ax)
    ax.set_title("Image with a colorbar")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # not a line per request
    lines()
    scatter_and_histogram()
    bars()
    image()
    plt.show()  # one call serves every open figure


if __name__ == "__main__":
    main()
