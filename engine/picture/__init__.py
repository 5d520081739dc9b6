"""The engine's eyes: what the picture under a segment looks like, read fast and exactly.

- decode: range decoding of each clip's source range with PyAV (seek, threads, early scaling)
- descriptors: brightness, saturation, colour, motion and cut scores per frame
- cuts: shot cuts inside a clip and motion hit points
- mood: descriptors -> valence/arousal and a mood word (replaceable by a trained model)
- cache: per-clip features on disk, keyed by media identity, range and extractor version
- analysis: analyze_segment(), the one entry point for the composer
- vivit: ViViT video tokens for the neural model
"""

from cuebridge.engine.picture.analysis import SegmentPicture, analyze_segment
from cuebridge.engine.picture.decode import MediaError
from cuebridge.engine.picture.mood import DescriptorMood, Mood, MoodModel, PictureSummary

__all__ = [
    "DescriptorMood",
    "MediaError",
    "Mood",
    "MoodModel",
    "PictureSummary",
    "SegmentPicture",
    "analyze_segment",
]
