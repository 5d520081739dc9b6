#!/bin/sh
# Install Debian's headless-capable Chromium for the panel's HTML test, only when it is missing.
# Needs root (CI containers run as root) and a reachable Debian mirror.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_chromium.sh: /usr/bin/chromium is missing; run as root: apt-get install chromium" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
