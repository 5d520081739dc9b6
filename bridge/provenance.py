"""Keep the Score track's name and each cue's provenance in formats that do not carry OTIO
metadata, spelled in that format's own fields, so an editor sees them after import.

* FCP 7 XML (Premiere, Resolve, Avid via XML): the track gets its `<name>` (read by OTIO and
  Resolve) and Premiere's `MZ.TrackName` attribute; each cue clip gets FCP's four comment
  fields (`<comments><mastercomment1..4>`), which both editors show as clip columns: prompt,
  mood, seed, and model with engine version.
* OTIO and OTIOZ keep everything as metadata already; EDL, FCPXML and AAF carry clip names
  and markers but no free fields through their OpenTimelineIO writers, so the cue's marker
  name (the prompt) is what survives there.
"""

from __future__ import annotations

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
    comments = (clip.metadata.get(FCP_META, {}) or {}).get("comments", {}) or {}
    found = {}
    for value in comments.values():
        key, _, rest = str(value).partition(": ")
        if key in ("prompt", "mood", "seed"):
            found[key] = rest
        elif key == "model":
            found["model"] = rest.split(";")[0]
    return found
