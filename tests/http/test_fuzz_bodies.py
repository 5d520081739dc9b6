"""Hostile HTTP/JSON bodies: every request to every route ends, in bounded time, in a clean answer.

Property-based (hypothesis): JSON values of any shape, JSON-ish text and raw bytes go to each
unary route. The gateway must answer 2xx or a 4xx with a JSON error naming the problem: never a
5xx, a dropped connection or a hang (each request has a timeout).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cuebridge.bridge.http_gateway import routes

UNARY = sorted(p for p, r in routes().items() if not r.streaming)
FIELDS = [
    "timelinePath",
    "outputPath",
    "selection",
    "mode",
    "range",
    "rate",
    "num",
    "den",
    "seed",
    "scoreId",
    "force",
    "generation",
    "model",
    "mediaDirs",
    "inputPath",
    "prompt",
    "fresh",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["SEGMENT_MODE_RANGE", "01:00:00:00-01:00:01:00", "/nonexistent/x.otio", "../../etc/passwd"]
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=12,
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=300)
    | st.text(max_size=200).map(str.encode)
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(UNARY), body=bodies)
def test_any_body_gets_a_clean_answer(secured, tmp_path_factory, route, body):
    reply = secured.http(route, body, timeout=30)
    assert reply.status < 500, (route, body[:200], reply.status, reply.body[:300])
    if reply.status >= 400:
        error = reply.json()
        assert error["code"] and error["message"], error
