"""Package the Premiere Pro panel as a .ccx: a zip of the plugin folder, manifest.json at its root.

    python plugins/premiere/build_ccx.py [--out dist/cuebridge-premiere-0.1.0.ccx]

Only the files the panel runs are packed (manifest, HTML, CSS, JavaScript, icons); settings.json is
never packed, because it holds the user's bridge token. Stdlib only, so it runs anywhere.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNTIME_SUFFIXES = {".html", ".js", ".css", ".json", ".png", ".svg"}
PRIVATE_FILES = {"settings.json"}  # the user's token: written by install_premiere, never shipped
# A fixed time stamp makes the package the same bytes for the same sources.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def runtime_files(folder: Path = HERE) -> list[Path]:
    """The files the panel needs at run time, relative to `folder`, sorted."""
    folder = Path(folder)
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "_")) or part == "node_modules" for part in rel.parts):
            continue
        if path.is_file() and path.suffix in RUNTIME_SUFFIXES and path.name not in PRIVATE_FILES:
            found.append(rel)
    return sorted(found)


def check_plugin(folder: Path = HERE) -> dict:
    """Read manifest.json and check what UXP would refuse to load; returns the manifest."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{manifest_path}: cannot read the manifest ({exc})") from exc
    problems = []
    if manifest.get("manifestVersion") != 5:
        problems.append("manifestVersion must be 5")
    if manifest.get("host", {}).get("app") != "premierepro":
        problems.append('host.app must be "premierepro"')
    main = folder / manifest.get("main", "")
    if not main.is_file():
        problems.append(f"main {manifest.get('main')!r} does not exist")
    else:
        for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', main.read_text()):
            if not (folder / src).is_file():
                problems.append(f"{main.name} loads {src}, which does not exist")
    for icon in _icons(manifest):
        base = folder / icon["path"]
        for scale in icon.get("scale") or [1]:
            path = base if scale == 1 else base.with_name(f"{base.stem}@{scale}x{base.suffix}")
            if not path.is_file():
                problems.append(f"icon {path.relative_to(folder).as_posix()} does not exist")
    if problems:
        raise SystemExit(f"{manifest_path}: " + "; ".join(problems))
    return manifest


def _icons(manifest: dict) -> list[dict]:
    icons = list(manifest.get("icons") or [])
    for entry in manifest.get("entrypoints") or []:
        icons += entry.get("icons") or []
    return icons


def build_ccx(folder: Path = HERE, out: Path | None = None) -> Path:
    """Write the .ccx and return its path (default: <repo>/dist/cuebridge-premiere-<ver>.ccx)."""
    folder = Path(folder)
    manifest = check_plugin(folder)
    if out is None:
        out = HERE.parents[1] / "dist" / f"cuebridge-premiere-{manifest['version']}.ccx"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as ccx:
        for rel in runtime_files(folder):
            info = zipfile.ZipInfo(rel.as_posix(), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            ccx.writestr(info, (folder / rel).read_bytes())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where to write the .ccx")
    parser.add_argument("--plugin", type=Path, default=HERE, help="plugin folder to pack")
    args = parser.parse_args(argv)
    path = build_ccx(args.plugin, args.out)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
