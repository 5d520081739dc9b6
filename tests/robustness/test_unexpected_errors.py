"""Issue 22 item 15: an error no servicer expected never answers gRPC's bare "Exception calling
application"; it names the call and the error. Through the real server: the Bridge's own
InspectTimeline, made to meet an error it has no words for."""

from __future__ import annotations

import grpc
import pytest

from cuebridge.app.host import start_server
from cuebridge.bridge import service
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc


def test_an_unexpected_error_is_named_not_exception_calling_application(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a rule no one wrote")  # stands for any bug in the planning

    monkeypatch.setattr(service, "plan_segments", broken)
    (tmp_path / "cut.otio").write_text("{}")
    server = start_server("127.0.0.1", 0, state_dir=tmp_path / "state")
    try:
        with grpc.insecure_channel(server.address) as channel:
            bridge = bpb_grpc.BridgeStub(channel)
            with pytest.raises(grpc.RpcError) as failed:
                bridge.InspectTimeline(
                    bpb.InspectRequest(timeline_path=str(tmp_path / "cut.otio")), timeout=20
                )
            assert failed.value.code() == grpc.StatusCode.INTERNAL
            details = failed.value.details()
            assert "Exception calling application" not in details
            assert (
                "InspectTimeline failed unexpectedly (ZeroDivisionError: a rule no one" in details
            )
            # a refusal the service words itself passes unchanged
            with pytest.raises(grpc.RpcError) as refused:
                bridge.InspectTimeline(bpb.InspectRequest(timeline_path="relative.otio"))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        server.stop(0)
