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
# Node.js runs the client bundled for notebooks (tests/test_bundle.py).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

# axe-core, which the browser tests check the pages' accessibility with, from the npm
# registry into a git-ignored folder of the clone: the tests only, never webfig's pages.
AXE_CORE_VERSION=4.14.1
if [ ! -f .test-tools/node_modules/axe-core/axe.min.js ] \
    || ! grep -q "\"version\": \"$AXE_CORE_VERSION\"" .test-tools/node_modules/axe-core/package.json; then
    command -v npm >/dev/null 2>&1 || apt_install npm
    npm install --silent --no-audit --no-fund --prefix .test-tools "axe-core@$AXE_CORE_VERSION"
fi

"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --editable ".[test]"

"$python" -m ruff check .
"$python" -m ruff format --check .
"$python" -m mypy
"$python" -m pytest "$@"
