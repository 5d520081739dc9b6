"""Keep the Score track's name and each cue's provenance in formats that do not carry OTIO
metadata, spelled in that format's own fields, so an editor sees them after import.

* FCP 7 XML (Premiere, Resolve, Avid via XML): the track gets its `<name>` (read by OTIO and
  Resolve) and Premiere's `MZ.TrackName` attribute; each cue clip gets FCP's four comment
  fields (`<comments><mastercomment1..4>`), which both editors show as clip columns: prompt,
  mood, seed, and model with engine version.
* FCPXML (Final Cut Pro): lanes have no names, so each cue's audio gets the role FCP sorts by,
  `music.<track name>` ("music.Score", "music.Score - Strings"), and its clip a `<note>` (the
  Notes column) with prompt, mood, seed and model. The OTIO writer has no field for either, so
  they are added to the file it wrote (`spell_fcpxml`).
* AAF (Avid Media Composer, Pro Tools): the OTIO writer names each slot after its track
  ("Score", "Score - Strings"); each cue's master clip gets Avid's user comments (the bin's
  Prompt, Mood, Seed and Model columns), added with pyaaf2 to the file it wrote (`spell_aaf`).
* OTIO and OTIOZ keep everything as metadata already; EDL carries clip names and markers but no
  free fields, so the cue's marker name (the prompt) is what survives there.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import opentimelineio as otio

FCP_META = "fcp_xml"  # the metadata namespace the OTIO FCP 7 XML adapter reads and writes


def carry_for(suffix: str, timeline: otio.schema.Timeline) -> None:
    """Spell the Score tracks' names and the cues' provenance in the fields of `suffix`."""
    if suffix != ".xml":
        return
    for track in timeline.audio_tracks():
        if not track.name:
            continue
        fcp = dict(track.metadata.get(FCP_META, {}) or {})
        fcp["name"] = track.name
        fcp["@MZ.TrackName"] = track.name
        track.metadata[FCP_META] = fcp
        for clip in track.find_clips():
            cue = clip.metadata.get("cuebridge")
            if not cue:
                continue
            fcp = dict(clip.metadata.get(FCP_META, {}) or {})
            fcp["comments"] = comments_of(dict(cue))
            clip.metadata[FCP_META] = fcp


def comments_of(cue: dict) -> dict[str, str]:
    """FCP's four master comments for a cue's metadata."""
    return {
        "mastercomment1": f"prompt: {cue.get('prompt', '')}",
        "mastercomment2": f"mood: {cue.get('mood', '')}",
        "mastercomment3": f"seed: {cue.get('seed', '')}",
        "mastercomment4": (
            f"model: {cue.get('model', '')}; engine {cue.get('engine_version', '')}; "
            f"{cue.get('loudness_lufs', '')} LUFS"
        ),
    }


def provenance_from(clip: otio.schema.Clip) -> dict[str, str]:
    """Prompt, mood, seed and model of a cue clip read back from any format that kept them."""
    cue = clip.metadata.get("cuebridge")
    if cue:
        return {k: str(cue.get(k, "")) for k in ("prompt", "mood", "seed", "model")}
    avid = (clip.metadata.get("AAF", {}) or {}).get("UserComments", {}) or {}
    if avid:  # what spell_aaf wrote, as the OTIO AAF reader gives it back
        found = {k.lower(): str(v) for k, v in avid.items() if k in ("Prompt", "Mood", "Seed")}
        return {**found, "model": str(avid.get("Model", "")).split(";")[0]}
    comments = (clip.metadata.get(FCP_META, {}) or {}).get("comments", {}) or {}
    found = {}
    for value in comments.values():
        key, _, rest = str(value).partition(": ")
        if key in ("prompt", "mood", "seed"):
            found[key] = rest
        elif key == "model":
            found["model"] = rest.split(";")[0]
    return found


def spell_fcpxml(path: Path, timeline: otio.schema.Timeline) -> None:
    """Give each cue's audio in the FCPXML file at `path` its role and its clip a note."""
    cues: dict[str, tuple[str, str]] = {}  # media URL -> (role, note)
    for track in timeline.audio_tracks():
        for clip in track.find_clips():
            ref = clip.media_reference
            cue = clip.metadata.get("cuebridge")
            if cue and track.name and isinstance(ref, otio.schema.ExternalReference):
                note = "; ".join(comments_of(dict(cue)).values())
                cues[ref.target_url] = (f"music.{track.name}", note)
    if not cues:
        return
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assets = {a.get("id"): cues[a.get("src")] for a in root.iter("asset") if a.get("src") in cues}
    for clip in root.iter("clip"):
        audio = next((a for a in clip.iter("audio") if a.get("ref") in assets), None)
        if audio is None:
            continue
        role, note = assets[audio.get("ref")]
        audio.set("role", role)
        if clip.find("note") is None:  # the DTD puts a clip's note first
            element = ET.Element("note")
            element.text = note
            clip.insert(0, element)
    prolog = text[: text.index("<fcpxml")]  # keep the declaration and DOCTYPE FCP expects
    path.write_text(prolog + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")


def spell_aaf(path: Path, timeline: otio.schema.Timeline) -> None:
    """Give each cue's master clip in the AAF file at `path` its provenance as user comments."""
    import aaf2  # pyaaf2: what the OTIO AAF adapter writes with

    cues: dict[str, dict[str, str]] = {}  # media URL -> comments
    for clip in timeline.find_clips():
        ref, cue = clip.media_reference, clip.metadata.get("cuebridge")
        if cue and isinstance(ref, otio.schema.ExternalReference):
            cues[ref.target_url] = {
                "Prompt": str(cue.get("prompt", "")),
                "Mood": str(cue.get("mood", "")),
                "Seed": str(cue.get("seed", "")),
                "Model": "; engine ".join(
                    str(v) for v in (cue.get("model", ""), cue.get("engine_version")) if v
                ),
            }
    if not cues:
        return
    with aaf2.open(str(path), "rw") as f:
        files = {}  # source mob id -> the URL of the file it describes
        for mob in f.content.sourcemobs():
            descriptor = mob.descriptor
            if descriptor is not None and "Locator" in descriptor.keys():
                for locator in descriptor["Locator"]:
                    files[mob.mob_id] = locator["URLString"].value
        for mob in f.content.mastermobs():
            urls = {files.get(getattr(slot.segment, "mob_id", None)) for slot in mob.slots}
            found = next((cues[u] for u in urls if u in cues), None)
            for key, value in (found or {}).items():
                mob.comments[key] = value
