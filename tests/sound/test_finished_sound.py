"""The finished sound, measured on the WAV files after they are written: loudness, true peak,
the hall, the seating, and the orchestral font (Debian's MuseScore General .sf3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pretty_midi
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from cuebridge.engine import mastering
from cuebridge.engine.audio import read_wav
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.composer import fonts
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.models.composer.soundfont import render_midi, resolve_soundfont
from cuebridge.engine.segment import GenerationOptions, Rate, Segment

HERE = Path(__file__).resolve().parent
MUSESCORE = Path("/usr/share/sounds/sf3/MuseScore_General.sf3")
MOODS = ("calm", "sad", "tense", "action", "epic")


@pytest.fixture(scope="module")
def musescore_font() -> Path:
    """Debian's musescore-general-soundfont, installed with apt-get when missing (CI is root)."""
    done = subprocess.run(
        ["sh", str(HERE / "install_soundfont.sh")], capture_output=True, text=True, timeout=1500
    )
    assert done.returncode == 0, f"install_soundfont.sh failed:\n{done.stdout}\n{done.stderr}"
    assert MUSESCORE.is_file(), f"{MUSESCORE} is missing after install_soundfont.sh"
    return MUSESCORE


def _segment(i: int, mood: str, seconds: int = 12) -> Segment:
    frames = 24 * seconds
    return Segment(
        f"cue-{i}",
        Rate(24),
        frames,
        cut_frames=(frames // 3, 2 * frames // 3),
        hit_frames=(frames // 2,),
        mood=mood,
        seed=i,
    )


def _true_peak(audio: np.ndarray) -> float:
    """dBTP measured independently of the code under test: the whole cue oversampled 4x."""
    up = resample_poly(audio.astype(np.float64), 4, 1, axis=0)
    return 20 * np.log10(np.max(np.abs(up)))


def test_the_best_installed_font_is_used_and_an_explicit_one_wins(musescore_font, tmp_path):
    model = ComposerModel()
    assert resolve_soundfont("") == musescore_font
    assert str(musescore_font) in model.status().description
    cue = model.generate(_segment(0, "epic", seconds=6), GenerationOptions(), tmp_path)
    assert cue.metadata["soundfont"] == str(musescore_font)
    audio, _ = read_wav(cue.audio_path)
    assert mastering.integrated_loudness(audio) == pytest.approx(-24.0, abs=0.5)

    # --soundfont still wins over the discovered font.
    cue = model.generate(
        _segment(1, "epic", seconds=6),
        GenerationOptions(soundfont=str(fonts.BUNDLED_SOUNDFONT)),
        tmp_path / "bundled",
    )
    assert cue.metadata["soundfont"] == str(fonts.BUNDLED_SOUNDFONT)


def test_a_users_font_folder_comes_first(tmp_path):
    from cuebridge.engine.settings import EngineSettings

    settings = EngineSettings(state_dir=tmp_path)
    mine = tmp_path / "soundfonts" / "MyOrchestra.sf2"
    mine.parent.mkdir()
    mine.write_bytes(fonts.BUNDLED_SOUNDFONT.read_bytes())
    assert fonts.best_font(user_dir=settings.soundfont_dir) == mine
    model = ComposerModel.from_settings(settings)
    assert str(mine) in model.status().description
    assert fonts.advice(mine, settings.soundfont_dir) == ""
    assert "soundfonts" in fonts.advice(fonts.BUNDLED_SOUNDFONT, settings.soundfont_dir)


def test_every_cue_is_delivered_at_the_target_loudness_under_the_true_peak_ceiling(tmp_path):
    model = ComposerModel(fonts.BUNDLED_SOUNDFONT)
    meter = pyloudnorm.Meter(48000)
    measured = []
    for i, mood in enumerate(MOODS):
        cue = model.generate(_segment(i, mood), GenerationOptions(), tmp_path)
        audio, rate = read_wav(cue.audio_path)
        loudness = meter.integrated_loudness(audio.astype(np.float64))
        peak = _true_peak(audio)
        assert peak <= -1.0 + 0.05, f"{mood}: true peak {peak:.2f} dBTP"
        # The metadata says what the file measures.
        assert float(cue.metadata["loudness_lufs"]) == pytest.approx(loudness, abs=0.1)
        assert float(cue.metadata["true_peak_dbtp"]) == pytest.approx(peak, abs=0.2)
        measured.append(loudness)
    assert max(measured) - min(measured) <= 2.0, f"cues spread over {measured} LUFS"
    assert all(abs(v - mastering.DEFAULT_LOUDNESS_LUFS) <= 1.0 for v in measured), measured


def test_a_loud_target_engages_the_limiter_and_holds_the_ceiling(tmp_path):
    model = ComposerModel(fonts.BUNDLED_SOUNDFONT)
    cue = model.generate(_segment(7, "action"), GenerationOptions(loudness_lufs=-10.0), tmp_path)
    audio, _ = read_wav(cue.audio_path)
    assert _true_peak(audio) <= -1.0 + 0.05
    assert mastering.integrated_loudness(audio) == pytest.approx(-10.0, abs=1.0)


def test_a_loudness_outside_the_range_is_refused_with_the_range(tmp_path):
    model = ComposerModel(fonts.BUNDLED_SOUNDFONT)
    with pytest.raises(CueError, match="outside -40..-9"):
        model.generate(_segment(0, "calm"), GenerationOptions(loudness_lufs=3.0), tmp_path)
    assert not list(tmp_path.iterdir())


def _one_instrument(program: int, seconds: float = 2.0) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program)
    inst.notes.append(pretty_midi.Note(100, 60, 0.1, 0.1 + seconds))
    midi.instruments.append(inst)
    return midi


def test_violins_sit_left_and_cellos_right():
    def balance(program: int) -> float:
        audio = render_midi(_one_instrument(program), 48000 * 3, fonts.BUNDLED_SOUNDFONT)
        left, right = np.sqrt(np.mean(audio**2, axis=0))
        return 20 * np.log10(left / right)

    assert balance(40) > 3.0  # violin: left
    assert balance(42) < -3.0  # cello: right
    assert abs(balance(73)) < 3.0  # flute: centre


def test_the_hall_adds_a_tail_after_the_last_note_and_widens_the_image():
    midi = _one_instrument(56, seconds=0.3)  # a short trumpet note, then 2.6 s of nothing
    dry = render_midi(midi, 48000 * 3, fonts.BUNDLED_SOUNDFONT)
    wet = mastering.add_space(dry, arousal=-0.5)
    after = slice(int(0.4 * 48000) + 24000, int(0.4 * 48000) + 36000)  # 0.5-0.75 s after off

    def level(x: np.ndarray) -> float:
        return 20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12)

    peak = level(dry[: int(0.4 * 48000)])
    assert level(dry[after]) - peak < -60
    assert level(wet[after]) - peak > -45

    def side_over_mid(x: np.ndarray) -> float:
        return level(x[:, 0] - x[:, 1]) - level(x[:, 0] + x[:, 1])

    assert side_over_mid(wet) > side_over_mid(dry) + 6


def test_an_installed_sf3_the_renderer_cannot_read_is_named_with_the_fix(tmp_path, monkeypatch):
    """A plain install plays .sf2 only: a MuseScore .sf3 already on the machine is pointed out,
    with the command that makes it playable, instead of advice to install it again."""
    sf3 = tmp_path / "MuseScore_General.sf3"
    sf3.write_bytes(b"sfbk")
    monkeypatch.setattr(fonts, "search_dirs", lambda: [tmp_path])
    said = fonts.advice(fonts.BUNDLED_SOUNDFONT, None, reads_sf3=False, sf3_fix="pip install X")
    assert str(sf3) in said and "reads only .sf2" in said and said.endswith("pip install X")
    assert fonts.advice(sf3, None) == ""  # a renderer that reads it: nothing better to get
