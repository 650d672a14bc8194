"""Published figures' pickles: what people plot loads and looks the same; a pickle that
names anything else is refused before it runs, and nothing but ``RefusedPickle`` comes out.

The corpus below is also the allowlist's evidence: ``python -m tests.test_safe_pickle``
prints every global its pickles name, and which figures name it. Each refusal that a
payload would otherwise carry out is checked against plain ``pickle.loads`` first, so the
test shows the payload is live.
"""

from __future__ import annotations

import copyreg
import datetime
import functools
import io
import logging
import os
import pickle
import pickletools
import shlex
import struct
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib import collections as mcoll
from matplotlib import colors, offsetbox, patches, patheffects, ticker
from matplotlib._enums import CapStyle
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.image import BboxImage, NonUniformImage
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from mpl_toolkits.mplot3d import art3d

from webfig.hub.safe_pickle import (
    ALLOWED_GLOBALS,
    ALLOWED_METHODS,
    BrokenPickle,
    ForbiddenName,
    RefusedPickle,
    load_figure,
    named_globals,
)

# --- The corpus: what people plot, one figure per kind ----------------------------------


def lines() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    x = np.linspace(0, 10, 50)
    ax.plot(x, np.sin(x), "o-", label="sin", markevery=5)
    stroke = patheffects.withStroke(linewidth=3, foreground="w")
    ax.plot(x, np.cos(x), ls="--", marker="s", color="C3", label="cos", path_effects=[stroke])
    ax.set_title(r"$\alpha^2 + \sqrt{\beta}$")
    ax.set_xlabel(r"$\int_0^t f(s)\,ds$")
    ax.legend()
    ax.grid(True)
    return fig


def markers() -> Figure:
    fig = Figure(figsize=(5, 4), dpi=72)
    ax = fig.subplots()
    names = [m for m in MarkerStyle.markers if m not in (None, "none", "None", " ", "")]
    for i, marker in enumerate(names):
        ax.plot([i], [0], marker=marker, fillstyle=["full", "left", "none", "top"][i % 4])
    ax.plot([1], [1], marker=[(0, 0), (1, 0), (0.5, 1)])
    ax.plot([2], [1], marker=(5, 1, 0))
    ax.plot([3], [1], marker=MplPath.unit_regular_star(6))
    return fig


def scatter() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    rng = np.random.default_rng(0)
    points = ax.scatter(
        rng.random(40), rng.random(40), c=rng.random(40), s=rng.random(40) * 100, marker="^"
    )
    fig.colorbar(points, ax=ax)
    return fig


def image_lognorm() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    data = np.outer(np.arange(1, 21), np.arange(1, 21)).astype(float)
    image = ax.imshow(data, norm=colors.LogNorm(), cmap="magma", interpolation="nearest")
    fig.colorbar(image)
    return fig


def image_rgba() -> Figure:
    fig = Figure(figsize=(3, 3), dpi=72)
    ax = fig.subplots()
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = np.arange(64).reshape(8, 8) * 4
    ax.imshow(rgba)
    ax.imshow(np.random.default_rng(1).random((4, 4, 3)), extent=(0, 2, 0, 2), alpha=0.5)
    return fig


def contours() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    left, right = fig.subplots(1, 2)
    x, y = np.meshgrid(np.linspace(-2, 2, 30), np.linspace(-2, 2, 30))
    z = np.exp(-(x**2) - y**2)
    left.clabel(left.contour(x, y, z, levels=5), inline=True, fontsize=8)
    filled = right.contourf(x, y, z, levels=8, cmap="coolwarm", norm=colors.TwoSlopeNorm(0.5))
    fig.colorbar(filled, ax=right)
    return fig


def bars() -> Figure:
    fig = Figure(figsize=(5, 4), dpi=72)
    axs = fig.subplots(2, 2)
    axs[0, 0].bar(["a", "b", "c"], [3, 1, 2], yerr=[0.2, 0.1, 0.3], hatch="//")
    axs[0, 1].hist(np.random.default_rng(2).normal(size=200), bins=15, histtype="stepfilled")
    axs[1, 0].errorbar([1, 2, 3], [2, 3, 1], xerr=0.1, yerr=[0.2, 0.3, 0.1], fmt="o", capsize=3)
    x = np.linspace(0, 1, 20)
    axs[1, 1].fill_between(x, x**2, x, alpha=0.3)
    axs[1, 1].stackplot(x, x, x**2)
    return fig


def pie() -> Figure:
    fig = Figure(figsize=(3, 3), dpi=72)
    ax = fig.subplots()
    ax.pie([3, 2, 1], labels=["x", "y", "z"], autopct="%1.0f%%", explode=[0.1, 0, 0], shadow=True)
    return fig


def annotations() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    curved = {"arrowstyle": "->", "connectionstyle": "arc3,rad=.2"}
    ax.annotate("peak", xy=(0.5, 0.5), xytext=(0.1, 0.8), arrowprops=curved)
    simple = {"facecolor": "black", "shrink": 0.05}
    ax.annotate("simple", xy=(0.8, 0.2), xytext=(0.3, 0.1), arrowprops=simple)
    ax.text(0.5, 0.1, "boxed", bbox={"boxstyle": "round", "fc": "yellow"}, rotation=15)
    fig.suptitle("suptitle")
    fig.text(0.01, 0.01, "figure text")
    return fig


def scales() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    loglog, symlog, logit = fig.subplots(1, 3)
    x = np.logspace(0, 3, 20)
    loglog.loglog(x, x**2)
    symlog.plot(np.linspace(-10, 10, 30), np.linspace(-100, 100, 30))
    symlog.set_yscale("symlog", linthresh=1)
    logit.plot([0.1, 0.5, 0.9], [1, 2, 3])
    logit.set_xscale("logit")
    return fig


def twin_and_polar() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    ax = fig.add_subplot(1, 2, 1)
    ax.plot([1, 2, 3], [1, 4, 9], "r")
    ax.twinx().plot([1, 2, 3], [3, 2, 1], "b")
    polar = fig.add_subplot(1, 2, 2, projection="polar")
    theta = np.linspace(0, 2 * np.pi, 50)
    polar.plot(theta, 1 + np.sin(theta))
    polar.set_rlim(0, 2)
    return fig


def three_d() -> Figure:
    fig = Figure(figsize=(4, 4), dpi=72)
    ax = fig.add_subplot(projection="3d")
    x, y = np.meshgrid(np.linspace(-1, 1, 10), np.linspace(-1, 1, 10))
    ax.plot_surface(x, y, x * y, cmap="viridis")
    ax.scatter([0, 0.5], [0, 0.5], [0, 0.5])
    ax.plot([0, 1], [0, 1], [0, 1])
    ax.view_init(30, 45)
    return fig


def more_three_d() -> Figure:
    fig = Figure(figsize=(4, 4), dpi=72)
    ax = fig.add_subplot(projection="3d")
    ax.bar3d([0, 1], [0, 1], [0, 0], 0.5, 0.5, [1, 2])
    ax.text(0, 0, 1, "3d text")
    ax.quiver(0, 0, 0, 1, 1, 1)
    circle = patches.Circle((0.5, 0.5), 0.3)
    ax.add_patch(circle)
    art3d.pathpatch_2d_to_3d(circle, z=0)
    ax.contour(*np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 5)), np.eye(5))
    ax.voxels(np.ones((2, 2, 2), bool))
    return fig


def subfigures() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72, layout="constrained")
    left, right = fig.subfigures(1, 2)
    left.subplots().plot([1, 2])
    left.suptitle("left")
    right.subplot_mosaic("AB;CC")
    right.set_facecolor("0.9")
    return fig


def gridspec() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    grid = fig.add_gridspec(2, 3, width_ratios=[1, 2, 1], hspace=0.4)
    fig.add_subplot(grid[0, :2]).plot([1, 3, 2])
    fig.add_subplot(grid[1, 1:]).bar([1, 2], [2, 1])
    fig.add_subplot(grid[:, 2]).barh([1, 2], [1, 2])
    return fig


def dates() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    left, right = fig.subplots(1, 2)
    left.plot([datetime.datetime(2024, 1, day) for day in range(1, 11)], range(10))
    left.axvline(datetime.date(2024, 1, 5))
    days = np.arange("2024-01", "2024-06", dtype="datetime64[D]")[::10]
    right.plot(days, np.arange(len(days)))
    right.xaxis.set_major_formatter(ConciseDateFormatter(right.xaxis.get_major_locator()))
    right.axvspan(np.datetime64("2024-02-01"), np.datetime64("2024-03-01"), alpha=0.2)
    return fig


def categorical() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    ax.plot(["mon", "tue", "wed"], [1, 3, 2])
    ax.scatter(["tue", "thu"], [2, 2])
    return fig


def patch_artists() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    ax.add_patch(patches.Rectangle((0.1, 0.1), 0.3, 0.2, fc="C0", ec="k", lw=2))
    ax.add_patch(patches.Circle((0.6, 0.6), 0.15, alpha=0.5))
    ax.add_patch(patches.Polygon([[0.7, 0.1], [0.9, 0.2], [0.8, 0.4]], closed=True, hatch="x"))
    ax.add_patch(patches.Ellipse((0.3, 0.7), 0.2, 0.1, angle=30))
    ax.add_patch(patches.FancyBboxPatch((0.5, 0.1), 0.1, 0.1, boxstyle="round,pad=0.02"))
    ax.add_patch(patches.Wedge((0.2, 0.4), 0.1, 0, 270))
    arrow = patches.FancyArrowPatch((0.1, 0.9), (0.4, 0.95), arrowstyle="-|>", mutation_scale=15)
    ax.add_patch(arrow)
    return fig


def more_patches() -> Figure:
    """Every patch class, box style, arrow style and connection style."""
    fig = Figure(figsize=(6, 4), dpi=72)
    ax = fig.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10))
    ax.add_patch(patches.Arc((1, 1), 1, 1, theta2=200))
    ax.add_patch(patches.Arrow(2, 1, 1, 1))
    ax.add_patch(patches.FancyArrow(4, 1, 1, 0.5, width=0.1))
    ax.add_patch(patches.RegularPolygon((6, 1), 5, radius=0.5))
    ax.add_patch(patches.CirclePolygon((7, 1), 0.4))
    ax.add_patch(patches.PathPatch(MplPath([(8, 1), (9, 2), (9, 1)])))
    ax.add_patch(patches.Annulus((1, 3), 0.6, 0.2))
    ax.stairs([1, 2, 1], [3, 4, 5, 6])
    for i, style in enumerate(sorted(patches.BoxStyle.get_styles())):
        ax.text(0.5 + i * 0.9, 5, "b", bbox={"boxstyle": style})
    for i, style in enumerate(sorted(patches.ArrowStyle.get_styles())):
        x = 0.3 + i * 0.6
        ax.annotate("", xy=(x, 6), xytext=(x, 7), arrowprops={"arrowstyle": style})
    for i, style in enumerate(sorted(patches.ConnectionStyle.get_styles())):
        props = {"arrowstyle": "->", "connectionstyle": style}
        ax.annotate("c", xy=(1 + 2 * i, 8), xytext=(2 + 2 * i, 9.5), arrowprops=props)
    connection = patches.ConnectionPatch((2, 2), (0.5, 0.5), "data", "figure fraction", axesA=ax)
    fig.add_artist(connection)
    return fig


def collection_artists() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    segments = [[(0, 0), (1, 1)], [(0, 1), (1, 0)]]
    ax.add_collection(mcoll.LineCollection(segments, colors=["r", "g"], linewidths=[1, 3]))
    triangle = [[(0.2, 0.2), (0.4, 0.2), (0.3, 0.4)]]
    ax.add_collection(mcoll.PolyCollection(triangle, facecolors="C2", edgecolors="k"))
    ellipses = mcoll.EllipseCollection(
        [1, 2], [1, 1], [0, 45], units="x", offsets=[(0.5, 0.5), (0.7, 0.7)],
        offset_transform=ax.transData,
    )  # fmt: skip
    ax.add_collection(ellipses)
    ax.pcolormesh(np.linspace(0.6, 1, 5), np.linspace(0, 0.3, 4), np.arange(12).reshape(3, 4))
    rng = np.random.default_rng(3)
    ax.hexbin(rng.random(50), rng.random(50), gridsize=5, extent=(0, 0.5, 0.5, 1))
    ax.autoscale_view()
    return fig


def more_collections() -> Figure:
    fig = Figure(figsize=(6, 4), dpi=72)
    (a, b, c), (d, e, f) = fig.subplots(2, 3)
    a.eventplot([[1, 2, 3], [2, 4]])
    circles = mcoll.CircleCollection(
        [10, 20], offsets=[(1, 1), (2, 2)], offset_transform=a.transData
    )
    a.add_collection(circles)
    for kind, numsides, where in [
        (mcoll.RegularPolyCollection, 6, (0.5, 0.5)),
        (mcoll.StarPolygonCollection, 5, (0.2, 0.2)),
        (mcoll.AsteriskPolygonCollection, 4, (0.8, 0.8)),
    ]:
        b.add_collection(kind(numsides, sizes=[50], offsets=[where], offset_transform=b.transData))
    shapes = [patches.Circle((0.5, 0.2), 0.1), patches.Rectangle((0.1, 0.6), 0.2, 0.2)]
    b.add_collection(mcoll.PatchCollection(shapes, cmap="jet", array=np.array([1, 2])))
    rng = np.random.default_rng(6)
    x, y = rng.random(20), rng.random(20)
    c.tripcolor(x, y, x + y)
    c.triplot(x, y)
    c.tricontourf(x, y, x * y)
    d.pcolor(np.arange(12).reshape(3, 4))
    d.pcolorfast([0, 1, 3], [0, 2, 3], np.array([[1, 2], [3, 4]]))
    e.barbs([0, 1], [0, 1], [10, 20], [5, -5])
    e.broken_barh([(1, 2)], (0, 1))
    f.hist2d(x, y, bins=4)
    f.axline((0, 0), slope=1)
    f.axhline(0.5)
    f.axvspan(0.2, 0.3)
    return fig


def quiver_and_table() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    left, right = fig.subplots(1, 2)
    x, y = np.meshgrid(np.arange(5), np.arange(5))
    arrows = left.quiver(x, y, -y, x, np.hypot(x, y))
    left.quiverkey(arrows, 0.9, 1.05, 2, "2 m/s")
    right.axis("off")
    right.table(
        cellText=[["1", "2"], ["3", "4"]], colLabels=["a", "b"], rowLabels=["r1", "r2"],
        loc="center",
    )  # fmt: skip
    return fig


def stream_violin_box() -> Figure:
    fig = Figure(figsize=(5, 3), dpi=72)
    stream, violin, box = fig.subplots(1, 3)
    x, y = np.meshgrid(np.linspace(-1, 1, 10), np.linspace(-1, 1, 10))
    stream.streamplot(x, y, -y, x, density=0.5)
    rng = np.random.default_rng(5)
    violin.violinplot([rng.normal(size=50), rng.normal(size=50)])
    box.boxplot([rng.normal(size=50)])
    box.step([1, 2, 3], [1, 3, 2])
    box.stem([1, 2, 3], [1, 2, 1])
    return fig


def tickers_and_norms() -> Figure:
    fig = Figure(figsize=(6, 4), dpi=72)
    (a, b, c), (d, e, f) = fig.subplots(2, 3)
    a.plot([0, 1], [0, 1])
    a.xaxis.set_major_locator(ticker.MultipleLocator(0.25))
    a.xaxis.set_minor_locator(ticker.AutoMinorLocator())
    a.yaxis.set_major_formatter(ticker.PercentFormatter(1))
    a.secondary_xaxis("top", functions=(np.negative, np.negative))
    b.plot([1, 1e6], [1, 2])
    b.xaxis.set_major_formatter(ticker.EngFormatter("Hz"))
    b.yaxis.set_major_locator(ticker.LinearLocator(4))
    b.yaxis.set_major_formatter(ticker.FormatStrFormatter("%.2f"))
    inset = b.inset_axes((0.6, 0.6, 0.3, 0.3))
    inset.plot([1, 2])
    b.indicate_inset_zoom(inset)
    c.semilogy([1, 10, 100])
    c.yaxis.set_major_formatter(ticker.LogFormatterMathtext())
    c.xaxis.set_major_locator(ticker.IndexLocator(1, 0))
    data = np.linspace(-3, 3, 36).reshape(6, 6)
    beside = (6, 8, 0, 2)
    d.imshow(data, norm=colors.SymLogNorm(0.5))
    d.imshow(data, norm=colors.CenteredNorm(), extent=beside)
    e.imshow(np.abs(data), norm=colors.PowerNorm(0.5))
    e.imshow(data, norm=colors.BoundaryNorm([-3, 0, 3], 256), extent=beside)
    f.imshow(data, norm=colors.AsinhNorm())
    f.imshow(np.arange(4).reshape(2, 2), norm=colors.NoNorm(), cmap="gray", extent=beside)
    for ax in (d, e, f):
        ax.set_xlim(0, 8)
    f.set_xscale("asinh")
    return fig


def offset_boxes_and_images() -> Figure:
    fig = Figure(figsize=(5, 4), dpi=72, layout="tight")
    left, right = fig.subplots(1, 2)
    left.add_artist(offsetbox.AnchoredText("anchored", loc="upper left"))
    image_box = offsetbox.OffsetImage(np.eye(4), zoom=3)
    left.add_artist(offsetbox.AnnotationBbox(image_box, (0.5, 0.5)))
    drawing = offsetbox.AuxTransformBox(left.transData)
    drawing.add_artist(patches.Circle((0, 0), 0.1))
    padded = offsetbox.PaddedBox(drawing, pad=2, draw_frame=True)
    left.add_artist(offsetbox.AnchoredOffsetbox("lower right", child=padded))
    uneven = NonUniformImage(right, extent=(0, 1, 0, 1))
    uneven.set_data([0, 0.3, 1], [0, 0.6, 1], np.arange(9.0).reshape(3, 3))
    right.add_image(uneven)
    right.add_artist(BboxImage(right.bbox, data=np.eye(3)))
    fig.figimage(np.eye(10) * 255, xo=5, yo=5, alpha=0.5)
    return fig


def with_callbacks() -> Figure:
    """Callbacks a script connected: lambdas, which the pickle drops."""
    fig = Figure(figsize=(3, 2), dpi=72)
    ax = fig.subplots()
    ax.plot([1, 2])
    fig.canvas.mpl_connect("button_press_event", lambda event: None)
    ax.callbacks.connect("xlim_changed", lambda changed: None)
    return fig


CORPUS: list[Callable[[], Figure]] = [
    lines,
    markers,
    scatter,
    image_lognorm,
    image_rgba,
    contours,
    bars,
    pie,
    annotations,
    scales,
    twin_and_polar,
    three_d,
    more_three_d,
    subfigures,
    gridspec,
    dates,
    categorical,
    patch_artists,
    more_patches,
    collection_artists,
    more_collections,
    quiver_and_table,
    stream_violin_box,
    tickers_and_norms,
    offset_boxes_and_images,
    with_callbacks,
]


def pixels(fig: Figure) -> bytes:
    """The figure drawn by Agg, as RGBA bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba")
    return buffer.getvalue()


def settled_pixels(fig: Figure) -> bytes:
    """The figure drawn until a draw changes nothing: a layout engine moves things on the
    first draws after a change, unpickling or not."""
    previous = pixels(fig)
    for _ in range(3):
        current = pixels(fig)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the figure never settles")


@functools.cache
def corpus_pickles() -> dict[str, tuple[bytes, ...]]:
    """Each corpus figure's pickles: before and after it is first drawn, at protocol 4
    (``pickle.dumps``' own since Python 3.8) and 5 (since 3.14)."""
    found = {}
    for make in CORPUS:
        fig = make()
        before = [pickle.dumps(fig, protocol=protocol) for protocol in (4, 5)]
        pixels(fig)
        after = [pickle.dumps(fig, protocol=protocol) for protocol in (4, 5)]
        found[make.__name__] = (*before, *after)
    return found


def corpus_globals() -> dict[tuple[str, str], set[str]]:
    """Every global the corpus' pickles name, and the figures that name it."""
    names: dict[tuple[str, str], set[str]] = {}
    for figure_name, versions in corpus_pickles().items():
        for data in versions:
            for name in named_globals(data):
                names.setdefault(name, set()).add(figure_name)
    return names


# --- What people plot loads, and looks the same --------------------------------------------


@pytest.mark.parametrize("protocol", [4, 5])
@pytest.mark.parametrize("make", CORPUS, ids=[make.__name__ for make in CORPUS])
def test_a_corpus_figure_loads_and_draws_the_same_pixels(
    make: Callable[[], Figure], protocol: int
) -> None:
    fig = make()
    expected = settled_pixels(fig)
    loaded = load_figure(pickle.dumps(fig, protocol=protocol))
    assert type(loaded) is Figure
    assert pixels(loaded) == expected


def test_the_allowlist_is_what_the_corpus_names() -> None:
    """Every global on the list is one a figure of the corpus needs, and the corpus needs
    nothing else but numpy's ufuncs (allowed by a rule)."""
    allowed = {(module, name) for module, names in ALLOWED_GLOBALS.items() for name in names}
    named = set(corpus_globals())
    assert sorted(allowed - named) == []
    ufuncs = {(module, name) for module, name in named - allowed if module == "numpy"}
    assert all(isinstance(getattr(np, name), np.ufunc) for _, name in ufuncs)
    assert sorted(named - allowed - ufuncs) == []


class Recording(pickle.Unpickler):
    """Plain pickle's unpickler, noting the globals it looks up."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self.looked_up: list[tuple[str, str]] = []

    def find_class(self, module: str, name: str, /) -> Any:
        self.looked_up.append((module, name))
        return super().find_class(module, name)


def test_named_globals_lists_what_the_unpickler_imports() -> None:
    """The evidence tool reads the same names as pickle itself looks up (on the corpus,
    which is ours, so plain pickle may load it)."""
    for versions in corpus_pickles().values():
        data = versions[-1]
        recording = Recording(io.BytesIO(data))
        recording.load()
        assert set(named_globals(data)) == set(recording.looked_up)


# Callables on the list that are not classes: each was read (the module's docstring says
# what each does); adding one means reading it and adding it here.
REVIEWED_CALLABLES = {
    ("builtins", "getattr"),
    ("matplotlib.artist", "_stale_axes_callback"),
    ("matplotlib.backend_bases", "_key_handler"),
    ("matplotlib.backend_bases", "_mouse_handler"),
    ("matplotlib.cbook", "_exception_printer"),
    ("matplotlib.cbook", "_picklable_class_constructor"),
    ("matplotlib.colorbar", "_remove_cbar_axes"),
    ("matplotlib.colors", "_create_empty_object_of_class"),
    ("numpy", "average"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.ma.core", "_mareconstruct"),
}


def test_every_allowed_name_is_a_class_or_a_reviewed_callable() -> None:
    for module, names in ALLOWED_GLOBALS.items():
        for name in names:
            target: Any = __import__(module, fromlist=["_"])
            for part in name.split("."):
                target = getattr(target, part)
            if not isinstance(target, type):
                assert (module, name) in REVIEWED_CALLABLES, f"{module}.{name}"


def test_every_allowed_method_exists() -> None:
    for module, qualname in ALLOWED_METHODS:
        owner, _, method = qualname.rpartition(".")
        cls = getattr(__import__(module, fromlist=["_"]), owner)
        assert callable(vars(cls)[method]), f"{module}.{qualname}"


def test_callbacks_the_script_connected_are_not_in_the_pickle() -> None:
    loaded = load_figure(pickle.dumps(with_callbacks()))
    (ax,) = loaded.axes
    assert ax.callbacks.callbacks.get("xlim_changed", {}) == {}
    presses = loaded._canvas_callbacks.callbacks.get("button_press_event", {})
    assert all(getattr(ref(), "__name__", "") != "<lambda>" for ref in presses.values())


def test_a_pyplot_figure_is_not_handed_to_the_loading_process_pyplot() -> None:
    fig, ax = plt.subplots(figsize=(3, 2), dpi=72)
    ax.plot([1, 2], [2, 1])
    data = pickle.dumps(fig)
    plt.close(fig)
    # The pickle asks for it: plain pickle registers the figure with pyplot.
    pickle.loads(data)
    assert len(plt.get_fignums()) == 1
    plt.close("all")
    loaded = load_figure(data)
    assert plt.get_fignums() == []
    assert type(loaded) is Figure
    assert type(loaded.canvas).__name__ == "FigureCanvasBase"


def renamed(data: bytes, old: str, new: str) -> bytes:
    """Protocol 4 or 5 ``data`` with the text ``old`` written ``new``, and the lengths of
    the frames that hold it fixed."""
    renamed_data = bytearray()
    copied = 0
    for opcode, length, position in pickletools.genops(data):
        if opcode.name == "FRAME":
            assert isinstance(length, int)
            assert isinstance(position, int)
            start = position + 9  # the opcode and its 8-byte length
            body = data[start : start + length].replace(_text(old), _text(new))
            renamed_data += data[copied:position] + b"\x95" + struct.pack("<Q", len(body)) + body
            copied = start + length
    return bytes(renamed_data + data[copied:])


@pytest.mark.parametrize(
    ("protocol", "module"), [(4, "numpy._core.multiarray"), (5, "numpy._core.numeric")]
)
def test_numpy_1_names_load_as_numpy_2(protocol: int, module: str) -> None:
    """numpy 1 pickled arrays as numpy.core.multiarray._reconstruct (protocol 4) and
    numpy.core.numeric._frombuffer (protocol 5)."""
    fig = image_rgba()
    expected = settled_pixels(fig)
    data = pickle.dumps(fig, protocol=protocol)
    numpy_1 = module.replace("numpy._core", "numpy.core")
    old_data = renamed(data, module, numpy_1)
    assert module in {name[0] for name in named_globals(data)}
    assert numpy_1 in {name[0] for name in named_globals(old_data)}
    assert module not in {name[0] for name in named_globals(old_data)}
    assert pixels(load_figure(old_data)) == expected


def test_a_figure_from_another_matplotlib_is_loaded_with_a_logged_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    version = matplotlib.__version__.encode()
    other = b"9" * len(version)  # the same length: the pickle's frames stay whole
    data = pickle.dumps(lines())
    assert data.count(version) == 1
    with caplog.at_level(logging.WARNING, logger="webfig.hub.safe_pickle"):
        loaded = load_figure(data.replace(version, other))
    assert type(loaded) is Figure
    assert [record.getMessage() for record in caplog.records] == [
        f"a published figure from matplotlib {other.decode()}, loaded with "
        f"{matplotlib.__version__}: it may look different"
    ]


# --- Payloads: refused before they run -----------------------------------------------------


class Call:
    """Pickles as ``function(*args)``: loading the pickle makes the call."""

    def __init__(self, function: Callable[..., object], *args: object) -> None:
        self.function = function
        self.args = args

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return self.function, self.args

    def __call__(self, *args: object) -> object:
        # Only for pickle's check that what __reduce__ returns first is callable.
        raise AssertionError("a Call is pickled, never called")


class UserThing:
    """A class of the publisher's own."""


def payloads(marker: Path) -> Iterator[tuple[str, Any, str, str]]:
    """Pickled objects that create ``marker`` when loaded by plain pickle: their id, the
    object, and the module and name the refusal names."""
    png = marker.with_suffix(".png")
    yield "os.system", Call(os.system, f"touch {shlex.quote(str(marker))}"), "posix", "system"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    yield "eval", Call(eval, code), "builtins", "eval"
    yield "exec", Call(exec, code), "builtins", "exec"
    popen = Call(subprocess.Popen, ["touch", str(marker)])
    yield "subprocess.Popen", popen, "subprocess", "Popen"
    saving = Call(Call(getattr, Figure(), "savefig"), str(png))
    yield "getattr savefig", saving, "matplotlib.figure", "Figure.savefig"
    imsave = Call(matplotlib.image.imsave, str(png), np.zeros((2, 2)))
    yield "matplotlib.image.imsave", imsave, "matplotlib.image", "imsave"


def payload_ran(marker: Path) -> bool:
    return marker.exists() or marker.with_suffix(".png").exists()


PAYLOAD_IDS = [payload[0] for payload in payloads(Path("marker"))]


@pytest.mark.parametrize("payload_id", PAYLOAD_IDS)
def test_a_payload_is_refused_and_never_runs(
    payload_id: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "ran"
    ((_, payload, module, name),) = [p for p in payloads(marker) if p[0] == payload_id]
    data = pickle.dumps(payload)
    # The payload is live: plain pickle runs it.
    result = pickle.loads(data)
    if isinstance(result, subprocess.Popen):
        result.wait()
    assert payload_ran(marker)
    marker.unlink(missing_ok=True)
    marker.with_suffix(".png").unlink(missing_ok=True)

    with (
        caplog.at_level(logging.WARNING, logger="webfig.hub.safe_pickle"),
        pytest.raises(ForbiddenName) as refused,
    ):
        load_figure(data)
    assert (refused.value.module, refused.value.name) == (module, name)
    assert f"{module}.{name}" in str(refused.value)
    assert not payload_ran(marker)
    assert [record.getMessage() for record in caplog.records] == [
        f"refused a published figure: {refused.value}"
    ]


@pytest.mark.parametrize(
    "refusal",
    [ForbiddenName("posix", "system"), BrokenPickle("truncated"), RefusedPickle("too large")],
    ids=lambda refusal: type(refusal).__name__,
)
def test_a_refusal_travels_back_from_a_worker_process(refusal: RefusedPickle) -> None:
    copy = pickle.loads(pickle.dumps(refusal))
    assert type(copy) is type(refusal)
    assert str(copy) == str(refusal)
    assert vars(copy) == vars(refusal)


def test_a_user_class_is_refused() -> None:
    with pytest.raises(ForbiddenName, match=r"tests\.test_safe_pickle\.UserThing"):
        load_figure(pickle.dumps(UserThing()))


def test_a_figure_holding_a_user_object_is_refused() -> None:
    fig = lines()
    fig.axes[0].lines[0].note = UserThing()  # type: ignore[attr-defined]
    data = pickle.dumps(fig)
    assert type(pickle.loads(data)) is Figure
    with pytest.raises(ForbiddenName, match=r"tests\.test_safe_pickle\.UserThing"):
        load_figure(data)


@pytest.mark.parametrize(
    ("target", "attribute"),
    [
        (Figure(), "savefig"),
        (Figure(), "__class__"),
        (Figure(), "__reduce_ex__"),
        (Figure(), "canvas"),
        (colors.Normalize(), "__init__"),
        (MarkerStyle("o"), "_set_marker"),
        ([1, 2], "append"),
        ({"a": 1}, "pop"),
        (colors.Normalize, "__subclasses__"),
        (CapStyle, "__init__"),
        (CapStyle, "_missing_"),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
def test_getattr_gives_nothing_but_enum_members_and_listed_methods(
    target: object, attribute: str
) -> None:
    data = pickle.dumps(Call(getattr, target, attribute))
    with pytest.raises(ForbiddenName, match=f"\\.{attribute}$"):
        load_figure(data)


def test_getattr_of_a_name_that_is_not_text_is_refused() -> None:
    with pytest.raises(ForbiddenName):
        load_figure(pickle.dumps(Call(getattr, Figure(), 3)))


def _text(value: str) -> bytes:
    encoded = value.encode()
    return b"\x8c" + bytes([len(encoded)]) + encoded  # SHORT_BINUNICODE


FORBIDDEN = [
    ("posix", "system"),
    ("os", "system"),
    ("os", "popen"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "compile"),
    ("builtins", "__import__"),
    ("builtins", "open"),
    ("builtins", "setattr"),
    ("builtins", "globals"),
    ("builtins", "type"),
    ("builtins", "vars"),
    ("builtins", "getattr.__self__"),
    ("builtins", "object.__subclasses__"),
    ("sys", "modules"),
    ("subprocess", "Popen"),
    ("subprocess", "run"),
    ("importlib", "import_module"),
    ("io", "open"),
    ("io", "FileIO"),
    ("socket", "socket"),
    ("shutil", "rmtree"),
    ("pickle", "loads"),
    ("marshal", "loads"),
    ("types", "FunctionType"),
    ("types", "CodeType"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("functools", "reduce"),
    ("functools", "partial.__call__"),
    ("copyreg", "_reconstructor"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict.fromkeys"),
    ("__main__", "Payload"),
    ("matplotlib.image", "imread"),
    ("matplotlib.image", "imsave"),
    ("matplotlib.pyplot", "savefig"),
    ("matplotlib.animation", "FFMpegWriter"),
    ("matplotlib.textpath", "TextPath"),
    ("matplotlib.ticker", "StrMethodFormatter"),
    ("matplotlib.figure", "Figure.savefig"),
    ("matplotlib.figure", "Figure.__init__"),
    ("matplotlib.cbook", "subprocess"),
    ("matplotlib.colors", "_picklable_norm_constructor"),
    ("numpy", "load"),
    ("numpy", "fromfile"),
    ("numpy", "frompyfunc"),
    ("numpy", "vectorize"),
    ("numpy", "core"),
    ("numpy", "log.__call__"),
    ("numpy._core.multiarray", "fromfile"),
    ("numpy.core.multiarray", "fromfile"),
]


@pytest.mark.parametrize(
    ("module", "name"), FORBIDDEN, ids=[f"{module}.{name}" for module, name in FORBIDDEN]
)
def test_a_forbidden_name_is_refused_by_every_opcode_that_imports(module: str, name: str) -> None:
    text_names = f"{module}\n{name}\n".encode()
    encodings = {
        "STACK_GLOBAL": b"\x80\x04" + _text(module) + _text(name) + b"\x93.",
        "GLOBAL": b"c" + text_names + b".",
        "INST": b"(i" + text_names + b".",
    }
    for opcode, data in encodings.items():
        with pytest.raises(ForbiddenName) as refused:
            load_figure(data)
        assert (refused.value.module, refused.value.name) == (module, name), opcode


def test_a_forbidden_name_is_refused_through_the_extension_registry() -> None:
    code = 0x7FFF_FF00
    copyreg.add_extension("posix", "system", code)
    try:
        data = pickle.dumps(os.system, protocol=2)
        assert b"posix" not in data
        with pytest.raises(ForbiddenName, match=r"posix\.system"):
            load_figure(data)
    finally:
        copyreg.remove_extension("posix", "system", code)


# --- Everything else that is not a figure ----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [{"a": 1}, [1, 2], np.arange(3), None, "figure"],
    ids=["dict", "list", "array", "None", "str"],
)
def test_a_pickle_of_something_else_is_refused_as_not_a_figure(value: object) -> None:
    with pytest.raises(RefusedPickle, match="not a matplotlib Figure") as refused:
        load_figure(pickle.dumps(value))
    assert type(refused.value) is RefusedPickle


def test_a_subfigure_is_not_a_figure() -> None:
    subfigure = subfigures().subfigs[0]
    with pytest.raises(RefusedPickle, match="holds a SubFigure, not a matplotlib Figure"):
        load_figure(pickle.dumps(subfigure))


@pytest.mark.parametrize("keep", [0, 1, 2, 10, 1000, -100, -1])
def test_truncated_data_is_a_broken_pickle(keep: int) -> None:
    data = pickle.dumps(lines())
    with pytest.raises(BrokenPickle, match=r"^not a figure's pickle: "):
        load_figure(data[:keep])


def test_data_over_max_bytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    data = pickle.dumps((lines(), Call(os.system, f"touch {shlex.quote(str(marker))}")))
    with pytest.raises(RefusedPickle, match=f"^the pickle is {len(data)} bytes, over the 1000"):
        load_figure(data, max_bytes=1000)
    assert not marker.exists()
    assert type(load_figure(pickle.dumps(lines()), max_bytes=len(pickle.dumps(lines())))) is Figure


def test_a_persistent_id_is_refused() -> None:
    buffer = io.BytesIO()

    class External(pickle.Pickler):
        def persistent_id(self, obj: Any, /) -> Any:
            return "the publisher's database row 7" if isinstance(obj, str) else None

    External(buffer).dump(lines())
    with pytest.raises(RefusedPickle, match="persistent id, which the hub does not load"):
        load_figure(buffer.getvalue())


def usetex_title() -> Figure:
    fig = lines()
    fig.axes[0].set_title("secret", usetex=True)
    return fig


def usetex_text_in_an_object_array() -> Figure:
    fig = lines()
    hidden = np.empty(1, dtype=object)
    hidden[0] = Text(0, 0, "deep", usetex=True)
    fig.axes[0].lines[0].hidden = hidden  # type: ignore[attr-defined]
    return fig


@pytest.mark.parametrize("make", [usetex_title, usetex_text_in_an_object_array])
def test_a_usetex_text_is_refused(make: Callable[[], Figure]) -> None:
    data = pickle.dumps(make())
    with pytest.raises(RefusedPickle, match=r"usetex text .* which would run LaTeX"):
        load_figure(data)


# --- Fuzz: nothing but RefusedPickle, ever ---------------------------------------------------


def small_figure_pickle() -> bytes:
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.subplots().plot([1, 2], [2, 1], "o-")
    return pickle.dumps(fig)


SMALL_PICKLE = small_figure_pickle()


def load_or_refuse(data: bytes) -> None:
    try:
        loaded = load_figure(data)
    except RefusedPickle:
        return
    assert type(loaded) is Figure


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_are_refused(data: bytes) -> None:
    load_or_refuse(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=24).map(lambda tail: b"\x80\x04\x95" + tail))
def test_arbitrary_protocol_4_bytes_are_refused(data: bytes) -> None:
    load_or_refuse(data)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SMALL_PICKLE) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
    cut=st.integers(1, len(SMALL_PICKLE)),
)
def test_a_mutated_figure_pickle_loads_or_is_refused(
    edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(SMALL_PICKLE)
    for position, value in edits:
        data[position] = value
    load_or_refuse(bytes(data[:cut]))


def main() -> None:
    """Print every global the corpus' pickles name, with the figures that name it."""
    print(f"matplotlib {matplotlib.__version__}, numpy {np.__version__}")
    for (module, name), figures in sorted(corpus_globals().items()):
        shown = ", ".join(sorted(figures)) if len(figures) < 4 else f"{len(figures)} figures"
        print(f"{module}.{name}: {shown}")


if __name__ == "__main__":
    main()
