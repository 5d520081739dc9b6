"""The models the engine can host, by name, loaded on first use.

A model module that is missing or cannot import (no torch for the flagship, say) shows up as not
ready with the reason, instead of breaking the engine.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cuebridge.engine.models.base import CueModel, ModelStatus
from cuebridge.engine.settings import EngineSettings


@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    factory: Callable[[EngineSettings], CueModel]


def _lazy(module: str, attr: str) -> Callable[[EngineSettings], CueModel]:
    def build(settings: EngineSettings) -> CueModel:
        return getattr(importlib.import_module(module), attr).from_settings(settings)

    return build


BUILTIN_MODELS = (
    ModelEntry(
        "musicgen-video",
        "MusicGen with the OSSL video adapter (needs local weights; see `cuebridge models`)",
        _lazy("cuebridge.engine.models.musicgen.model", "MusicgenVideoModel"),
    ),
    ModelEntry(
        "composer",
        "Offline default: a cut-aware symbolic composer rendered through a General MIDI SoundFont",
        _lazy("cuebridge.engine.models.composer.model", "ComposerModel"),
    ),
)

FALLBACK_MODEL = "composer"
# A ready model's status is reused this long: asking reads the disk (fonts, weights, packages)
# and every SubmitJob asks, so a burst of clients would otherwise spend the engine's CPU there.
# A not-ready answer is never reused: a fix the user just made shows at the next call.
READY_STATUS_TTL_S = 2.0
# What to do when a model's package is missing, by the module that failed to import: pip run by
# the engine's own interpreter, so the package lands in the environment that serves the model.
PIP = f"{sys.executable} -m pip install"
INSTALL_HINTS = {
    "midirenderer": f"{PIP} midirenderer (or {PIP} --no-deps tinysoundfont==0.3.7)",
    "torch": f'{PIP} "cuebridge[musicgen]" torch==2.13.0',
    "transformers": f'{PIP} "cuebridge[musicgen]"',
}


class ModelRegistry:
    """Builds each model once, on first use; the default is the first ready one in order."""

    def __init__(
        self,
        entries: tuple[ModelEntry, ...] = BUILTIN_MODELS,
        settings: EngineSettings | None = None,
    ):
        self.settings = settings or EngineSettings()
        self._entries = {e.name: e for e in entries}
        self._order = [e.name for e in entries]
        self._models: dict[str, CueModel] = {}
        self._lock = threading.Lock()
        self._ready: dict[str, tuple[float, ModelStatus]] = {}  # name -> (when, ready status)

    def names(self) -> list[str]:
        return list(self._order)

    def _entry(self, name: str) -> ModelEntry:
        if name not in self._entries:
            known = ", ".join(self._order)
            raise KeyError(f"unknown model {name!r}; known models: {known}")
        return self._entries[name]

    def get(self, name: str) -> CueModel:
        self._entry(name)
        with self._lock:
            if name not in self._models:
                self._models[name] = self._entries[name].factory(self.settings)
            return self._models[name]

    def close(self) -> None:
        """What each loaded model holds outside this process goes back when the engine stops:
        a Ray cluster's replicas (their CPUs and GPUs), the composer's worker processes."""
        for model in self.loaded():
            model.close()

    def loaded(self) -> list[CueModel]:
        """The models built so far (to release what they hold when the engine stops)."""
        with self._lock:
            return list(self._models.values())

    def status(self, name: str) -> ModelStatus:
        entry = self._entry(name)
        seen = self._ready.get(name)
        if seen and time.monotonic() - seen[0] < READY_STATUS_TTL_S:
            return seen[1]
        try:
            status = self.get(name).status()
            if status.ready:
                self._ready[name] = (time.monotonic(), status)
            else:
                self._ready.pop(name, None)
            return status
        except ModuleNotFoundError as exc:
            hint = INSTALL_HINTS.get((exc.name or "").split(".")[0], f"{PIP} {exc.name}")
            reason = f"missing package {exc.name!r}, in the engine's environment: {hint}"
            return ModelStatus(name, entry.description, ready=False, reason=reason)
        except Exception as exc:  # an unimportable model is reported, not fatal
            return ModelStatus(name, entry.description, ready=False, reason=f"cannot load: {exc}")

    def statuses(self) -> list[ModelStatus]:
        return [self.status(n) for n in self._order]

    def default_name(self) -> str:
        for name in self._order:
            if self.status(name).ready:
                return name
        return FALLBACK_MODEL
