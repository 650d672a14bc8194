"""A figure's text alternative, for assistive technology: its title, each plot's title, axes
(label, limits, scale) and what it holds ("2 lines, 1 scatter of 100,000 points, a legend").

Pure: reads the figure, changes nothing. Cheap on a figure of any size: it counts artists and
reads array lengths, never the data.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import TypeVar

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import (
    Collection,
    LineCollection,
    PathCollection,
    PolyCollection,
    QuadMesh,
)
from matplotlib.colorbar import Colorbar
from matplotlib.container import BarContainer
from matplotlib.dates import AutoDateFormatter, ConciseDateFormatter, DateFormatter, num2date
from matplotlib.figure import Figure, SubFigure

A = TypeVar("A", bound=Artist)

DATE_FORMATTERS = (AutoDateFormatter, ConciseDateFormatter, DateFormatter)

# Names of projections a reader knows by another spelling.
PROJECTIONS: dict[str, str] = {"3d": "3D", "polar": "Polar"}
# What a plot holds, in the order a description lists it: each kind's singular and plural.
KINDS: dict[str, tuple[str, str]] = {
    "line": ("line", "lines"),
    "scatter": ("scatter", "scatters"),
    "bars": ("bar chart", "bar charts"),
    "area": ("filled area", "filled areas"),
    "mesh": ("colour mesh", "colour meshes"),
    "segments": ("set of line segments", "sets of line segments"),
    "collection": ("collection", "collections"),
    "image": ("image", "images"),
    "patch": ("shape", "shapes"),
    "text": ("text label", "text labels"),
}


def describe(figure: Figure | SubFigure) -> str:
    """The figure in a few sentences, as a screen reader says it."""
    sentences = []
    suptitle = figure.get_suptitle()
    if suptitle:
        sentences.append(f'Titled "{suptitle}".')
    shown = [ax for ax in figure.get_axes() if ax.get_visible()]
    plots = [ax for ax in shown if _colorbar(ax) is None]
    if not plots:
        sentences.append("No plots.")
    elif len(plots) > 1:
        sentences.append(f"{len(plots)} plots.")
    numbers = {id(ax): number for number, ax in enumerate(plots, 1)} if len(plots) > 1 else {}
    for ax in shown:
        colorbar = _colorbar(ax)
        if colorbar is None:
            sentences.append(_plot(ax, numbers.get(id(ax))))
        else:
            sentences.append(_colorbar_sentence(colorbar))
    extras = [count(len(_visible(figure.legends)), "figure legend", "figure legends")]
    extras.append(count(len(_visible(figure.images)), "figure image", "figure images"))
    extras = [extra for extra in extras if extra]
    if extras:
        sentences.append(f"The figure also holds {_listed(extras)}.")
    return " ".join(sentences)


def _plot(ax: Axes, number: int | None) -> str:
    """One axes: ``Plot 2, "title": x axis ... It holds ...``."""
    name = "Plot" if ax.name == "rectilinear" else f"{PROJECTIONS.get(ax.name, ax.name)} plot"
    head = name if number is None else f"{name} {number}"
    titles = [ax.get_title(loc) for loc in ("left", "center", "right")]
    title = ", ".join(f'"{text}"' for text in titles if text)
    sentence = f"{head}, {title}" if title else head
    # A 3D plot draws axes of its own (``axis("off")`` hides them too).
    if ax.axison or getattr(ax, "_axis3don", False):
        axes = [("x", ax.xaxis), ("y", ax.yaxis), ("z", getattr(ax, "zaxis", None))]
        sentence += ": " + "; ".join(_axis(letter, axis) for letter, axis in axes if axis)
    else:
        sentence += ", axes hidden"
    contents = _contents(ax)
    return f"{sentence}. It holds {_listed(contents)}." if contents else f"{sentence}. It is empty."


def _colorbar(ax: Axes) -> Colorbar | None:
    """The colour bar ``ax`` is, if it is one (matplotlib marks its axes so)."""
    colorbar = getattr(ax, "_colorbar", None)
    return colorbar if isinstance(colorbar, Colorbar) else None


def _colorbar_sentence(colorbar: Colorbar) -> str:
    """``Colour bar "depth (m)" from 0 to 100.``"""
    axis = colorbar.ax.yaxis if colorbar.orientation == "vertical" else colorbar.ax.xaxis
    # The axis' own words, less the letter: a colour bar has one scale.
    return "Colour bar" + _axis("", axis).removeprefix(" axis") + "."


def _axis(letter: str, axis: Axis) -> str:
    """``x axis "time (s)" from 0 to 10, log scale``."""
    label = axis.get_label_text()
    low, high = axis.get_view_interval()
    text = f'{letter} axis "{label}"' if label else f"{letter} axis"
    text += f" from {_value(axis, low)} to {_value(axis, high)}"
    scale = axis.get_scale()
    return text if scale == "linear" else f"{text}, {scale} scale"


def _value(axis: Axis, value: float) -> str:
    """A limit as a reader wants it: a date on a date axis, a category on a category axis."""
    if isinstance(axis.get_major_formatter(), DATE_FORMATTERS):
        # A date formatter words a limit as its ticks, by the span ("2024" for two months).
        moment: datetime.datetime = num2date(value)  # type: ignore[no-untyped-call]
        if moment.time() == datetime.time():
            return moment.date().isoformat()
        return moment.isoformat(" ", "minutes")
    if axis.get_converter() is not None:
        return axis.get_major_formatter().format_data_short(value).strip()
    return f"{value:.4g}"


def _contents(ax: Axes) -> list[str]:
    kinds: Counter[str] = Counter()
    points = 0
    bars: set[int] = set()
    for container in ax.containers:
        if isinstance(container, BarContainer):
            kinds["bars"] += 1
            bars.update(id(patch) for patch in container.patches)
    kinds["line"] = len(_visible(ax.lines))
    for collection in _visible(ax.collections):
        if not collection.get_paths() and not isinstance(collection, PathCollection):
            continue  # nothing drawn (a colour bar's dividers, say)
        kind = _collection_kind(collection)
        kinds[kind] += 1
        if isinstance(collection, PathCollection):
            points += len(np.asanyarray(collection.get_offsets()))
    kinds["image"] = len(_visible(ax.images))
    kinds["patch"] = len([p for p in _visible(ax.patches) if id(p) not in bars])
    kinds["text"] = len(_visible(ax.texts))
    listed = []
    for kind, (singular, plural) in KINDS.items():
        text = count(kinds[kind], singular, plural)
        if text and kind == "scatter":
            text += f" of {count(points, 'point', 'points')}"
        if text and kind == "bars":
            text += f" of {count(len(bars), 'bar', 'bars')}"
        if text:
            listed.append(text)
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        listed.append("a legend")
    return listed


def _collection_kind(collection: Collection) -> str:
    if isinstance(collection, PathCollection):
        return "scatter"
    if isinstance(collection, QuadMesh):
        return "mesh"
    if isinstance(collection, LineCollection):
        return "segments"
    if isinstance(collection, PolyCollection):
        return "area"
    return "collection"


def _visible(artists: Iterable[A]) -> list[A]:
    return [artist for artist in artists if artist.get_visible()]


def count(number: int, singular: str, plural: str) -> str:
    """``1 line``, ``100,000 points``; nothing for none."""
    if not number:
        return ""
    return f"{number:,} {singular if number == 1 else plural}"


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
