"""ComposerModel: the cue files it writes, measured after writing, and its errors."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from cuebridge.engine.audio import peak_dbfs, read_wav, rms_dbfs
from cuebridge.engine.cue import SAMPLE_RATE, cue_file_stem
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.base import CueModel
from cuebridge.engine.models.composer import metrics
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.composer.score import Feel
from cuebridge.engine.models.composer.soundfont import DEFAULT_SOUNDFONT
from cuebridge.engine.segment import (
    CueFeel,
    GenerationOptions,
    Rate,
    Segment,
    options_from_legacy_extra,
)


def _segment(rate: Rate, frames: int, **kw) -> Segment:
    return Segment(kw.pop("id", "cue-1"), rate, frames, **kw)


@pytest.mark.parametrize(
    ("rate", "frames"),
    [(Rate(24), 101), (Rate(25), 127), (Rate(30000, 1001), 149), (Rate(30000, 1001), 1)],
)
def test_wav_length_is_exactly_the_segment_in_samples(tmp_path, rate, frames):
    segment = _segment(rate, frames, cut_frames=(frames // 2,), mood="calm", seed=1)
    cue = ComposerModel().generate(segment, GenerationOptions(), tmp_path)
    expected = rate.samples(frames, SAMPLE_RATE)
    with wave.open(cue.audio_path, "rb") as w:
        assert w.getnframes() == expected == cue.num_samples
        assert (w.getframerate(), w.getsampwidth()) == (48_000, 3)


@pytest.mark.parametrize("mood", ["calm", "sad", "action", "epic", "horror", "playful", ""])
def test_audio_is_music_not_silence_and_never_clips(tmp_path, mood):
    segment = _segment(Rate(25), 200, cut_frames=(60, 130), hit_frames=(100,), mood=mood, seed=5)
    cue = ComposerModel().generate(segment, GenerationOptions(), tmp_path)
    audio, _ = read_wav(cue.audio_path)
    assert audio.shape[1] == 2
    assert rms_dbfs(audio) > -30.0
    assert peak_dbfs(audio) <= -0.99  # the -1 dBFS ceiling
    # no dropouts: every half second before the ending (its ring, then the fade) carries sound
    blocks = audio[: -2 * SAMPLE_RATE].reshape(-1, SAMPLE_RATE // 2, 2)
    assert np.all(np.sqrt(np.mean(blocks**2, axis=(1, 2))) > 10 ** (-50 / 20))
    # the tail decays into the end instead of being cut off
    assert np.max(np.abs(audio[-48:])) < 0.01


def test_hit_point_is_audible_as_an_accent(tmp_path):
    segment = _segment(Rate(24), 240, hit_frames=(132,), mood="calm peaceful", seed=2)
    cue = ComposerModel().generate(segment, GenerationOptions(), tmp_path)
    audio, _ = read_wav(cue.audio_path)
    hit = round(132 / 24 * SAMPLE_RATE)
    window = SAMPLE_RATE // 10
    before = np.sqrt(np.mean(audio[hit - window : hit] ** 2))
    after = np.sqrt(np.mean(audio[hit : hit + window] ** 2))
    assert 20 * np.log10(after / before) > 3.0  # dB louder just after the hit


def test_cue_files_and_metadata(tmp_path):
    segment = _segment(
        Rate(24), 120, id="reel 1/scene:4", mood="epic", prompt="the army rides", seed=9
    )
    cue = ComposerModel().generate(segment, GenerationOptions(), tmp_path / "new-folder")
    assert Path(cue.audio_path).name == "reel_1_scene_4.wav"
    assert Path(cue.midi_path).name == "reel_1_scene_4.mid"
    assert sorted(p.name for p in (tmp_path / "new-folder").iterdir()) == [
        "reel_1_scene_4.mid",
        "reel_1_scene_4.wav",
    ]
    assert pretty_midi.PrettyMIDI(cue.midi_path).get_end_time() <= 5.0 + 1e-3
    meta = cue.metadata
    for key in ("model", "prompt", "mood", "tempo_bpm", "key", "meter"):
        assert meta[key] != "" or key == "prompt"
    assert cue.feel.style and cue.feel.valence is not None
    assert meta["model"] == "composer" == cue.model
    assert meta["segment_id"] == "reel 1/scene:4" and meta["seed"] == "9"
    assert meta["engine_version"] and cue.feel.source == "words"
    assert cue.feel.arousal > 0.5
    assert cue_file_stem("../..") == "segment"


def test_feel_from_a_picture_or_options_overrides_the_words(tmp_path):
    segment = _segment(Rate(24), 96, mood="happy", seed=3)
    model = ComposerModel()
    cue = model.generate(segment, GenerationOptions(), tmp_path, feel=Feel(-0.8, -0.6))
    assert cue.feel.source == "given" and cue.metadata["key"].endswith("minor")
    options = GenerationOptions(feel=CueFeel(valence=-0.9, arousal=0.9))
    cue = model.generate(segment, options, tmp_path)
    assert cue.feel.source == "options" and cue.feel.arousal == 0.9
    old_client = GenerationOptions(**options_from_legacy_extra({"valence": "very"}))
    with pytest.raises(CueError, match="valence nan is not a number"):
        model.generate(segment, old_client, tmp_path)
    named = model.generate(segment, GenerationOptions(feel=CueFeel(style="horror")), tmp_path)
    assert named.feel.style == "horror" and named.feel.source == "words"
    with pytest.raises(CueError, match="style 'noir' is not one of"):
        model.generate(segment, GenerationOptions(feel=CueFeel(style="noir")), tmp_path)


@pytest.mark.parametrize("frames", [0, -24])
def test_empty_or_negative_segment_is_a_cue_error(tmp_path, frames):
    with pytest.raises(CueError, match=r"sc-9.*frames"):
        ComposerModel().generate(
            _segment(Rate(24), frames, id="sc-9"), GenerationOptions(), tmp_path
        )
    assert not any(tmp_path.iterdir())


def test_missing_soundfont_is_a_cue_error_naming_the_path(tmp_path):
    missing = tmp_path / "fonts" / "Orchestra.sf2"
    options = GenerationOptions(soundfont=str(missing))
    with pytest.raises(CueError, match=r"Orchestra\.sf2.*soundfont option"):
        ComposerModel().generate(_segment(Rate(24), 48), options, tmp_path)
    status = ComposerModel(soundfont=missing).status()
    assert not status.ready and str(missing) in status.reason
    assert ComposerModel().status().ready


def test_unreadable_soundfont_is_a_cue_error_naming_the_path(tmp_path):
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00not a soundfont at all")
    with pytest.raises(CueError, match=r"junk\.sf2.*not a readable SoundFont"):
        ComposerModel().generate(
            _segment(Rate(24), 48), GenerationOptions(soundfont=str(junk)), tmp_path
        )
    assert ComposerModel(soundfont=tmp_path).status().ready is False  # a folder is not a font


def test_it_is_a_cue_model():
    model: CueModel = ComposerModel()
    assert model.name == "composer" and model.status().name == "composer"


def test_identity_names_the_rules_and_the_font(tmp_path):
    bundled = ComposerModel(soundfont=DEFAULT_SOUNDFONT).identity()
    assert "composer-rules" in bundled and "TimGM6mb.sf2" in bundled
    assert ComposerModel(soundfont=tmp_path / "other.sf2").identity() != bundled


def _chroma(audio: np.ndarray) -> np.ndarray:
    """Energy per pitch class (80 Hz - 2 kHz) of a stretch of audio, unit length."""
    mono = audio.mean(axis=1) * np.hanning(len(audio))
    power = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE)
    band = (freqs > 80) & (freqs < 2000)
    classes = np.round(12 * np.log2(freqs[band] / 440) + 69).astype(int) % 12
    chroma = np.bincount(classes, weights=power[band], minlength=12)
    return chroma / np.linalg.norm(chroma)


@pytest.mark.parametrize("mood", ["calm", "sad"])
def test_the_chord_change_at_a_cut_is_heard_in_the_wav(tmp_path, mood):
    # Calm styles hold their chord across short shots; these cuts open 10 s shots: honoured.
    segment = _segment(Rate(24), 960, cut_frames=(240, 480, 720), mood=mood, seed=0)
    # The small font's short releases: this is about the harmony, not the instruments' tails.
    cue = ComposerModel(DEFAULT_SOUNDFONT).generate(segment, GenerationOptions(), tmp_path)
    honoured = [float(x) for x in cue.metadata["cuts_honoured"].split(",") if x]
    assert honoured == pytest.approx(segment.cut_times_s(), abs=1e-3)
    audio, _ = read_wav(cue.audio_path)
    midi = pretty_midi.PrettyMIDI(cue.midi_path)
    pad = metrics.part(midi, "Pad")

    def chord_at(t: float) -> set[int]:
        return {n.pitch % 12 for n in pad.notes if n.start <= t < n.end}

    for cut in segment.cut_times_s():
        start = round((cut + 0.05) * SAMPLE_RATE)
        heard = _chroma(audio[start : start + SAMPLE_RATE // 2])
        # The old chord before the pad's lift ahead of the cut (score.CUT_LIFT_S).
        new, old = chord_at(cut + 0.01), chord_at(cut - 0.3)
        # Tones the chords share say nothing; the tones that changed must be the new ones.
        gained = sum(heard[pc] for pc in new - old)
        dropped = sum(heard[pc] for pc in old - new)
        # 1.5x, not 2x: a bright tune on the new chord's third (B in G) puts its third partial
        # (F#) on a dropped tone of the old one (D F# A); the old chord's tones still lose.
        assert gained > 1.5 * dropped, f"the new chord is not what sounds after {cut} s"


def test_a_soundfont_given_in_the_options_is_used(tmp_path):
    font = tmp_path / "fonts" / "My Orchestra.sf2"
    font.parent.mkdir()
    shutil.copy(DEFAULT_SOUNDFONT, font)
    cue = ComposerModel().generate(
        _segment(Rate(25), 50), GenerationOptions(soundfont=str(font)), tmp_path / "out"
    )
    assert cue.metadata["soundfont"] == str(font)
    assert rms_dbfs(read_wav(cue.audio_path)[0]) > -30.0
