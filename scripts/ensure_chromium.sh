#!/usr/bin/env bash
# Make sure a Chromium for the page tests (tests/pages) is installed: Debian's `chromium`.
# Installs it with apt-get when missing (as root, or with sudo); otherwise says what to run.
set -euo pipefail
for c in "${CHROMIUM:-}" chromium chromium-browser; do
    if [[ -n "$c" ]] && command -v "$c" >/dev/null 2>&1; then
        echo "ensure_chromium: $(command -v "$c") is installed"; exit 0
    fi
done
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
        echo "ensure_chromium: no Chromium, and no root to install it." >&2
        echo "  Install it once: sudo apt-get install -y chromium   (or set CHROMIUM=/path/to/chrome)" >&2
        exit 1
    fi
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure_chromium: no apt-get; install Chromium and set CHROMIUM" >&2; exit 1; }
echo "ensure_chromium: installing Debian's chromium (about 400 MB, 1-2 minutes)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null && echo "ensure_chromium: $(chromium --version 2>/dev/null)"
