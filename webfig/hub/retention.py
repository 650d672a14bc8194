"""How long the hub keeps ended runs, and how many bytes of figures it keeps: the rules, and
the command line's way of writing them (``--keep 30d``, ``--max-bytes 5G``).

The rules, applied by :meth:`.store.HubStore.apply_retention`:

- ``keep``: a run that ended longer ago than this many seconds is removed, with its figures.
- ``max_bytes``: while the figures' files (pictures and pickles; not the index) hold more
  than this, the figures of the run that ended longest ago are removed, the least recently
  updated first, then the next run's; a run left with no figure goes too.
- A live run is never removed, nor any of its figures, by either rule. When live figures
  alone hold more than ``max_bytes``, every ended run's figures are removed, the live ones
  stay and keep being written, and the store logs a warning: cutting a running script's
  figures would break the views of it that are open.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

DURATION_UNITS: Final[Mapping[str, int]] = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}

# GNU coreutils' reading (``head -c 5K``, ``du --block-size``): a bare letter or the letter
# with "iB" is a power of 1024, the letter with "B" a power of 1000. Case does not matter.
SIZE_UNITS: Final[Mapping[str, int]] = {
    "": 1,
    "b": 1,
    **{letter: 1024 ** (power + 1) for power, letter in enumerate("kmgt")},
    **{f"{letter}ib": 1024 ** (power + 1) for power, letter in enumerate("kmgt")},
    **{f"{letter}b": 1000 ** (power + 1) for power, letter in enumerate("kmgt")},
}

# A plain decimal number (no sign, no exponent, no "inf") and what follows it.
_QUANTITY: Final = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)")


@dataclass(frozen=True)
class Retention:
    """What the hub keeps (see the module's docstring); ``None`` is no limit."""

    keep: float | None = None
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.keep is not None and not self.keep > 0:
            raise ValueError(f"keep must be more than 0 seconds, not {self.keep!r}")
        if self.max_bytes is not None and not self.max_bytes > 0:
            raise ValueError(f"max_bytes must be more than 0, not {self.max_bytes!r}")


def parse_duration(text: str) -> float:
    """Seconds in ``text``: a number and a unit, ``s``, ``m``, ``h``, ``d`` or ``w``
    (``"30d"``, ``"1.5h"``). A bare number is refused: a minute and a month are both "m"
    somewhere, so the unit is never guessed."""
    number, unit = _split(text, "a duration", "30d")
    if unit not in DURATION_UNITS:
        raise ValueError(
            f"a duration's unit is s, m, h, d or w (lowercase), not {unit!r}: {text!r}"
            if unit
            else f"a duration needs a unit, s, m, h, d or w: {text!r}"
        )
    seconds = number * DURATION_UNITS[unit]
    if seconds <= 0:
        raise ValueError(f"a duration must be more than 0: {text!r}")
    return seconds


def parse_size(text: str) -> int:
    """Bytes in ``text``: a number and an optional unit (``"5G"``, ``"512M"``, ``"1.5G"``,
    ``"200MB"``, ``"4096"``). K, M, G, T and KiB … TiB are powers of 1024; KB … TB powers of
    1000, as GNU coreutils read them. A fraction of a byte is dropped."""
    number, unit = _split(text, "a size", "5G")
    factor = SIZE_UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(
            f"a size's unit is B, K, M, G or T (KiB…TiB the same, KB…TB powers of 1000), "
            f"not {unit!r}: {text!r}"
        )
    size = math.floor(number * factor)
    if size <= 0:
        raise ValueError(f"a size must be at least 1 byte: {text!r}")
    return size


def _split(text: str, what: str, example: str) -> tuple[float, str]:
    """``text``'s number and unit, or a ValueError naming ``what`` was expected."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{what} is a number and a unit, like {example}: {text!r}")
    return float(match.group(1)), match.group(2)
