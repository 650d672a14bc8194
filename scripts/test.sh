#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium included) and run the whole suite:
# ruff, mypy (strict on webfig/) and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --editable ".[test]"

"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m mypy
"$python" -m pytest "$@"
