"""Models that cannot load are reported with what to install, and never break the engine."""

from __future__ import annotations

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
    assert registry.default_name() == "composer"
