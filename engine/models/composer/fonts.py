"""Which General MIDI SoundFont the composer plays: the best one installed on this machine.

The small font pretty_midi ships (TimGM6mb.sf2, 6 MB) always works but sounds like a toy. Better
GM fonts are often already installed, by a package manager or by MuseScore; we look in the usual
places, best first, and use the first that is there:

1. `<cuebridge data dir>/soundfonts/*.sf2|*.sf3` (`EngineSettings.soundfont_dir`): fonts the user
   put there (largest first);
2. MuseScore General (Debian/Ubuntu `musescore-general-soundfont`, MuseScore 3/4 installs on
   macOS and Windows): a 200 MB orchestral GM font, compressed as .sf3;
3. FluidR3 GM (Debian/Ubuntu `fluid-soundfont-gm`, Fedora `fluid-soundfont-gm`);
4. MuseScore General Lite (`musescore-general-soundfont-small`) and the older TimGM6mb in
   /usr/share/sounds;
5. the bundled TimGM6mb.sf2.

A .sf3 (Ogg-compressed samples) needs the TinySoundFont renderer; with only the fallback renderer
present, .sf3 fonts are passed over. An explicit `--soundfont` always wins over all of this.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pretty_midi

BUNDLED_SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
FONT_SUFFIXES = (".sf2", ".sf3")

# Names of the good GM fonts, best first, and the places systems install them.
_NAMED = (
    "MuseScore_General.sf3",
    "MuseScore_General.sf2",
    "MS Basic.sf3",  # MuseScore 4's default font
    "FluidR3_GM.sf2",
    "FluidR3_GM.sf3",
    "MuseScore_General_Lite.sf3",
    "GeneralUser GS v1.471.sf2",
    "TimGM6mb.sf2",
)
_UNIX_DIRS = (
    "/usr/share/sounds/sf3",
    "/usr/share/sounds/sf2",
    "/usr/share/soundfonts",
    "/usr/local/share/soundfonts",
    "/usr/share/mscore-3.6/sound",
    "/usr/share/mscore4/sound",
    "/opt/homebrew/share/soundfonts",
)
_MAC_DIRS = (
    "/Applications/MuseScore 4.app/Contents/Resources/sound",
    "/Applications/MuseScore 3.app/Contents/Resources/sound",
    "~/Library/Audio/Sounds/Banks",
    "~/Documents/MuseScore4/SoundFonts",
    "~/Documents/MuseScore3/SoundFonts",
)
_WINDOWS_DIRS = (
    r"%ProgramFiles%\MuseScore 4\sound",
    r"%ProgramFiles%\MuseScore 3\sound",
    r"%ProgramFiles(x86)%\MuseScore 3\sound",
    r"~\Documents\MuseScore4\SoundFonts",
    r"~\Documents\MuseScore3\SoundFonts",
)


def search_dirs() -> list[Path]:
    dirs = list(_UNIX_DIRS)
    if sys.platform == "darwin":
        dirs += _MAC_DIRS
    elif os.name == "nt":
        dirs = list(_WINDOWS_DIRS)
    return [Path(os.path.expandvars(os.path.expanduser(d))) for d in dirs]


def installed_fonts(allow_sf3: bool = True, user_dir: Path | None = None) -> list[Path]:
    """Usable GM fonts on this machine, best first (the bundled one last). `user_dir` is the
    user's own font folder (`EngineSettings.soundfont_dir`), searched first."""
    suffixes = FONT_SUFFIXES if allow_sf3 else (".sf2",)
    found: list[Path] = []
    user = user_dir
    if user is not None and user.is_dir():
        mine = [p for p in user.iterdir() if p.suffix.lower() in suffixes and p.is_file()]
        found += sorted(mine, key=lambda p: (-p.stat().st_size, p.name))
    dirs = search_dirs()
    for name in _NAMED:
        if Path(name).suffix.lower() not in suffixes:
            continue
        for d in dirs:
            candidate = d / name
            if candidate.is_file() and candidate not in found:
                found.append(candidate)
    found.append(BUNDLED_SOUNDFONT)
    return found


def best_font(allow_sf3: bool = True, user_dir: Path | None = None) -> Path:
    return installed_fonts(allow_sf3, user_dir)[0]


def advice(
    in_use: Path, user_dir: Path | None = None, reads_sf3: bool = True, sf3_fix: str = ""
) -> str:
    """How to get a better font than `in_use`, or "" when it is already one of the best.
    A renderer that cannot read .sf3 (`reads_sf3` False) is told of a better .sf3 already on
    the machine and `sf3_fix`, the command that makes it playable."""
    if not reads_sf3:
        best = best_font(allow_sf3=True, user_dir=user_dir)
        if best.suffix.lower() == ".sf3" and best != in_use:
            return f"{best} is installed, but this renderer reads only .sf2 fonts: {sf3_fix}"
    if in_use.name in _NAMED[:3] or (user_dir is not None and in_use.parent == user_dir):
        return ""
    if sys.platform.startswith("linux"):
        how = "apt-get install musescore-general-soundfont (Debian/Ubuntu)"
    else:
        how = "install MuseScore 4 (musescore.org; its MS Basic.sf3 is found automatically)"
    return (
        f"for real orchestral instruments: {how}, or put any General MIDI .sf2/.sf3 in "
        f"{user_dir or 'the soundfonts folder in the cuebridge data folder'}"
    )
