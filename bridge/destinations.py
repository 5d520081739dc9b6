"""Where a score writes, checked before any work: a refused folder costs seconds, not a night.

The output timeline's folder and the cue folder are probed by creating (and removing) a scratch
entry there, the one test that also holds for root, read-only mounts and /proc. Paths sent over
the API must be absolute: a relative one would resolve against the server's working folder,
which the caller cannot see (the CLI makes its paths absolute before sending).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cuebridge.bridge.errors import BridgeError, TimelineError


def require_absolute(**fields: str | list[str] | tuple[str, ...]) -> None:
    """Refuse a relative path in a request field; empty fields are the caller's business."""
    for name, value in fields.items():
        for one in [value] if isinstance(value, str) else list(value):
            if one and not Path(one).is_absolute():
                raise BridgeError(
                    f"{name} {one!r} is a relative path; the server would resolve it against its "
                    "own working folder — send an absolute path"
                )


def check_folder_writable(folder: Path, what: str, fix: str) -> None:
    """Refuse a folder this process cannot create files in (permissions, read-only, /proc)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".cuebridge-probe-", dir=folder)
    except OSError as exc:
        raise TimelineError(
            folder, f"cannot write {what} here ({exc.strerror or exc})", fix
        ) from exc
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


def check_cue_folder(cue_dir: Path) -> None:
    """The cue folder exists and takes files, or its nearest existing parent takes folders."""
    fix = "make the folder writable, or choose another --cue-dir"
    if cue_dir.is_dir():
        check_folder_writable(cue_dir, "cue files", fix)
        return
    parent = cue_dir.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise TimelineError(cue_dir, f"{parent} is a file, not a folder", fix)
    try:
        probe = tempfile.mkdtemp(prefix=".cuebridge-probe-", dir=parent)
    except OSError as exc:
        raise TimelineError(
            cue_dir, f"cannot create the cue folder in {parent} ({exc.strerror or exc})", fix
        ) from exc
    shutil.rmtree(probe, ignore_errors=True)
