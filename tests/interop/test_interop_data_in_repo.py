"""A plain clone runs the tests: the interop samples live in the repository with their licence."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import INTEROP, ROOT, interop_files


def test_interop_samples_sit_inside_the_repository():
    assert INTEROP.resolve().is_relative_to(ROOT.resolve()), INTEROP
    assert (INTEROP / "LICENSE-otio-adapters.txt").is_file()
    assert "Apache License" in (INTEROP / "LICENSE-otio-adapters.txt").read_text()
    assert (INTEROP / "README.md").is_file()
    assert all(p.resolve().is_relative_to(ROOT.resolve()) for p in interop_files())


def test_no_test_reads_beside_the_checkout():
    beside = re.compile(r"""(\.\./shared|parent\s*/\s*["']shared["']|/work/shared)""")
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if p.name != Path(__file__).name and beside.search(p.read_text())
    ]
    assert not offenders, offenders
