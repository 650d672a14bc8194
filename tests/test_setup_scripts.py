"""scripts/environment.sh, which both README commands source: which Python they install
into, and the .venv it makes when no virtual environment is active. Fake Pythons and a fake
apt-get stand in for the real ones, so each case takes milliseconds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ENVIRONMENT = Path(__file__).resolve().parents[1] / "scripts" / "environment.sh"

# A Python as far as environment.sh asks: its version check, its identity (base prefix and
# version), whether it has venv (not until apt-get installed it, with VENV_MISSING set), and
# `-m venv --clear DIR`, which copies this script as DIR/bin/python (the same identity).
FAKE_PYTHON = """#!/bin/bash
case "$1" in
    -V) echo "Python {version}" ;;
    -c) case "$2" in
            *version_info*) exit {too_old} ;;
            *ensurepip*) [ -z "$VENV_MISSING" ] || [ -e "$FAKES/venv-installed" ] ;;
            *base_prefix*) echo "{identity}" ;;
        esac ;;
    -m) mkdir -p "$4/bin" && cp "$0" "$4/bin/python" && echo "{identity}" >> "$FAKES/venvs" ;;
esac
"""
FAKE_APT_GET = """#!/bin/bash
echo "$*" >> "$FAKES/apt-get.log"
[ "$1" != install ] || touch "$FAKES/venv-installed"
"""


def fake(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def fakes(tmp_path: Path) -> Path:
    directory = tmp_path / "fakes"
    directory.mkdir()
    for name, identity, version, too_old in [
        ("python3", "/usr 3.11.2", "3.11.2", 0),
        ("python3.12", "/opt/python 3.12.1", "3.12.1", 0),
        ("python3.9", "/usr 3.9.2", "3.9.2", 1),
    ]:
        fake(
            directory, name, FAKE_PYTHON.format(identity=identity, version=version, too_old=too_old)
        )
    fake(directory, "apt-get", FAKE_APT_GET)
    fake(directory, "sudo", '#!/bin/bash\nexec "$@"\n')
    return directory


def source(fakes: Path, clone: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Source environment.sh in ``clone`` as the README's commands do; prints $python."""
    clone.mkdir(exist_ok=True)
    inherited = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHON"}}
    return subprocess.run(
        ["bash", "-c", f'set -euo pipefail; . "{ENVIRONMENT}"; echo "$python"'],
        cwd=clone,
        env={**inherited, "PATH": f"{fakes}:{os.environ['PATH']}", "FAKES": str(fakes), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def made(fakes: Path) -> list[str]:
    venvs = fakes / "venvs"
    return venvs.read_text().splitlines() if venvs.exists() else []


def test_an_active_virtual_environment_is_used_as_it_is(fakes, tmp_path):
    result = source(fakes, tmp_path / "clone", VIRTUAL_ENV="/home/me/env")
    assert (result.returncode, result.stdout) == (0, "/home/me/env/bin/python\n")
    assert not (tmp_path / "clone" / ".venv").exists()
    assert made(fakes) == []


def test_without_one_a_venv_is_made_in_the_clone_once(fakes, tmp_path):
    clone = tmp_path / "clone"
    first = source(fakes, clone)
    assert (first.returncode, first.stdout) == (0, f"{clone}/.venv/bin/python\n")
    assert "making a virtual environment in .venv with Python 3.11.2" in first.stderr
    assert (clone / ".venv" / "bin" / "python").exists()
    again = source(fakes, clone)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    assert made(fakes) == ["/usr 3.11.2"]


def test_a_venv_made_with_another_python_is_made_again(fakes, tmp_path):
    clone = tmp_path / "clone"
    source(fakes, clone)
    result = source(fakes, clone, PYTHON=str(fakes / "python3.12"))
    assert result.returncode == 0
    assert "with Python 3.12.1" in result.stderr
    assert made(fakes) == ["/usr 3.11.2", "/opt/python 3.12.1"]


def test_a_python_without_venv_gets_debians_python3_venv_first(fakes, tmp_path):
    result = source(fakes, tmp_path / "clone", VENV_MISSING="1")
    assert result.returncode == 0, result.stderr
    assert "installing Debian's python3-venv" in result.stderr
    assert (fakes / "apt-get.log").read_text().splitlines() == [
        "update -qq",
        "install -y -qq python3-venv",
    ]
    assert made(fakes) == ["/usr 3.11.2"]


def test_an_old_python_is_refused_with_a_message(fakes, tmp_path):
    old = fakes / "python3.9"
    result = source(fakes, tmp_path / "clone", PYTHON=str(old))
    assert result.returncode == 1
    assert result.stderr == f"error: webfig needs Python 3.10 or later; {old} is Python 3.9.2\n"
    assert made(fakes) == []
