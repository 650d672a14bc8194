"""The load benchmark (benchmarks/load.py) runs, delivers frames and counts no errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parents[1] / "benchmarks" / "load.py"
ROW = re.compile(r"^\| (?P<metric>[^|]+?) \| (?P<value>[^|]+?) \|$")


def run_load(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOAD), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def table(output: str) -> dict[str, float]:
    """The single backend's column of the Markdown table, by metric."""
    rows = (ROW.match(line) for line in output.splitlines())
    return {
        row["metric"]: float(row["value"])
        for row in rows
        if row is not None and row["metric"] != "metric" and row["value"] != "---:"
    }


def test_a_short_webfig_load_delivers_frames_without_errors() -> None:
    result = run_load(
        *("--viewers", "4", "--figures", "2", "--seconds", "3", "--warmup", "1"),
        *("--sample", "1", "--backend", "webfig"),
    )
    assert result.returncode == 0, result.stderr
    rows = table(result.stdout)
    assert rows["frames delivered, total"] > 0, result.stdout
    assert rows["frames per viewer, min"] > 0, result.stdout
    assert rows["errors, total"] == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--address", "0.0.0.0"], "not a loopback address"),
        (["--address", "192.168.1.10"], "not a loopback address"),
        (["--viewers", "501"], "must be from 1 to 500"),
        (["--seconds", "601"], "must be from 1 to 600"),
    ],
)
def test_the_load_stays_local_and_bounded(arguments: list[str], complaint: str) -> None:
    result = run_load(*arguments)
    assert result.returncode == 2
    assert complaint in result.stderr
