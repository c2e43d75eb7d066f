#!/usr/bin/env bash
# Installs the browser the viewer's browser tests drive: Debian's chromium at /usr/bin/chromium
# (Python playwright drives it with executable_path; playwright's own download is not used).
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install-browser: $CHROMIUM is already installed ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get not found; install Chromium so that $CHROMIUM exists (Debian/Ubuntu: apt-get install chromium)" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-browser: not root and sudo is missing; run as root: apt-get install chromium fonts-dejavu-core" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# fonts-dejavu-core / fonts-liberation: readable text in headless screenshots on slim images.
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-liberation

if [ ! -x "$CHROMIUM" ]; then
    echo "install-browser: chromium installed but $CHROMIUM is missing" >&2
    exit 1
fi
echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
