"""A figure the hub keeps after its script ended, served from what the store has of it: its
last picture, and its files made from its pickle in worker processes (:class:`Keeper`)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from typing import Final, Literal

from PIL import Image

from ..wire import outgoing
from ..wire.incoming import ClientMessage, Command
from ..wire.interfaces import DownloadOptions, Viewer
from .keeper import Keeper
from .store import Figure, Run

# The formats a kept figure's pickle can be saved in (Agg's, as every webfig figure's),
# and the one a figure kept as its picture alone offers.
PICKLE_FORMATS: Final = {
    "eps": "Encapsulated Postscript",
    "jpeg": "Joint Photographic Experts Group",
    "jpg": "Joint Photographic Experts Group",
    "pdf": "Portable Document Format",
    "png": "Portable Network Graphics",
    "ps": "Postscript",
    "svg": "Scalable Vector Graphics",
    "svgz": "Scalable Vector Graphics",
    "tif": "Tagged Image File Format",
    "tiff": "Tagged Image File Format",
    "webp": "WebP Image Format",
}
PICTURE_FORMATS: Final = {"png": "Portable Network Graphics"}
# matplotlib's default, for a picture that does not say its resolution.
DEFAULT_DPI: Final = 100.0


def picture_size(png: bytes) -> tuple[tuple[int, int], float]:
    """A PNG's size in pixels, and its resolution in dots per inch."""
    with Image.open(io.BytesIO(png)) as image:
        dpi = image.info.get("dpi", (DEFAULT_DPI, DEFAULT_DPI))[0]
        return image.size, float(dpi) if dpi and dpi > 0 else DEFAULT_DPI


class KeptFigure:
    """A :class:`~webfig.wire.interfaces.ServedFigure` of a figure whose script ended: its
    viewers see its last picture and a status line that says it is kept, not live; its
    downloads come from its pickle (any format) or, without one, are that picture."""

    def __init__(
        self,
        figure: Figure,
        run: Run,
        picture: bytes,
        keeper: Keeper,
        *,
        stored: Callable[[Callable[[], None]], object],
        on_viewer: Callable[[KeptFigure], None] | None = None,
    ) -> None:
        """``picture``: the figure's last one, read for its size (the figure reads it again
        from the store when it shows it, so that a hub of many kept figures holds none of
        their pictures). ``stored``: runs a call on the store's thread, after those before
        it. ``on_viewer``: told of each viewer that opens the figure (on the event loop):
        the hub has a worker serve it live then."""
        self.figure = figure
        self.run = run
        self._keeper = keeper
        self._stored = stored
        self._on_viewer = on_viewer
        self._viewers: set[Viewer] = set()
        (width, height), dpi = picture_size(picture)
        self._size = (float(width), float(height))
        self._inches = (width / dpi, height / dpi)

    @property
    def number(self) -> int:
        return self.figure.id

    @property
    def title(self) -> str:
        return self.figure.label

    @property
    def closable(self) -> bool:
        return False

    @property
    def toolbar_kind(self) -> Literal["toolbar2", "toolmanager"] | None:
        """A figure kept with its pickle gets served live by a worker as a viewer opens it,
        with matplotlib's toolbar: its page has one from the start."""
        return "toolbar2" if self.figure.state == "kept" and self._on_viewer else None

    def has_tool(self, name: str) -> bool:
        return False

    @property
    def size(self) -> tuple[float, float]:
        return self._size

    @property
    def size_inches(self) -> tuple[float, float]:
        return self._inches

    @property
    def default_format(self) -> str:
        return "png"

    def download_formats(self) -> Mapping[str, str]:
        return PICKLE_FORMATS if self.figure.state == "kept" else PICTURE_FORMATS

    def revision(self) -> str:
        return f"kept-{self.figure.id}-{self.figure.updated!r}"

    def status(self) -> str:
        """What its viewers' status line says while they see its picture."""
        return f"Kept, not live: {self._ended()}."

    def status_live(self) -> str:
        """What it says once a worker serves it live, from a copy."""
        return f"Kept, not live: {self._ended()}. Pan, zoom and save a copy of it here."

    def _ended(self) -> str:
        ended = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.run.ended or self.run.heard))
        how = {"exited": "ended", "exception": "failed", "signal": "was stopped"}.get(
            self.run.how_ended or "", "was lost"
        )
        return f"{self.run.script} on {self.run.host} {how} at {ended}"

    def add_viewer(self, viewer: Viewer) -> None:
        self._viewers.add(viewer)
        viewer.send_json(outgoing.figure_label(self.figure.label))
        viewer.send_json(outgoing.resize(*self._size, forward=True))
        self._show(viewer)
        if self._on_viewer is not None:
            self._on_viewer(self)

    def reconnect_viewers(self) -> None:
        """Its viewers connect again (a worker serves it live now)."""
        for viewer in list(self._viewers):
            viewer.reconnect()

    def _show(self, viewer: Viewer) -> None:
        viewer.send_json(outgoing.status(self.status()))
        self._stored(lambda: self._send_picture(viewer))

    def _send_picture(self, viewer: Viewer) -> None:
        """On the store's thread (a viewer may be sent to from any)."""
        picture = self._read_picture()
        if picture is not None:
            viewer.send_json(outgoing.image_mode("full"))
            viewer.send_binary(picture)

    def _read_picture(self) -> bytes | None:
        return self._keeper.store.picture(self.figure.run_id, self.figure.id)

    def remove_viewer(self, viewer: Viewer) -> None:
        self._viewers.discard(viewer)

    def handle_message(self, viewer: Viewer, message: ClientMessage) -> None:
        """The picture again for a refresh; the rest needs the figure live."""
        if message == Command("refresh"):
            self._show(viewer)

    def frame_written(self, viewer: Viewer) -> None:
        """No flow to control: one picture per viewer."""

    def save(self, fmt: str, options: DownloadOptions) -> bytes:
        pickled = None
        if self.figure.state == "kept":
            pickled = self._keeper.store.pickle(self.figure.run_id, self.figure.id)
        if pickled is not None:
            return self._keeper.render(pickled, fmt, options)
        picture = self._read_picture()
        if picture is None:
            raise FileNotFoundError(f"kept figure {self.figure.id} has no picture any more")
        return picture
