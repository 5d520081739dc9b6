"""The default model follows the picture: mood and tempo from what is seen, chords on cuts inside
clips (a flattened reference movie), accents from motion; real H.264 decoded with PyAV."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from cuebridge.bridge.segments import CueDefaults, Selection, select, study
from cuebridge.bridge.timeline_io import read_timeline
from cuebridge.bridge.wire import segment_to_pb
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, MediaSpan
from cuebridge.engine.wire import segment_from_pb
from tests.integration.helpers import onsets_near


def _segments(film):
    timeline = read_timeline(film.timeline_path)
    facts = study(timeline, film.rate)
    from cuebridge.bridge.media import MediaLinker

    found = select(timeline, facts, Selection(), CueDefaults(), MediaLinker(film.timeline_path))
    # Through the contract, as the engine receives them; no words: the picture alone decides.
    return [replace(segment_from_pb(segment_to_pb(s.segment)), prompt="", mood="") for s in found]


def test_dark_slow_picture_scores_calmer_and_slower_than_a_bright_fast_chase(demo24, tmp_path):
    calm, _, chase = _segments(demo24)
    model = ComposerModel(picture_cache=tmp_path / "cache")
    cue_a = model.generate(calm, GenerationOptions(), tmp_path)
    cue_b = model.generate(chase, GenerationOptions(), tmp_path)
    a, b = cue_a.metadata, cue_b.metadata
    assert cue_a.feel.source == cue_b.feel.source == "picture"
    assert cue_a.feel.arousal < cue_b.feel.arousal
    assert cue_a.feel.valence < cue_b.feel.valence
    assert float(a["tempo_bpm"]) < float(b["tempo_bpm"])
    assert a["picture.mood"] and b["picture.mood"] and a["picture.mood"] != b["picture.mood"]


def test_words_still_steer_when_the_picture_speaks(demo24, tmp_path):
    _, _, chase = _segments(demo24)
    model = ComposerModel(picture_cache=tmp_path / "cache")
    plain = model.generate(chase, GenerationOptions(), tmp_path / "a")
    sad = model.generate(replace(chase, mood="sad, calm"), GenerationOptions(), tmp_path / "b")
    assert sad.feel.source == "picture+words"
    assert sad.feel.arousal < plain.feel.arousal


def test_chords_change_on_cuts_found_inside_one_flattened_clip(demo24, tmp_path):
    # The whole film as ONE clip: the timeline has no edit points, the cuts are in the picture.
    rate = demo24.rate
    total = demo24.total_frames
    whole = _segments(demo24)[0]
    flat = replace(
        whole,
        duration_frames=total,
        cut_frames=(),
        media=(MediaSpan(str(demo24.film_path), 0.0, float(Fraction(total) / rate), 0, total),),
    )
    cue = ComposerModel(picture_cache=tmp_path / "cache").generate(
        flat, GenerationOptions(), tmp_path
    )
    found = [float(x) for x in cue.metadata["picture.cuts_s"].split(",") if x]
    shots = [float(Fraction(f) / rate) for f in demo24.shot_frames[1:]]
    assert len(found) == len(shots)
    assert all(abs(a - b) <= 1 / float(rate) + 1e-6 for a, b in zip(found, shots, strict=True))
    honoured = [float(x) for x in cue.metadata["cuts_honoured"].split(",") if x]
    for t in shots:
        assert any(abs(t - h) < 0.05 for h in honoured)
        assert onsets_near(cue.midi_path, t) >= 2, f"no chord change at the cut inside the clip {t}"
