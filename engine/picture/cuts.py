"""Shot cuts inside a clip and hit points in the motion curve.

Cuts follow PySceneDetect: a frame is a cut when its HSV content score passes
ContentDetector's threshold (27) AND stands out from its neighbours as AdaptiveDetector asks
(at least twice the mean score of the two frames either side; AdaptiveDetector alone asks 3x,
but here the content threshold already applies). The second gate keeps a fast
camera pan, whose every frame scores high, from reading as a string of cuts. Shots are at
least 15 frames long (ContentDetector's min_scene_len). The edit points of the timeline are
free and exact; this only finds the cuts a flattened reference movie hides inside one clip.
"""

from __future__ import annotations

import numpy as np

CUT_THRESHOLD = 27.0  # ContentDetector's default
MIN_SHOT_FRAMES = 15  # ContentDetector's default min_scene_len
ADAPTIVE_RATIO = 2.0  # AdaptiveDetector's adaptive_threshold is 3.0 without a content gate
ADAPTIVE_WINDOW = 2  # AdaptiveDetector's default window_width (frames each side)


def detect_cuts(
    times_s: np.ndarray,
    cut_score: np.ndarray,
    *,
    threshold: float = CUT_THRESHOLD,
    min_shot_frames: int = MIN_SHOT_FRAMES,
    adaptive_ratio: float = ADAPTIVE_RATIO,
) -> list[float]:
    """Times of the first frame of each new shot (the cut), in the times_s time base."""
    score = np.asarray(cut_score, np.float64)
    cuts: list[float] = []
    # Unlike ContentDetector, a cut right after the clip's in point counts: a trimmed clip can
    # start late in a shot. min_shot_frames still suppresses flashes between two cuts.
    last = -min_shot_frames
    for i in range(1, len(score)):
        if score[i] < threshold or i - last < min_shot_frames:
            continue
        # Neighbours: the window either side, without frame 0 (it has no previous frame).
        lo, hi = max(1, i - ADAPTIVE_WINDOW), min(len(score), i + ADAPTIVE_WINDOW + 1)
        around = np.concatenate([score[lo:i], score[i + 1 : hi]])
        if len(around) and score[i] < adaptive_ratio * float(around.mean()):
            continue
        cuts.append(float(times_s[i]))
        last = i
    return cuts


def cut_indices(times_s: np.ndarray, cuts_s: list[float]) -> np.ndarray:
    return np.searchsorted(times_s, np.asarray(cuts_s, np.float64) - 1e-9)


def clean_motion(motion: np.ndarray, cut_at: np.ndarray) -> np.ndarray:
    """Motion without the jumps that are cuts, not movement: a cut frame takes its neighbour's."""
    motion = motion.astype(np.float32, copy=True)
    if len(motion) > 1:
        motion[0] = motion[1]  # the first frame has nothing to differ from
    for i in cut_at:
        if 0 <= i < len(motion):
            neighbour = motion[i - 1] if i > 0 else (motion[i + 1] if i + 1 < len(motion) else 0)
            motion[i] = neighbour
    return motion


def smooth(values: np.ndarray, times_s: np.ndarray, window_s: float = 0.25) -> np.ndarray:
    """A centred moving average over window_s seconds (frame-rate independent)."""
    if len(values) < 3:
        return values.astype(np.float32)
    out = np.empty(len(values), np.float32)
    cumsum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    lo = np.searchsorted(times_s, times_s - window_s / 2, side="left")
    hi = np.searchsorted(times_s, times_s + window_s / 2, side="right")
    out[:] = (cumsum[hi] - cumsum[lo]) / np.maximum(hi - lo, 1)
    return out


def motion_peaks(
    times_s: np.ndarray,
    energy: np.ndarray,
    *,
    min_gap_s: float = 0.5,
    prominence: float = 1.5,
) -> list[float]:
    """Hit points: local maxima of smoothed motion that stand out from the segment's level.

    A peak must exceed median + prominence * MAD (a robust spread), and two peaks are at
    least min_gap_s apart (the stronger one wins), so steady motion yields no hits.
    """
    if len(energy) < 3:
        return []
    curve = smooth(energy, times_s)
    median = float(np.median(curve))
    spread = float(np.median(np.abs(curve - median))) * 1.4826
    floor = median + prominence * max(spread, 0.1 * median, 1e-3)
    candidates = [
        i
        for i in range(1, len(curve) - 1)
        if curve[i] >= curve[i - 1] and curve[i] > curve[i + 1] and curve[i] > floor
    ]
    chosen: list[int] = []
    for i in sorted(candidates, key=lambda j: -curve[j]):
        if all(abs(times_s[i] - times_s[j]) >= min_gap_s for j in chosen):
            chosen.append(i)
    return sorted(float(times_s[i]) for i in chosen)
