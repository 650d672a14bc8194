# Sourced by scripts/demo.sh and scripts/test.sh: pick the Python to install into, and set
# $python to it.
#
# - With a virtual environment active ($VIRTUAL_ENV), that environment's Python.
# - Otherwise a virtual environment of the clone's own, .venv (git-ignored), made with
#   $PYTHON (default: python3) and made again when it was made with another Python. System
#   Pythons that refuse installs outside an environment (PEP 668: Debian 12, Ubuntu 23.04
#   and later, Fedora) need one; every other Python gets one too, so both paths are the same.
#   Debian's and Ubuntu's Python lacks venv until the python3-venv package is installed:
#   this installs it (with sudo when not root).

# Runs a command as root: directly when we are root, else with sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages with apt-get, quietly.
apt_install() {
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The interpreter and prefix a Python runs on, to tell whether .venv was made from it.
python_identity() {
    "$1" -c 'import sys; print(sys.base_prefix, sys.version)'
}

if [ -n "${VIRTUAL_ENV:-}" ]; then
    python="$VIRTUAL_ENV/bin/python"
else
    base=${PYTHON:-python3}
    if ! command -v "$base" >/dev/null 2>&1; then
        echo "error: no $base on PATH; install Python 3.10 or later, or set PYTHON" >&2
        exit 1
    fi
    if ! "$base" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        echo "error: webfig needs Python 3.10 or later; $base is $("$base" -V 2>&1)" >&2
        exit 1
    fi
    if ! "$base" -c 'import ensurepip, venv' 2>/dev/null; then
        if ! command -v apt-get >/dev/null 2>&1; then
            echo "error: $base has no venv module; install it (it is often python3-venv)" >&2
            exit 1
        fi
        echo "installing Debian's python3-venv (needed to make .venv)" >&2
        apt_install python3-venv
    fi
    if [ ! -x .venv/bin/python ] \
        || [ "$(python_identity .venv/bin/python)" != "$(python_identity "$base")" ]; then
        echo "making a virtual environment in .venv with $("$base" -V 2>&1)" >&2
        "$base" -m venv --clear .venv
    fi
    python="$PWD/.venv/bin/python"
fi
