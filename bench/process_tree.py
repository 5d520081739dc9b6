"""What a command costs over its whole process tree: CPU-seconds, wall time and peak memory.

Shared by the benches that run the CLI or the engine in a child process (bench_first_press,
bench_feature_memory). The composer's workers are forked by a forkserver that outlives the
command by a moment and is never waited for by it, so the rusage of waited-for children alone
misses them: this process becomes a child subreaper (Linux's PR_SET_CHILD_SUBREAPER), so what
the command leaves behind is handed to it and reaped here, and their CPU-seconds count too.
Peak memory is the proportional set size (PSS) summed over the tree, sampled every 0.1 s from
/proc/<pid>/smaps_rollup: pages that processes share count once over all of them.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
REAP_WAIT_S = 30.0  # what a command leaves behind (its forkserver) ends within this


@dataclass
class TreeRun:
    cpu: float  # CPU-seconds of the command and every process below it
    wall: float
    peak_pss_gb: float
    returncode: int
    stdout: str
    stderr: str


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _reap_orphans() -> None:
    """Wait for the processes the command left behind (handed to this subreaper)."""
    deadline = time.monotonic() + REAP_WAIT_S
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # none left
        if pid == 0:
            time.sleep(0.02)
    raise TimeoutError(f"processes left by the command still run after {REAP_WAIT_S:.0f} s")


def tree_pss_kb(root: int) -> int:
    """PSS summed over `root` and every process below it, in kB (processes that end while
    being read count as nothing)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_tree(argv: list[str], env: dict[str, str], sample_memory: bool = False) -> TreeRun:
    """Run `argv` to its end, and everything it started to theirs. With `sample_memory`, the
    peak PSS of the tree is sampled meanwhile (each sample reads /proc: a little CPU here)."""
    _become_subreaper()
    _reap_orphans()  # nothing of an earlier run may count here
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    child = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.1):
            peak = max(peak, tree_pss_kb(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    if sample_memory:
        sampler.join()
    _reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return TreeRun(cpu, wall, peak / 1024 / 1024, child.returncode, out, err)
