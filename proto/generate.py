"""Regenerate the Python stubs beside the .proto files: `python proto/generate.py`.

The stubs are committed so a plain `pip install` needs no grpcio-tools; tests/test_proto.py
regenerates them into a temporary folder and fails if the committed ones drifted.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent


def proto_files(root: Path = PROTO_ROOT) -> list[Path]:
    return sorted((root / "cuebridge" / "v1").glob("*.proto"))


def generate(out_dir: Path, root: Path = PROTO_ROOT) -> None:
    from grpc_tools import protoc

    files = [str(p.relative_to(root)) for p in proto_files(root)]
    include = Path(protoc.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{root}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit(f"protoc failed on {files}")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
