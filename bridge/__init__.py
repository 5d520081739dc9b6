"""Timelines and time: OTIO in and out, segment selection, media linking, cue placement, and
the Bridge service. It reaches the engine only through the contract (cuebridge.v1)."""
