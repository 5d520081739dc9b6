"""One score at a time in a cue folder: a claim taken atomically when a score starts, released
when it ends.

Two scores into one folder both succeeded, and one timeline's clips pointed at the other's music.
The claim is a lock file created with O_CREAT|O_EXCL (atomic on local and NFSv3+ disks), holding
the claimant's host, pid and score. A claim whose process is gone (a killed bridge) is stale and
is taken over; scores of this one process are told apart by the folders it holds in memory.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

from cuebridge.bridge.errors import TimelineError

CLAIM_NAME = ".cuebridge-score.lock"

_held: set[Path] = set()  # cue folders claimed by scores of this process
_held_lock = threading.Lock()


def claim_cue_folder(cue_dir: Path, owner: str) -> Path:
    """Claim `cue_dir` for the score `owner` ("timeline in -> timeline out"), or refuse naming the
    folder and the score that holds it. Returns the folder, for `release_cue_folder`."""
    folder = Path(cue_dir).resolve()
    note = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "score": owner})
    with _held_lock:
        for _ in range(2):  # a stale claim is removed once, then claimed afresh
            try:
                fd = os.open(folder / CLAIM_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _holder(folder / CLAIM_NAME)
                if _alive(holder) and (holder.get("pid") != os.getpid() or folder in _held):
                    raise TimelineError(
                        folder,
                        f"is in use by another score ({holder.get('score') or 'unknown'}, "
                        f"process {holder.get('pid')} on {holder.get('host')})",
                        "wait for that score to finish, or choose another --cue-dir",
                    ) from None
                (folder / CLAIM_NAME).unlink(missing_ok=True)  # its process is gone: stale
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(note + "\n")
            _held.add(folder)
            return folder
    raise TimelineError(folder, "cannot be claimed for this score", "run the score again")


def release_cue_folder(folder: Path | None) -> None:
    """The score is over (written, failed or cancelled): the folder is free for the next."""
    if folder is None:
        return
    with _held_lock:
        if folder in _held:
            _held.discard(folder)
            (folder / CLAIM_NAME).unlink(missing_ok=True)


def _holder(path: Path) -> dict:
    try:
        data = json.loads(path.read_text()[:4096])
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}  # unreadable or half-written: treated as stale


def _alive(holder: dict) -> bool:
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if holder.get("host") != socket.gethostname():
        return True  # another machine's process: it cannot be checked from here, so it holds
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True
