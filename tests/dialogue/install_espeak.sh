#!/bin/sh
# Install Debian's espeak-ng (the tests' speech synthesiser), only when it is missing.
# Needs root (CI containers run as root) and a reachable Debian mirror.
set -eu
if command -v espeak-ng >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_espeak.sh: espeak-ng is missing; run as root: apt-get install espeak-ng" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends espeak-ng
