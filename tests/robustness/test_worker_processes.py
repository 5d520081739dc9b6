"""A worker process (composer batch, voice detector) ends when the process that started it is
killed: orphaned composer workers were found holding 1.3 GB each after a server's kill -9."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PARENT = textwrap.dedent(
    """
    import os, signal, sys
    from cuebridge.worker_process import forked_pool, spawn_pool
    if __name__ == "__main__":
        if sys.argv[1] == "forked":  # the composer's: forked from a forkserver (issue 23)
            pool = forked_pool(2, "json", {"CUEBRIDGE_TEST_PRELOAD": "1"})
        else:
            pool = spawn_pool(2)
        pids = {pool.submit(os.getpid).result() for _ in range(8)}
        print(" ".join(map(str, pids)), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no shutdown, no atexit: as a crash or kill -9
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by init) has ended too.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@pytest.mark.parametrize("kind", ["spawned", "forked"])
def test_workers_end_when_their_parent_is_killed(tmp_path, kind):
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    done = subprocess.run(
        [sys.executable, str(script), kind], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert pids
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)]
    for p in left:  # do not leave them behind on the test machine either
        os.kill(p, 9)
    assert not left, f"worker(s) {left} outlived their parent"
