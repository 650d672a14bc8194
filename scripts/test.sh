#!/usr/bin/env bash
# Install everything the tests need (Debian's Chromium, nginx and openssl included) and run
# the whole suite: ruff, mypy (strict on webfig/) and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/environment.sh

# Debian packages the tests run: Chromium for the browser tests; nginx and openssl for the
# reverse-proxy test; redis-server and memcached for the shared render cache. The tests
# start each server of their own on a free port (a service the package may start is not
# used). nginx lives in /usr/sbin, off a user's PATH.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --editable ".[test]"

"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m mypy
"$python" -m pytest "$@"
