"""The cue engine: segments in, cues out. It knows nothing of timelines or OTIO."""

from cuebridge import __version__

__all__ = ["__version__"]
