"""Published figures unpickled without running a publisher's code: ``load_figure``.

A pickle is a program: its opcodes import any name (``GLOBAL``, ``STACK_GLOBAL``, ``INST``,
``OBJ``, ``EXT*``) and call what they imported with arguments of their own (``REDUCE``,
``NEWOBJ``, ``BUILD``). Every import goes through ``Unpickler.find_class``, so that is the
one gate: ``_FigureUnpickler.find_class`` hands out only the names of ``ALLOWED_GLOBALS`` and
refuses anything else with ``ForbiddenName`` before it is called or even imported.

**An explicit list, not a rule.** "Every class under ``matplotlib.``" would take in
``matplotlib.animation``'s writers (they run ffmpeg), ``matplotlib.textpath.TextPath``
(its constructor runs LaTeX when asked to), the widgets, the backends and every class a
future release adds; "every class" would also take in the user classes and tools of any
module a matplotlib module imports. The list was read off real figures instead: the test
module's corpus (lines, markers of every kind, scatter, images with norms and RGBA data,
contours, bars, histograms, errorbars, pies, annotations and arrows of every style, log,
symlog, logit and asinh axes, twins, polar and 3D axes, subfigures, grid specs, mosaics,
dates, categories, patches, collections, quiver, barbs, tables, insets, secondary axes,
offset boxes) pickled under matplotlib 3.11 and numpy 2.4, each pickle's names listed by
``named_globals``. A figure that needs a name not on the list is refused, and the hub keeps
its last picture: a missing name costs interactivity, an extra one could cost the hub. To
add one, pickle a figure that needs it, list its names, and read what the name does when a
pickle calls it with arguments of its choosing (``functools.partial`` lets it bind keyword
arguments too).

Every class on the list was read for what its constructor, ``__setstate__``, property
setters and ``append``/``extend``/``add``/``__setitem__`` do (a pickle can call each of
them): they set attributes and compute. None reads or writes a file, starts a process or
imports anything when called. Three things that do happen at draw time are described in
docs/security.md: a font or a time zone named by a file name is opened (as a font or a
time zone file, nothing else); a usetex text would run LaTeX, so ``load_figure`` refuses a
figure that has one; and drawing costs what the figure asks for.

The callables on the list that are not classes, each read:

- ``numpy._core.multiarray._reconstruct`` and ``scalar``, ``numpy.ma.core._mareconstruct``,
  ``numpy._core.numeric._frombuffer`` (protocol 5): numpy's own pickle support; they make an
  empty array or a scalar of a dtype and a class the pickle passes (a class can only come
  from this list), or an array over bytes of the pickle's (``numpy.frombuffer``, which
  refuses object dtypes).
- ``matplotlib.colors._create_empty_object_of_class``: ``cls.__new__(cls)``, what ``NEWOBJ``
  does anyway.
- ``matplotlib.cbook._picklable_class_constructor`` (3D contours): makes, once per
  arguments, a class inheriting two classes the pickle names (``issubclass`` refuses
  anything but classes, and a class can only come from this list) and an empty instance
  of it. Its cache grows with distinct arguments, which the worker's limits bound.
- ``matplotlib.artist._stale_axes_callback``, ``matplotlib.colorbar._remove_cbar_axes``,
  ``matplotlib.cbook._exception_printer``, ``matplotlib.backend_bases._key_handler`` and
  ``_mouse_handler``: callbacks that set or read attributes of their arguments, remove a
  colorbar, re-raise or print an exception.
- ``numpy.average`` and numpy's ufuncs (``numpy.log``, ``numpy.exp``, ... : every
  ``numpy.ufunc`` in ``numpy``'s namespace, a rule because a ufunc is elementwise arithmetic
  and nothing else; ``numpy.frompyfunc``, which makes one from any callable, is not a ufunc).
- ``builtins.getattr`` is not handed out: pickles name it for enum members
  (``CapStyle.butt``) and bound methods (``fig.delaxes``, a transform's ``transform``), and
  the real one would reach anything (``fig.savefig``, ``obj.__class__``). The unpickler
  gives ``_pickled_getattr`` instead, which returns only a member of an enum on the list, a
  list's ``remove``, a transform's own computations (the nine methods ``TransformWrapper``
  copies from its child), the marker functions ``MarkerStyle`` picks from its own table, or
  a method of ``ALLOWED_METHODS``, each read like the callables above.
- ``matplotlib.figure.Figure`` is handed out as ``_DetachedFigure``: an unpickled pyplot
  figure registers itself with the unpickling process' pyplot (``_restore_to_pylab``),
  opening a window or a page of that process' backend; this class drops that request, logs
  a version mismatch instead of warning, and turns back into a plain ``Figure``.

Left off after reading, though matplotlib pickles them: ``matplotlib.textpath.TextPath``
(mathtext markers; its constructor runs LaTeX for ``usetex=True``),
``matplotlib.ticker.StrMethodFormatter`` (``str.format`` reaches attributes),
``matplotlib.colors._picklable_norm_constructor`` (not seen: matplotlib's norms pickle by
name), the date locators built on ``dateutil.rrule`` and ``zoneinfo`` time zones (not
seen), and what only protocols 0 to 3 name (``copyreg._reconstructor``, ``_codecs.encode``,
``builtins.set``, nested classes through ``getattr``): ``pickle.dumps`` writes protocol 4
since Python 3.8 and 5 since 3.14, and the corpus is read at both. Pickles written by numpy
1 name ``numpy.core``; those names are read as numpy 2's ``numpy._core``.

``persistent_load`` refuses every persistent id; data over ``max_bytes`` is refused before
it is read; anything else that goes wrong while loading (truncated or malformed data, an
allowed class raising on a state it was not made for) is a ``BrokenPickle``. All three are
``RefusedPickle``, a ``ValueError``; ``load_figure`` raises nothing else and logs each
refusal once. What this cannot bound (memory, CPU) is why the hub loads in worker
processes with limits.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import io
import logging
import pickle
import pickletools
import types
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any, Final, TypeGuard

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle
from matplotlib.text import Text
from matplotlib.transforms import Transform

__all__ = [
    "ALLOWED_GLOBALS",
    "ALLOWED_METHODS",
    "DEFAULT_MAX_BYTES",
    "BrokenPickle",
    "ForbiddenName",
    "RefusedPickle",
    "load_figure",
    "named_globals",
]

logger = logging.getLogger(__name__)

# The corpus' figures pickle to 40-210 kB; a 2048 × 2048 float64 image is 32 MiB.
DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024

# Longest text of a pickle's own (a name, an error's message) that a message repeats.
_SHOWN_CHARS: Final = 120

ALLOWED_GLOBALS: Final[Mapping[str, frozenset[str]]] = {
    module: frozenset(names)
    for module, names in {
        "builtins": ["getattr", "object", "range", "slice"],
        "collections": ["OrderedDict"],
        "datetime": ["date", "datetime", "timedelta", "timezone"],
        "functools": ["partial"],
        "itertools": ["count"],
        "matplotlib._enums": ["CapStyle", "JoinStyle"],
        "matplotlib.artist": ["_XYPair", "_stale_axes_callback"],
        "matplotlib.axes._axes": ["Axes"],
        "matplotlib.axes._base": [
            "_PropCycle",
            "_TransformedBoundsLocator",
            "_process_plot_var_args",
        ],
        "matplotlib.axes._secondary_axes": ["SecondaryAxis"],
        "matplotlib.axis": ["Ticker", "XAxis", "XTick", "YAxis", "YTick"],
        "matplotlib.backend_bases": ["_key_handler", "_mouse_handler"],
        "matplotlib.category": [
            "StrCategoryConverter",
            "StrCategoryFormatter",
            "StrCategoryLocator",
            "UnitData",
        ],
        "matplotlib.cbook": [
            "CallbackRegistry",
            "Grouper",
            "_OrderedSet",
            "_exception_printer",
            "_picklable_class_constructor",
        ],
        "matplotlib.collections": [
            "AsteriskPolygonCollection",
            "CircleCollection",
            "EllipseCollection",
            "EventCollection",
            "FillBetweenPolyCollection",
            "LineCollection",
            "PatchCollection",
            "PathCollection",
            "PolyCollection",
            "PolyQuadMesh",
            "QuadMesh",
            "RegularPolyCollection",
            "StarPolygonCollection",
        ],
        "matplotlib.colorbar": [
            "Colorbar",
            "_ColorbarAxesLocator",
            "_ColorbarSpine",
            "_remove_cbar_axes",
        ],
        "matplotlib.colorizer": ["Colorizer"],
        "matplotlib.colors": [
            "AsinhNorm",
            "BoundaryNorm",
            "CenteredNorm",
            "LinearSegmentedColormap",
            "ListedColormap",
            "LogNorm",
            "NoNorm",
            "Normalize",
            "PowerNorm",
            "SymLogNorm",
            "TwoSlopeNorm",
            "_create_empty_object_of_class",
        ],
        "matplotlib.container": ["BarContainer", "ErrorbarContainer", "StemContainer"],
        "matplotlib.contour": ["QuadContourSet"],
        "matplotlib.dates": [
            "AutoDateFormatter",
            "AutoDateLocator",
            "ConciseDateFormatter",
            "DateFormatter",
            "_SwitchableDateConverter",
        ],
        "matplotlib.figure": ["Figure", "SubFigure", "_AxesStack"],
        "matplotlib.font_manager": ["FontProperties"],
        "matplotlib.gridspec": [
            "GridSpec",
            "GridSpecFromSubplotSpec",
            "SubplotParams",
            "SubplotSpec",
        ],
        "matplotlib.image": [
            "AxesImage",
            "BboxImage",
            "FigureImage",
            "NonUniformImage",
            "PcolorImage",
        ],
        "matplotlib.inset": ["InsetIndicator"],
        "matplotlib.layout_engine": ["ConstrainedLayoutEngine", "TightLayoutEngine"],
        "matplotlib.legend": ["Legend"],
        "matplotlib.lines": ["AxLine", "Line2D"],
        "matplotlib.markers": ["MarkerStyle"],
        "matplotlib.offsetbox": [
            "AnchoredOffsetbox",
            "AnchoredText",
            "AnnotationBbox",
            "AuxTransformBox",
            "DrawingArea",
            "HPacker",
            "OffsetImage",
            "PaddedBox",
            "TextArea",
            "VPacker",
        ],
        "matplotlib.patches": [
            "Annulus",
            "Arc",
            "Arrow",
            *(
                f"ArrowStyle.{style}"
                for style in (
                    "BarAB",
                    "BracketA",
                    "BracketAB",
                    "BracketB",
                    "BracketCurve",
                    "Curve",
                    "CurveA",
                    "CurveAB",
                    "CurveB",
                    "CurveBracket",
                    "CurveFilledA",
                    "CurveFilledAB",
                    "CurveFilledB",
                    "Fancy",
                    "Simple",
                    "Wedge",
                )
            ),
            *(
                f"BoxStyle.{style}"
                for style in (
                    "Circle",
                    "DArrow",
                    "Ellipse",
                    "LArrow",
                    "RArrow",
                    "Round",
                    "Round4",
                    "Roundtooth",
                    "Sawtooth",
                    "Square",
                )
            ),
            "Circle",
            "CirclePolygon",
            "ConnectionPatch",
            *(f"ConnectionStyle.{style}" for style in ("Angle", "Angle3", "Arc", "Arc3", "Bar")),
            "Ellipse",
            "FancyArrow",
            "FancyArrowPatch",
            "FancyBboxPatch",
            "PathPatch",
            "Polygon",
            "Rectangle",
            "RegularPolygon",
            "Shadow",
            "StepPatch",
            "Wedge",
        ],
        "matplotlib.path": ["Path"],
        "matplotlib.patheffects": ["withStroke"],
        "matplotlib.projections.polar": [
            "PolarAffine",
            "PolarAxes",
            "PolarTransform",
            "RadialAxis",
            "RadialLocator",
            "RadialTick",
            "ThetaAxis",
            "ThetaFormatter",
            "ThetaLocator",
            "ThetaTick",
            "_AxisWrapper",
            "_ThetaShift",
            "_WedgeBbox",
        ],
        "matplotlib.quiver": ["Barbs", "Quiver", "QuiverKey"],
        "matplotlib.scale": [
            "AsinhScale",
            "AsinhTransform",
            "FuncScale",
            "FuncTransform",
            "LinearScale",
            "LogScale",
            "LogTransform",
            "LogitScale",
            "LogitTransform",
            "SymmetricalLogScale",
            "SymmetricalLogTransform",
        ],
        "matplotlib.spines": ["Spine", "Spines"],
        "matplotlib.table": ["Cell", "Table"],
        "matplotlib.text": ["Annotation", "Text"],
        "matplotlib.ticker": [
            "AsinhLocator",
            "AutoLocator",
            "AutoMinorLocator",
            "EngFormatter",
            "FixedFormatter",
            "FixedLocator",
            "FormatStrFormatter",
            "IndexLocator",
            "LinearLocator",
            "LogFormatterMathtext",
            "LogFormatterSciNotation",
            "LogLocator",
            "LogitFormatter",
            "LogitLocator",
            "MaxNLocator",
            "MultipleLocator",
            "NullFormatter",
            "NullLocator",
            "PercentFormatter",
            "ScalarFormatter",
            "SymmetricalLogLocator",
            "_DummyAxis",
            "_Edge_integer",
        ],
        "matplotlib.transforms": [
            "Affine2D",
            "AffineDeltaTransform",
            "Bbox",
            "BboxTransformFrom",
            "BboxTransformTo",
            "BlendedAffine2D",
            "BlendedGenericTransform",
            "CompositeAffine2D",
            "CompositeGenericTransform",
            "IdentityTransform",
            "LockableBbox",
            "ScaledTranslation",
            "TransformWrapper",
            "TransformedBbox",
            "TransformedPatchPath",
            "TransformedPath",
        ],
        "matplotlib.tri._tricontour": ["TriContourSet"],
        "mpl_toolkits.mplot3d.art3d": [
            "Collection3D",
            "Line3D",
            "Line3DCollection",
            "Path3DCollection",
            "PathPatch3D",
            "Poly3DCollection",
            "Text3D",
        ],
        "mpl_toolkits.mplot3d.axes3d": ["Axes3D"],
        "mpl_toolkits.mplot3d.axis3d": ["XAxis", "YAxis", "ZAxis"],
        # numpy's ufuncs are allowed by a rule of their own (_numpy_ufunc).
        "numpy": ["average", "dtype", "ndarray"],
        "numpy._core.multiarray": ["_reconstruct", "scalar"],
        "numpy._core.numeric": ["_frombuffer"],
        "numpy.ma": ["MaskedArray"],
        "numpy.ma.core": ["_mareconstruct"],
    }.items()
}

# Where numpy 1 kept what numpy 2 keeps in numpy._core.
_NUMPY_1_MODULES: Final[Mapping[str, str]] = {
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
}

# Methods a pickle may bind (``getattr(obj, name)``), by their function's module and
# qualified name: the callbacks and helpers figures hold as attributes. Each only changes
# or reads the figure it belongs to.
ALLOWED_METHODS: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("matplotlib.axes._axes", "Axes._remove_legend"),
        ("matplotlib.axes._base", "_AxesBase._unit_change_handler"),
        ("matplotlib.colorbar", "Colorbar._cbar_cla"),
        ("matplotlib.colorbar", "Colorbar._forward_boundaries"),
        ("matplotlib.colorbar", "Colorbar._get_view"),
        ("matplotlib.colorbar", "Colorbar._inverse_boundaries"),
        ("matplotlib.colorbar", "Colorbar._set_view"),
        ("matplotlib.colorbar", "Colorbar._set_view_from_bbox"),
        ("matplotlib.colorbar", "Colorbar.drag_pan"),
        ("matplotlib.figure", "Figure.pick"),
        ("matplotlib.figure", "FigureBase._remove_axes"),
        ("matplotlib.figure", "FigureBase._remove_suplabel"),
        ("matplotlib.figure", "FigureBase.delaxes"),
        ("matplotlib.legend", "Legend._findoffset"),
        ("matplotlib.offsetbox", "OffsetBox.get_window_extent"),
        ("mpl_toolkits.mplot3d.axes3d", "Axes3D._button_press"),
        ("mpl_toolkits.mplot3d.axes3d", "Axes3D._button_release"),
        ("mpl_toolkits.mplot3d.axes3d", "Axes3D._on_move"),
        # The functions MarkerStyle._set_marker itself picks: its table's, and those of
        # custom markers (vertices, a path, a regular polygon's tuple).
        *(
            ("matplotlib.markers", f"MarkerStyle._set_{name}")
            for name in MarkerStyle.markers.values()
        ),
        *(
            ("matplotlib.markers", f"MarkerStyle._set_{name}")
            for name in ("vertices", "path_marker", "tuple_marker")
        ),
    }
)

# What TransformWrapper.set copies from its child: the transform's own arithmetic.
_TRANSFORM_METHODS: Final = frozenset(
    {
        "transform",
        "transform_affine",
        "transform_non_affine",
        "transform_path",
        "transform_path_affine",
        "transform_path_non_affine",
        "get_affine",
        "inverted",
        "get_matrix",
    }
)


class RefusedPickle(ValueError):
    """A published figure's pickle the hub does not load; the message says why."""


class ForbiddenName(RefusedPickle):
    """The pickle names something the hub does not load: a global off ``ALLOWED_GLOBALS``,
    or an attribute ``_pickled_getattr`` does not give."""

    def __init__(self, module: str, name: str, what: str = "a global") -> None:
        self.module = module
        self.name = name
        self.what = what
        super().__init__(
            f"the pickle names {what} the hub does not load: {_shown(module)}.{_shown(name)}"
        )

    def __reduce__(self) -> tuple[type[ForbiddenName], tuple[str, str, str]]:
        # A refusal travels back from the worker process that loaded the pickle.
        return type(self), (self.module, self.name, self.what)


class BrokenPickle(RefusedPickle):
    """The data is not a pickle the hub can load: truncated, malformed, or a state an
    allowed class raises on."""


def load_figure(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Figure:
    """The figure ``data`` (``pickle.dumps(figure)``) holds, loaded through the allowlist.

    Raises ``RefusedPickle`` (logged once, as a warning) if ``data`` is over ``max_bytes``,
    names anything off the list, uses persistent ids, is not a pickle or not a figure's, or
    has a usetex text; never anything else.
    """
    try:
        return _load_figure(data, max_bytes)
    except RefusedPickle as refusal:
        logger.warning("refused a published figure: %s", refusal)
        raise


def named_globals(data: bytes) -> list[tuple[str, str]]:
    """The globals ``data`` names, in order, once each, read without loading it: how the
    list was made (pickle a figure, read its names). ``STACK_GLOBAL`` takes its names from
    the two strings pushed before it, as CPython's pickler writes them."""
    found: dict[tuple[str, str], None] = {}
    memo: dict[int, object] = {}
    pushed: list[object] = []
    for opcode, argument, _ in pickletools.genops(data):
        if opcode.name in {"GLOBAL", "INST"}:
            module, _, name = str(argument).partition(" ")
            found[(module, name)] = None
        elif opcode.name == "STACK_GLOBAL" and len(pushed) >= 2:
            stack_module, stack_name = pushed[-2], pushed[-1]
            if isinstance(stack_module, str) and isinstance(stack_name, str):
                found[(stack_module, stack_name)] = None
        if opcode.name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif opcode.name in {"PUT", "BINPUT", "LONG_BINPUT"} and isinstance(argument, int):
            memo[argument] = pushed[-1] if pushed else None
        elif opcode.name in {"GET", "BINGET", "LONG_BINGET"} and isinstance(argument, int):
            pushed.append(memo.get(argument))
        elif opcode.name not in {"FRAME", "PROTO"}:
            pushed.append(argument if isinstance(argument, str) else None)
    return list(found)


class _FigureUnpickler(pickle.Unpickler):
    """An unpickler that imports only the names of ``ALLOWED_GLOBALS``."""

    def find_class(self, module: str, name: str, /) -> Any:
        current = _NUMPY_1_MODULES.get(module, module)
        if (current, name) == ("builtins", "getattr"):
            return _pickled_getattr
        if (current, name) == ("matplotlib.figure", "Figure"):
            return _DetachedFigure
        if name in ALLOWED_GLOBALS.get(current, ()):
            target: Any = importlib.import_module(current)
            for part in name.split("."):
                target = getattr(target, part)
            return target
        ufunc = _numpy_ufunc(current, name)
        if ufunc is not None:
            return ufunc
        raise ForbiddenName(module, name)

    def persistent_load(self, pid: Any, /) -> Any:
        raise RefusedPickle("the pickle uses a persistent id, which the hub does not load")


class _DetachedFigure(Figure):
    """A ``Figure`` as the unpickler makes it: not handed to this process' pyplot, however
    it was pickled; a plain ``Figure`` again once its state is set."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict):
            raise BrokenPickle(f"a Figure's state is a {type(state).__name__}, not a dict")
        # Set when the figure was pyplot's: it would register with our pyplot, and open
        # a window or a page of our backend.
        state.pop("_restore_to_pylab", None)
        version = state.get("__mpl_version__")
        if version != matplotlib.__version__:
            logger.warning(
                "a published figure from matplotlib %s, loaded with %s: it may look different",
                _shown(str(version)),
                matplotlib.__version__,
            )
            state["__mpl_version__"] = matplotlib.__version__
        Figure.__setstate__(self, state)  # type: ignore[attr-defined]  # not in the stubs
        object.__setattr__(self, "__class__", Figure)


def _load_figure(data: bytes, max_bytes: int) -> Figure:
    if len(data) > max_bytes:
        raise RefusedPickle(f"the pickle is {len(data)} bytes, over the {max_bytes} allowed")
    try:
        loaded = _FigureUnpickler(io.BytesIO(data)).load()
        if type(loaded) is not Figure:
            raise RefusedPickle(
                f"the pickle holds a {_shown(type(loaded).__qualname__)}, not a matplotlib Figure"
            )
        _refuse_usetex(loaded)
    except RefusedPickle:
        raise
    # A broken pickle fails anywhere: in the unpickler (UnpicklingError, EOFError,
    # ValueError, MemoryError, ...) or in an allowed class' code, with whatever it raises.
    except Exception as error:
        raise BrokenPickle(f"not a figure's pickle: {_error_text(error)}") from error
    return loaded


def _pickled_getattr(target: object, name: object) -> object:
    """``getattr`` for the two things figures' pickles use it for: enum members and
    bound methods, each of the list."""
    owner = target if isinstance(target, type) else type(target)
    if not isinstance(name, str):
        raise ForbiddenName(owner.__module__, f"{owner.__qualname__}.{name!r}", "an attribute")
    if isinstance(target, type):
        if _is_allowed_enum(target) and name in target.__members__:
            return target.__members__[name]
        raise ForbiddenName(owner.__module__, f"{owner.__qualname__}.{name}", "an attribute")
    if type(target) is list and name == "remove":
        return target.remove
    # Looked up on the class without running any of its code, never on the instance
    # (whose __dict__ the pickle wrote).
    function = inspect.getattr_static(type(target), name, None)
    if isinstance(function, types.FunctionType) and _is_allowed_method(target, function):
        return types.MethodType(function, target)
    raise ForbiddenName(owner.__module__, f"{owner.__qualname__}.{name}", "an attribute")


def _is_allowed_enum(cls: type) -> TypeGuard[type[Enum]]:
    return issubclass(cls, Enum) and cls.__qualname__ in ALLOWED_GLOBALS.get(cls.__module__, ())


def _is_allowed_method(target: object, function: types.FunctionType) -> bool:
    if (function.__module__, function.__qualname__) in ALLOWED_METHODS:
        return True
    return (
        isinstance(target, Transform)
        and function.__name__ in _TRANSFORM_METHODS
        and function.__module__ in ALLOWED_GLOBALS
    )


def _numpy_ufunc(module: str, name: str) -> np.ufunc | None:
    """numpy's ufunc ``name``, if it is one; read from the namespace itself, so that
    numpy's lazy or deprecated attributes are never imported."""
    if module != "numpy":
        return None
    candidate = vars(np).get(name)
    return candidate if isinstance(candidate, np.ufunc) else None


def _refuse_usetex(figure: Figure) -> None:
    """Refuse a figure with a usetex text: drawing it would run LaTeX on the hub with the
    text, and LaTeX reads files (``\\input``). Tick labels the hub makes copy their
    properties from the pickled ones, so checking those checks them too."""
    for found in _loaded_objects(figure):
        if isinstance(found, Text) and vars(found).get("_usetex", False) is not False:
            text = vars(found).get("_text")
            shown = f" ({_shown(repr(text))})" if isinstance(text, str) else ""
            raise RefusedPickle(f"the figure has a usetex text{shown}, which would run LaTeX")


def _loaded_objects(root: object) -> Iterator[object]:
    """Every object reachable from ``root`` through instances and containers, object
    arrays included; not through classes, modules or functions, which the pickle did not
    make."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        found = pending.pop()
        if id(found) in seen or isinstance(found, _NOT_WALKED):
            continue
        seen.add(id(found))
        yield found
        # numpy's arrays do not report the objects they hold to the garbage collector.
        if isinstance(found, np.ndarray) and found.dtype.hasobject:
            pending.extend(np.asarray(found).ravel().tolist())
        pending.extend(gc.get_referents(found))


_NOT_WALKED: Final = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    str,
    bytes,
    int,
    float,
)


def _shown(text: str) -> str:
    """``text`` of a pickle's own, fit for a message: cut short, control characters
    escaped."""
    short = text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."
    return short if short.isprintable() else repr(short)


def _error_text(error: BaseException) -> str:
    try:
        message = str(error)
    # Its message is the pickle's objects' __str__, which may raise too.
    except Exception:
        message = "(no message)"
    return f"{type(error).__name__}: {_shown(message)}"
