"""The ``visibility`` extension: a hidden page (a background tab) gets no frames and costs no
draws; shown again, it gets the picture as it is then, at once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from webfig.wire.extensions import VISIBILITY, accepted_extensions
from webfig.wire.incoming import ProtocolError, Visibility, parse_message

from .test_manager import acknowledging_viewer, on_loop, send, settle
from .viewers import RecordingViewer


def visibility_viewer(manager: Any) -> RecordingViewer:
    """A viewer that negotiated rect frames and visibility, connected and painted once."""
    viewer = acknowledging_viewer(manager)
    on_loop(lambda: manager.add_viewer(viewer))
    send(manager, viewer, "webfig_hello", protocol=1, extensions=["rect_frames", VISIBILITY])
    send(manager, viewer, "refresh")
    viewer.wait_for_frame()
    return viewer


def change(figure: Any, value: float) -> None:
    figure.axes[0].lines[0].set_ydata([0, value, 0])
    figure.canvas.draw_idle()
    settle(figure.canvas.manager)
    settle(figure.canvas.manager)


def test_the_server_speaks_visibility() -> None:
    assert VISIBILITY in accepted_extensions((VISIBILITY,))


def test_visibility_messages_are_checked() -> None:
    assert parse_message('{"type": "webfig_visibility", "visible": false}') == Visibility(False)
    for bad in ('{"type": "webfig_visibility"}', '{"type": "webfig_visibility", "visible": 1}'):
        with pytest.raises(ProtocolError, match="visible"):
            parse_message(bad)


def test_a_hidden_viewer_costs_no_draw_and_gets_the_picture_when_shown(figure: Any) -> None:
    manager = figure.canvas.manager
    viewer = visibility_viewer(manager)
    draws: list[object] = []
    figure.canvas.mpl_connect("draw_event", draws.append)

    send(manager, viewer, "webfig_visibility", visible=False)
    frames = len(viewer.frames())
    for value in (0.2, 0.4, 0.6):
        change(figure, value)
    assert draws == []
    assert len(viewer.frames()) == frames

    mark = len(viewer.messages)
    send(manager, viewer, "webfig_visibility", visible=True)
    viewer.wait_for_frame(after=mark)
    settle(manager)
    # One draw of the figure as it is now, and one frame of it: none of the steps between.
    assert len(draws) == 1
    assert len(viewer.frames()) == frames + 1
    np.testing.assert_array_equal(viewer.picture(), figure.canvas.pixels())


def test_a_viewer_shown_again_with_nothing_new_gets_no_frame(figure: Any) -> None:
    manager = figure.canvas.manager
    viewer = visibility_viewer(manager)
    send(manager, viewer, "webfig_visibility", visible=False)
    send(manager, viewer, "webfig_visibility", visible=True)
    settle(manager)
    assert len(viewer.frames()) == 1


def test_others_keep_their_frames_while_one_viewer_is_hidden(figure: Any) -> None:
    manager = figure.canvas.manager
    hidden = visibility_viewer(manager)
    watching = visibility_viewer(manager)
    send(manager, hidden, "webfig_visibility", visible=False)
    hidden_frames = len(hidden.frames())

    mark = len(watching.messages)
    change(figure, 0.3)
    watching.wait_for_frame(after=mark)
    np.testing.assert_array_equal(watching.picture(), figure.canvas.pixels())
    assert len(hidden.frames()) == hidden_frames
    # Messages other than frames still reach the hidden viewer.
    mark = len(hidden.messages)
    figure.canvas.manager.set_window_title("renamed")
    hidden.wait_for_json("figure_label", after=mark)

    mark = len(hidden.messages)
    send(manager, hidden, "webfig_visibility", visible=True)
    hidden.wait_for_frame(after=mark)
    np.testing.assert_array_equal(hidden.picture(), figure.canvas.pixels())
