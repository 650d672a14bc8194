"""Where the server cannot listen: one error line naming the setting to change, and nothing
left behind."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from typing import Any

import pytest

from webfig.config import Settings
from webfig.runtime.event_loop import server_thread
from webfig.server import FigureServer, ListenError

from .processes import run_python

# Names under .invalid never resolve (RFC 6761); 203.0.113.0/24 is for documentation only
# (RFC 5737), so no machine has it.
UNKNOWN_HOST = "no-such-host.invalid"
FOREIGN_ADDRESS = "203.0.113.1"


def open_sockets() -> int:
    """How many sockets this process has open (the server thread's loop running, with the
    socket pair that wakes it)."""
    server_thread().run_sync(lambda: None)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        # An fd may close while we look (the listing's own, say).
        with contextlib.suppress(FileNotFoundError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


@pytest.mark.parametrize("port", [0, 8988])
@pytest.mark.parametrize(
    ("address", "problem", "code"),
    [
        (UNKNOWN_HOST, f"cannot listen on '{UNKNOWN_HOST}': no address found for that name", None),
        (
            FOREIGN_ADDRESS,
            f"cannot listen on {FOREIGN_ADDRESS}: this machine has no such address",
            errno.EADDRNOTAVAIL,
        ),
    ],
    ids=["unknown host", "address of another machine"],
)
def test_an_address_it_cannot_listen_on_is_one_line_naming_the_setting(
    address: str, problem: str, code: int | None, port: int
) -> None:
    before = open_sockets()
    server = FigureServer(Settings(port=port, port_retries=0, address=address, open_browser=False))
    with pytest.raises(ListenError) as raised:
        server.start()
    message = str(raised.value)
    assert message.startswith(("webfig: ", f"[Errno {code}] webfig: ")), message
    assert problem in message
    assert "set WEBFIG_ADDRESS (or address=) to one of this machine's" in message
    assert "\n" not in message
    assert raised.value.errno == code
    # Only webfig's line is shown: no socket error chained to it.
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert not server.running
    assert server.port is None
    # Nothing kept open, even while the error (and the frames of its traceback) lives.
    assert open_sockets() == before


def test_a_port_it_may_not_use_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a user who is not root binding port 80 (the tests may run as root)."""
    bind = socket.socket.bind

    def refuse_port_80(self: socket.socket, address: Any) -> None:
        if address[1] == 80:
            raise PermissionError(errno.EACCES, "Permission denied")
        bind(self, address)

    monkeypatch.setattr(socket.socket, "bind", refuse_port_80)
    before = open_sockets()
    server = FigureServer(Settings(port=80, port_retries=0, open_browser=False))
    with pytest.raises(ListenError) as raised:
        server.start()
    assert str(raised.value) == (
        f"[Errno {errno.EACCES}] webfig: port 80 on 127.0.0.1 needs privileges this process"
        " lacks; set WEBFIG_PORT (or port=) to a port above 1023"
    )
    assert raised.value.__suppress_context__
    assert not server.running
    assert open_sockets() == before


def test_a_script_with_an_unknown_address_ends_with_webfigs_line() -> None:
    """What the user of ``plt.show()`` sees: the traceback ends in webfig's line, with no
    socket error chained before it."""
    result = run_python(
        "import matplotlib; matplotlib.use('webfig'); import matplotlib.pyplot as plt;"
        "plt.plot([1, 2]); plt.show()",
        WEBFIG_ADDRESS=UNKNOWN_HOST,
    )
    assert result.returncode == 1
    last = result.stderr.rstrip().splitlines()[-1]
    # Between the two: the resolver's reason, in the words of the C library.
    assert last.startswith(
        "webfig.server.figure_server.ListenError: webfig: cannot listen on"
        f" '{UNKNOWN_HOST}': no address found for that name ("
    ), last
    assert last.endswith(
        "); set WEBFIG_ADDRESS (or address=) to one of this machine's, such as 127.0.0.1"
        " (or 0.0.0.0 for every network)"
    ), last
    assert result.stderr.count("Traceback") == 1
    assert "gaierror" not in result.stderr
    assert "serving figures" not in result.stdout
