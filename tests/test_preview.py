"""The ``preview`` extension: the axes' geometry, and which pointer message each frame shows."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest

from webfig.preview import AxesIds, axes_geometry

# Geometry -----------------------------------------------------------------------------------


def drawn_geometry(figure, ids: AxesIds | None = None):
    """The geometry of ``figure`` as a render takes it: right after the draw."""
    figure.canvas.render_agg()
    return axes_geometry(figure, ids or AxesIds())


@pytest.mark.parametrize(
    ("ratio", "size", "box"),
    [
        # The axes' bbox is (50, 33) to (360, 264) at ratio 1, from the bottom-left; the
        # spines are 0.8 pt wide, 1.11 device px at ratio 1: 0.56 px on each side comes off.
        (1, (400, 300), (51, 37, 308, 229)),
        (2, (800, 600), (102, 74, 616, 458)),
    ],
)
def test_a_plain_axes_box_is_its_bbox_inside_the_spines_from_the_top(ratio, size, box):
    figure, _ = plt.subplots(figsize=(4, 3), dpi=100)
    figure.canvas.set_pixel_ratio(ratio)
    assert figure.canvas.device_pixel_ratio == ratio
    assert figure.dpi == 100 * ratio  # the figure's dpi includes the ratio
    geometry = drawn_geometry(figure)
    assert geometry.size == size
    (axes,) = geometry.axes
    assert axes.box == box
    assert (axes.pan, axes.zoom, axes.sharex, axes.sharey) == (True, True, (), ())
    assert axes.face == "rgba(255, 255, 255, 1)"
    assert axes.equal is False
    # The box holds none of the spines, which are right around it.
    x, y, width, height = box
    dark = (figure.canvas.pixels()[..., :3] < 128).all(axis=-1)
    assert not dark[y : y + height, x : x + width].any()
    row, column = y + height // 2, x + width // 2
    assert dark[row, x - 3 : x].any()
    assert dark[row, x + width : x + width + 3].any()
    assert dark[y - 3 : y, column].any()
    assert dark[y + height : y + height + 3, column].any()


def test_subplots_that_share_an_axis_list_each_other():
    figure, (top, middle, bottom) = plt.subplots(3, sharex=True)
    middle.sharey(bottom)
    ids = AxesIds()
    first, second, third = drawn_geometry(figure, ids).axes
    assert [a.id for a in (first, second, third)] == [ids.of(ax) for ax in (top, middle, bottom)]
    assert first.sharex == (second.id, third.id)
    assert second.sharex == (first.id, third.id)
    assert (first.sharey, second.sharey, third.sharey) == ((), (third.id,), (second.id,))
    assert first.box[1] + first.box[3] < second.box[1]  # from the top down


def test_a_twin_shares_x_and_lies_over_its_axes():
    figure, ax = plt.subplots()
    twin = ax.twinx()
    ids = AxesIds()
    base, over = drawn_geometry(figure, ids).axes
    assert (base.id, over.id) == (ids.of(ax), ids.of(twin))
    assert (base.sharex, over.sharex) == ((over.id,), (base.id,))
    assert (base.sharey, over.sharey) == ((), ())
    assert base.box == over.box


def test_only_visible_rectilinear_axes_are_listed():
    figure = plt.figure()
    plain = figure.add_subplot(131)
    figure.add_subplot(132, projection="polar")
    hidden = figure.add_subplot(133)
    hidden.set_visible(False)
    ids = AxesIds()
    assert [a.id for a in drawn_geometry(figure, ids).axes] == [ids.of(plain)]


def test_axes_that_do_not_navigate_are_flagged():
    figure, (fixed, _, square) = plt.subplots(1, 3)
    fixed.set_navigate(False)
    square.set_aspect("equal")
    geometry = drawn_geometry(figure)
    assert [(a.pan, a.zoom, a.equal) for a in geometry.axes] == [
        (False, False, False),
        (True, True, False),
        (True, True, True),
    ]


def test_the_face_is_the_axes_background_over_the_figures():
    figure, (tinted, clear, bare) = plt.subplots(1, 3)
    figure.set_facecolor("#0000ff")
    tinted.set_facecolor((1, 0, 0, 0.5))
    clear.set_facecolor("none")
    bare.axis("off")  # no background drawn, and no spines to keep clear of
    geometry = drawn_geometry(figure)
    assert [a.face for a in geometry.axes] == [
        "rgba(128, 0, 128, 1)",
        "rgba(0, 0, 255, 1)",
        "rgba(0, 0, 255, 1)",
    ]
    left, bottom, right, top = bare.bbox.extents
    x, y = math.ceil(left), math.ceil(480 - top)  # rounded inwards, and nothing more
    assert geometry.axes[2].box == (x, y, math.floor(right) - x, math.floor(480 - bottom) - y)
    figure.set_facecolor((0, 0, 0, 0))
    clear.set_facecolor((0, 0.5, 0, 0.25))
    assert [a.face for a in drawn_geometry(figure).axes][1:] == [
        "rgba(0, 128, 0, 0.25)",
        "rgba(0, 0, 0, 0)",
    ]


def test_ids_are_kept_for_each_axes_and_never_reused():
    figure, ax = plt.subplots()
    ids = AxesIds()
    first = ids.of(ax)
    other = figure.add_subplot(222)
    assert ids.of(ax) == first
    assert drawn_geometry(figure, ids).axes[0].id == first
    second = ids.of(other)
    other.remove()
    assert second != first
    assert ids.of(figure.add_subplot(223)) not in {first, second}
