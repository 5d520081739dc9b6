"""What every command shares: exit codes, option types, how a command fails and prints a message.

Exit codes: 0 done; 2 bad input or a refused request (the message says what to do); 3 partial (the
timeline was written, some cues failed); 4 no cue could be made; 5 the engine is unreachable or its
model is not ready; 130 interrupted.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import NoReturn

import click
import grpc
from google.protobuf import json_format

from cuebridge.bridge.timeline_io import snap_rate
from cuebridge.v1 import bridge_pb2 as bpb
from cuebridge.v1 import engine_pb2 as pb

EXIT_OK, EXIT_BAD_INPUT, EXIT_PARTIAL, EXIT_FAILED, EXIT_ENGINE, EXIT_INTERRUPTED = (
    0,
    2,
    3,
    4,
    5,
    130,
)
MODES = {
    "markers": bpb.SEGMENT_MODE_MARKERS,
    "range": bpb.SEGMENT_MODE_RANGE,
    "whole": bpb.SEGMENT_MODE_WHOLE,
    "scenes": bpb.SEGMENT_MODE_SCENES,
}
ENGINE_CODES = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}


ENGINE_CA = click.option(
    "--engine-ca",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate (or its CA) of a remote engine that serves TLS.",
)


class RateType(click.ParamType):
    name = "rate"

    def convert(self, value, param, ctx) -> Fraction:
        if isinstance(value, Fraction):
            return value
        try:
            if "/" in str(value):
                num, den = str(value).split("/", 1)
                rate = Fraction(int(num), int(den))
            else:
                rate = snap_rate(float(value))
        except (ValueError, ZeroDivisionError):
            self.fail(
                f"{value!r} is not a frame rate; write 24, 25, 29.97 or 30000/1001", param, ctx
            )
        if rate <= 0:
            self.fail(f"{value!r}: a frame rate must be positive", param, ctx)
        return rate


RATE = RateType()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def to_json(message) -> str:
    # Every field, zeros included: a script must not guess what a missing key means.
    return json_format.MessageToJson(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def rate_pb(rate: Fraction | None) -> pb.Rate | None:
    return pb.Rate(num=rate.numerator, den=rate.denominator) if rate else None
