"""The engine's errors: what a model raises for one segment, and what the job queue answers."""


class CueError(Exception):
    """A segment cannot be scored; the message says why and what to do. Other segments go on."""


class CueCancelled(Exception):
    """A model stopped mid-cue because its job was cancelled or the engine is stopping.

    Models that accept `should_stop` (a callable) in `generate`/`generate_batch` check it while
    they work and raise this; the job queue then marks the segment cancelled, not failed.
    """


class JobRejected(ValueError):
    """A job cannot be accepted (bad request); the message says what to change."""


class EngineBusy(RuntimeError):
    """Over a bound of the engine; try again later or send less at once."""


class ModelNotReady(RuntimeError):
    """The asked-for model cannot run here; the message says what is missing."""
