"""What travels on a publishing socket, between a script and the hub it publishes to.

One websocket per publishing process carries every figure of the process and every hub
viewer of each (docs/hub.md). Text messages are JSON objects with a ``type``; a binary
message is a frame for one viewer, after a header naming the viewer. Both sides build and
read messages only here, so neither trusts the other's shapes: whatever does not parse is a
:class:`PublishingError` naming what was wrong.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from ..wire.interfaces import DownloadOptions

# The version of this protocol; a hub refuses a publisher of another one.
PROTOCOL_VERSION: Final = 1
# The path of the publishing socket, under the hub's prefix.
PUBLISH_PATH: Final = "/publish"
# The header a publisher sends its token in (a query string would end up in proxies' logs).
TOKEN_HEADER: Final = "Authorization"
TOKEN_SCHEME: Final = "Bearer"
# A binary message: what it is (a byte), whose it is (unsigned 32 bits, big-endian: a
# viewer's id for a frame, a request's for a saved file), then its bytes.
_BINARY_HEADER: Final = struct.Struct(">cI")
FRAME: Final = b"F"
SAVED: Final = b"S"
PICTURE: Final = b"P"  # a figure's latest picture (PNG), by the script's figure number
KEPT: Final = b"K"  # a figure's pickle, to keep after the script ends
BINARY_KINDS: Final = (FRAME, SAVED, PICTURE, KEPT)
MAX_ID: Final = 2**32 - 1
# Bounds on what a publisher may announce of a figure.
MAX_LABEL_LENGTH: Final = 256
MAX_FIGURE_NUMBER: Final = 10**9 - 1
MAX_FIGURE_SIDE: Final = 100_000.0  # CSS pixels
MAX_NAMES: Final = 64  # formats, or a run's arguments
MAX_TEXT_LENGTH: Final = 4096  # a run's host, script and arguments, each

ToolbarKind = Literal["toolbar2", "toolmanager"]


class PublishingError(ValueError):
    """A message on a publishing socket that is not what the protocol allows."""


@dataclass(frozen=True)
class RunInfo:
    """Where a publishing process runs, as it says: shown on the hub's pages."""

    host: str
    script: str
    argv: tuple[str, ...]
    pid: int
    started: float  # seconds since the epoch, the publisher's clock
    # The hub's id of the kept figure this process serves (a worker of the hub's), or None
    # for a script.
    kept: int | None = None


@dataclass(frozen=True)
class PublishedFigure:
    """One published figure, as its page shows it before its socket connects."""

    num: int
    label: str
    width: float
    height: float
    width_inches: float
    height_inches: float
    formats: Mapping[str, str]  # extension: description
    default_format: str
    toolbar_kind: ToolbarKind | None
    closable: bool


def encode(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def run_message(run: RunInfo) -> str:
    return encode(
        {
            "type": "run",
            "version": PROTOCOL_VERSION,
            "host": run.host,
            "script": run.script,
            "argv": list(run.argv),
            "pid": run.pid,
            "started": run.started,
            "kept": run.kept,
        }
    )


def figure_message(figure: PublishedFigure) -> str:
    return encode(
        {
            "type": "figure",
            "num": figure.num,
            "label": figure.label,
            "width": figure.width,
            "height": figure.height,
            "width_inches": figure.width_inches,
            "height_inches": figure.height_inches,
            "formats": dict(figure.formats),
            "default_format": figure.default_format,
            "toolbar_kind": figure.toolbar_kind,
            "closable": figure.closable,
        }
    )


def figure_closed_message(num: int) -> str:
    return encode({"type": "figure_closed", "num": num})


HowEnded = Literal["exited", "exception", "signal"]
HOW_ENDED: Final = ("exited", "exception", "signal")


def end_message(how: HowEnded) -> str:
    """The script ends (what it sent last is all the hub gets)."""
    return encode({"type": "end", "how": how})


def read_end(message: Mapping[str, Any]) -> HowEnded:
    how = message.get("how")
    if how in HOW_ENDED:
        return cast("HowEnded", how)
    raise PublishingError(f"'how' must be one of {', '.join(HOW_ENDED)}")


def to_viewer_message(viewer: int, message: Mapping[str, Any]) -> str:
    return encode({"type": "to_viewer", "viewer": viewer, "message": message})


def viewer_opened_message(viewer: int, num: int) -> str:
    return encode({"type": "viewer_opened", "viewer": viewer, "num": num})


def viewer_message(viewer: int, text: str) -> str:
    return encode({"type": "viewer_message", "viewer": viewer, "text": text})


def viewer_closed_message(viewer: int) -> str:
    return encode({"type": "viewer_closed", "viewer": viewer})


def viewer_reconnect_message(viewer: int) -> str:
    return encode({"type": "viewer_reconnect", "viewer": viewer})


def frame_written_message(viewer: int) -> str:
    return encode({"type": "frame_written", "viewer": viewer})


def frame(viewer: int, blob: bytes) -> bytes:
    """A binary message: the frame ``blob`` for ``viewer``."""
    return _BINARY_HEADER.pack(FRAME, viewer) + blob


def saved_file(request: int, content: bytes) -> bytes:
    """A binary message: the file a ``save`` request asked for."""
    return _BINARY_HEADER.pack(SAVED, request) + content


def picture(num: int, png: bytes) -> bytes:
    """A binary message: figure ``num``'s latest picture."""
    return _BINARY_HEADER.pack(PICTURE, num) + png


def kept(num: int, pickled: bytes) -> bytes:
    """A binary message: figure ``num`` pickled, to keep."""
    return _BINARY_HEADER.pack(KEPT, num) + pickled


def parse_binary(data: bytes) -> tuple[bytes, int, bytes]:
    """What a binary message is (one of BINARY_KINDS), whose, and its bytes."""
    if len(data) < _BINARY_HEADER.size:
        raise PublishingError(f"a binary message of {len(data)} bytes has no header")
    kind, owner = _BINARY_HEADER.unpack_from(data)
    if kind not in BINARY_KINDS:
        raise PublishingError(f"a binary message of unknown kind {kind!r}")
    return kind, owner, data[_BINARY_HEADER.size :]


def save_message(request: int, num: int, fmt: str, options: DownloadOptions) -> str:
    return encode(
        {
            "type": "save",
            "request": request,
            "num": num,
            "format": fmt,
            "dpi": options.dpi,
            "transparent": options.transparent,
            "tight": options.tight,
        }
    )


def save_failed_message(request: int, problem: str) -> str:
    return encode({"type": "save_failed", "request": request, "problem": problem})


def read_save(message: Mapping[str, Any]) -> tuple[int, int, str, DownloadOptions]:
    """A ``save`` request: its id, the figure, the format and how to save."""
    dpi = message.get("dpi")
    transparent, tight = message.get("transparent"), message.get("tight")
    if not isinstance(transparent, bool) or not isinstance(tight, bool):
        raise PublishingError("'transparent' and 'tight' must be true or false")
    options = DownloadOptions(
        dpi=None if dpi is None else _number(message, "dpi", 1, 10_000),
        transparent=transparent,
        tight=tight,
    )
    return read_request(message), read_num(message), _text(message, "format", 16), options


def read_request(message: Mapping[str, Any]) -> int:
    return _integer(message, "request", 0, MAX_ID)


def read_problem(message: Mapping[str, Any]) -> str:
    return _text(message, "problem", 1024)


def parse(text: str | bytes) -> dict[str, Any]:
    """A text message as a JSON object with a string ``type``; its fields are checked by
    the readers below, as each side reads the types it takes."""
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise PublishingError(f"not JSON: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise PublishingError("a message must be a JSON object with a string 'type'")
    return message


def read_run(message: Mapping[str, Any]) -> RunInfo:
    if message.get("version") != PROTOCOL_VERSION:
        raise PublishingError(
            f"publishing protocol version {message.get('version')!r}; this hub speaks"
            f" {PROTOCOL_VERSION}: use the same webfig version on both sides"
        )
    argv = message.get("argv")
    if not isinstance(argv, list) or len(argv) > MAX_NAMES:
        raise PublishingError(f"'argv' must be a list of at most {MAX_NAMES} strings")
    return RunInfo(
        host=_text(message, "host"),
        script=_text(message, "script"),
        argv=tuple(_checked_text(item, "argv") for item in argv),
        pid=_integer(message, "pid", 0, 2**31),
        started=_number(message, "started", 0, 1e11),
        kept=None if message.get("kept") is None else _integer(message, "kept", 1, MAX_ID),
    )


def read_figure(message: Mapping[str, Any]) -> PublishedFigure:
    formats = message.get("formats")
    if not isinstance(formats, dict) or not 0 < len(formats) <= MAX_NAMES:
        raise PublishingError(f"'formats' must be an object of 1 to {MAX_NAMES} formats")
    checked_formats = {
        _checked_text(name, "formats", 16): _checked_text(description, "formats", 256)
        for name, description in formats.items()
    }
    default_format = _text(message, "default_format", 16)
    if default_format not in checked_formats:
        raise PublishingError(f"'default_format' {default_format!r} is not one of 'formats'")
    toolbar_kind = message.get("toolbar_kind")
    if toolbar_kind not in ("toolbar2", "toolmanager", None):
        raise PublishingError("'toolbar_kind' must be toolbar2, toolmanager or null")
    closable = message.get("closable")
    if not isinstance(closable, bool):
        raise PublishingError("'closable' must be true or false")
    return PublishedFigure(
        num=read_num(message),
        label=_text(message, "label", MAX_LABEL_LENGTH),
        width=_number(message, "width", 1, MAX_FIGURE_SIDE),
        height=_number(message, "height", 1, MAX_FIGURE_SIDE),
        width_inches=_number(message, "width_inches", 0.01, MAX_FIGURE_SIDE),
        height_inches=_number(message, "height_inches", 0.01, MAX_FIGURE_SIDE),
        formats=checked_formats,
        default_format=default_format,
        toolbar_kind=toolbar_kind,
        closable=closable,
    )


def read_num(message: Mapping[str, Any]) -> int:
    return _integer(message, "num", 0, MAX_FIGURE_NUMBER)


def read_viewer(message: Mapping[str, Any]) -> int:
    return _integer(message, "viewer", 0, MAX_ID)


def read_viewer_text(message: Mapping[str, Any]) -> str:
    return _text(message, "text", 64 * 1024)


def read_to_viewer(message: Mapping[str, Any]) -> dict[str, Any]:
    content = message.get("message")
    if not isinstance(content, dict) or not isinstance(content.get("type"), str):
        raise PublishingError("'message' must be a JSON object with a string 'type'")
    return content


def _text(message: Mapping[str, Any], field: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    return _checked_text(message.get(field), field, max_length)


def _checked_text(value: object, field: str, max_length: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise PublishingError(f"{field!r} must be a string of at most {max_length} characters")
    return value


def _number(message: Mapping[str, Any], field: str, low: float, high: float) -> float:
    value = message.get(field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PublishingError(f"{field!r} must be a number")
    if not (math.isfinite(value) and low <= value <= high):
        raise PublishingError(f"{field!r} must be between {low:g} and {high:g}, not {value!r}")
    return float(value)


def _integer(message: Mapping[str, Any], field: str, low: int, high: int) -> int:
    value = message.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PublishingError(f"{field!r} must be a whole number from {low} to {high}")
    return value
