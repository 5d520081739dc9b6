"""The tree reads plugins -> app -> bridge -> contract <- engine: the bridge never imports the
engine (nor the engine the bridge), the contract imports neither, and no module imports itself
back through others (no import circles, lazy imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {  # how the repository's folders map onto the one namespace (pyproject package-dir)
    "cuebridge": ROOT / "proto" / "cuebridge",
    "cuebridge.app": ROOT / "app",
    "cuebridge.bridge": ROOT / "bridge",
    "cuebridge.engine": ROOT / "engine",
}


def _modules() -> dict[str, Path]:
    found = {}
    for prefix, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if prefix == "cuebridge" and parts[:1] in (["app"], ["bridge"], ["engine"]):
                continue
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                pkg = name.split(".")
                is_pkg = path.name == "__init__.py"
                pkg = pkg[: len(pkg) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*pkg, base] if base else pkg)
            # `from pkg import submodule` imports the submodule
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]  # fmt: skip
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    for layer in ("app", "bridge", "engine", "v1", "contract"):
        if module == f"cuebridge.{layer}" or module.startswith(f"cuebridge.{layer}."):
            return layer
    return "root"


ALLOWED = {  # which layers each layer may import
    "app": {"app", "bridge", "engine", "v1", "contract", "root"},
    "bridge": {"bridge", "v1", "contract", "root"},
    "engine": {"engine", "v1", "contract", "root"},
    "contract": {"v1", "root"},
    "v1": {"v1", "root"},
    "root": {"root"},
}


def test_every_folder_is_mapped_into_the_namespace():
    assert "cuebridge.bridge.service" in MODULES and "cuebridge.engine.jobs" in MODULES
    assert "cuebridge.app.main" in MODULES and "cuebridge.contract" in MODULES


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_what_its_layer_may(module):
    layer = _layer(module)
    wrong = sorted(t for t in GRAPH[module] if _layer(t) not in ALLOWED[layer])
    assert not wrong, f"{module} ({layer}) imports {wrong}"


def test_no_import_circles():
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(GRAPH):
        if node not in seen:
            visit(node)


def test_the_plugins_need_nothing_from_the_package():
    # They run inside the hosts (Resolve's Python, Premiere's UXP): the bridge is reached over
    # HTTP/JSON only.
    for path in (ROOT / "plugins").rglob("*.py"):
        names = _imports("plugin", path) | {
            a.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Import)
            for a in n.names
        }  # fmt: skip
        assert not any(n.startswith("cuebridge") for n in names), path
