"""What a download asks for: its query parameters checked, and the file name it gets.

Pure functions, unit-tested; the Download handler applies them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

from ..wire.interfaces import DownloadOptions

MIN_DPI: Final = 10.0
MAX_DPI: Final = 1200.0
# No side of a downloaded raster image is longer than this many pixels.
MAX_IMAGE_SIDE: Final = 16384
# The query parameters a download takes; the token is the access rules' business.
PARAMETERS: Final = frozenset({"dpi", "transparent", "bbox", "token"})

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


class BadDownload(ValueError):
    """A download's parameters cannot be used; the text says why, for the 400 answer."""


def parse_options(
    query: Mapping[str, Sequence[str]], size_inches: tuple[float, float]
) -> DownloadOptions:
    """The options ``query`` asks for; a figure of ``size_inches`` bounds the dpi."""
    unknown = sorted(set(query) - PARAMETERS)
    if unknown:
        supported = ", ".join(sorted(PARAMETERS - {"token"}))
        raise BadDownload(f"Unknown parameter {unknown[0]!r}; supported: {supported}.")
    values = {}
    for name, given in query.items():
        if len(given) != 1:
            raise BadDownload(f"Give {name!r} once, not {len(given)} times.")
        values[name] = given[0].strip()
    return DownloadOptions(
        dpi=_dpi(values["dpi"], size_inches) if "dpi" in values else None,
        transparent=_flag("transparent", values.get("transparent", "0")),
        tight=_bbox(values.get("bbox", "")),
    )


def _dpi(text: str, size_inches: tuple[float, float]) -> float:
    try:
        dpi = float(text)
    except ValueError:
        raise BadDownload(f"dpi must be a number, not {text[:40]!r}.") from None
    if not math.isfinite(dpi) or not MIN_DPI <= dpi <= MAX_DPI:
        raise BadDownload(f"dpi must be between {MIN_DPI:g} and {MAX_DPI:g}, not {text[:40]}.")
    longest = max(size_inches) * dpi
    if longest > MAX_IMAGE_SIDE:
        raise BadDownload(
            f"At dpi {dpi:g} this figure would be {longest:.0f} pixels long; "
            f"at most {MAX_IMAGE_SIDE}, so dpi at most {MAX_IMAGE_SIDE / max(size_inches):.0f}."
        )
    return dpi


def _flag(name: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise BadDownload(f"{name} must be 1 or 0 (true or false), not {text[:40]!r}.")


def _bbox(text: str) -> bool:
    if text in {"", "standard"}:
        return False
    if text == "tight":
        return True
    raise BadDownload(f"bbox must be 'tight' or 'standard', not {text[:40]!r}.")


def download_name(label: str, num: int, fmt: str) -> str:
    """A safe file name for a download: the label with anything unusual replaced."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._")[:100] or f"figure_{num}"
    return f"{stem}.{fmt}"
