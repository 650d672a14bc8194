"""The publishing socket's messages (webfig/hub/publishing.py): what one side builds the other
reads back, and what no publisher may send is refused with a message naming it."""

from __future__ import annotations

from typing import Any

import pytest

from webfig.hub import publishing
from webfig.hub.publishing import PublishedFigure, PublishingError, RunInfo
from webfig.wire.interfaces import DownloadOptions

FIGURE = PublishedFigure(
    num=3,
    label="loss curve",
    width=640.0,
    height=480.0,
    width_inches=6.4,
    height_inches=4.8,
    formats={"png": "Portable Network Graphics", "svg": "Scalable Vector Graphics"},
    default_format="png",
    toolbar_kind="toolbar2",
    closable=True,
)
RUN = RunInfo(host="node17", script="train.py", argv=("--epochs", "3"), pid=4242, started=1.7e9)


def test_a_run_and_a_figure_read_back_as_they_were_sent() -> None:
    assert publishing.read_run(publishing.parse(publishing.run_message(RUN))) == RUN
    assert publishing.read_figure(publishing.parse(publishing.figure_message(FIGURE))) == FIGURE


def test_binary_messages_say_what_they_are_and_whose() -> None:
    assert publishing.parse_binary(publishing.frame(7, b"png")) == (publishing.FRAME, 7, b"png")
    saved = publishing.saved_file(2**32 - 1, b"%PDF")
    assert publishing.parse_binary(saved) == (publishing.SAVED, 2**32 - 1, b"%PDF")


def test_a_save_request_reads_back() -> None:
    options = DownloadOptions(dpi=150.0, transparent=True, tight=False)
    message = publishing.parse(publishing.save_message(5, 3, "pdf", options))
    assert publishing.read_save(message) == (5, 3, "pdf", options)


def changed_figure(**fields: Any) -> dict[str, Any]:
    return {**publishing.parse(publishing.figure_message(FIGURE)), **fields}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"label": "x" * 257}, "'label'"),
        ({"width": float("inf")}, "'width'"),
        ({"width": True}, "'width'"),
        ({"num": -1}, "'num'"),
        ({"num": 1.5}, "'num'"),
        ({"formats": {}}, "'formats'"),
        ({"default_format": "exe"}, "'default_format'"),
        ({"toolbar_kind": "qt"}, "'toolbar_kind'"),
        ({"closable": "yes"}, "'closable'"),
    ],
)
def test_a_figure_announcement_out_of_bounds_is_refused(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(PublishingError, match=named):
        publishing.read_figure(changed_figure(**fields))


def test_a_run_of_another_protocol_version_is_refused() -> None:
    message = {**publishing.parse(publishing.run_message(RUN)), "version": 999}
    with pytest.raises(PublishingError, match="version 999"):
        publishing.read_run(message)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"no": "type"}', '{"type": 3}'])
def test_text_that_is_no_message_is_refused(text: str) -> None:
    with pytest.raises(PublishingError):
        publishing.parse(text)


@pytest.mark.parametrize("data", [b"", b"F12", b"X\x00\x00\x00\x01frame"])
def test_a_binary_message_without_a_known_header_is_refused(data: bytes) -> None:
    with pytest.raises(PublishingError):
        publishing.parse_binary(data)


def test_a_message_for_a_viewer_must_be_a_message() -> None:
    with pytest.raises(PublishingError, match="'message'"):
        publishing.read_to_viewer({"type": "to_viewer", "viewer": 1, "message": [1]})
