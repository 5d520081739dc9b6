"""The committed Python stubs must be exactly what protoc makes from the .proto files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("proto_generate", ROOT / "proto" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_the_proto_files(tmp_path: Path) -> None:
    gen = _generator()
    gen.generate(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.py*"))
    assert made, "protoc produced nothing"
    committed = ROOT / "proto"
    stale = [str(p) for p in made if (committed / p).read_bytes() != (tmp_path / p).read_bytes()]
    assert not stale, f"stubs out of date, run `python proto/generate.py`: {stale}"
