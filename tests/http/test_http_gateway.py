"""The HTTP/JSON face on a real server: scoring the demo film, SSE, errors and refusals."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from cuebridge.bridge.http_gateway import MAX_BODY_BYTES, routes
from cuebridge.v1 import bridge_pb2, engine_pb2
from cuebridge.v1 import engine_pb2_grpc as pb_grpc
from tests.http.conftest import FINAL
from tests.integration.helpers import wav_facts


def _score_request(film, out: Path, seed: int = 7) -> dict:
    # What the Resolve and Premiere plugins send: camelCase, int64 as a string.
    return {
        "timelinePath": str(film.timeline_path),
        "outputPath": str(out),
        "force": True,
        "selection": {"mode": "SEGMENT_MODE_MARKERS"},
        "seed": str(seed),
        "generation": {"model": ""},
        "cueDir": str(out.parent / "cues"),
    }


def _assert_scored_on_markers(job: dict, film, out: Path) -> None:
    assert job["state"] == "JOB_STATE_SUCCEEDED", job["message"]
    placements = job["result"]["placements"]
    # int64 fields are strings in proto3 JSON.
    assert [(int(p["recordStartFrame"]), int(p["recordDurationFrames"])) for p in placements] == [
        (start, length) for _, start, length in film.markers
    ]
    for p in placements:
        assert p["rate"] == {"num": str(film.rate.numerator), "den": str(film.rate.denominator)}
        assert p["trackName"] == "Score" and p["recordInTimecode"] < p["recordOutTimecode"]
        sample_rate, _, frames, _ = wav_facts(p["cue"]["audioPath"])
        assert sample_rate == p["cue"]["sampleRate"] == 48000
        assert frames == int(p["cue"]["numSamples"]) > 0
    assert out.exists() and job["result"]["outputPath"] == str(out)


def test_score_by_polling_get_score(secured, demo24, tmp_path):
    out = tmp_path / "scored.otio"
    started = secured.http("/cuebridge.v1.Bridge/StartScore", _score_request(demo24, out))
    assert started.status == 200, started.body
    assert started.headers["Content-Type"].startswith("application/json")
    job = started.json()
    assert job["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING") and job["id"]
    assert job["total"] == len(demo24.markers)
    deadline = time.monotonic() + 120
    while job["state"] not in FINAL and time.monotonic() < deadline:
        time.sleep(0.5)  # what a UXP panel does
        reply = secured.http("/cuebridge.v1.Bridge/GetScore", {"scoreId": job["id"]})
        assert reply.status == 200, reply.body
        job = reply.json()
    _assert_scored_on_markers(job, demo24, out)


def test_watch_score_streams_server_sent_events_to_the_end(secured, demo24, tmp_path):
    out = tmp_path / "watched.otio"
    # Another seed than the polling test: fresh cues, so every segment reports progress.
    request = _score_request(demo24, out, seed=8)
    started = secured.http("/cuebridge.v1.Bridge/StartScore", request).json()
    request = urllib.request.Request(
        f"{secured.url}/cuebridge.v1.Bridge/WatchScore?scoreId={started['id']}",
        headers={"Authorization": f"Bearer {secured.token}"},
    )
    events, ids = [], []
    with urllib.request.urlopen(request, timeout=120) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert "Access-Control-Allow-Origin" not in resp.headers
        for raw in resp:  # the server closes the stream when the score is over
            line = raw.decode().rstrip("\n")
            if line.startswith("data: "):
                events.append(json.loads(line[len("data: ") :]))
            elif line.startswith("id: "):
                ids.append(int(line[len("id: ") :]))
            else:
                assert line == "", f"unexpected SSE line {line!r}"
    assert events and all(e["score"]["id"] == started["id"] for e in events)
    assert events[-1]["score"]["state"] in FINAL
    # Deltas: no event carries the cues or the result; the cursor is the SSE id, in order.
    assert not any(e["score"]["cues"] or "result" in e["score"] for e in events)
    assert ids == sorted(ids) == [int(e["cursor"]) for e in events if int(e["cursor"])]
    # Segment events that happened before the watch began are not replayed; the count is final.
    done = [e for e in events if e.get("segment", {}).get("state") == "SEGMENT_STATE_DONE"]
    assert len(done) <= events[-1]["score"]["done"] == len(demo24.markers)
    assert all(e["cue"]["segmentId"] == e["segment"]["segmentId"] for e in events if "segment" in e)
    final = secured.http("/cuebridge.v1.Bridge/GetScore", {"scoreId": started["id"]}).json()
    _assert_scored_on_markers(final, demo24, out)
    # A reconnecting EventSource sends the last id back: the watch resumes after it.
    resumed = urllib.request.Request(
        f"{secured.url}/cuebridge.v1.Bridge/WatchScore?scoreId={started['id']}",
        headers={"Authorization": f"Bearer {secured.token}", "Last-Event-ID": str(ids[0])},
    )
    with urllib.request.urlopen(resumed, timeout=120) as resp:
        again = [int(line[4:]) for line in resp.read().decode().splitlines() if line[:4] == "id: "]
    assert again[0] == ids[0] + 1 and again[-1] == ids[-1]


def test_watch_score_also_takes_a_post_body_and_reports_unknown_ids(secured):
    reply = secured.http("/cuebridge.v1.Bridge/WatchScore", {"scoreId": "nope"})
    assert reply.status == 404 and reply.json()["code"] == "NOT_FOUND"
    assert "nope" in reply.json()["message"]


def test_engine_info_from_both_services(secured):
    for path in ("/cuebridge.v1.CueEngine/GetEngineInfo", "/cuebridge.v1.Bridge/GetEngineInfo"):
        reply = secured.http(path, {})
        assert reply.status == 200, reply.body
        info = reply.json()
        names = [m["name"] for m in info["models"]]
        assert info["defaultModel"] in names
        # Every field is printed, false and empty ones too.
        assert all({"ready", "reason", "isDefault", "device"} <= set(m) for m in info["models"])
        [default] = [m for m in info["models"] if m["isDefault"]]
        assert default["name"] == info["defaultModel"] and default["ready"]


def test_routes_are_the_proto_methods():
    table = routes()
    bridge = bridge_pb2.DESCRIPTOR.services_by_name["Bridge"]
    assert {f"/cuebridge.v1.Bridge/{m.name}" for m in bridge.methods} <= set(table)
    engine_paths = {p for p in table if p.startswith("/cuebridge.v1.CueEngine/")}
    assert engine_paths == {"/cuebridge.v1.CueEngine/GetEngineInfo"}  # no SubmitJob over HTTP
    assert table["/cuebridge.v1.Bridge/WatchScore"].streaming
    assert table["/cuebridge.v1.Bridge/StartScore"].request_class is bridge_pb2.ScoreRequest


def test_unknown_route_and_wrong_verb(secured):
    missing = secured.http("/cuebridge.v1.Bridge/Nope", {})
    assert missing.status == 404 and missing.json()["code"] == "NOT_FOUND"
    engine_only = secured.http("/cuebridge.v1.CueEngine/SubmitJob", {})
    assert engine_only.status == 404
    get_unary = secured.http("/cuebridge.v1.Bridge/GetScore")
    assert get_unary.status == 405 and "POST" in get_unary.json()["message"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"timelinePath": "/x.otio", "bogus": 1}, "bogus"),
        ({"seed": "seven"}, "seed"),
        ({"selection": {"mode": "SEGMENT_MODE_NOPE"}}, "mode"),
        ('{"timelinePath": ', "not JSON"),
        ("[]", "JSON object"),
        ({"timelinePath": 5}, "timelinePath"),
    ],
)
def test_bad_json_is_a_400_naming_the_field(secured, body, named):
    reply = secured.http("/cuebridge.v1.Bridge/StartScore", body)
    assert reply.status == 400
    error = reply.json()
    assert error["code"] == "INVALID_ARGUMENT" and named in error["message"]


def test_bridge_errors_keep_their_grpc_code(secured, tmp_path):
    missing = tmp_path / "missing.otio"
    reply = secured.http(
        "/cuebridge.v1.Bridge/InspectTimeline", {"timeline_path": str(missing)}
    )  # original field names are accepted too
    assert reply.status == 400 and reply.json()["code"] == "INVALID_ARGUMENT"
    assert str(missing) in reply.json()["message"]


def test_oversized_body_is_refused(secured):
    reply = secured.http(
        "/cuebridge.v1.Bridge/StartScore", b'{"prompt": "' + b"a" * MAX_BODY_BYTES + b'"}'
    )
    assert reply.status == 413 and str(MAX_BODY_BYTES) in reply.json()["message"]


def test_healthz_needs_no_token(secured):
    reply = secured.http("/healthz", token=None)
    assert reply.status == 200 and reply.json() == {"status": "SERVING"}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Basic dXNlcjpwYXNz", "Bearer", "bearer  "]
)
def test_http_without_the_token_is_401(secured, authorization):
    headers = {"Authorization": authorization} if authorization else None
    reply = secured.http("/cuebridge.v1.CueEngine/GetEngineInfo", {}, token=None, headers=headers)
    assert reply.status == 401
    assert reply.json()["code"] == "UNAUTHENTICATED" and "token" in reply.json()["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost:3000"},
        # Opaque and local-file origins are web pages too: a sandboxed iframe, a data: URL or a
        # page opened from disk sends "null" (Chromium) or "file://"; no plugin sends them (the
        # Premiere panel sends its bearer token; the Resolve script and the CLI send no Origin).
        {"Origin": "null"},
        {"Origin": "file://"},
        {"Origin": "FILE:///Users/me/Downloads/page.html"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Host": "evil.example:50052"},  # DNS rebinding
    ],
)
def test_browser_requests_are_refused_even_with_the_token(secured, headers):
    reply = secured.http("/cuebridge.v1.CueEngine/GetEngineInfo", {}, headers=headers)
    assert reply.status == 403 and reply.json()["code"] == "PERMISSION_DENIED"
    assert not any(h.lower().startswith("access-control-") for h in reply.headers)


@pytest.mark.parametrize("origin", ["uxp://com.cuebridge.panel", "app://premiere"])
def test_plugin_origins_are_allowed(secured, origin):
    reply = secured.http("/cuebridge.v1.CueEngine/GetEngineInfo", {}, headers={"Origin": origin})
    assert reply.status == 200, reply.body


def test_options_preflight_is_refused(secured):
    reply = secured.http(
        "/cuebridge.v1.Bridge/StartScore",
        method="OPTIONS",
        headers={"Access-Control-Request-Method": "POST"},
    )
    assert reply.status == 403
    assert not any(h.lower().startswith("access-control-") for h in reply.headers)


def test_grpc_without_the_token_is_unauthenticated(secured):
    address = secured.running.address
    for metadata in [(), (("authorization", "Bearer wrong"),), (("authorization", "abc"),)]:
        with grpc.insecure_channel(address) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                pb_grpc.CueEngineStub(channel).GetEngineInfo(
                    engine_pb2.EngineInfoRequest(), metadata=metadata, timeout=10
                )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "token" in refused.value.details()
    # Streams are refused too, before the method runs.
    with grpc.insecure_channel(address) as channel:
        watch = channel.unary_stream(
            "/cuebridge.v1.Bridge/WatchScore",
            request_serializer=bridge_pb2.ScoreRef.SerializeToString,
            response_deserializer=bridge_pb2.ScoreEvent.FromString,
        )
        with pytest.raises(grpc.RpcError) as refused:
            list(watch(bridge_pb2.ScoreRef(score_id="x"), timeout=10))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_grpc_health_is_open_and_the_right_token_works(secured):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from cuebridge.bridge.security import authorized_channel

    with grpc.insecure_channel(secured.running.address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="cuebridge.v1.Bridge"), timeout=10
        )
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    with authorized_channel(secured.running.address, secured.token) as channel:
        info = pb_grpc.CueEngineStub(channel).GetEngineInfo(
            engine_pb2.EngineInfoRequest(), timeout=10
        )
    assert info.default_model
