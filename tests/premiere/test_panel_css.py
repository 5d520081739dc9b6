"""The panel's CSS keeps to what UXP renders: its CSS list has no `gap` and no `box-sizing`
(Adobe's UXP "CSS support" reference lists neither), so a panel laid out with them
looks right in Chromium and wrong in Premiere."""

from __future__ import annotations

import re
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "premiere"
UNSUPPORTED = ("gap", "row-gap", "column-gap", "box-sizing")


def _properties(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return {m.lower() for m in re.findall(r"(?:^|[;{])\s*([a-zA-Z-]+)\s*:", css, re.M)}


def test_panel_css_uses_no_property_uxp_lacks():
    used = _properties((PLUGIN / "panel.css").read_text(encoding="utf-8"))
    assert "width" in used and "margin-right" in used  # the parser sees the properties
    assert not used & set(UNSUPPORTED), sorted(used & set(UNSUPPORTED))
    inline = (PLUGIN / "index.html").read_text(encoding="utf-8")
    for name in UNSUPPORTED:
        assert not re.search(rf'style="[^"]*\b{name}\s*:', inline), name


def test_the_check_sees_a_planted_gap():
    assert "gap" in _properties(".row { display: flex; gap: 6px }")
    assert "box-sizing" in _properties("input {\n  box-sizing: border-box;\n}")
