"""Done-when of issue 13: every Premiere call the panel makes is listed in its README with the
document it follows and the version it needs, the manifest's minVersion is the highest of them,
and the fake the tests run against defines each call."""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = HERE.parents[1] / "plugins" / "premiere"
FAKE = HERE / "fake_premierepro.js"
PANEL_ONLY = {"panel.js"}  # UI wiring: reaches the host through the modules below


def host_calls() -> set[str]:
    """Names the panel calls on host objects: those the fake defines as host methods."""
    fake = FAKE.read_text(encoding="utf-8")
    defined = set(re.findall(r"^\s+(?:async |static )?([a-z][A-Za-z]+)\(", fake, re.M))
    defined |= set(re.findall(r"^\s+([a-z][A-Za-z]+): (?:async )?\(", fake, re.M))
    # Methods a host version adds at run time (this.createSetNameAction = (...) => ...).
    defined |= set(re.findall(r"^\s+this\.([a-z][A-Za-z]+) = (?:async )?\(", fake, re.M))
    defined |= {"exportAsOpenTimelineIO", "exportAsFinalCutProXML", "getMarkers"}
    defined -= {"constructor", "exists", "valid", "apply", "writeExport", "mustBeLocked", "add"}
    used = set()
    for js in PLUGIN.glob("*.js"):
        used |= set(re.findall(r"\.([a-z][A-Za-z]+)\(", js.read_text(encoding="utf-8")))
        used |= set(re.findall(r'\["(export[A-Za-z]+)"', js.read_text(encoding="utf-8")))
    return used & defined


def test_every_premiere_call_is_in_the_readme_host_calls_table():
    table = (PLUGIN / "README.md").read_text(encoding="utf-8").split("## Host calls", 1)[1]
    calls = host_calls()
    assert {
        "createInsertProjectItemAction",
        "getTrackItems",
        "exportAsOpenTimelineIO",
        "createSetNameAction",
        "openFilePath",
        "createAddMarkerAction",
    } <= calls
    missing = sorted(c for c in calls if not re.search(rf"\b{c}\b", table))
    assert not missing, f"not listed in plugins/premiere/README.md Host calls: {missing}"


def test_the_manifest_min_version_is_the_highest_version_the_table_needs():
    table = (PLUGIN / "README.md").read_text(encoding="utf-8").split("## Host calls", 1)[1]
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    versions = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and cells[1], row  # call, document, needs
        versions += [tuple(map(int, v.split("."))) for v in re.findall(r"\b(2\d\.\d)\b", cells[2])]
    manifest = json.loads((PLUGIN / "manifest.json").read_text())
    wanted = tuple(map(int, manifest["host"]["minVersion"].split(".")[:2]))
    assert max(versions) == wanted == (26, 2)
