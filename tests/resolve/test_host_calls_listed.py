"""Done-when of issue 13: every host call the Resolve script makes is listed in its README, with
the document it follows, and the fake the tests run against defines each one."""

from __future__ import annotations

import re
from pathlib import Path

from tests.resolve.conftest import SCRIPT

README = SCRIPT.with_name("README.md")
FAKES = [Path(__file__).with_name("fake_resolve.py"), Path(__file__).with_name("fake_ui.py")]
NOT_RESOLVE = {"ProxyHandler", "Request", "SystemRandom", "Report", "Plan", "ScoreProblem"}


def resolve_calls() -> set[str]:
    source = SCRIPT.read_text(encoding="utf-8")
    names = set(re.findall(r"\.([A-Z][A-Za-z]+)\(", source))
    names |= set(re.findall(r'_(?:method|call)\([a-z_]+, "([A-Z][A-Za-z]+)"\)', source))
    return names - NOT_RESOLVE


def test_every_resolve_call_is_in_the_readme_host_calls_table():
    table = README.read_text(encoding="utf-8").split("## Host calls", 1)[1]
    calls = resolve_calls()
    assert len(calls) > 40, sorted(calls)
    missing = sorted(c for c in calls if not re.search(rf"\b{c}\b", table))
    assert not missing, f"not listed in plugins/resolve/README.md Host calls: {missing}"
    for row in table.splitlines():
        if row.startswith("| `"):
            assert row.count("|") >= 4 and ("README" in row or "measured" in row), row


def test_the_fake_models_every_call_the_script_makes():
    defined = set()
    for fake in FAKES:
        defined |= set(re.findall(r"def ([A-Z][A-Za-z]+)\(", fake.read_text(encoding="utf-8")))
    defined |= {"Fusion", "GetResolve", "UIManager"}  # reached through the test's scope
    missing = sorted(resolve_calls() - defined - {"Fusion", "GetResolve"})
    assert not missing, f"the fakes do not define: {missing}"
