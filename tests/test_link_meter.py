"""The link meter: bounded however many frames go unacknowledged, and timed afresh on a
refresh, so that an acknowledgement is paired with the frame it acknowledges."""

from __future__ import annotations

import pytest

from webfig.frames.delivery import FrameDelivery
from webfig.frames.link_meter import MAX_TIMED, LinkMeter
from webfig.frames.viewer_state import ViewerState

from .fake_clock import Clock
from .test_lossy import on_loop, picture, watch
from .viewers import RecordingViewer
from .waiting import wait_until


def test_frames_never_acknowledged_are_timed_a_few_at_most() -> None:
    """A viewer that never acknowledges: one entry per frame, for ever, was about 190 MB a
    day at 30 frames a second."""
    meter = LinkMeter()
    for n in range(10_000):
        meter.sent(1000, float(n))
    assert meter.timed == MAX_TIMED


def test_after_a_restart_the_next_acknowledgement_is_the_next_frames() -> None:
    meter = LinkMeter()
    meter.sent(50_000, 0.0)  # never acknowledged: the viewer refreshed
    meter.restart()
    meter.sent(10_000, 10.0)
    meter.acknowledged(10.5)
    assert meter.bandwidth == pytest.approx(10_000 / 0.5)
    assert meter.timed == 0


def state_of(delivery: FrameDelivery, viewer: RecordingViewer) -> ViewerState:
    state = on_loop(lambda: delivery.state(viewer))
    assert state is not None
    return state


def test_a_viewer_that_never_acknowledges_keeps_the_meter_bounded(
    delivery: FrameDelivery,
) -> None:
    """Its frames are paced by the transport (``written``), as WebAgg's protocol allows."""
    viewer = watch(delivery)
    for count in range(1, 3 * MAX_TIMED):
        on_loop(lambda count=count: delivery.publish(picture(count)))
        wait_until(lambda count=count: len(viewer.frames()) == count, message="a frame")
        on_loop(lambda: delivery.written(viewer))
    assert state_of(delivery, viewer).link.timed <= MAX_TIMED


def test_a_refresh_pairs_the_next_acknowledgement_with_the_next_frame(
    delivery: FrameDelivery, clock: Clock
) -> None:
    """Frames the viewer never acknowledged before its refresh (it reloaded its picture) do
    not stand for the frames after it: the link is measured by those alone."""
    viewer = watch(delivery)
    for count in (1, 2):
        on_loop(lambda count=count: delivery.publish(picture(count)))
        wait_until(lambda count=count: len(viewer.frames()) == count, message="a frame")
    clock.now += 10
    on_loop(lambda: delivery.request_full(viewer))
    wait_until(lambda: len(viewer.frames()) == 3, message="the refresh's frame")
    clock.now += 0.5
    on_loop(lambda: delivery.acknowledge(viewer))
    link = state_of(delivery, viewer).link
    assert link.bandwidth == pytest.approx(len(viewer.frames()[2]) / 0.5)
    assert link.timed == 0
