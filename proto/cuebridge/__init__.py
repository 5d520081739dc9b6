"""cuebridge: music that fits the picture, scored onto an editor's timeline.

One import namespace; the repository's folders map onto it (pyproject's package-dir):
  cuebridge.v1      proto/cuebridge/v1   the contract: gRPC messages and services
  cuebridge.contract proto/cuebridge/contract/  the few rules both halves share, job states,
                     and (contract.segment) the one Segment, its rate and media spans
  cuebridge.engine  engine/              cue generation; knows nothing of timelines
  cuebridge.bridge  bridge/              timelines and time; talks to the engine over the contract
  cuebridge.app     app/                 the CLI and the process that wires both halves together
"""

# The release, in this one place: pyproject reads it (dynamic version), the engine reports it.
__version__ = "0.2.1"
