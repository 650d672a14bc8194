"""Render scheduling: a render starts once a viewer can take its frame, and no wake-up is lost
to a race between the scheduler's look and a viewer's ack."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace

from webfig.figure.render_scheduler import RenderScheduler


class InlineFigureThread:
    """The figure's thread as the test's own: ``submit`` keeps the jobs for the test."""

    def __init__(self) -> None:
        self.jobs: list[object] = []

    def is_current(self) -> bool:
        return True  # so that start() looks at once, on the caller's thread

    def submit(self, job: object, *, key: object = None, transparent: bool = False) -> None:
        self.jobs.append(job)


class Canvas:
    def __init__(self) -> None:
        self.figure = SimpleNamespace(stale=False, number=1)
        self.lock = threading.RLock()
        self.figure_thread = InlineFigureThread()


class Delivery:
    """Viewers that can take a frame once ``can_take`` is set; ``during_look`` runs inside
    the scheduler's look, after its answer is taken: what happens meanwhile on another
    thread."""

    def __init__(self) -> None:
        self.can_take = False
        self.during_look: list[Callable[[], None]] = []

    def note_change(self) -> None:
        pass

    def wants_render(self) -> bool:
        answer = self.can_take
        while self.during_look:
            self.during_look.pop(0)()
        return answer


def scheduler_with(delivery: Delivery) -> tuple[RenderScheduler, Canvas]:
    canvas = Canvas()
    return RenderScheduler(canvas, delivery), canvas


def test_an_ack_while_the_scheduler_looks_still_starts_a_render():
    """The viewer acks (and can take a frame) just after the scheduler found it could not:
    the ack's start() finds the render pending and leaves it to the look in progress."""
    delivery = Delivery()
    scheduler, canvas = scheduler_with(delivery)

    def ack() -> None:
        delivery.can_take = True
        scheduler.start()  # what the delivery's on_capacity calls

    delivery.during_look.append(ack)
    scheduler.request()
    assert len(canvas.figure_thread.jobs) == 1, "the ack's wake-up was lost"


def test_with_no_viewer_to_take_it_no_render_runs_until_one_can():
    delivery = Delivery()
    scheduler, canvas = scheduler_with(delivery)
    scheduler.request()
    scheduler.request()
    assert canvas.figure_thread.jobs == []
    delivery.can_take = True
    scheduler.start()
    scheduler.start()  # one render pending: the second start adds none
    assert len(canvas.figure_thread.jobs) == 1


class DrawingCanvas(Canvas):
    """Counts its draws."""

    def __init__(self) -> None:
        super().__init__()
        self.draws = 0

    def render_agg(self) -> None:
        self.draws += 1

    def pixels(self) -> object:
        return None


class PublishingDelivery(Delivery):
    def publish(self, *args: object, **kwargs: object) -> None:
        pass


def test_a_stale_figure_is_drawn_only_when_a_viewer_asks_for_it_as_it_is():
    """Stale alone (a callback's change, with no draw_idle) starts no render, and a render
    that only publishes does not draw; a viewer's ask for the figure as it is (a refresh)
    does, unless the script is blitting."""
    delivery = PublishingDelivery()
    delivery.can_take = True
    canvas = DrawingCanvas()
    scheduler = RenderScheduler(canvas, delivery)

    def render() -> int:
        """Start a render if one is wanted, run it, and say how many draws there were."""
        scheduler.start()
        while canvas.figure_thread.jobs:
            canvas.figure_thread.jobs.pop(0)()  # type: ignore[operator]
        return canvas.draws

    assert render() == 1  # the first draw
    canvas.figure.stale = True
    assert render() == 1  # an acknowledgement, say: nothing wanted
    scheduler.request(draw=False, changed=False)  # a release's frame, for the preview
    assert render() == 1
    scheduler.want_current()  # a page's refresh
    assert render() == 2
    scheduler.request(draw=False)  # the script blits
    scheduler.want_current()
    assert render() == 2, "a draw would wipe what was blitted"
    scheduler.request()  # draw_idle: the script is done blitting
    assert render() == 3
