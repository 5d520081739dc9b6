"""Timeline in, real gRPC server on loopback, cues placed back: the whole path with real parts."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import grpc
import opentimelineio as otio
import pytest

from cuebridge.bridge.scoring import convert
from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.segment import Rate
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb
from tests.integration.helpers import onsets_near, run_score, wav_facts


@pytest.fixture
def stub(bridge):
    return bridge


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _score_tracks(timeline: otio.schema.Timeline) -> list[otio.schema.Track]:
    return [t for t in timeline.audio_tracks() if t.name.startswith("Score")]


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(30000, 1001)])
def test_demo_is_scored_exactly_on_its_markers(demo_films, stub, tmp_path, rate):
    film = demo_films[rate]
    before = _digest(film.timeline_path)
    out = tmp_path / "scored.otio"
    job, events = run_score(
        stub, bpb.ScoreRequest(timeline_path=str(film.timeline_path), output_path=str(out))
    )
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    assert _digest(film.timeline_path) == before  # the input is never written
    # Progress arrived per segment.
    assert sum(1 for e in events if e.segment.state == pb.SEGMENT_STATE_DONE) == len(film.markers)

    placements = job.result.placements
    assert [(p.record_start_frame, p.record_duration_frames) for p in placements] == [
        (start, length) for _, start, length in film.markers
    ]
    shots = film.shot_frames
    for p, (_, start, length) in zip(placements, film.markers, strict=True):
        sample_rate, width, n, rms_db = wav_facts(p.cue.audio_path)
        assert (sample_rate, width) == (SAMPLE_RATE, 3)
        exact = Rate(rate.numerator, rate.denominator).samples(length, SAMPLE_RATE)
        assert abs(n - exact) <= SAMPLE_RATE * rate.denominator / rate.numerator  # within a frame
        assert rms_db > -40, f"{p.cue.audio_path} is nearly silent ({rms_db:.1f} dBFS)"
        # Every cut is either honoured (a harmonic change exactly on it) or passed, by the
        # composer's documented strength rule; nothing is lost between the two lists.
        honoured = [float(x) for x in p.cue.metadata["cuts_honoured"].split(",") if x]
        passed = [float(x) for x in p.cue.metadata["cuts_merged"].split(",") if x]
        for cut in (f - start for f in shots if start < f < start + length):
            t = float(Fraction(cut) / rate)
            assert any(abs(t - h) < 0.01 for h in honoured + passed), f"cut {t:.3f}s lost"
        for t in honoured:
            assert onsets_near(p.cue.midi_path, t) >= 2, f"no chord change at the cut {t:.3f}s"

    # The new timeline holds the score exactly on the markers, and the picture unchanged.
    scored = otio.adapters.read_from_file(str(out))
    [track] = _score_tracks(scored)
    clips = list(track.find_clips())
    assert [(c.range_in_parent().start_time.value, c.duration().value) for c in clips] == [
        (start, length) for _, start, length in film.markers
    ]
    assert all(
        Path(otio.url_utils.filepath_from_url(c.media_reference.target_url)).exists() for c in clips
    )
    assert clips[0].metadata["cuebridge"]["segment_id"] == "cue-001"
    original = otio.adapters.read_from_file(str(film.timeline_path))
    assert otio.adapters.write_to_string(scored.video_tracks()[0]) == otio.adapters.write_to_string(
        original.video_tracks()[0]
    )


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(30000, 1001)])
def test_fcp7_xml_in_and_out(demo_films, stub, tmp_path, rate):
    film = demo_films[rate]
    xml_in = convert(film.timeline_path, tmp_path / "demo.xml")
    before = _digest(xml_in)
    out = tmp_path / "scored.xml"
    job, _ = run_score(stub, bpb.ScoreRequest(timeline_path=str(xml_in), output_path=str(out)))
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    assert _digest(xml_in) == before
    scored = otio.adapters.read_from_file(str(out))
    # FCP 7 XML keeps no track names: the placements say which audio track holds the score.
    [index] = {p.track_index for p in job.result.placements}
    track = scored.audio_tracks()[index - 1]
    placed = [
        (c.range_in_parent().start_time.to_frames(), c.duration().to_frames())
        for c in track.find_clips()
    ]
    assert placed == [(start, length) for _, start, length in film.markers]
    assert [c.name for c in track.find_clips()] == [m[0] for m in film.markers]


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(30000, 1001)])
def test_edl_in_scored_by_range_to_otio(demo_films, stub, tmp_path, rate):
    film = demo_films[rate]
    edl = convert(film.timeline_path, tmp_path / "demo.edl")
    fps = round(rate)  # timecodes count whole frames a second (non-drop)
    # The EDL keeps the film's record timecodes (it starts at 01:00:00:00): the range is in them.
    start = otio.adapters.read_from_file(str(film.timeline_path)).global_start_time

    def tc(seconds: int) -> str:
        t = otio.opentime.RationalTime(start.value + seconds * fps, start.rate)
        return otio.opentime.to_timecode(t, start.rate)

    request = bpb.ScoreRequest(
        timeline_path=str(edl),
        output_path=str(tmp_path / "scored.otio"),
        rate=pb.Rate(num=rate.numerator, den=rate.denominator),
        selection=bpb.SegmentSelection(mode=bpb.SEGMENT_MODE_RANGE, range=f"{tc(7)}-{tc(26)}"),
    )
    job, _ = run_score(stub, request)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    [p] = job.result.placements
    assert (p.record_start_frame, p.record_duration_frames) == (7 * fps, 19 * fps)
    assert p.record_in_timecode == tc(7)
    # Cuts of the EDL's events inside the range reach the cue's music: each is honoured (a
    # chord change on it) or passed under the music by the composer's strength rule, and the
    # metadata says which; one closer than a second to the end is never honoured.
    cuts = [float((f - 7 * fps) / rate) for f in film.shot_frames if 7 * fps < f < 26 * fps]
    end = float(19 * fps / rate)
    heard = [float(x) for x in p.cue.metadata["cuts_honoured"].split(",") if x]
    merged = [float(x) for x in p.cue.metadata["cuts_merged"].split(",") if x]
    assert heard and all(onsets_near(p.cue.midi_path, t) >= 2 for t in heard)
    assert all(any(abs(t - c) < 0.01 for c in cuts) for t in heard)
    assert all(any(abs(t - m) < 0.01 for m in heard + merged) for t in cuts)
    assert all(t < end - 1.0 for t in heard)


def test_bad_requests_fail_fast_and_write_nothing(demo24, stub, tmp_path):
    existing = tmp_path / "taken.otio"
    existing.write_text("keep me")
    cases = [
        (
            bpb.ScoreRequest(
                timeline_path=str(tmp_path / "nope.otio"), output_path=str(tmp_path / "o.otio")
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "nope.otio: no such file",
        ),
        (
            bpb.ScoreRequest(timeline_path=str(demo24.timeline_path), output_path=str(existing)),
            grpc.StatusCode.ALREADY_EXISTS,
            "already exists",
        ),
        (
            bpb.ScoreRequest(
                timeline_path=str(demo24.timeline_path),
                output_path=str(demo24.timeline_path),
                force=True,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "never overwrites its input",
        ),
    ]
    for request, code, words in cases:
        with pytest.raises(grpc.RpcError) as info:
            stub.StartScore(request)
        assert info.value.code() == code
        assert words in info.value.details()
    assert existing.read_text() == "keep me"
    assert not (tmp_path / "o.otio").exists()


def test_inspect_and_engine_info(demo24, stub):
    info = stub.InspectTimeline(bpb.InspectRequest(timeline_path=str(demo24.timeline_path)))
    assert [s.record_start_frame for s in info.segments] == [m[1] for m in demo24.markers]
    assert info.global_start_frame == 86400 and info.segments[0].record_in_timecode == "01:00:00:00"
    engine = stub.GetEngineInfo(pb.EngineInfoRequest())
    composer = {m.name: m for m in engine.models}["composer"]
    assert composer.ready


@pytest.mark.parametrize("suffix", [".otioz", ".fcpxml", ".aaf"])
def test_every_scoring_format_reads_back_with_the_cues_in_place(demo24, stub, tmp_path, suffix):
    out = tmp_path / f"scored{suffix}"
    job, _ = run_score(
        stub, bpb.ScoreRequest(timeline_path=str(demo24.timeline_path), output_path=str(out))
    )
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left
    scored = otio.adapters.read_from_file(str(out))
    [index] = {p.track_index for p in job.result.placements}
    clips = list(scored.audio_tracks()[index - 1].find_clips())
    assert [(c.range_in_parent().start_time.value, c.duration().value) for c in clips] == [
        (start, length) for _, start, length in demo24.markers
    ]


def test_a_clip_whose_picture_cannot_be_read_is_reported_and_still_scored(demo24, stub, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)  # not a movie
    timeline = otio.adapters.read_from_file(str(demo24.timeline_path))
    clips = list(timeline.find_clips())
    clips[3].media_reference.target_url = broken.as_uri()  # "the door", under the 2nd marker
    src = tmp_path / "cut.otio"
    otio.adapters.write_to_file(timeline, str(src))
    job, events = run_score(
        stub, bpb.ScoreRequest(timeline_path=str(src), output_path=str(tmp_path / "scored.otio"))
    )
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.message
    assert len(job.result.placements) == 3  # the other clips and cues are unaffected
    [warning] = [w for w in job.result.warnings if "broken.mp4" in w]
    assert warning.startswith("tense build to the reveal:")
    assert any("broken.mp4" in w for e in events for w in e.segment.warnings)
