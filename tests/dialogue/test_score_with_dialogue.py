"""A scene with dialogue scored over the real gRPC services: the speech map travels to the engine,
the cue dips under it, the new timeline records it, FCP 7 XML carries the dip as keyframes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import opentimelineio as otio
import pytest

from cuebridge.engine.audio import read_wav
from cuebridge.engine.mix import speech_band
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb
from tests.dialogue.scene import audio_clip, dialogue_file, scene_timeline
from tests.integration.helpers import run_score

LENGTH = 13 * 24


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene")
    path, truth = dialogue_file(folder, "dialogue.wav")
    timeline = scene_timeline({"A1 Dialogue": [audio_clip(path, 0, LENGTH, 14 * 24)]}, LENGTH)
    src = folder / "scene.otio"
    otio.adapters.write_to_file(timeline, str(src))
    return src, truth


def _score(bridge, src, out, **fields):
    out.parent.mkdir(parents=True, exist_ok=True)
    request = bpb.ScoreRequest(
        timeline_path=str(src), output_path=str(out), cue_dir=str(out.parent / "cues"), **fields
    )
    job, _ = run_score(bridge, request)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    return job


def test_scored_cue_records_and_dips_under_the_dialogue(bridge, scene, tmp_path):
    src, truth = scene
    job = _score(bridge, src, tmp_path / "a" / "scored.otio")
    [placement] = job.result.placements
    speech = [[s.start_s, s.end_s] for s in placement.cue.speech]
    assert len(speech) == len(truth)
    for (a, b), (ta, tb) in zip(speech, truth, strict=True):
        assert abs(a - ta) <= 0.1 and abs(b - tb) <= 0.1
    # The new timeline keeps the speech map on the cue clip, and its dip as keyframes.
    scored = otio.adapters.read_from_file(str(tmp_path / "a" / "scored.otio"))
    [clip] = [c for t in scored.audio_tracks() if t.name == "Score" for c in t.find_clips()]
    assert [list(s) for s in clip.metadata["cuebridge"]["speech_s"]] == speech
    assert "fcp_xml" in clip.metadata

    plain = _score(bridge, src, tmp_path / "b" / "scored.otio", no_dialogue=True)
    [flat] = plain.result.placements
    assert list(flat.cue.speech) == []
    ducked, rate = read_wav(placement.cue.audio_path)
    free, _ = read_wav(flat.cue.audio_path)

    def rms_db(x, a, b):
        piece = x[round(a * rate) : round(b * rate)]
        return 10 * np.log10(np.mean(piece**2) + 1e-20)

    # Whatever the composer writes under speech, the mix takes at least the dip off it.
    under = [rms_db(ducked, a, b) - rms_db(free, a, b) for a, b in speech]
    assert max(under) <= -5.5, under


def test_fcp7_xml_carries_the_dip_as_audio_level_keyframes(bridge, scene, tmp_path):
    src, _ = scene
    out = tmp_path / "scored.xml"
    job = _score(bridge, src, out)
    [placement] = job.result.placements
    points = list(placement.cue.duck_keyframes)
    root = ET.parse(out).getroot()
    [effect] = [e for e in root.iter("effect") if (e.findtext("effectid") or "") == "audiolevels"]
    keys = [(int(k.findtext("when")), float(k.findtext("value"))) for k in effect.iter("keyframe")]
    assert len(keys) == len(points)
    assert min(v for _, v in keys) == pytest.approx(10 ** (-6 / 20), abs=1e-4)
    assert keys[0] == (0, 1.0)
    # OTIO's own FCP 7 XML reader reads it back as the clip's effect.
    back = otio.adapters.read_from_file(str(out))
    names = [e.name for t in back.audio_tracks() for c in t.find_clips() for e in c.effects]
    assert "Audio Levels" in names


def test_duck_off_and_bad_tracks(bridge, scene, tmp_path):
    src, _ = scene
    job = _score(
        bridge,
        src,
        tmp_path / "scored.otio",
        generation=pb.GenerationOptions(ducking=pb.Ducking(off=True)),
    )
    cue = job.result.placements[0].cue
    assert cue.speech and cue.duck_db == 0 and not cue.duck_keyframes
    import grpc

    with pytest.raises(grpc.RpcError) as err:
        bridge.StartScore(
            bpb.ScoreRequest(
                timeline_path=str(src),
                output_path=str(tmp_path / "x.otio"),
                dialogue_tracks=["A9"],
            ),
            timeout=60,
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "A9" in err.value.details() and "A1 'A1 Dialogue'" in err.value.details()


def test_the_dip_under_real_speech_is_what_the_readme_says(bridge, scene, tmp_path):
    """The README's Dialogue figures, measured here: each cue against the same scene scored
    with --no-dialogue, over the lines espeak-ng said (broadband and in the voice band)."""
    src, _ = scene
    flat = _score(bridge, src, tmp_path / "flat" / "s.otio", no_dialogue=True)
    free, rate = read_wav(flat.result.placements[0].cue.audio_path)

    def dips(typed):
        name = "-".join(sorted(typed)) or "default"
        job = _score(bridge, src, tmp_path / name / "s.otio",
                     generation=pb.GenerationOptions(**typed))  # fmt: skip
        [placement] = job.result.placements
        cue, _ = read_wav(placement.cue.audio_path)
        speech = [(s.start_s, s.end_s) for s in placement.cue.speech]
        under = np.concatenate([np.arange(round(a * rate), round(b * rate)) for a, b in speech])
        broad = 10 * np.log10(np.mean(cue[under] ** 2) / np.mean(free[under] ** 2))
        band = speech_band(cue)[under], speech_band(free)[under]
        return cue, broad, 10 * np.log10(np.mean(band[0] ** 2) / np.mean(band[1] ** 2))

    off, broad, band = dips({"ducking": pb.Ducking(off=True)})
    assert np.array_equal(off, free)  # --duck off: no dip, the arrangement as without speech
    # the dip alone: -6 dB, the voice band -9 dB; broadband lies between the two, nearer -9 the
    # more of the music's energy is in the voice band (which the style decides)
    _, broad, band = dips({"thin_under_dialogue": False})
    print(f"dip alone: {broad:.1f} dB broadband, {band:.1f} dB voice band")
    assert -9.2 <= broad <= -5.8 and -9.5 <= band <= -8.5, (broad, band)
    _, broad, band = dips({})  # the default: the arrangement thins under the lines too
    print(f"default: {broad:.1f} dB broadband, {band:.1f} dB voice band")
    assert broad <= -6.0 and band <= -9.0, (broad, band)
    # thinning alone
    _, broad, band = dips({"ducking": pb.Ducking(off=True), "thin_under_dialogue": True})
    print(f"thinning alone: {broad:.1f} dB broadband, {band:.1f} dB voice band")
    assert broad < -1.0, broad
