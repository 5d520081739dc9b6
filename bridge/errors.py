"""Errors the bridge reports to an editor: each names the file, the place, and what to do."""

from __future__ import annotations


class BridgeError(Exception):
    """Bad input or a refused request. The message is meant for the person at the keyboard."""


class TimelineError(BridgeError):
    def __init__(self, path: str, problem: str, fix: str = ""):
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{path}: {problem}" + (f" — {fix}" if fix else ""))
