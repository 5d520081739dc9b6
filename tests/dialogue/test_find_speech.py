"""Finding the dialogue under cues: real espeak-ng speech encoded with PyAV on a real timeline."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from cuebridge.bridge.cue_folder_claim import release_cue_folder
from cuebridge.bridge.dialogue import DialogueChoice
from cuebridge.bridge.errors import BridgeError
from cuebridge.bridge.scoring import ScoreOptions, hear_dialogue, prepare
from cuebridge.bridge.speech import speech_in
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from tests.dialogue.scene import (
    FPS,
    RATE,
    audio_clip,
    dialogue_file,
    gap,
    scene_timeline,
    write_audio,
)

EDGE_S = 0.1  # the tolerance at each edge of a line


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("dialogue-media")
    aac, truth = dialogue_file(folder, "dialogue.m4a")
    wav, _ = dialogue_file(folder, "dialogue.wav")
    # Music, not speech: a sustained, moving chord texture with a pulse, the kind of temp track
    # an editor lays under a scene.
    t = np.arange(14 * RATE) / RATE
    music = np.zeros_like(t)
    for i, f in enumerate((220.0, 277.2, 329.6, 440.0, 554.4)):
        music += np.sin(2 * np.pi * f * (1 + 0.002 * np.sin(2 * np.pi * 0.3 * t)) * t) / (i + 2)
    music *= 0.6 + 0.4 * (np.sin(2 * np.pi * 2.0 * t) > 0)  # a pulse at 120 BPM
    temp = folder / "temp_music.wav"
    write_audio(temp, (0.25 * music).astype(np.float32))
    # And a real orchestral cue: the composer's, rendered through the General MIDI font.
    cue = ComposerModel().generate(
        Segment("temp", Rate(24), 14 * 24, mood="tense", seed=3), GenerationOptions(), folder
    )
    return {"aac": aac, "wav": wav, "truth": truth, "music": temp, "score": Path(cue.audio_path)}


def _prepare(tmp_path: Path, timeline: otio.schema.Timeline, **dialogue) -> tuple[list, list]:
    src = tmp_path / "scene.otio"
    otio.adapters.write_to_file(timeline, str(src))
    choice = DialogueChoice(cache_dir=tmp_path / "cache", **dialogue)
    prepared = prepare(ScoreOptions(src, tmp_path / "out.otio", dialogue=choice))
    hear_dialogue(prepared)  # the score's first phase, as the Bridge runs it after StartScore
    release_cue_folder(prepared.claim)  # no score follows: the next prepare may claim it again
    return [s.segment for s in prepared.segments], prepared.warnings


def _lines_s(segment) -> list[tuple[float, float]]:
    """The bridge segment's speech frames as seconds (its rate is a Fraction)."""
    return [(float(a / segment.rate), float(b / segment.rate)) for a, b in segment.speech]


@pytest.mark.parametrize("kind", ["aac", "wav"])
def test_speech_found_within_100_ms_of_each_edge(media, tmp_path, kind):
    # The clip plays the file from 0.5 s, placed 1 s into the timeline; the cue starts at 0.5 s.
    # So a line at x s in the file sits at x s in the cue.
    clip = audio_clip(media[kind], 12, 13 * 24, 14 * 24)
    timeline = scene_timeline({"A1 Dialogue": [gap(24), clip]}, 15 * 24, cue=(12, 13 * 24))
    [segment], warnings = _prepare(tmp_path, timeline)
    assert warnings == []
    found = _lines_s(segment)
    truth = media["truth"]
    assert len(found) == len(truth), f"found {found}, spoken {truth}"
    for (a, b), (ta, tb) in zip(found, truth, strict=True):
        assert abs(a - ta) <= EDGE_S and abs(b - tb) <= EDGE_S, f"found {a:.3f}-{b:.3f}, "
        f"spoken {ta:.3f}-{tb:.3f}"
    assert all(isinstance(f, int) for r in segment.speech for f in r)


def test_timeline_without_audio_tracks_has_no_dialogue(tmp_path):
    timeline = scene_timeline({}, 10 * 24)
    [segment], warnings = _prepare(tmp_path, timeline)
    assert segment.speech == () and warnings == []


def test_offline_dialogue_gives_no_map_and_a_warning(media, tmp_path):
    gone = tmp_path / "elsewhere" / "DX0001.wav"
    clip = audio_clip(gone, 0, 10 * 24, 14 * 24)
    clip.name = "DX0001"
    timeline = scene_timeline({"A1": [clip]}, 10 * 24)
    [segment], warnings = _prepare(tmp_path, timeline)
    assert segment.speech == ()
    [warning] = [w for w in warnings if "dialogue" in w]
    assert "DX0001" in warning and "offline" in warning and "--media-dir" in warning


def test_offline_dialogue_relinks_through_media_dir(media, tmp_path):
    folder = tmp_path / "sound"
    folder.mkdir()
    shutil.copy(media["wav"], folder / "DX0001.wav")
    clip = audio_clip(tmp_path / "elsewhere" / "DX0001.wav", 0, 13 * 24, 14 * 24)
    clip.name = "DX0001"
    src = tmp_path / "scene.otio"
    otio.adapters.write_to_file(scene_timeline({"A1": [clip]}, 13 * 24), str(src))
    prepared = prepare(
        ScoreOptions(
            src,
            tmp_path / "out.otio",
            media_dirs=(folder,),
            dialogue=DialogueChoice(cache_dir=tmp_path / "cache"),
        )
    )
    hear_dialogue(prepared)
    assert len(prepared.segments[0].segment.speech) == 3
    assert not [w for w in prepared.warnings if "dialogue" in w]


@pytest.mark.parametrize("kind", ["music", "score"])
def test_music_on_an_audio_track_is_not_speech(media, tmp_path, kind):
    music = audio_clip(media[kind], 0, 13 * 24, 14 * 24)
    [segment], warnings = _prepare(tmp_path, scene_timeline({"A1 Temp": [music]}, 13 * 24))
    assert warnings == []
    spoken = sum(b - a for a, b in _lines_s(segment))
    assert spoken < 0.5, f"music read as {spoken:.2f} s of speech: {_lines_s(segment)}"


def test_dialogue_under_music_is_still_found(media, tmp_path):
    dialogue = audio_clip(media["wav"], 0, 13 * 24, 14 * 24)
    music = audio_clip(media["music"], 0, 13 * 24, 14 * 24)
    timeline = scene_timeline({"A1": [dialogue], "A2 Temp": [music]}, 13 * 24)
    [segment], _ = _prepare(tmp_path, timeline)
    found = _lines_s(segment)
    assert len(found) == 3, found
    for (a, b), (ta, tb) in zip(found, media["truth"], strict=True):
        assert abs(a - ta) <= EDGE_S and abs(b - tb) <= EDGE_S


def test_named_dialogue_tracks_and_no_dialogue(media, tmp_path):
    dialogue = audio_clip(media["wav"], 0, 13 * 24, 14 * 24)
    music = audio_clip(media["music"], 0, 13 * 24, 14 * 24)
    timeline = scene_timeline({"DX": [dialogue], "Temp": [music]}, 13 * 24)
    [only_music], _ = _prepare(tmp_path, timeline, tracks=("A2",))
    assert only_music.speech == ()
    [by_name], _ = _prepare(tmp_path, timeline, tracks=("dx",))
    assert len(by_name.speech) == 3
    [both], _ = _prepare(tmp_path, timeline, tracks=("A2, A1",))  # one string, as HTTP may send
    assert both.speech == by_name.speech
    [off], warnings = _prepare(tmp_path, timeline, enabled=False)
    assert off.speech == () and warnings == []
    with pytest.raises(BridgeError, match=r"'A7'.*A1 'DX', A2 'Temp'"):
        _prepare(tmp_path, timeline, tracks=("A7",))


def test_score_tracks_we_wrote_are_not_dialogue(media, tmp_path):
    spoken = audio_clip(media["wav"], 0, 13 * 24, 14 * 24)
    timeline = scene_timeline({"Score": [spoken]}, 13 * 24)
    timeline.audio_tracks()[0].metadata["cuebridge"] = {"role": "score"}
    [segment], _ = _prepare(tmp_path, timeline)
    assert segment.speech == ()


def test_speech_is_cached_by_file_identity_and_range(media, tmp_path):
    cache = tmp_path / "cache"
    first = speech_in(media["wav"], 0.5, 12.0, cache)
    [entry] = list(cache.glob("*.json"))
    assert json.loads(entry.read_text())["speech"] == [list(s) for s in first]
    # A relinked copy (same bytes, same mtime) hits the same entry; another range does not.
    copy = tmp_path / "copy.wav"
    shutil.copy2(media["wav"], copy)
    assert speech_in(copy, 0.5, 12.0, cache) == first
    assert len(list(cache.glob("*.json"))) == 1
    speech_in(media["wav"], 1.0, 12.0, cache)
    assert len(list(cache.glob("*.json"))) == 2
    entry.write_text("{not json")  # a damaged entry is a miss, never an error
    assert speech_in(media["wav"], 0.5, 12.0, cache) == first


def test_rates_other_than_24_keep_edges(media, tmp_path):
    rate = Fraction(30000, 1001)
    r = float(rate)
    length = round(13 * rate)

    def rng(start, dur):
        return otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, r), otio.opentime.RationalTime(dur, r)
        )

    timeline = otio.schema.Timeline(name="ntsc")
    v1 = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    v1.append(otio.schema.Gap(source_range=rng(0, length)))
    a1 = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
    a1.append(
        otio.schema.Clip(
            name="dx",
            media_reference=otio.schema.ExternalReference(
                target_url=media["aac"].resolve().as_uri(),
                available_range=rng(0, round(14 * rate)),
            ),
            source_range=rng(0, length),
        )
    )
    timeline.tracks.extend([v1, a1])
    timeline.tracks.markers.append(otio.schema.Marker(name="cue", marked_range=rng(0, length)))
    [segment], _ = _prepare(tmp_path, timeline)
    assert segment.rate == Fraction(30000, 1001) and FPS == 24
    for (a, b), (ta, tb) in zip(_lines_s(segment), media["truth"], strict=True):
        assert abs(a - ta) <= EDGE_S and abs(b - tb) <= EDGE_S


def test_unreadable_sound_is_named_and_the_cue_still_scores(demo24, tmp_path):
    broken = tmp_path / "DX0002.wav"
    broken.write_bytes(b"RIFF but not really a wave file" * 40)
    timeline = scene_timeline(
        {
            "A1": [audio_clip(broken, 0, 5 * 24, 14 * 24)],
            "A2": [audio_clip(demo24.film_path, 0, 5 * 24, 5 * 24)],
        },
        5 * 24,
    )
    [segment], warnings = _prepare(tmp_path, timeline)
    assert segment.speech == ()
    [warning] = [w for w in warnings if "dialogue" in w]
    assert "DX0002.wav cannot be decoded" in warning
    assert f"{demo24.film_path.name} has no audio stream" in warning
