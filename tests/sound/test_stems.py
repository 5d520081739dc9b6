"""--stems: per-section WAVs that sum back to the mix, on tracks under Score in every format."""

from __future__ import annotations

import json
import shutil
import warnings
from fractions import Fraction

import numpy as np
import opentimelineio as otio
import pytest
from click.testing import CliRunner

from cuebridge.app.commands.common import EXIT_OK
from cuebridge.app.main import main
from cuebridge.engine.audio import read_wav
from cuebridge.engine.models.composer import fonts
from cuebridge.engine.models.composer.model import ComposerModel
from cuebridge.engine.segment import GenerationOptions, Rate, Segment

SECTIONS = ["Strings", "Winds and Brass", "Percussion", "Keys and Other"]


def _null_db(mix: np.ndarray, parts: list[np.ndarray]) -> float:
    residual = mix.astype(np.float64) - np.sum([p.astype(np.float64) for p in parts], axis=0)
    return 20 * np.log10(np.sqrt(np.mean(residual**2)) / np.sqrt(np.mean(mix.astype(float) ** 2)))


@pytest.mark.parametrize("mood", ["epic", "calm"])
def test_the_stems_sum_back_to_the_mix(tmp_path, mood):
    segment = Segment("c", Rate(24), 24 * 10, cut_frames=(80, 160), hit_frames=(120,), mood=mood)
    model = ComposerModel(fonts.BUNDLED_SOUNDFONT)
    cue = model.generate(segment, GenerationOptions(stems=True), tmp_path)
    assert list(cue.stem_paths) == [s for s in SECTIONS if s in cue.stem_paths]
    assert len(cue.stem_paths) >= 2
    mix, rate = read_wav(cue.audio_path)
    parts = []
    for path in cue.stem_paths.values():
        part, part_rate = read_wav(path)
        assert part_rate == rate and part.shape == mix.shape
        assert np.sqrt(np.mean(part**2)) > 1e-4  # each stem holds its section
        parts.append(part)
    assert _null_db(mix, parts) <= -60.0
    # The mix is still delivered at the target, and peaks under the ceiling.
    assert float(cue.metadata["loudness_lufs"]) == pytest.approx(-24.0, abs=0.5)
    assert float(cue.metadata["true_peak_dbtp"]) <= -1.0


@pytest.fixture(scope="module")
def stem_score(demo_films, tmp_path_factory):
    demo = demo_films[Fraction(24)]
    tmp = tmp_path_factory.mktemp("stems")
    src = tmp / "cut.otio"
    shutil.copy(demo.timeline_path, src)
    done = CliRunner().invoke(main, ["score", str(src), "--stems", "--json"])
    assert done.exit_code == EXIT_OK, done.output
    return json.loads(done.stdout)["result"], tmp


def _converted(result: dict, out) -> otio.schema.Timeline:
    """The scored timeline converted to `out` with the CLI, read back."""
    done = CliRunner().invoke(main, ["convert", result["output_path"], str(out), "--force"])
    assert done.exit_code == EXIT_OK, done.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return otio.adapters.read_from_file(str(out))


# Every writer that carries several named audio tracks; FCPXML and AAF are checked for frames.
@pytest.mark.parametrize("suffix", [".otio", ".otioz", ".xml"])
def test_stem_tracks_sit_under_score_exact_to_the_frame(stem_score, suffix):
    result, tmp = stem_score
    timeline = _converted(result, tmp / f"stems{suffix}")
    names = [t.name for t in timeline.audio_tracks()]
    i = names.index("Score")
    stem_names = [n for n in names[i + 1 :] if n.startswith("Score - ")]
    assert stem_names == names[i + 1 : i + 1 + len(stem_names)], names  # right under Score
    assert [n.removeprefix("Score - ") for n in stem_names] == [
        s for s in SECTIONS if f"Score - {s}" in stem_names
    ]
    placements = {p["cue"]["segment_id"]: p for p in result["placements"]}
    seen = 0
    for track in timeline.audio_tracks():
        if not track.name.startswith("Score - "):
            continue
        section = track.name.removeprefix("Score - ")
        for clip in track.find_clips():
            p = next(p for p in placements.values() if clip.name.startswith(p["name"]))
            assert section in p["cue"]["stem_paths"]
            start = round(clip.range_in_parent().start_time.rescaled_to(24).value)
            assert start == int(p["record_start_frame"])
            assert round(clip.duration().rescaled_to(24).value) == int(p["record_duration_frames"])
            assert clip.media_reference.target_url.endswith(
                p["cue"]["stem_paths"][section].split("/")[-1]
            )
            seen += 1
    assert seen == sum(len(p["cue"]["stem_paths"]) for p in placements.values())


# FCPXML and AAF carry the stems as audio lanes/slots but their OTIO adapters drop track names
# (FCPXML lanes are unnamed; AAF slots read back as "Sequence"): each stem clip is found by its
# name and file instead, and must sit on the cue's frames, on a track after the full mix's.
@pytest.mark.parametrize("suffix", [".fcpxml", ".aaf"])
def test_stem_clips_sit_under_the_mix_exact_to_the_frame_in_fcpxml_and_aaf(stem_score, suffix):
    result, tmp = stem_score
    timeline = _converted(result, tmp / f"stems{suffix}")
    placements = {p["name"]: p for p in result["placements"]}
    mix_track = stem_tracks = 0
    seen = set()
    for n, track in enumerate(timeline.audio_tracks()):
        for clip in track.find_clips():
            name, _, section = clip.name.partition(" - ")
            if name not in placements:
                continue
            p = placements[name]
            start = round(clip.range_in_parent().start_time.rescaled_to(24).value)
            assert start == int(p["record_start_frame"]), (suffix, clip.name)
            assert round(clip.duration().rescaled_to(24).value) == int(p["record_duration_frames"])
            wanted = p["cue"]["stem_paths"][section] if section else p["cue"]["audio_path"]
            assert clip.media_reference.target_url.endswith(wanted.split("/")[-1])
            if section:
                stem_tracks = max(stem_tracks, n)
                seen.add((name, section))
            else:
                mix_track = n
    assert seen == {(p["name"], s) for p in placements.values() for s in p["cue"]["stem_paths"]}
    assert mix_track < stem_tracks
