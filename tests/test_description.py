"""The figure's text alternative (webfig.figure.description): what it says of titles, axes and
artists."""

from __future__ import annotations

import datetime

import numpy as np
from matplotlib.figure import Figure

from webfig.figure.description import describe


def test_a_figure_with_titles_labels_and_artists_of_each_kind() -> None:
    figure = Figure()
    figure.suptitle("Signals")
    left, right = figure.subplots(1, 2)
    left.plot([0, 10], [0, 1], label="a")
    left.plot([0, 10], [1, 0], label="b")
    left.scatter(np.arange(100_000), np.zeros(100_000))
    left.legend()
    left.set(title="Sine", xlabel="time (s)", ylabel="amplitude", xlim=(0, 10), ylim=(-1, 1))
    right.imshow(np.zeros((4, 4)))
    right.bar([1, 2, 3], [1, 2, 3])
    right.fill_between([0, 1], [0, 1])
    right.text(0, 0, "note")
    right.set(xlim=(0, 4), ylim=(1, 100), yscale="log")
    right.set_title("Right", loc="right")
    assert describe(figure) == (
        'Titled "Signals". 2 plots. '
        'Plot 1, "Sine": x axis "time (s)" from 0 to 10; y axis "amplitude" from -1 to 1. '
        "It holds 2 lines, 1 scatter of 100,000 points and a legend. "
        'Plot 2, "Right": x axis from 0 to 4; y axis from 1 to 100, log scale. '
        "It holds 1 bar chart of 3 bars, 1 filled area, 1 image and 1 text label."
    )


def test_limits_say_an_inverted_axis_and_dates_in_the_axis_units() -> None:
    figure = Figure()
    ax = figure.subplots()
    ax.plot([datetime.date(2024, 1, 1), datetime.date(2024, 3, 1)], [0, 1])
    ax.set_xlim(datetime.date(2024, 1, 1), datetime.date(2024, 3, 1))
    ax.set_ylim(5, 0)
    assert describe(figure) == (
        "Plot: x axis from 2024-01-01 to 2024-03-01; y axis from 5 to 0. It holds 1 line."
    )


def test_hidden_axes_hidden_artists_an_empty_plot_and_no_plots() -> None:
    figure = Figure()
    shown, hidden_axis, gone = figure.subplots(1, 3)
    (line,) = shown.plot([0, 1])
    line.set_visible(False)
    shown.set(xlim=(0, 1), ylim=(0, 1))
    hidden_axis.axis("off")
    hidden_axis.imshow(np.zeros((2, 2)))
    gone.set_visible(False)
    assert describe(figure) == (
        "2 plots. Plot 1: x axis from 0 to 1; y axis from 0 to 1. It is empty. "
        "Plot 2, axes hidden. It holds 1 image."
    )
    assert describe(Figure()) == "No plots."


def test_a_colour_bar_says_its_label_and_range_and_is_no_plot() -> None:
    figure = Figure()
    ax = figure.subplots()
    mesh = ax.pcolormesh(np.array([[0.0, 1.0], [2.0, 4.0]]))
    ax.set(xlim=(0, 2), ylim=(0, 2))
    figure.colorbar(mesh, label="depth (m)")
    figure.legend(handles=ax.plot([], label="nothing"))
    assert describe(figure) == (
        "Plot: x axis from 0 to 2; y axis from 0 to 2. It holds 1 line and 1 colour mesh. "
        'Colour bar "depth (m)" from 0 to 4. The figure also holds 1 figure legend.'
    )


def test_other_projections_name_themselves_and_a_3d_plot_has_its_z_axis() -> None:
    figure = Figure()
    polar = figure.add_subplot(1, 2, 1, projection="polar")
    polar.plot([0, 1], [0, 1])
    space = figure.add_subplot(1, 2, 2, projection="3d")
    space.set(xlim=(0, 1), ylim=(0, 1), zlim=(0, 2), zlabel="height")
    text = describe(figure)
    assert text.startswith("2 plots. Polar plot 1: x axis from 0 to 6.283;"), text
    assert 'z axis "height" from 0 to 2. It is empty.' in text
