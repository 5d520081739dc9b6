"""Finding and loading MusicGen + video-adapter weights, offline.

Where weights may come from:

- a local folder in transformers' layout (what `save_pretrained` writes, or a downloaded
  facebook/musicgen-small, -medium, -large snapshot): config.json, model.safetensors (or
  pytorch_model.bin, or a sharded *.index.json), and the T5 tokenizer (tokenizer.json or
  spiece.model);
- a Hugging Face id (e.g. "facebook/musicgen-medium") already in the local cache; loading runs
  with `local_files_only=True`, so nothing is ever downloaded at run time;
- an audiocraft-format LM checkpoint (`state_dict.bin`, as audiocraft's MusicGen saves it), whose
  decoder weights are mapped onto a transformers model of the same size (see `AUDIOCRAFT_KEYS`);
- an adapter folder: adapter.safetensors + adapter_config.json (see musicgen_video.save_adapter),
  or adapter weights saved by the OSSL training code (audiocraft naming; see `OSSL_ADAPTER_KEYS`);
- an OSSL training checkpoint (`multi{epoch}.pt`: the whole LM, adapter included) as the adapter.

Key mapping, audiocraft LM -> transformers (`MusicgenForConditionalGeneration`), the same
renames transformers' own conversion script applies:

    emb.{k}.weight                                  decoder.model.decoder.embed_tokens.{k}.weight
    transformer.layers.{i}.self_attn.in_proj_weight decoder.model.decoder.layers.{i}.self_attn.
                                                    {q,k,v}_proj.weight (split in three)
    transformer.layers.{i}.self_attn.out_proj       ...layers.{i}.self_attn.out_proj
    transformer.layers.{i}.cross_attention.*        ...layers.{i}.encoder_attn.* (in_proj split)
    transformer.layers.{i}.norm1 / norm_cross / norm2
                                                    self_attn_layer_norm / encoder_attn_layer_norm /
                                                    final_layer_norm
    transformer.layers.{i}.linear1 / linear2        fc1 / fc2
    out_norm                                        decoder.model.decoder.layer_norm
    linears.{k}.weight                              decoder.lm_heads.{k}.weight
    condition_provider.conditioners.description.output_proj
                                                    enc_to_dec_proj

OSSL adapter weights, as OSSL's audiocraft/modules/adapted_transformer.py names them (per
decoder layer i; the LM state dict is saved under `model_state_dict` by its train.py):

    transformer.layers.{i}.video_projection_layer.{weight,bias}   Linear(768 -> d_model)
                                                          ...encoder_attn.video.proj.*
    transformer.layers.{i}.video_attention.in_proj_weight         [3 * d_model, d_model], no bias
                                                          ...encoder_attn.video.attn.{q,k,v}_proj
    transformer.layers.{i}.video_attention.out_proj.weight        [d_model, d_model], no bias
                                                          ...encoder_attn.video.attn.out_proj
    transformer.layers.{i}.video_attention_scale                  [1], starts at 0
                                                          ...encoder_attn.video.gate

OSSL hard-codes d_model = 1536, so its checkpoints fit MusicGen-medium only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cuebridge.safe_files import replacing

if TYPE_CHECKING:  # torch stays out of module import: the engine's core install has no torch
    import torch

    from cuebridge.engine.models.musicgen.modeling import MusicgenVideo

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
TOKENIZER_FILES = ("tokenizer.json", "spiece.model")
DECODER = "decoder.model.decoder"
ADAPTER_CONFIG_NAME = "adapter_config.json"
ADAPTER_WEIGHTS_NAME = "adapter.safetensors"
TRAINING_RECORD_NAME = "training.json"  # the recipe an adapter was trained with, and its guidance
# Meta's MusicGen checkpoints (facebook/musicgen-*) are released under CC-BY-NC 4.0.
MUSICGEN_LICENCE = "CC-BY-NC-4.0"
LICENCE_NOTE = (
    "MusicGen's weights are CC-BY-NC 4.0: cues made with them are for non-commercial use only"
)
GUIDANCE_OF_RECIPE = {"ossl": "ossl", "default": "text-and-video-null"}


class WeightsMissing(Exception):
    """Weights are configured but not where they should be; the message says what to do."""


# Finding weights -------------------------------------------------------------------------------


def looks_like_hub_id(ref: str) -> bool:
    return bool(re.fullmatch(r"[\w.-]+/[\w.-]+", ref)) and not Path(ref).exists()


def _cached(repo_id: str, filename: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, filename)
    return found if isinstance(found, str) else None


def missing_musicgen_files(ref: str) -> list[str]:
    """What is missing for the MusicGen checkpoint `ref` (folder or cached hub id); [] = ready."""
    if looks_like_hub_id(ref):
        have = lambda name: _cached(ref, name) is not None  # noqa: E731
        where = f"the Hugging Face cache (hub id {ref})"
    else:
        folder = Path(ref).expanduser()
        if not folder.is_dir():
            return [f"{folder} (no such folder; set CUEBRIDGE_MUSICGEN to a MusicGen folder)"]
        have = lambda name: (folder / name).is_file()  # noqa: E731
        where = str(folder)
    missing = []
    if not have("config.json"):
        missing.append(f"config.json in {where}")
    if not any(have(n) for n in WEIGHT_FILES):
        missing.append(f"model.safetensors (or pytorch_model.bin) in {where}")
    if not any(have(n) for n in TOKENIZER_FILES):
        missing.append(f"tokenizer.json or spiece.model (the T5 tokenizer) in {where}")
    return missing


def missing_adapter_files(folder: str) -> list[str]:
    path = Path(folder).expanduser()
    if path.is_file():
        return []  # an OSSL training checkpoint (multi{epoch}.pt); read when loading
    if not path.is_dir():
        return [f"{path} (no such folder; set CUEBRIDGE_MUSICGEN_ADAPTER to an adapter folder)"]
    return [
        f"{name} in {path}"
        for name in (ADAPTER_WEIGHTS_NAME, ADAPTER_CONFIG_NAME)
        if not (path / name).is_file()
    ]


def how_to_get_musicgen(ref: str) -> str:
    return (
        "Put a MusicGen checkpoint on this machine while online, e.g. "
        "`hf download facebook/musicgen-medium --local-dir ~/models/musicgen-medium`, "
        f"then set CUEBRIDGE_MUSICGEN to that folder (now: {ref!r})."
    )


# Identity from content --------------------------------------------------------------------------

_DIGESTS: dict[tuple, str] = {}  # (path, inode, size, mtime, ctime) -> sha256 prefix


def file_digest(path: Path) -> str:
    """sha256 (12 hex) of a file's bytes, remembered while the file is untouched: a write (or a
    copy that restores the old mtime) changes its ctime, which no user can set back."""
    import hashlib

    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()[:12]
    return _DIGESTS[key]


def adapter_identity(ref: str) -> str:
    """What the configured adapter is, by content: the hash of the file (an OSSL checkpoint) or
    of every file in the folder, so replacing one in place (even keeping its mtime) makes new
    cues. "" when no adapter is configured."""
    if not ref:
        return ""
    path = Path(ref).expanduser()
    try:
        if path.is_file():
            return f"{path.name}@{file_digest(path)}"
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and not f.name.endswith(".tmp"))
            return ";".join(f"{f.name}@{file_digest(f)}" for f in files)
    except OSError as exc:
        return f"unreadable:{exc.errno}:{path}"
    return f"missing:{path}"


def _safetensors_header(path: Path) -> str:
    """sha256 of a .safetensors file's JSON header (every tensor's name, dtype, shape, offsets)."""
    import hashlib
    import struct

    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            return "short"
        (length,) = struct.unpack("<Q", head)
        return hashlib.sha256(f.read(min(length, 100 << 20))).hexdigest()[:12]


def weights_identity(ref: str) -> str:
    """What the configured MusicGen checkpoint is, without reading its gigabytes: each file's
    name, size and mtime, and each safetensors header's hash. A hub id is resolved to its
    snapshot in the local cache."""
    if not ref:
        return ""
    folder = Path(ref).expanduser()
    if looks_like_hub_id(ref):
        config = _cached(ref, "config.json")
        if config is None:
            return f"hub:{ref}:not-cached"
        folder = Path(config).parent
    if not folder.is_dir():
        return f"missing:{folder}"
    parts = []
    try:
        for f in sorted(folder.iterdir()):
            if not f.is_file():
                continue
            st = f.stat()  # follows the hub cache's symlinks to the blobs
            part = f"{f.name}:{st.st_size}:{st.st_mtime_ns}"
            if f.suffix == ".safetensors":
                part += ":" + _safetensors_header(f)
            parts.append(part)
    except OSError as exc:
        return f"unreadable:{exc.errno}:{folder}"
    return ";".join(parts)


def adapter_guidance(ref: str) -> str:
    """The guidance an adapter folder's training record names (training.json), or ""."""
    if not ref:
        return ""
    record = Path(ref).expanduser() / TRAINING_RECORD_NAME
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return ""
    guidance = data.get("guidance") if isinstance(data, dict) else None
    return guidance if isinstance(guidance, str) else ""


def tokenizer_problem(ref: str) -> str:
    """Why the checkpoint's T5 tokenizer and MusicGen processor cannot be loaded, or ""."""
    try:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(ref, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds here
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"the T5 tokenizer in {ref} cannot be loaded ({first[:200]}); put a working "
            "tokenizer.json or spiece.model there (the one of facebook/musicgen-*)"
        )
    return ""


# Loading ---------------------------------------------------------------------------------------


@dataclass
class LoadedMusicgen:
    model: MusicgenVideo
    tokenizer: object  # a transformers tokenizer for the T5 text encoder
    identity: dict[str, str]  # what was loaded, for cue metadata
    guidance: str = "text-and-video-null"  # the guidance the loaded adapter is meant for


def pick_dtype(device: str) -> torch.dtype:
    """bf16 where the GPU supports it, fp16 on older GPUs and MPS, fp32 on CPU."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def load_musicgen_video(
    ref: str, adapter_folder: str = "", device: str = "cpu", dtype: torch.dtype | None = None
) -> LoadedMusicgen:
    """Load MusicGen (folder or cached hub id, offline) and install/load the video adapter."""
    from transformers import AutoTokenizer, MusicgenForConditionalGeneration

    from cuebridge.engine.models.musicgen.modeling import MusicgenVideo, VideoAdapterConfig

    missing = missing_musicgen_files(ref)
    if missing:
        raise WeightsMissing(
            "MusicGen weights missing: " + "; ".join(missing) + ". " + how_to_get_musicgen(ref)
        )
    dtype = dtype or pick_dtype(device)
    # use_kernels=False: from 5.25 transformers defaults to fetching hub kernels (a download,
    # and the `kernels` package); this engine never downloads at run time.
    musicgen = MusicgenForConditionalGeneration.from_pretrained(
        ref, local_files_only=True, dtype=dtype, use_kernels=False
    )
    tokenizer = AutoTokenizer.from_pretrained(ref, local_files_only=True)
    adapter = VideoAdapterConfig()
    ossl = bool(adapter_folder) and Path(adapter_folder).expanduser().is_file()
    if adapter_folder and not ossl:
        adapter = read_adapter_config(adapter_folder)
    model = MusicgenVideo.from_musicgen(musicgen.to(device), adapter)
    identity = {"musicgen": str(ref), "dtype": str(dtype).removeprefix("torch.")}
    guidance = "text-and-video-null"
    identity["weights"] = weights_identity(ref)
    identity["licence"] = MUSICGEN_LICENCE
    if ossl:  # OSSL's multi{epoch}.pt: its LM (adapter included) over this MusicGen
        path = Path(adapter_folder).expanduser()
        missing = load_audiocraft_checkpoint(model, path)
        refuse_partial_adapter(path, missing)
        identity["adapter"] = f"ossl:{path.name}@{file_digest(path)}"
        guidance = "ossl"  # OSSL's weights, OSSL's guidance: the same music as its code
    elif adapter_folder:
        identity["adapter"] = load_adapter(model, adapter_folder)
        guidance = adapter_guidance(adapter_folder) or guidance  # what it was trained for
    return LoadedMusicgen(model, tokenizer, identity, guidance)


def refuse_partial_adapter(path: Path, missing: list[str]) -> None:
    """An OSSL checkpoint that lacks some layers' adapter weights would load with those layers'
    gates at 0 (silently a different model): refuse it, naming the layers."""
    layers = sorted(
        {
            int(m.group(1))
            for k in missing
            if (m := re.search(r"layers\.(\d+)\.encoder_attn\.video\.", k))
        }
    )
    if layers:
        raise WeightsMissing(
            f"{path}: a partial OSSL checkpoint: no video adapter weights for decoder layer(s) "
            f"{', '.join(map(str, layers))} (transformer.layers.N.video_projection_layer, "
            "video_attention, video_attention_scale). Use the complete multi{epoch}.pt that "
            "OSSL's train.py saved."
        )


def read_adapter_config(folder: str | Path):
    from cuebridge.engine.models.musicgen.modeling import VideoAdapterConfig

    path = Path(folder) / ADAPTER_CONFIG_NAME
    if not path.is_file():
        raise WeightsMissing(f"adapter config missing: {path}; an adapter folder holds "
                             "adapter.safetensors and adapter_config.json")  # fmt: skip
    try:
        return VideoAdapterConfig.from_json(path.read_text())
    except (ValueError, TypeError) as exc:
        raise WeightsMissing(f"{path}: not a valid adapter config ({exc})") from exc


def load_adapter(model: MusicgenVideo, folder: str | Path) -> str:
    """Load adapter.safetensors into `model`; returns a short identity (folder + sha256 prefix)."""
    from safetensors.torch import load_file

    path = Path(folder) / ADAPTER_WEIGHTS_NAME
    if not path.is_file():
        raise WeightsMissing(f"adapter weights missing: {path}")
    state = load_file(str(path))
    if not any(".encoder_attn.video." in k for k in state):
        state = import_ossl_adapter(state)
    try:
        model.load_adapter_state_dict(state)
    except KeyError as exc:
        raise WeightsMissing(f"{path}: {exc.args[0]}") from exc
    return f"{Path(folder).name}@{file_digest(path)}"


# audiocraft import ----------------------------------------------------------------------------

AUDIOCRAFT_KEYS = (  # (audiocraft fragment, transformers fragment), applied in order
    ("condition_provider.conditioners.description.output_proj", "enc_to_dec_proj"),
    ("transformer.layers", f"{DECODER}.layers"),
    ("cross_attention", "encoder_attn"),
    ("linear1", "fc1"),
    ("linear2", "fc2"),
    ("norm_cross", "encoder_attn_layer_norm"),
    ("norm1", "self_attn_layer_norm"),
    ("norm2", "final_layer_norm"),
)

OSSL_ADAPTER_KEYS = {  # OSSL's per-layer parameter names -> our sub-module name
    "video_projection_layer": "proj",
    "video_attention": "attn",
    "video_attention_scale": "gate",
}


def _split_in_proj(key: str, value: torch.Tensor) -> dict[str, torch.Tensor]:
    """nn.MultiheadAttention's packed in_proj_weight -> q_proj, k_proj, v_proj."""
    q, k, v = value.chunk(3, dim=0)
    base = key.removesuffix("in_proj_weight")
    return {base + "q_proj.weight": q, base + "k_proj.weight": k, base + "v_proj.weight": v}


def import_audiocraft_lm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """audiocraft MusicGen LM state dict -> transformers keys (decoder, heads, enc_to_dec_proj),
    adapter weights included when present. Raises KeyError naming any key it cannot place."""
    out: dict[str, torch.Tensor] = {}
    adapter: dict[str, torch.Tensor] = {}
    unplaced = []
    for key, value in state.items():
        if _is_ossl_adapter_key(key):
            adapter[key] = value
            continue
        if re.match(r"emb\.\d+\.weight$", key):
            out[f"{DECODER}.embed_tokens." + key.removeprefix("emb.")] = value
        elif re.match(r"linears\.\d+\.weight$", key):
            out["decoder.lm_heads." + key.removeprefix("linears.")] = value
        elif key.startswith("out_norm."):
            out[f"{DECODER}.layer_norm." + key.removeprefix("out_norm.")] = value
        elif key.startswith(("transformer.layers.", "condition_provider.conditioners.description")):
            new = key
            for old_part, new_part in AUDIOCRAFT_KEYS:
                new = new.replace(old_part, new_part)
            if new.endswith("in_proj_weight"):
                out.update(_split_in_proj(new, value))
            else:
                out[new] = value
        elif key.startswith("condition_provider.") or key.startswith("fuser."):
            continue  # T5 is loaded from the transformers checkpoint; the fuser has no weights
        else:
            unplaced.append(key)
    if unplaced:
        raise KeyError(f"audiocraft keys with no place in MusicGen: {unplaced[:5]}")
    out.update(import_ossl_adapter(adapter))
    return out


def _is_ossl_adapter_key(key: str) -> bool:
    return bool(re.match(rf"transformer\.layers\.\d+\.({'|'.join(OSSL_ADAPTER_KEYS)})(\.|$)", key))


def import_ossl_adapter(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """OSSL adapter weights in audiocraft naming -> our adapter keys (see the module doc)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        m = re.match(r"transformer\.layers\.(\d+)\.([A-Za-z_]+)(?:\.(.*))?$", key)
        if not m or m.group(2) not in OSSL_ADAPTER_KEYS:
            raise KeyError(
                f"adapter key not in OSSL's naming: {key} (expected transformer.layers.N."
                f"{{{', '.join(OSSL_ADAPTER_KEYS)}}})"
            )
        layer, ours, rest = m.group(1), OSSL_ADAPTER_KEYS[m.group(2)], m.group(3) or ""
        base = f"{DECODER}.layers.{layer}.encoder_attn.video."
        if ours == "proj" and rest in ("weight", "bias"):
            out[base + "proj." + rest] = value
        elif ours == "attn" and rest == "in_proj_weight":
            out.update(_split_in_proj(base + "attn.in_proj_weight", value))
        elif ours == "attn" and rest == "out_proj.weight":
            out[base + "attn.out_proj.weight"] = value
        elif ours == "attn" and rest in ("in_proj_bias", "out_proj.bias"):
            if bool(value.abs().max() > 0):  # MusicGen's attention has none; zeros are harmless
                raise KeyError(f"{key}: non-zero attention bias; MusicGen's attention has none")
        elif ours == "gate" and rest == "" and value.numel() == 1:
            out[base + "gate"] = value.reshape(())
        else:
            raise KeyError(f"adapter key not understood: {key} {tuple(value.shape)}")
    return out


def load_audiocraft_checkpoint(
    model: MusicgenVideo, path: str | Path, trust_pickle: bool = False
) -> list[str]:
    """Load an audiocraft `state_dict.bin` LM checkpoint into a MusicGen of the same size.

    audiocraft stores {"best_state": state_dict, "xp.cfg": OmegaConf}; the config needs pickle,
    so by default only the tensors are read (weights_only). The OSSL training script's
    `torch.save({"model_state_dict": lm.state_dict(), ...})` loads the same way, video adapter
    included. Returns the keys left unloaded."""
    import torch

    try:
        pkg = torch.load(str(path), map_location="cpu", weights_only=not trust_pickle)
    except Exception as exc:  # noqa: BLE001 - torch raises several kinds here
        raise WeightsMissing(
            f"{path}: cannot read as an audiocraft checkpoint ({exc}). If you trust the file, "
            "load it with trust_pickle=True (needs omegaconf installed)."
        ) from exc
    state = pkg.get("best_state", pkg) if isinstance(pkg, dict) else pkg
    # The OSSL training script saves {"epoch", "model_state_dict", "optimizer_state_dict", ...}.
    for wrapper in ("model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise WeightsMissing(f"{path}: holds no state dict (got {type(state).__name__})")
    try:
        mapped = import_audiocraft_lm(state)
    except KeyError as exc:
        raise WeightsMissing(f"{path}: {exc.args[0]}") from exc
    own = model.musicgen.state_dict()
    wrong = [f"{k} {tuple(v.shape)} (model: {tuple(own[k].shape)})"
             for k, v in mapped.items() if k in own and own[k].shape != v.shape]  # fmt: skip
    if wrong:
        raise WeightsMissing(
            f"{path}: shapes do not fit this MusicGen: {wrong[:3]}. OSSL's adapter is built for "
            "MusicGen-medium (d_model 1536): load it over facebook/musicgen-medium."
        )
    result = model.musicgen.load_state_dict(mapped, strict=False)
    if result.unexpected_keys:
        raise WeightsMissing(f"{path}: keys that fit no parameter: {result.unexpected_keys[:5]}")
    return list(result.missing_keys)


def save_adapter(model: MusicgenVideo, folder: str | Path, recipe: str = "") -> Path:
    """Write adapter.safetensors + adapter_config.json (atomically) into `folder`, and with a
    `recipe`, training.json: the recipe and the guidance it is to be served with."""
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = save(model.adapter_state_dict(), metadata={"format": model.adapter.format})
    with replacing(folder / ADAPTER_WEIGHTS_NAME) as (fh, _):
        fh.write(weights)
    with replacing(folder / ADAPTER_CONFIG_NAME) as (fh, _):
        fh.write(model.adapter.to_json().encode())
    if recipe:
        record = {"recipe": recipe, "guidance": GUIDANCE_OF_RECIPE.get(recipe, "")}
        with replacing(folder / TRAINING_RECORD_NAME) as (fh, _):
            fh.write((json.dumps(record, indent=1) + "\n").encode())
    return folder
