"""A viewer's unsent messages stay bounded: state messages wait coalesced while it is
behind, and a viewer too far behind is closed (it reconnects)."""

from __future__ import annotations

import json
import logging
from socket import SO_RCVBUF, SOL_SOCKET

from webfig.runtime.event_loop import server_thread
from webfig.server.handlers.backlog import HOLD_BYTES, Backlog
from webfig.server.handlers.sockets import FELL_BEHIND


def test_messages_go_out_while_the_connection_keeps_up():
    backlog = Backlog(hold_bytes=100, max_bytes=1000)
    assert backlog.admit("message", "a" * 60) == "send"
    assert backlog.admit("rubberband", "b" * 60) == "send"
    assert backlog.unsent == 120
    assert backlog.sent(120) == []
    assert backlog.unsent == 0


def test_state_messages_wait_coalesced_and_go_out_once_it_caught_up():
    backlog = Backlog(hold_bytes=100, max_bytes=1000)
    assert backlog.admit("frame_seq", "x" * 150) == "send"  # behind from now on
    assert backlog.admit("message", "status 1") == "hold"
    assert backlog.admit("figure_label", "label 1") == "hold"
    assert backlog.admit("message", "status 2") == "hold"  # replaces status 1
    assert backlog.admit("rubberband", "events are never held") == "send"
    assert backlog.held == 2
    assert backlog.unsent == 150 + len("events are never held")
    assert backlog.sent(60) == []  # still behind
    assert backlog.sent(100) == ["label 1", "status 2"]  # each kind's latest, in order
    assert backlog.held == 0


def test_a_viewer_too_far_behind_overflows():
    backlog = Backlog(hold_bytes=100, max_bytes=1000)
    assert backlog.admit("tool_help", "x" * 900) == "send"
    assert backlog.admit("tool_help", "y" * 200) == "overflow"
    assert backlog.admit("message", "z" * 2000) == "hold"  # held, never more than one


def server_socket(server):
    (socket,) = list(server._sockets._sockets)
    return socket


def test_a_stalled_viewer_costs_flat_memory_while_the_figure_is_relabelled(server, connect, figure):
    viewer = connect(server, 1)
    viewer.receive_frame()
    # Keep the viewer's receive buffer small: Linux grows a loopback one to tens of MB,
    # which would swallow the whole flood, bounded or not.
    stream = viewer._connection.stream
    stream.socket.setsockopt(SOL_SOCKET, SO_RCVBUF, 64 * 1024)
    socket = server_socket(server)
    manager = figure.canvas.manager
    # The viewer reads nothing from now on: 10 000 titles of 1 kB each, 10 MB in all.
    for step in range(10_000):
        manager.set_window_title(f"{step:05d} " + "x" * 1000)
    server_thread().run_sync(lambda: None)  # the broadcasts ran...
    server_thread().run_sync(lambda: None)  # ...and the writes they queued
    # (Whether a title is still held depends on how much the kernel took meanwhile.)
    assert socket._backlog.unsent <= HOLD_BYTES + 2000
    # It reads again: it gets the latest title, and nowhere near all of them.
    label = viewer.receive_until(
        lambda m: isinstance(m, str) and json.loads(m).get("label", "").startswith("09999")
    )
    assert json.loads(label)["label"] == "09999 " + "x" * 1000
    labels = [m for m in viewer.json_messages() if m["type"] == "figure_label"]
    assert len(labels) < 9000


def test_a_viewer_far_behind_on_events_is_closed_with_a_code_it_reconnects_after(
    server, connect, figure, monkeypatch, caplog
):
    viewer = connect(server, 1)
    viewer.receive_frame()
    socket = server_socket(server)
    monkeypatch.setattr(socket, "_backlog", Backlog(hold_bytes=64 * 1024, max_bytes=2**20))
    manager = figure.canvas.manager
    help_text = [["tool", "keys", "y" * 10_000]]
    with caplog.at_level(logging.WARNING, logger="webfig"):
        for _ in range(2000):  # 20 MB of messages that are events, not states
            manager.broadcast({"type": "tool_help", "tools": help_text})
        code, reason = viewer.wait_closed()
    assert (code, reason) == (FELL_BEHIND, "too far behind")
    # One warning, and a close code webfig's client reconnects after (only 4000 is final).
    assert len([r for r in caplog.records if "bytes behind" in r.getMessage()]) == 1
