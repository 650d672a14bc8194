"""A worker process that saves figures sent to it (see :mod:`webfig.rendering.offload`).

    python -m webfig.rendering.save_worker

Reads requests from stdin and answers each on stdout, until stdin ends. Each request is
saved with the rcParams and fonts of the process that sent it, then everything is put back,
so requests never influence one another.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from typing import IO, Any, cast

import matplotlib as mpl

mpl.use("agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager

from webfig.rendering.offload import read_message, write_message
from webfig.rendering.render import render


def _raw(params: mpl.RcParams) -> dict[str, Any]:
    """rcParams as the dict they are, to copy values without validating them again."""
    return cast("dict[str, Any]", params)


def _add_fonts(paths: list[str], known: set[str]) -> None:
    """Fonts the sending process registered (``fontManager.addfont``) and this one lacks."""
    for path in paths:
        if path not in known:
            known.add(path)
            # A font file the sender had and is gone: the save falls back as it would there.
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)


def _save(request: dict[str, Any], pristine: dict[str, Any], known: set[str]) -> bytes:
    _add_fonts(request["fonts"], known)
    # The values were checked where they were set; copied over as they are.
    params = _raw(mpl.rcParams)
    dict.update(params, request["rc"])
    try:
        figure = pickle.loads(request["figure"])
        try:
            return render(figure, request["format"], request["dpi"], **request["savefig"])
        finally:
            plt.close(figure)  # unpickling a pyplot figure registered it with pyplot here
    finally:
        dict.update(params, pristine)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    pristine = dict(_raw(mpl.rcParams))
    known = {font.fname for font in font_manager.fontManager.ttflist}
    while (request := read_message(requests)) is not None:
        try:
            answer: tuple[str, object] = ("ok", _save(request, pristine, known))
        except Exception as error:
            answer = ("failed", f"{type(error).__name__}: {error}")
        write_message(answers, answer)


def main() -> None:
    # Answers go to the real stdout; anything the figure's code prints goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
