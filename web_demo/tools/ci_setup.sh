#!/usr/bin/env bash
# Installs what the browser tests (tests/web) need on a fresh Debian machine:
# Chromium from Debian's packages (Playwright drives it; no browser download),
# npm when it is missing, and the page's pinned npm packages (npm ci from
# web_demo/package-lock.json). Playwright for Python comes with the project's
# dev extras (pip install -e '.[dev]'). Needs root or sudo for apt-get, as on CI.
#
#   bash web_demo/tools/ci_setup.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt=(apt-get)
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        apt=(sudo apt-get)
    else
        apt=()
    fi
fi
export DEBIAN_FRONTEND=noninteractive
updated=0
install_packages() {
    if [ ${#apt[@]} -eq 0 ]; then
        echo "ci_setup.sh: missing $*, and this user cannot run apt-get; install the Debian" \
            "packages $* yourself" >&2
        exit 2
    fi
    echo "Installing Debian packages $*..."
    # A fresh machine may have no package lists yet; update once, only when needed.
    if ! "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; then
        if [ "$updated" = 0 ]; then
            "${apt[@]}" update -qq
            updated=1
        fi
        "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
    fi
}

if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
    install_packages chromium
fi
if ! command -v npm >/dev/null 2>&1; then
    install_packages nodejs npm
fi
"$(command -v chromium || echo /usr/bin/chromium)" --version

cd "$here"
# --no-audit / --no-fund: no extra registry calls that a closed network would
# stall on; retries ride out a slow registry.
npm ci --no-audit --no-fund --fetch-retries=4 --fetch-retry-mintimeout=5000
