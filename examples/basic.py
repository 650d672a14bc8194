"""The basics: one figure, shown in the browser with ``plt.show()``.

Run it with ``python examples/basic.py``. webfig prints the URL it serves on and opens a
browser tab there; pan and zoom with the toolbar, then press Ctrl+C in the terminal to stop.
(``WEBFIG_OPEN_BROWSER=0`` opens no tab; ``WEBFIG_PORT=0`` takes any free port.)
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("webfig")  # or run with MPLBACKEND=webfig

import matplotlib.pyplot as plt
import numpy as np


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # not a line per request
    x = np.linspace(0, 2 * np.pi, 200)
    _, ax = plt.subplots(num="Basic", layout="constrained")
    ax.plot(x, np.sin(x), label="sin(x)")
    ax.plot(x, np.cos(x), label="cos(x)")
    ax.set(xlabel="x", title="Pan with the left button, zoom with the right")
    ax.legend()
    plt.show()  # serves the figure until it is closed (or Ctrl+C)


if __name__ == "__main__":
    main()
