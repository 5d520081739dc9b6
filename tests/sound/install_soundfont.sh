#!/bin/sh
# Install Debian's MuseScore General SoundFont (.sf3) for the sound tests, only when it is missing.
# Needs root (CI containers run as root) and a reachable Debian mirror. apt-get waits for a
# dpkg lock another installer holds instead of failing.
set -eu
FONT=/usr/share/sounds/sf3/MuseScore_General.sf3
if [ -f "$FONT" ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "install_soundfont.sh: $FONT is missing; run as root: apt-get install musescore-general-soundfont" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends musescore-general-soundfont
