"""Who already listens on a TCP port: named in the message when `serve` cannot bind.

Linux only (it reads /proc, see proc(5): /proc/net/tcp{,6} list sockets with their inode, and
/proc/PID/fd links name "socket:[INODE]"); elsewhere, or for another user's process that we may
not look into, the answer is None and the message names the port alone.
"""

from __future__ import annotations

import os
from pathlib import Path

_LISTEN = "0A"  # the TCP state column of /proc/net/tcp for LISTEN


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == _LISTEN and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def port_owner(port: int) -> str | None:
    """'pid 1234 (cuebridge serve ...)' for the process listening on `port`, or None."""
    inodes = {f"socket:[{i}]" for i in _listening_inodes(port)}
    if not inodes:
        return None
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if not any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                continue
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").strip()
        except OSError:
            continue  # gone meanwhile, or not ours to look into
        return f"pid {pid} ({cmd.decode(errors='replace')[:120]})"
    return None
