"""The engine's errors: what a model raises for one segment, and what the job queue answers."""


class CueError(Exception):
    """A segment cannot be scored; the message says why and what to do. Other segments go on."""


class CueCancelled(Exception):
    """A model stopped mid-cue because its job was cancelled or the engine is stopping.

    Models that accept `should_stop` (a callable) in `generate`/`generate_batch` check it while
    they work and raise this; the job queue then marks the segment cancelled, not failed.
    """
