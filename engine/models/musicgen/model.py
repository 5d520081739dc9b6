"""`musicgen-video`: the flagship cue model, MusicGen + the OSSL video adapter, behind CueModel.

What it does with a segment:
1. prompt: the OSSL template "a film soundtrack for a {mood} scene. {caption}" from the segment's
   mood and the editor's prompt, plus a genre from `options.genre`;
2. video: ViViT tokens of the segment's picture (cuebridge.engine.picture.vivit, imported lazily);
3. codes: classifier-free guided sampling with the cue's seed, windows of 30 s re-prompted with
   their last 12 s for longer cues (see MusicgenVideo.generate_long);
4. best-of-N: N takes in one batch, ranked by how well their onsets land on the cuts and hit
   points; the best is placed, the others kept beside it and listed in the metadata;
5. the ending: the last beat before the end is found by onset tracking, and the cue rings out
   from it in a raised-cosine fade that reaches silence on the segment's last sample;
6. EnCodec's 32 kHz takes are finished by engine/cue_writer.py like every model's cue: 48 kHz,
   `--loudness`, true peak <= -1 dBTP, the duck under speech, `<cue_file_stem>.wav`.

Importing this module must not import torch: the engine's core install has none. torch and
transformers are imported inside functions; musicgen_video.py (which needs them) loads lazily.
"""

from __future__ import annotations

import importlib.util
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cuebridge.engine.audio import ending_fade_s, sync_score
from cuebridge.engine.cue import SAMPLE_RATE, Cue
from cuebridge.engine.cue_writer import Performance, write_cue
from cuebridge.engine.errors import CueError
from cuebridge.engine.models.base import CueModel, ModelStatus
from cuebridge.engine.models.musicgen.checkpoints import MUSICGEN_LICENCE
from cuebridge.engine.segment import GenerationOptions, Segment
from cuebridge.engine.settings import EngineSettings

if TYPE_CHECKING:
    import torch

    from cuebridge.engine.models.musicgen.modeling import MusicgenVideo

NAME = "musicgen-video"
DESCRIPTION = (
    "MusicGen with the OSSL video adapter (transformers; local weights). Licence: MusicGen's "
    "weights are CC-BY-NC 4.0, so its cues are for non-commercial use only"
)
OSSL_TEMPLATE = "a film soundtrack for a {mood} scene. {caption}"
ENDING_TAIL_S = 0.5  # generated past the end so EnCodec's last frames are not edge frames


# Settings ---------------------------------------------------------------------------------


@dataclass
class MusicgenVideoSettings:
    musicgen: str = ""  # folder or Hugging Face id (in the local cache) of a MusicGen checkpoint
    adapter: str = ""  # folder with adapter.safetensors + adapter_config.json, or an OSSL
    # training checkpoint file (multi{epoch}.pt); "" = gates at 0
    vivit: str = ""  # folder of google/vivit-b-16x2-kinetics400
    device: str = "auto"  # cuda, mps, cpu or auto
    batch_rows: int = 0  # cues decoded together (guidance doubles it); 0 = sized to memory
    window_s: float = 30.0
    stride_s: float = 18.0
    # classifier-free guidance: "ossl" (video in both halves, as OSSL), "text-and-video-null",
    # or "auto": "ossl" for OSSL checkpoints, else "text-and-video-null" (see GUIDANCE_MODES)
    guidance: str = "auto"
    threads: int = 0  # torch's CPU threads; 0 = one per core given to the engine

    @classmethod
    def from_engine(cls, settings: EngineSettings) -> MusicgenVideoSettings:
        return cls(
            threads=settings.cpu_threads,
            musicgen=settings.musicgen,
            adapter=settings.musicgen_adapter,
            vivit=settings.vivit,
            device=settings.device,
            guidance=settings.musicgen_guidance,
        )


def resolve_device(setting: str) -> str:
    import torch

    if setting in ("", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    return setting


def device_problem(setting: str) -> str:
    """Why the configured device cannot run the model here (with the fix), or ""."""
    import torch

    if setting in ("", "auto", "cpu"):
        return ""
    try:
        kind = torch.device(setting).type
    except (RuntimeError, ValueError) as exc:
        return (
            f"device {setting!r} is not a torch device ({exc}); set CUEBRIDGE_DEVICE to "
            "cuda, mps, cpu or auto"
        )
    if kind == "cuda":
        if not torch.cuda.is_available():
            build = (
                "a CPU-only build of torch" if torch.version.cuda is None else "no CUDA GPU visible"
            )
            return (
                f"device {setting!r}: {build} ({torch.__version__}); set CUEBRIDGE_DEVICE=cpu "
                "(or auto), or install a CUDA build of torch on a machine with an NVIDIA GPU"
            )
        index = torch.device(setting).index
        if index is not None and index >= torch.cuda.device_count():
            return (
                f"device {setting!r}: only {torch.cuda.device_count()} CUDA device(s) here; "
                "set CUEBRIDGE_DEVICE=cuda:0 (or auto)"
            )
    elif kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        if not (mps and mps.is_available()):
            return (
                f"device {setting!r}: Apple's MPS is not available here; set "
                "CUEBRIDGE_DEVICE=cpu or auto"
            )
    elif kind != "cpu":
        return f"device {setting!r}: not supported; set CUEBRIDGE_DEVICE to cuda, mps, cpu or auto"
    return ""


def torch_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


# Prompts -------------------------------------------------------------------------------------


def build_prompt(segment: Segment, options: GenerationOptions) -> str:
    """The OSSL template from the segment's mood and the editor's prompt (caption), plus genre."""
    mood = segment.mood.strip() or "cinematic"
    caption = segment.prompt.strip()
    genre = options.genre.strip()
    if genre:
        caption = f"{caption} {genre}.".strip() if caption else f"{genre}."
    return OSSL_TEMPLATE.format(mood=mood, caption=caption).strip()


def shared_video_batch(tokens: list, keys: list, model: MusicgenVideo):
    """Per-row tokens, rows with the same key showing the same video (takes of one segment)
    -> distinct videos padded [U, T, 768], mask [U, T], present [B], rows [B] (row -> video),
    so the model computes each video's K/V once."""
    import torch

    first: dict = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    order = list(first)
    video, mask, _ = video_batch([tokens[first[k]] for k in order], model)
    if video is None:
        return None, None, None, None
    rows = torch.tensor([order.index(k) for k in keys], dtype=torch.long)
    present = torch.tensor([0.0 if t is None else 1.0 for t in tokens])
    return video, mask, present, rows


def video_batch(tokens: list, model: MusicgenVideo):
    """Per-cue [T, 768] tokens (or None) -> padded [B, T, 768], mask [B, T], present [B]."""
    import torch

    if all(t is None for t in tokens):
        return None, None, None
    length = max(t.shape[0] for t in tokens if t is not None)
    video = torch.zeros(len(tokens), length, model.adapter.video_dim)
    mask = torch.zeros(len(tokens), length, dtype=torch.long)
    present = torch.zeros(len(tokens))
    for i, t in enumerate(tokens):
        if t is None:
            mask[i, :1] = 1  # one valid (zero) token keeps the softmax finite; gated off anyway
            continue
        video[i, : t.shape[0]] = t.float()
        mask[i, : t.shape[0]] = 1
        present[i] = 1.0
    return video, mask, present


# The cue model -------------------------------------------------------------------------------


@dataclass
class _Row:
    """One take of one segment in the batch."""

    seg_index: int
    take: int
    seed: int


class MusicgenVideoModel(CueModel):
    name = NAME
    batch_size = 16  # segments the job queue hands over at once; a cancel lands between them

    @classmethod
    def from_settings(cls, settings: EngineSettings) -> MusicgenVideoModel:
        return cls(MusicgenVideoSettings.from_engine(settings))

    def __init__(
        self,
        settings: MusicgenVideoSettings | None = None,
        *,
        model: MusicgenVideo | None = None,
        tokenizer: object | None = None,
        video_tokens: Callable[[Segment], torch.Tensor | None] | None = None,
        identity: dict[str, str] | None = None,
    ):
        self.settings = settings or MusicgenVideoSettings()
        self._model, self._tokenizer, self._video_tokens = model, tokenizer, video_tokens
        self._identity = dict(identity or {})
        self._given_identity = dict(identity or {})
        self._lock = threading.Lock()
        # The video memory is lent to the model's layers during a decode: one decode at a time.
        self._decode_lock = threading.Lock()
        self._tokenizer_checked: dict[str, str] = {}

    def identity(self) -> str:
        """What distinguishes this model's cues beyond its name, known before loading: the
        configured weights by content (the adapter file or folder hashed, so replacing it in
        place makes new cues; MusicGen's files by name, size, mtime and safetensors header), the
        settings and any identity given."""
        from dataclasses import asdict

        from cuebridge.engine.models.musicgen.checkpoints import adapter_identity, weights_identity

        return json.dumps(
            {
                # threads change how fast, not what: the same cue from any thread count
                "settings": {k: v for k, v in asdict(self.settings).items() if k != "threads"},
                "given": self._given_identity,
                "adapter": adapter_identity(self.settings.adapter),
                "musicgen": weights_identity(self.settings.musicgen),
            },
            sort_keys=True,
        )

    # -- readiness --

    def status(self) -> ModelStatus:
        if not torch_available():
            return self._not_ready("torch/transformers not installed: install cuebridge[musicgen]")
        if self._model is not None:
            return ModelStatus(NAME, DESCRIPTION, True, "", str(self._model.device))
        from cuebridge.engine.models.musicgen.checkpoints import (
            missing_adapter_files,
            missing_musicgen_files,
        )

        s = self.settings
        missing: list[str] = []
        if not s.musicgen:
            missing.append(
                "no MusicGen checkpoint configured: set CUEBRIDGE_MUSICGEN to a local folder "
                "(or a Hugging Face id already in the cache), e.g. facebook/musicgen-medium"
            )
        else:
            missing += missing_musicgen_files(s.musicgen)
        if s.adapter:
            missing += missing_adapter_files(s.adapter)
        if not s.vivit:
            missing.append(
                "no ViViT configured: set CUEBRIDGE_VIVIT to a local folder of "
                "google/vivit-b-16x2-kinetics400 (config.json + model.safetensors)"
            )
        else:
            vivit = Path(s.vivit).expanduser()
            if not (vivit / "config.json").is_file():
                missing.append(f"config.json in {vivit} (the ViViT checkpoint folder)")
            if importlib.util.find_spec("cuebridge.engine.picture.vivit") is None:
                missing.append(
                    "cuebridge.engine.picture.vivit (the ViViT tokenizer module) is not installed"
                )
        if missing:
            return self._not_ready("missing: " + "; ".join(missing))
        if problem := device_problem(s.device):
            return self._not_ready(problem)
        if problem := self._tokenizer_problem(s.musicgen):
            return self._not_ready(problem)
        return ModelStatus(NAME, DESCRIPTION, True, "", resolve_device(s.device))

    def _tokenizer_problem(self, ref: str) -> str:
        """checkpoints.tokenizer_problem, asked once per version of the checkpoint's files."""
        from cuebridge.engine.models.musicgen.checkpoints import tokenizer_problem, weights_identity

        key = weights_identity(ref)
        if key not in self._tokenizer_checked:
            self._tokenizer_checked[key] = tokenizer_problem(ref)
        return self._tokenizer_checked[key]

    def _not_ready(self, reason: str) -> ModelStatus:
        return ModelStatus(NAME, DESCRIPTION, False, reason, self.settings.device)

    def _ensure_loaded(self) -> MusicgenVideo:
        with self._lock:
            if self._model is not None:
                return self._model
            status = self.status()
            if not status.ready:
                raise CueError(f"{NAME} is not ready: {status.reason}")
            from cuebridge.engine.models.musicgen.checkpoints import load_musicgen_video

            s = self.settings
            loaded = load_musicgen_video(s.musicgen, s.adapter, status.device)
            self._model, self._tokenizer = loaded.model, loaded.tokenizer
            self._identity.update(loaded.identity)
            self._identity["guidance"] = loaded.guidance
            if self._video_tokens is None:
                self._video_tokens = self._vivit_tokens(status.device)
            return self._model

    def _vivit_tokens(self, device: str) -> Callable[[Segment], torch.Tensor | None]:
        try:
            from cuebridge.engine.picture.vivit import VivitTokenizer
        except ImportError as exc:
            raise CueError(
                f"{NAME}: cuebridge.engine.picture.vivit cannot be imported ({exc}); the video "
                "adapter "
                "needs it to turn the picture into ViViT tokens"
            ) from exc
        try:
            vivit = VivitTokenizer.from_pretrained(self.settings.vivit, device)
        except FileNotFoundError as exc:  # VivitWeightsMissing says which files, where
            raise CueError(f"{NAME}: {exc}") from exc
        self._identity["vivit"] = str(self.settings.vivit)

        from cuebridge.engine.models.musicgen.features import segment_features

        def tokens(segment: Segment):
            if not any(m.path for m in segment.media):
                return None  # offline media: this cue is text-conditioned only
            return segment_features(vivit, segment)  # what extract-features writes

        return tokens

    # -- generation --

    def generate(
        self,
        segment: Segment,
        options: GenerationOptions,
        out_dir: Path,
        should_stop: Callable[[], bool] | None = None,
    ) -> Cue:
        result = self.generate_batch([segment], options, out_dir, should_stop=should_stop)[0]
        if isinstance(result, CueError):
            raise result
        return result

    def generate_batch(
        self,
        segments: list[Segment],
        options: GenerationOptions,
        out_dir: Path,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[Cue | CueError]:
        """All segments (times `options.takes`) in batches sized to memory, guidance batched too.
        Returns one entry per segment, in order: its Cue, or the CueError that stopped it."""
        model = self._ensure_loaded()
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        results: list[Cue | CueError | None] = [None] * len(segments)
        good = []
        videos = {}
        for i, seg in enumerate(segments):
            try:  # per segment, so one bad clip does not stop the batch
                problem = self._check(seg, options)
                if problem:
                    raise CueError(problem)
                videos[i] = self._segment_video(model, seg)
                good.append(i)
            except CueError as exc:
                results[i] = exc
        takes = max(1, int(options.takes))
        rows = [_Row(i, t, segments[i].seed + t) for i in good for t in range(takes)]
        frames_of = {
            i: math.ceil(
                (segments[i].rate.samples(segments[i].duration_frames, SAMPLE_RATE) / SAMPLE_RATE
                 + ENDING_TAIL_S) * model.frame_rate
            )
            for i in good
        }  # fmt: skip
        waves: dict[tuple[int, int], np.ndarray] = {}
        prompts = {i: build_prompt(segments[i], options) for i in good}
        # Sorted by length, each batch decodes to its longest cue; shorter ones just keep their
        # first frames (sampling is autoregressive, so a cue's frames do not depend on how many
        # more are drawn after them).
        rows.sort(key=lambda r: (frames_of[r.seg_index], r.seg_index, r.take))
        size = self._batch_rows(model, max(frames_of.values(), default=1))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            frames = max(frames_of[r.seg_index] for r in chunk)
            texts = [prompts[r.seg_index] for r in chunk]
            video = [videos[r.seg_index] for r in chunk]
            keys = [r.seg_index for r in chunk]
            with self._decode_lock:
                audio = self._sample(
                    model, texts, video, [r.seed for r in chunk], frames, options, should_stop,
                    keys,
                )  # fmt: skip
            for r, a in zip(chunk, audio, strict=True):
                waves[(r.seg_index, r.take)] = a
        for i in good:
            if results[i] is not None:
                continue
            try:
                results[i] = self._finish(
                    segments[i], options, prompts[i], [waves[(i, t)] for t in range(takes)], out_dir
                )
            except CueError as exc:
                results[i] = exc
            except OSError as exc:
                results[i] = CueError(f"segment {segments[i].id!r}: cannot write its cue: {exc}")
        return [r if r is not None else CueError("not generated") for r in results]

    def _check(self, seg: Segment, options: GenerationOptions) -> str:
        if seg.duration_frames <= 0:
            return f"segment {seg.id!r}: duration is {seg.duration_frames} frames; mark a range"
        try:
            self.guidance(options)
        except CueError as exc:
            return f"segment {seg.id!r}: {exc}"
        if options.guidance_scale < 0 or options.temperature < 0 or options.top_k < 0:
            got = f"{options.guidance_scale}, {options.temperature}, {options.top_k}"
            return f"segment {seg.id!r}: guidance, temperature, top_k must be >= 0 (got {got})"
        return ""

    def _batch_rows(self, model: MusicgenVideo, frames: int) -> int:
        """Cues per batch: the setting, else what fits the free GPU memory (KV cache dominant)."""
        if self.settings.batch_rows > 0:
            return self.settings.batch_rows
        import torch

        if model.device.type != "cuda":
            return 4
        free, _ = torch.cuda.mem_get_info(model.device)
        cfg = model.musicgen.config.decoder
        window = min(frames, round(self.settings.window_s * model.frame_rate)) + 4
        per_row = 2 * 2 * cfg.num_hidden_layers * window * cfg.hidden_size * 2  # K+V, CFG, bf16
        per_row += 2 * cfg.num_hidden_layers * 3137 * cfg.hidden_size * 2 * 2  # video K/V
        return int(max(1, min(32, 0.5 * free // per_row)))

    def guidance(self, options: GenerationOptions) -> str:
        """The job's guidance (options.guidance_mode), else the setting; "auto" = what the
        loaded weights were made for ("ossl" for OSSL checkpoints)."""
        from cuebridge.engine.models.musicgen.modeling import GUIDANCE_MODES

        chosen = options.guidance_mode.strip() or self.settings.guidance
        if chosen == "auto":
            chosen = self._identity.get("guidance", "text-and-video-null")
        if chosen not in GUIDANCE_MODES:
            raise CueError(f"{NAME}: guidance {chosen!r} is not one of "
                           f"{', '.join(GUIDANCE_MODES)} (or auto)")  # fmt: skip
        return chosen

    def _sample(
        self, model, prompts, videos, seeds, frames, options, should_stop=None, keys=None
    ) -> list[np.ndarray]:
        """Codes -> 32 kHz audio for a batch of takes, all `frames` long."""
        import torch

        from cuebridge.engine.models.musicgen.modeling import SamplingConfig

        if self.settings.threads > 0 and torch.get_num_threads() != self.settings.threads:
            torch.set_num_threads(self.settings.threads)  # the engine's share of the cores
        enc = self._tokenizer(prompts, padding=True, return_tensors="pt")
        with torch.inference_mode():
            cond = model.encode_text(enc["input_ids"], enc["attention_mask"])
            keys = list(range(len(videos))) if keys is None else keys
            cond.video, cond.video_mask, cond.video_present, cond.video_rows = shared_video_batch(
                videos, keys, model
            )
            sampling = SamplingConfig(
                guidance=self.guidance(options),
                guidance_scale=float(options.guidance_scale),
                top_k=int(options.top_k),
                temperature=float(options.temperature),
                window_frames=round(self.settings.window_s * model.frame_rate),
                stride_frames=round(self.settings.stride_s * model.frame_rate),
            )
            codes = model.generate_long(cond, frames, sampling, seeds, should_stop=should_stop)
            audio = model.decode_audio(codes).cpu().numpy()
        return list(audio)

    def _segment_video(self, model: MusicgenVideo, seg: Segment):
        """The segment's ViViT tokens [T, 768], or None (no picture, or no adapter trained in:
        with every gate at 0 the video cannot change the music, so ViViT is skipped)."""
        if self._video_tokens is None or not model.video_is_used():
            return None
        try:
            tokens = self._video_tokens(seg)
        except CueError:
            raise
        except Exception as exc:  # noqa: BLE001 - the segment's media is at fault; say which
            raise CueError(f"segment {seg.id!r}: cannot read its picture for ViViT: {exc}") from exc
        dim = model.adapter.video_dim
        if tokens is not None and (tokens.dim() != 2 or tokens.shape[-1] != dim):
            shape = tuple(tokens.shape)
            raise CueError(f"segment {seg.id!r}: video tokens shaped {shape}, expected [T, {dim}]")
        return tokens

    def _video_note(self) -> str:
        if self._video_tokens is None:
            return "none"
        return "vivit" if self._model.video_is_used() else "unused (adapter gates at 0)"

    def _finish(self, seg, options, prompt, takes_audio, out_dir: Path) -> Cue:
        """The best take placed (its onsets nearest the cuts and hit points), the others kept;
        engine/cue_writer.py finishes them all like any model's cue (48 kHz, exact length,
        the ending fade from the last beat, --loudness, true peak, the duck, the names)."""
        rate = self._model.sampling_rate
        end_s = seg.rate.samples(seg.duration_frames, SAMPLE_RATE) / SAMPLE_RATE
        targets = [t for t in seg.cut_times_s() + seg.hit_times_s() if t < seg.duration_s]
        takes = [np.asarray(a, np.float32).reshape(-1, 1) for a in takes_audio]
        scores = [sync_score(a[: round(end_s * rate), 0], rate, targets) for a in takes]
        best = int(np.argmax(scores)) if len(scores) > 1 else 0
        fade_s = ending_fade_s(takes[best][:, 0], rate, end_s)
        performance = Performance(
            audio=takes[best],
            sample_rate=rate,
            takes=[a for t, a in enumerate(takes) if t != best],
            # (seed, score) of the chosen take first, then of each other take in order
            take_ranking=[(seg.seed + best, round(scores[best], 4))]
            + [(seg.seed + t, round(s, 4)) for t, s in enumerate(scores) if t != best],
            fade_out_s=fade_s,
            dc_block=True,
            facts={
                "prompt": prompt,
                "seed": str(seg.seed + best),
                "base_seed": str(seg.seed),
                "guidance_scale": str(options.guidance_scale),
                "guidance": self.guidance(options),
                "top_k": str(options.top_k),
                "temperature": str(options.temperature),
                "takes": str(len(takes)),
                "chosen_take": str(best + 1),
                "ending": f"fade {fade_s:.3f} s from the last beat",
                "video": self._video_note(),
                **{f"weights.{k}": str(v) for k, v in sorted(self._identity.items())},
                "weights_licence": MUSICGEN_LICENCE,
            },
        )
        # The take is chosen on the music alone; the dip under dialogue is a mix move after it.
        return write_cue(NAME, seg, options, performance, out_dir)
