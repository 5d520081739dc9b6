"""Worker processes that never outlive the process that started them (both halves use them).

A spawned pool worker blocks on its task pipe; when its parent is killed (kill -9, a crash, an
`os._exit`) nothing tells it, and each composer worker holds a SoundFont of over 1 GB. A thread in
the worker waits on the parent's sentinel and ends the worker as soon as the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait


def spawn_pool(workers: int, initializer=None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of fresh interpreters (spawn: a server's gRPC threads are never forked) whose
    workers end with their parent."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )


def _start(initializer, initargs: tuple) -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _end_with(sentinel: int) -> None:
    wait([sentinel])
    os._exit(0)
