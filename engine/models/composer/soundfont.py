"""Render a PrettyMIDI to 48 kHz stereo float audio through a General MIDI SoundFont.

The synthesiser is TinySoundFont (the `tinysoundfont` package): a small C sample player with no
audio-device dependency when driven offline, fast enough to render far quicker than real time.
We drive its low-level SoundFont object directly rather than through `Synth` + `Sequencer`:

* the .sf2 is parsed once per process and cached by path; every render works on a *clone*
  (TinySoundFont's documented way to share one loaded font between independent playbacks), so
  renders never see each other's voices or controller state and are bit-reproducible;
* events are applied at their exact sample positions (the Sequencer rounds render blocks up), and
  the output is written straight into a numpy buffer at 48 kHz, no resampling;
* a program that a non-GM font lacks falls back to its first preset instead of failing the cue.

The default font is the small General MIDI font pretty_midi ships (TimGM6mb.sf2);
`GenerationOptions.soundfont` points at a better one.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi
from tinysoundfont import _tinysoundfont as tsf

from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.errors import CueError

DEFAULT_SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
DRUM_CHANNEL = 9
MAX_VOICES = 96  # enough for our textures; bounds the cost of long string releases
_STEREO = 2

_load_lock = threading.Lock()


def resolve_soundfont(path: str | Path | None) -> Path:
    """The font a render will use: `path`, or the bundled General MIDI font when empty."""
    return Path(path).expanduser() if path else DEFAULT_SOUNDFONT


def soundfont_problem(path: str | Path | None) -> str:
    """Why `path` cannot be used as a SoundFont, or "" when it can."""
    try:
        load_soundfont(path)
    except CueError as exc:
        return str(exc)
    return ""


def load_soundfont(path: str | Path | None) -> tsf.SoundFont:
    """The parsed SoundFont at `path` (cached per process; reloaded if the file changes)."""
    font = resolve_soundfont(path)
    try:
        stat = font.stat()
    except OSError as exc:
        raise CueError(
            f"SoundFont {font}: cannot read it ({exc.strerror or exc}). Give the path of an "
            "existing .sf2 file in the soundfont option, or leave it empty for the bundled "
            "General MIDI font."
        ) from None
    if not font.is_file():
        raise CueError(
            f"SoundFont {font}: not a file. Give the path of a .sf2 file in the soundfont option."
        )
    with _load_lock:
        return _load_cached(str(font.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, size: int) -> tsf.SoundFont:
    try:
        return tsf.SoundFont(path)
    except Exception as exc:  # TinySoundFont reports a bad file as a bare RuntimeError
        raise CueError(
            f"SoundFont {path}: not a readable SoundFont 2 file ({exc}). Use a valid .sf2 "
            "(General MIDI layout), or leave the soundfont option empty for the bundled font."
        ) from None


@dataclass(frozen=True, order=True)
class _Event:
    sample: int
    order: int  # at one sample: set-up first, then note-offs, then note-ons
    channel: int
    kind: str
    a: int = 0
    b: float = 0.0


def render_midi(
    midi: pretty_midi.PrettyMIDI,
    num_samples: int,
    soundfont: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
    gain_db: float = -6.0,
) -> np.ndarray:
    """Render `midi` to exactly `num_samples` frames of (samples, 2) float32 audio.

    Events after the last sample are dropped; sounds still ringing at the end are cut there
    (the caller fades the tail). The default gain leaves head-room for dense orchestrations;
    callers normalise afterwards.
    """
    font = load_soundfont(soundfont)
    with _load_lock:  # cloning bumps the font's shared reference count
        synth = tsf.SoundFont(font)  # a clone: shares the samples, not the voices
    synth.set_output(tsf.OutputMode.StereoInterleaved, sample_rate, gain_db)
    synth.set_max_voices(MAX_VOICES)

    events = sorted(_events(midi, sample_rate))
    out = np.zeros((num_samples, _STEREO), dtype=np.float32)
    raw = memoryview(out.reshape(-1).view(np.uint8))
    frame_bytes = _STEREO * out.itemsize
    cursor = 0
    for event in events:
        if event.sample >= num_samples:
            break
        if event.sample > cursor:
            synth.render(raw[cursor * frame_bytes : event.sample * frame_bytes])
            cursor = event.sample
        _apply(synth, event)
    if cursor < num_samples:
        synth.render(raw[cursor * frame_bytes :])
    return out


def _events(midi: pretty_midi.PrettyMIDI, sample_rate: int) -> list[_Event]:
    events: list[_Event] = []
    for channel, inst in zip(_channels(midi.instruments), midi.instruments, strict=True):
        events.append(_Event(0, 0, channel, "program", inst.program, float(inst.is_drum)))
        for cc in inst.control_changes:
            events.append(_Event(_at(cc.time, sample_rate), 0, channel, "cc", cc.number, cc.value))
        for bend in inst.pitch_bends:
            events.append(_Event(_at(bend.time, sample_rate), 0, channel, "bend", bend.pitch))
        for note in inst.notes:
            start, end = _at(note.start, sample_rate), _at(note.end, sample_rate)
            events.append(_Event(start, 2, channel, "on", note.pitch, note.velocity / 127.0))
            events.append(_Event(max(end, start + 1), 1, channel, "off", note.pitch))
    return events


def _channels(instruments: list[pretty_midi.Instrument]) -> list[int]:
    """MIDI channels as pretty_midi.write assigns them: drums on 10, others in order."""
    melodic = [c for c in range(16) if c != DRUM_CHANNEL]
    channels, i = [], 0
    for inst in instruments:
        if inst.is_drum:
            channels.append(DRUM_CHANNEL)
            continue
        if i >= len(melodic):
            raise ValueError("more than 15 melodic instruments do not fit in one MIDI port")
        channels.append(melodic[i])
        i += 1
    return channels


def _at(seconds: float, sample_rate: int) -> int:
    return max(0, round(seconds * sample_rate))


def _apply(synth: tsf.SoundFont, e: _Event) -> None:
    if e.kind == "on":
        synth.channel_note_on(e.channel, e.a, e.b)
    elif e.kind == "off":
        synth.channel_note_off(e.channel, e.a)
    elif e.kind == "cc":
        synth.channel_midi_control(e.channel, e.a, int(e.b))
    elif e.kind == "bend":
        synth.channel_set_pitch_wheel(e.channel, e.a + 8192)
    elif e.kind == "program":
        _select_program(synth, e.channel, e.a, drum=bool(e.b))


def _select_program(synth: tsf.SoundFont, channel: int, program: int, drum: bool) -> None:
    """The General MIDI program, or the font's first preset when a non-GM font lacks it."""
    bank = 128 if drum else 0
    if synth.get_preset_index(bank, program) >= 0:
        synth.channel_set_preset_number(channel, program, drum)
        return
    fallback = synth.get_preset_index(bank, 0)
    synth.channel_set_preset_index(channel, fallback if fallback >= 0 else 0)
