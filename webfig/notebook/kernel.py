"""Whether this process is an IPython kernel: the one question about notebooks that needs
none of the notebook extra, so a kernel without it can be told what to install."""

from __future__ import annotations

import sys
from typing import Any


def kernel_shell() -> Any | None:
    """The IPython shell of the kernel this process is (a notebook's, say), or None in any
    other process, a terminal's IPython included. Imports nothing that is not there yet."""
    if "ipykernel" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def display_text(text: str) -> None:
    """Show ``text`` as an object's display in IPython (a terminal's too)."""
    from IPython.display import display

    display({"text/plain": text}, raw=True)  # type: ignore[no-untyped-call]
