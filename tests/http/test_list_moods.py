"""ListMoods: the mood vocabulary for the plugins' picker, over gRPC and over the HTTP face."""

from __future__ import annotations

from cuebridge.moods import MOODS, STYLE_NAMES
from cuebridge.v1 import bridge_pb2


def test_list_moods_over_grpc(bridge):
    moods = bridge.ListMoods(bridge_pb2.ListMoodsRequest()).moods
    assert {m.name: m.style for m in moods} == {n: m.style for n, m in MOODS.items()}
    assert all(m.description for m in moods)
    # each style first, then the feeling words that score as it: a picker can group them
    styles = [m.style for m in moods]
    assert styles == sorted(styles, key=STYLE_NAMES.index)
    assert moods[0].name == moods[0].style == STYLE_NAMES[0]


def test_list_moods_over_http(secured):
    reply = secured.http("/cuebridge.v1.Bridge/ListMoods", {})
    assert reply.status == 200, reply.body
    moods = reply.json()["moods"]
    assert {m["name"] for m in moods} == set(MOODS)
    tense = next(m for m in moods if m["name"] == "tense")
    assert tense == {
        "name": "tense",
        "style": "suspense",
        "description": MOODS["tense"].description,
    }
