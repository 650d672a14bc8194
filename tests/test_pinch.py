"""A viewer's two-finger pinch as the figure takes it: one view change of the axes under the
fingers (and those sharing or twinned with it) that the toolbar's ``back`` undoes in one step,
on linear and log scales; and what the preview geometry says of the wheel and the pinch."""

from __future__ import annotations

import warnings
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from webfig.figure.preview_geometry import AxesIds, axes_geometry
from webfig.wire.incoming import Pinch

from .test_manager import join, send


def pinch(x: float, y: float, scale: float, dx: float = 0, dy: float = 0) -> Pinch:
    return Pinch("pinch", x, y, 0, 0, 0.0, frozenset(), None, scale=scale, dx=dx, dy=dy)


def centre_of(ax: Any) -> tuple[float, float]:
    """The middle of ``ax``'s box, in device pixels from the canvas' top-left corner."""
    x0, y0, x1, y1 = ax.bbox.extents
    return (x0 + x1) / 2, ax.figure.bbox.height - (y0 + y1) / 2


def dispatch(figure: Figure, message: Pinch) -> None:
    with figure.canvas.lock:
        figure.canvas.dispatch_mouse(message)


def test_a_pinch_zooms_about_the_fingers_and_moves_with_them(figure: Figure) -> None:
    ax = figure.axes[0]
    x, y = centre_of(ax)
    # Twice as large about the middle (x 1, y 0.5), then 40 px right and 30 px down.
    dispatch(figure, pinch(x, y, 2, dx=40, dy=30))
    width, height = ax.bbox.width, ax.bbox.height
    span_x, span_y = 2 / 2, 1 / 2
    shift_x, shift_y = 40 / width * span_x, 30 / height * span_y
    assert ax.get_xlim() == pytest.approx((0.5 - shift_x, 1.5 - shift_x))
    assert ax.get_ylim() == pytest.approx((0.25 + shift_y, 0.75 + shift_y))


def test_back_undoes_a_pinch_in_one_step(figure: Figure) -> None:
    manager = figure.canvas.manager
    viewer = join(manager)
    ax = figure.axes[0]
    before = ax.get_xlim(), ax.get_ylim()
    send(manager, viewer, "pinch", x=centre_of(ax)[0], y=centre_of(ax)[1], scale=3, dx=5, dy=-7)
    assert ax.get_xlim() != before[0]
    assert viewer.of_type("history_buttons")[-1] == {
        "type": "history_buttons",
        "Back": True,
        "Forward": False,
    }
    pinched = ax.get_xlim(), ax.get_ylim()
    send(manager, viewer, "toolbar_button", name="back")
    assert (ax.get_xlim(), ax.get_ylim()) == before
    send(manager, viewer, "toolbar_button", name="forward")
    assert (ax.get_xlim(), ax.get_ylim()) == pinched


def test_back_after_a_wheel_zoom_and_a_pinch_goes_to_the_wheels_view(figure: Figure) -> None:
    """matplotlib's wheel zoom keeps the view before it, not its own: the pinch keeps that
    view first, so that back from the pinch goes to it."""
    manager = figure.canvas.manager
    viewer = join(manager)
    ax = figure.axes[0]
    x, y = centre_of(ax)
    send(manager, viewer, "scroll", x=x, y=y, step=1, modifiers=["ctrl"])
    zoomed = ax.get_xlim(), ax.get_ylim()
    send(manager, viewer, "pinch", x=x, y=y, scale=0.5, dx=0, dy=0)
    send(manager, viewer, "toolbar_button", name="back")
    assert (ax.get_xlim(), ax.get_ylim()) == zoomed


def test_a_pinch_on_log_axes_scales_the_decades() -> None:
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set(xscale="log", yscale="log", xlim=(1, 1000), ylim=(10, 1000))
    x, y = centre_of(ax)
    dispatch(figure, pinch(x, y, 3))
    # The middle of a log axis is its geometric mean; three times as large about it, a third
    # of the decades either side.
    low, high = ax.get_xlim()
    assert (low, high) == pytest.approx((10 ** (1.5 - 0.5), 10 ** (1.5 + 0.5)))
    assert ax.get_ylim() == pytest.approx((10 ** (2 - 1 / 3), 10 ** (2 + 1 / 3)))


def test_shared_and_twinned_axes_follow_the_pinched_one() -> None:
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(4, 6), dpi=100)
    for ax in (top, bottom):
        ax.set(xlim=(0, 4), ylim=(0, 4))
    twin = top.twinx()
    twin.set_ylim(0, 40)
    x, y = centre_of(top)
    dispatch(figure, pinch(x, y, 2))
    assert top.get_xlim() == pytest.approx((1, 3))
    assert bottom.get_xlim() == pytest.approx((1, 3))
    assert bottom.get_ylim() == (0, 4)
    # The twin lies over the axes: the topmost, it is zoomed, and so is the one below it.
    assert twin.get_ylim() == pytest.approx((10, 30))
    assert top.get_ylim() == pytest.approx((1, 3))


def test_a_pinch_changes_nothing_where_no_axes_zooms(figure: Figure) -> None:
    ax = figure.axes[0]
    before = ax.get_xlim(), ax.get_ylim()
    dispatch(figure, pinch(2, 2, 2))  # the figure's margin
    ax.set_navigate(False)
    dispatch(figure, pinch(*centre_of(ax), 2))
    assert (ax.get_xlim(), ax.get_ylim()) == before


def test_a_pinch_with_the_toolmanager_is_one_step_of_its_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with warnings.catch_warnings():
        # matplotlib calls its tools experimental whenever the setting is made.
        warnings.filterwarnings("ignore", "Treat the new Tool classes", UserWarning)
        monkeypatch.setitem(mpl.rcParams, "toolbar", "toolmanager")
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set(xlim=(0, 2), ylim=(0, 1))
    manager = figure.canvas.manager
    viewer = join(manager)
    x, y = centre_of(ax)
    send(manager, viewer, "pinch", x=x, y=y, scale=2, dx=0, dy=0)
    assert ax.get_xlim() == pytest.approx((0.5, 1.5))
    send(manager, viewer, "trigger_tool", name="back")
    assert ax.get_xlim() == (0, 2)


def test_the_geometry_says_where_the_wheel_and_a_pinch_act() -> None:
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    polar = figure.add_axes((0.1, 0.1, 0.2, 0.2), projection="polar")
    front = figure.add_axes((0.5, 0.5, 0.3, 0.3), zorder=5)
    twin = ax.twinx()
    geometry = axes_geometry(figure, AxesIds())
    assert [listed.id for listed in geometry.axes] == [0, 1, 2]  # ax, front, twin
    assert geometry.wheel_zoom
    assert geometry.pinch_zoom
    # Topmost first: the front one, then by zorder 0 the later first (the polar one is
    # not listed: its box only).
    assert [hit.id for hit in geometry.stack] == [1, 2, None, 0]
    x0, y0, x1, y1 = polar.bbox.extents
    assert geometry.stack[2].bounds == pytest.approx((x0, 300 - y1, x1 - x0, y1 - y0))
    assert [listed.twins for listed in geometry.axes] == [(2,), (), (0,)]
    assert front.get_zorder() == 5
    assert twin in figure.axes

    figure.canvas.mpl_disconnect(figure.canvas.manager.scroll_handler_id)
    assert not axes_geometry(figure, AxesIds()).wheel_zoom


def test_without_a_toolbar_neither_the_wheel_nor_a_pinch_zooms() -> None:
    with mpl.rc_context({"toolbar": "None"}):
        figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    geometry = axes_geometry(figure, AxesIds())
    assert not geometry.wheel_zoom
    assert not geometry.pinch_zoom
    before = ax.get_xlim()
    dispatch(figure, pinch(*centre_of(ax), 2))
    assert ax.get_xlim() == before
