"""The cue engine: segments in, cues out. It knows nothing of timelines or OTIO."""

__version__ = "0.1.0"
