"""Giving memory back to the system when a long-lived server goes idle.

A gRPC server runs each call on a pool thread; glibc gives busy threads malloc arenas of their
own and keeps freed memory in them, so after a burst of 300 streams the process stays tens of MB
larger although nothing is held. Fewer arenas and a trim when the engine goes idle return it.
Elsewhere than glibc both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # glibc's mallopt parameter number


@functools.cache
def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_arenas(count: int = 2) -> None:
    """Before the server's threads start: at most `count` malloc arenas for all threads."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, count)


def trim() -> None:
    """Return freed heap memory to the system (cheap; done when the engine goes idle)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
