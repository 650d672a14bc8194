#!/usr/bin/env bash
# Install webfig and run the demo: the README's first command. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/environment.sh

"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore .
exec "$python" -m webfig demo "$@"
