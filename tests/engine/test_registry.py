"""Models that cannot load are reported with what to install, and never break the engine."""

from __future__ import annotations

import sys

from cuebridge.engine.registry import BUILTIN_MODELS, ModelEntry, ModelRegistry


def _needs(module: str):
    def build(settings):
        __import__(module)

    return build


def test_a_missing_package_says_what_to_install_and_the_default_falls_back():
    registry = ModelRegistry(
        (
            ModelEntry("needs-tsf", "", _needs("tinysoundfont_not_here")),
            *[e for e in BUILTIN_MODELS if e.name == "composer"],
        )
    )
    status = registry.status("needs-tsf")
    assert not status.ready and "missing package 'tinysoundfont_not_here'" in status.reason
    assert "pip install tinysoundfont_not_here" in status.reason
    # ... and into which environment: the engine's own interpreter runs pip.
    assert f"{sys.executable} -m pip install tinysoundfont_not_here" in status.reason
    assert registry.default_name() == "composer"


class _Counted:
    """A model whose readiness the test sets, counting how often it is asked."""

    def __init__(self):
        self.ready, self.asked = True, 0

    def status(self):
        from cuebridge.engine.models.base import ModelStatus

        self.asked += 1
        return ModelStatus("counted", "", ready=self.ready, reason="" if self.ready else "no font")


def test_a_ready_status_is_reused_briefly_and_a_not_ready_one_never(monkeypatch):
    import cuebridge.engine.registry as registry_module

    model = _Counted()
    registry = ModelRegistry((ModelEntry("counted", "", lambda settings: model),))
    for _ in range(50):  # a burst of submissions asks the disk once
        assert registry.status("counted").ready
    assert model.asked == 1

    model.ready = False  # ready -> broken shows once the short reuse is over
    monkeypatch.setattr(registry_module, "READY_STATUS_TTL_S", 0.0)
    assert not registry.status("counted").ready
    monkeypatch.setattr(registry_module, "READY_STATUS_TTL_S", 60.0)
    model.ready = True  # broken -> fixed shows at once: a not-ready answer is not kept
    assert registry.status("counted").ready and model.asked == 3
