"""A batch job whose figures go to a hub: live while it runs, kept after it ends.

Start a hub where both this job and your browser can reach it (a login node, a lab server)::

    python -m webfig serve --address 0.0.0.0

It prints the address to open and its publish token. Then run the job anywhere that can
connect to the hub (a compute node, a container, CI), with nothing to open on its side::

    WEBFIG_HUB=http://hub-host:8988 WEBFIG_HUB_TOKEN=<publish token> python examples/batch_job.py

Open the hub's page while it runs: the loss curve grows epoch by epoch, and you can pan, zoom
and download it. When the job ends (or fails, or is stopped with SIGTERM or Ctrl+C) its
figures stay on the hub, kept, with downloads in every format. ``--epochs`` and ``--pause``
set how long it runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import matplotlib

matplotlib.use("webfig")  # or run with MPLBACKEND=webfig

import matplotlib.pyplot as plt
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description="A batch job that publishes its figures.")
    parser.add_argument("--epochs", type=int, default=30, help="epochs to run (default 30)")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds an epoch takes (default 0.5)"
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not os.environ.get("WEBFIG_HUB"):
        logging.warning("WEBFIG_HUB is not set: the figures go nowhere (see this file's help)")

    rng = np.random.default_rng(0)
    loss_figure, loss_axes = plt.subplots(num="loss curve", layout="constrained")
    loss_axes.set(xlabel="epoch", ylabel="loss", yscale="log", xlim=(0, arguments.epochs))
    (training,) = loss_axes.plot([], [], label="training")
    (validation,) = loss_axes.plot([], [], label="validation")
    loss_axes.legend()
    weights_figure, weights_axes = plt.subplots(num="weights", layout="constrained")

    epochs: list[int] = []
    losses: list[tuple[float, float]] = []
    weights = rng.normal(size=(32, 32))
    for epoch in range(1, arguments.epochs + 1):
        time.sleep(arguments.pause)  # the job's real work
        decay = np.exp(-epoch / 8)
        losses.append((decay + 0.02 * rng.random(), 1.1 * decay + 0.05 + 0.03 * rng.random()))
        epochs.append(epoch)
        training.set_data(epochs, [loss for loss, _ in losses])
        validation.set_data(epochs, [loss for _, loss in losses])
        loss_axes.relim()
        loss_axes.autoscale_view(scalex=False)
        loss_figure.canvas.draw_idle()  # viewers of the hub get the new epoch
        weights = 0.9 * weights + 0.1 * rng.normal(size=weights.shape)
        weights_axes.clear()
        weights_axes.imshow(weights, cmap="RdBu", vmin=-2, vmax=2)
        weights_axes.set_title(f"weights after epoch {epoch}")
        weights_figure.canvas.draw_idle()
        logging.info("epoch %d: loss %.3f", epoch, losses[-1][0])
    # No plt.show(): the job ends here, and the hub keeps its figures.


if __name__ == "__main__":
    main()
