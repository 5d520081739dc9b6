"""Worker processes that never outlive the process that started them (both halves use them).

A spawned pool worker blocks on its task pipe; when its parent is killed (kill -9, a crash, an
`os._exit`) nothing tells it, and each composer worker holds a SoundFont of over 1 GB. A thread in
the worker waits on the parent's sentinel and ends the worker as soon as the parent is gone.

`forked_pool` makes workers that share what one process loaded: multiprocessing's forkserver (a
fresh single-threaded interpreter, never the server's threads) imports the `preload` module once,
which loads the 1 GB font, and forks every worker from there; the workers read the same pages
(copy-on-write, never written), so a machine holds one decoded font however many workers render.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

_fork_lock = threading.Lock()
_forkserver_env: dict[str, str] | None = None  # what the running forkserver preloaded with
_retired: list[int] = []  # forkservers let go, not yet reaped


def spawn_pool(workers: int, initializer=None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of fresh interpreters (spawn: a server's gRPC threads are never forked) whose
    workers end with their parent."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )


def forked_pool(
    workers: int,
    preload: str,
    env: dict[str, str],
    initializer=None,
    initargs: tuple = (),
) -> ProcessPoolExecutor:
    """A pool whose workers are forked from one process that imported module `preload` first,
    with `env` in its environment (how the preload knows what to load); they end with their
    parent. The forkserver is one per process: asked with another `env`, it is started afresh
    (workers already forked keep running)."""
    context = multiprocessing.get_context("forkserver")
    start_forkserver(preload, env)
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start, initargs=(initializer, initargs)
    )


def start_forkserver(preload: str, env: dict[str, str]) -> None:
    """Start the forkserver (importing module `preload` with `env`) unless it already runs with
    `env`; it preloads while this process goes on, so a server may start it first thing and
    build its pool later. Asked with another `env`, it is started afresh."""
    global _forkserver_env
    with _fork_lock:
        if _forkserver_env != env:
            if _forkserver_env is not None:
                _retire_forkserver()
            os.environ.update(env)  # read by the forkserver's preload, at its start only
            multiprocessing.get_context("forkserver").set_forkserver_preload([preload])
            _forkserver_env = dict(env)
        multiprocessing.forkserver.ensure_running()


def stop_forkserver(env: dict[str, str]) -> None:
    """Stop the forkserver if it was started with `env` (what it preloaded is freed; workers
    already forked keep running, and a later pool starts it again)."""
    global _forkserver_env
    with _fork_lock:
        if _forkserver_env == env:
            _retire_forkserver()
            _forkserver_env = None


def _retire_forkserver() -> None:
    """Let the running forkserver go without waiting for it: it ends once the workers forked
    from it have (they hold its pipe); the next pool starts a fresh one. (multiprocessing's
    own stop waits for those workers; its fields are the same from 3.10 to 3.13.)"""
    server = multiprocessing.forkserver._forkserver
    try:
        with server._lock:  # type: ignore[attr-defined]
            if server._forkserver_pid is None:  # type: ignore[attr-defined]
                return
            os.close(server._forkserver_alive_fd)  # type: ignore[attr-defined]
            _retired.append(server._forkserver_pid)  # type: ignore[attr-defined]
            server._forkserver_address = None  # type: ignore[attr-defined]
            server._forkserver_alive_fd = None  # type: ignore[attr-defined]
            server._forkserver_pid = None  # type: ignore[attr-defined]
    except AttributeError:  # another Python's forkserver: it keeps what it preloaded
        return
    for pid in list(_retired):  # reap those that have ended
        try:
            ended, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            ended = pid
        if ended:
            _retired.remove(pid)


def _start(initializer, initargs: tuple) -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _end_with(sentinel: int) -> None:
    wait([sentinel])
    os._exit(0)
