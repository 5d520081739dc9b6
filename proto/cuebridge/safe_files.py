"""Temporary files beside a target, the one way every writer makes them.

A cue folder or an output folder may be shared with people who can plant a symlink under a
predictable temporary name (`.cue-001.raw.tmp`): opening that name with open(path, "w") would
write through the link to wherever it points. `tempfile.mkstemp` creates a new, randomly named
file with O_CREAT|O_EXCL (and O_NOFOLLOW where the platform has it), so nothing planted is
followed, and a failed or killed write never leaves half a file under the target's name.

Root layer: the engine, the bridge and the app all write files this way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

TEMP_SUFFIX = ".tmp"  # every writer's temp names end so: a resume sweeps `.*.tmp` away


def new_file_mode() -> int:
    """The mode open(2) gives a new file under this process's umask (0644 under 022).

    mkstemp makes 0600 files; cues and timelines live on storage a studio shares, so they get
    the mode any other new file would."""
    return 0o666 & ~_umask()


def _umask() -> int:
    # /proc says it without changing it (os.umask must set it to read it: racy in a server).
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_beside(target: str | Path, mode: int | None = None) -> tuple[int, Path]:
    """A new file in `target`'s folder, named `.<target name>.<random>.tmp`, created exclusively
    (never through a planted link): (open descriptor, path). `mode` defaults to the umask's."""
    target = Path(target)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    try:
        os.fchmod(fd, new_file_mode() if mode is None else mode)
    except BaseException:
        os.close(fd)
        os.unlink(name)
        raise
    return fd, Path(name)


@contextmanager
def replacing(
    target: str | Path,
    *,
    mode: int | None = None,
    verify: Callable[[Path], None] | None = None,
    rename: bool = True,
) -> Iterator[tuple[BinaryIO, Path]]:
    """Write `target` through a fresh temp file beside it: yields (open binary file, temp path).
    On a clean exit the file is flushed and fsynced, `verify(temp path)` may refuse it (raise),
    and it is renamed over `target` (unless `rename` is False: the caller renames it). On any
    error the temp file is removed and `target` is untouched."""
    fd, tmp = temp_beside(target, mode)
    try:
        with os.fdopen(fd, "w+b") as fh:
            yield fh, tmp
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the name says it is done
        if verify is not None:
            verify(tmp)
        if rename:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
