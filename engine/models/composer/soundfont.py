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

TinySoundFont is the preferred renderer (it reads .sf3, renders float and sample-exact, and is
the fastest we measured: bench/bench_sound.py), but its package declares PyAudio, which has no
wheel on Linux, so a plain `pip install cuebridge` cannot depend on it. The core install therefore
depends on `midirenderer` (RustySynth, abi3 wheels for Linux, macOS and Windows, x86-64 and ARM)
and renders through it when TinySoundFont is absent: .sf2 fonts only, 16-bit, whole cue at once.
`pip install --no-deps tinysoundfont==0.3.7` switches to the better renderer.

Before rendering, every instrument is seated where it sits in an orchestra (`seating`), by its
General MIDI program: violins left, cellos and basses right, horns left of centre ...

The font is the best General MIDI font installed on the machine (`fonts.best_font`); an explicit
`GenerationOptions.soundfont` wins.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import io
import os
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from cuebridge.engine.cue import SAMPLE_RATE
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.composer.font_cache import header_problem
from cuebridge.engine.models.composer.fonts import BUNDLED_SOUNDFONT, best_font
from cuebridge.engine.models.composer.riff_sizes import check_chunk_sizes

DEFAULT_SOUNDFONT = BUNDLED_SOUNDFONT
FIX_TINYSOUNDFONT = "pip install --no-deps tinysoundfont==0.3.7"
DRUM_CHANNEL = 9
MAX_VOICES = 96  # enough for our textures; bounds the cost of long string releases
_STEREO = 2

_load_lock = threading.Lock()
_FIX_FONT = (
    "Use a valid .sf2 (General MIDI layout), or leave the soundfont option empty for the "
    "bundled font."
)


def renderer() -> str:
    """The synthesiser renders go through: "tinysoundfont" when installed, else "midirenderer"."""
    if importlib.util.find_spec("tinysoundfont") is not None:
        return "tinysoundfont"
    if importlib.util.find_spec("midirenderer") is not None:
        return "midirenderer"
    return ""


def renderer_version() -> str:
    import importlib.metadata

    name = renderer()
    return f"{name} {importlib.metadata.version(name)}" if name else "none"


def resolve_soundfont(path: str | Path | None, user_dir: Path | None = None) -> Path:
    """The font a render will use: `path`, or the best General MIDI font installed (the
    user's font folder `user_dir` first)."""
    if path:
        return Path(path).expanduser()
    return best_font(allow_sf3=renderer() == "tinysoundfont", user_dir=user_dir)


def soundfont_problem(path: str | Path | None, user_dir: Path | None = None) -> str:
    """Why `path` cannot be used as a SoundFont, or "" when it can (with the fix to run)."""
    name = renderer()
    if not name:
        return (
            "no SoundFont synthesiser is installed (the midirenderer package is missing). "
            f"Fix: pip install midirenderer, or {FIX_TINYSOUNDFONT}"
        )
    font = resolve_soundfont(path, user_dir)
    if name == "midirenderer" and font.suffix.lower() == ".sf3":
        return (
            f"SoundFont {font}: a compressed .sf3 font needs the TinySoundFont renderer, which "
            f"is not installed. Fix: {FIX_TINYSOUNDFONT} (or give a .sf2 font)"
        )
    try:  # the headers only: a readiness check never decodes a font's samples
        _check_file(font)
    except CueError as exc:
        return str(exc)
    if problem := header_problem(font):
        return f"SoundFont {font}: not a readable SoundFont 2 file ({problem}). {_FIX_FONT}"
    return ""


def load_soundfont(path: str | Path | None):
    """The parsed SoundFont at `path` (cached per process; reloaded if the file changes):
    a TinySoundFont object, or the file's bytes for midirenderer."""
    font = resolve_soundfont(path)
    stat = _check_file(font)
    with _load_lock:
        return _load_cached(str(font.resolve()), stat.st_mtime_ns, stat.st_size)


def _check_file(font: Path) -> os.stat_result:
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
    return stat


@functools.lru_cache(maxsize=2)
def _load_cached(path: str, mtime_ns: int, size: int):
    check_chunk_sizes(path)  # before a renderer allocates what a lying header claims
    if renderer() != "tinysoundfont":
        data = Path(path).read_bytes()
        if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
            raise CueError(
                f"SoundFont {path}: not a SoundFont 2 file (no RIFF sfbk header). Use a valid "
                ".sf2 (General MIDI layout), or leave the soundfont option empty."
            )
        return data
    from tinysoundfont import _tinysoundfont as tsf

    try:
        return tsf.SoundFont(path)
    except Exception as exc:  # TinySoundFont reports a bad file as a bare RuntimeError
        raise CueError(
            f"SoundFont {path}: not a readable SoundFont 2 file ({exc}). {_FIX_FONT}"
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
    seating: bool = True,
) -> np.ndarray:
    """Render `midi` to exactly `num_samples` frames of (samples, 2) float32 audio.

    Events after the last sample are dropped; sounds still ringing at the end are cut there
    (the caller fades the tail). The default gain leaves head-room for dense orchestrations;
    callers normalise afterwards. Instruments are seated (`seat`) first unless `seating` is off
    (the score's own pans then stand).
    """
    if seating:
        midi = seat(midi)
    font = load_soundfont(soundfont)
    if isinstance(font, bytes):
        return _render_midirenderer(midi, num_samples, font, sample_rate)
    from tinysoundfont import _tinysoundfont as tsf

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


def _apply(synth, e: _Event) -> None:
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


def _select_program(synth, channel: int, program: int, drum: bool) -> None:
    """The General MIDI program, or the font's first preset when a non-GM font lacks it."""
    bank = 128 if drum else 0
    if synth.get_preset_index(bank, program) >= 0:
        synth.channel_set_preset_number(channel, program, drum)
        return
    fallback = synth.get_preset_index(bank, 0)
    synth.channel_set_preset_index(channel, fallback if fallback >= 0 else 0)


def _render_midirenderer(
    midi: pretty_midi.PrettyMIDI, num_samples: int, font: bytes, sample_rate: int
) -> np.ndarray:
    """The fallback: RustySynth via midirenderer (16-bit WAV of the whole file, 48 kHz)."""
    import midirenderer

    buffer = io.BytesIO()
    midi.write(buffer)
    data = midirenderer.render_wave_from(font, buffer.getvalue())
    with wave.open(io.BytesIO(data)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    audio = pcm.reshape(-1, channels).astype(np.float32) / 32768.0
    if channels == 1:
        audio = np.repeat(audio, 2, axis=1)
    if rate != sample_rate:
        from cuebridge.engine.audio import resample

        audio = resample(audio, rate, sample_rate)
    out = np.zeros((num_samples, _STEREO), dtype=np.float32)
    n = min(num_samples, len(audio))
    out[:n] = audio[:n]
    return out


# Where each General MIDI program sits on a film-scoring stage (American seating, seen from the
# conductor), as MIDI pan 0 (left) .. 127 (right). Programs not named sit by their family.
_FAMILY_PAN = {
    0: 50,  # pianos: left of centre, in front of the harp
    1: 44,  # chromatic percussion (celesta, glockenspiel, vibraphone)
    2: 64,  # organs
    3: 46,  # guitars
    4: 92,  # basses: right, with the double basses
    5: 56,  # string sections: centred a little left, where the violins lead
    6: 68,  # ensembles (choir, voices, orchestra hit)
    7: 74,  # brass: trumpets centre-right, trombones right
    8: 62,  # reeds
    9: 58,  # pipes (flutes): centre, behind the strings
    10: 64,  # synth leads
    11: 64,  # synth pads
    12: 64,  # synth effects
    13: 52,  # ethnic
    14: 58,  # percussive
    15: 64,  # sound effects
}
_PROGRAM_PAN = {
    40: 34,  # violin
    41: 78,  # viola
    42: 90,  # cello
    43: 102,  # contrabass
    44: 52,  # tremolo strings
    45: 58,  # pizzicato strings
    46: 30,  # harp: far left
    47: 70,  # timpani: back, right of centre
    56: 72,  # trumpet
    57: 86,  # trombone
    58: 96,  # tuba
    59: 72,  # muted trumpet
    60: 42,  # French horns: left, behind the woodwinds
    61: 76,  # brass section
    68: 60,  # oboe
    70: 72,  # bassoon
    71: 66,  # clarinet
    72: 56,  # piccolo
    73: 58,  # flute
}
DRUM_PAN = 60  # the percussion section, back centre


def seat_pan(program: int, is_drum: bool) -> int:
    """MIDI pan (0..127) for an instrument of General MIDI `program` on the scoring stage."""
    if is_drum:
        return DRUM_PAN
    return _PROGRAM_PAN.get(program, _FAMILY_PAN[program // 8])


def seat(midi: pretty_midi.PrettyMIDI) -> pretty_midi.PrettyMIDI:
    """A copy of `midi` with each instrument's pan (CC 10) set to its orchestral seat.

    Two instruments of one program are spread a little either side of the seat so they do not
    stack on one point."""
    out = copy.copy(midi)
    out.instruments = []
    used: dict[int, int] = {}
    for inst in midi.instruments:
        seated = copy.copy(inst)
        key = -1 if inst.is_drum else inst.program
        nth = used.get(key, 0)
        used[key] = nth + 1
        pan = seat_pan(inst.program, inst.is_drum) + (0 if nth == 0 else (-1) ** nth * 8 * nth)
        pan = max(0, min(127, pan))
        others = [cc for cc in inst.control_changes if cc.number != 10]
        seated.control_changes = [pretty_midi.ControlChange(10, pan, 0.0), *others]
        out.instruments.append(seated)
    return out


# Stems: the orchestra's sections, by General MIDI program, in the order they sit under Score.
SECTIONS = ("Strings", "Winds and Brass", "Percussion", "Keys and Other")


def section_of(program: int, is_drum: bool) -> str:
    """The stem an instrument of General MIDI `program` goes to."""
    if is_drum or program == 47 or 9 <= program <= 14 or 112 <= program <= 119:
        return "Percussion"  # kit, timpani, mallets, percussive programs
    if program == 32 or 40 <= program <= 51:
        return "Strings"  # upright bass, the string family, harp, string ensembles
    if 56 <= program <= 79:
        return "Winds and Brass"
    return "Keys and Other"  # pianos, celesta, organs, guitars, basses, choir, synths


def render_sections(
    midi: pretty_midi.PrettyMIDI,
    num_samples: int,
    soundfont: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> dict[str, np.ndarray]:
    """Each section of `midi` rendered alone (seated as in the full score), by `SECTIONS` name;
    sections with no instrument are left out. The synthesiser mixes voices by adding them, so
    the sections sum to the full render."""
    seated = seat(midi)
    groups: dict[str, list[pretty_midi.Instrument]] = {}
    for inst in seated.instruments:
        groups.setdefault(section_of(inst.program, inst.is_drum), []).append(inst)
    out = {}
    for name in SECTIONS:
        if name in groups:
            part = copy.copy(seated)
            part.instruments = groups[name]
            out[name] = render_midi(part, num_samples, soundfont, sample_rate, seating=False)
    return out


def render_blocks(
    midi: pretty_midi.PrettyMIDI,
    num_samples: int,
    soundfont: str | Path | None = None,
    block: int = 1 << 18,
    sample_rate: int = SAMPLE_RATE,
    gain_db: float = -6.0,
):
    """`render_midi` in consecutive blocks of at most `block` frames: the same samples, with
    memory bounded by the block however long the cue (TinySoundFont keeps its voices between
    blocks). The fallback renderer has no streaming API: its whole render is sliced."""
    midi = seat(midi)
    font = load_soundfont(soundfont)
    if isinstance(font, bytes):
        audio = _render_midirenderer(midi, num_samples, font, sample_rate)
        for start in range(0, num_samples, block):
            yield audio[start : start + block]
        return
    from tinysoundfont import _tinysoundfont as tsf

    with _load_lock:
        synth = tsf.SoundFont(font)
    synth.set_output(tsf.OutputMode.StereoInterleaved, sample_rate, gain_db)
    synth.set_max_voices(MAX_VOICES)
    events = sorted(_events(midi, sample_rate))
    i = 0
    for start in range(0, num_samples, block):
        end = min(num_samples, start + block)
        out = np.zeros((end - start, _STEREO), dtype=np.float32)
        raw = memoryview(out.reshape(-1).view(np.uint8))
        frame_bytes = _STEREO * out.itemsize
        cursor = start
        while i < len(events) and events[i].sample < end:
            event = events[i]
            if event.sample > cursor:
                synth.render(
                    raw[(cursor - start) * frame_bytes : (event.sample - start) * frame_bytes]
                )
                cursor = event.sample
            _apply(synth, event)
            i += 1
        if cursor < end:
            synth.render(raw[(cursor - start) * frame_bytes :])
        yield out
