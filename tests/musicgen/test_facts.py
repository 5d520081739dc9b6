"""The flagship tells the truth about itself: identity from content, the trained recipe's
guidance, readiness that finds a broken tokenizer or a missing device, a partial OSSL checkpoint
refused, the weights' licence, torch's threads."""

from __future__ import annotations

import os

import pytest
import torch

from cuebridge.engine.models.musicgen import model as mc
from cuebridge.engine.models.musicgen.checkpoints import (
    MUSICGEN_LICENCE,
    WeightsMissing,
    load_musicgen_video,
    save_adapter,
)
from cuebridge.engine.segment import GenerationOptions, Rate, Segment
from cuebridge.engine.settings import EngineSettings
from tests.musicgen.test_checkpoints import ossl_checkpoint, randomise_adapter
from tests.musicgen.tiny import tiny_cue_model, tiny_musicgen, tiny_musicgen_video, tiny_tokenizer


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A tiny MusicGen in the hub layout (save_pretrained + its tokenizer)."""
    path = tmp_path_factory.mktemp("musicgen-tiny")
    tiny_musicgen(seed=0).save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


def _model(folder, adapter="", device="cpu", vivit=None):
    vivit = vivit or folder  # readiness only asks for a config.json there
    return mc.MusicgenVideoModel(mc.MusicgenVideoSettings(
        musicgen=str(folder), adapter=str(adapter), vivit=str(vivit), device=device))  # fmt: skip


def test_replacing_an_adapter_file_in_place_makes_new_cues(folder, tmp_path):
    model = tiny_musicgen_video(seed=0)
    sd = ossl_checkpoint(model.musicgen.config.decoder,
                         model.musicgen.config.text_encoder.d_model, seed=2)  # fmt: skip
    path = tmp_path / "multi4.pt"
    torch.save({"model_state_dict": sd}, path)
    stat = path.stat()
    before = _model(folder, path).identity()
    sd = ossl_checkpoint(model.musicgen.config.decoder,
                         model.musicgen.config.text_encoder.d_model, seed=3)  # fmt: skip
    torch.save({"model_state_dict": sd}, path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the same mtime
    assert _model(folder, path).identity() != before
    # An adapter folder too, and the MusicGen weights when a file of theirs changes.
    trained = tiny_musicgen_video(seed=0)
    randomise_adapter(trained, 1)
    save_adapter(trained, tmp_path / "adapter")
    first = _model(folder, tmp_path / "adapter").identity()
    randomise_adapter(trained, 2)
    save_adapter(trained, tmp_path / "adapter")
    assert _model(folder, tmp_path / "adapter").identity() != first
    weights = _model(folder).identity()
    (folder / "generation_config.json").touch()
    os.utime(folder / "generation_config.json", ns=(1, 1))
    assert _model(folder).identity() != weights


def test_an_adapter_trained_with_the_ossl_recipe_is_served_with_ossl_guidance(folder, tmp_path):
    trained = tiny_musicgen_video(seed=0)
    randomise_adapter(trained, 4)
    save_adapter(trained, tmp_path / "ossl", recipe="ossl")
    save_adapter(trained, tmp_path / "plain", recipe="default")
    assert load_musicgen_video(str(folder), str(tmp_path / "ossl"), "cpu").guidance == "ossl"
    plain = load_musicgen_video(str(folder), str(tmp_path / "plain"), "cpu")
    assert plain.guidance == "text-and-video-null"
    loaded = load_musicgen_video(str(folder), str(tmp_path / "ossl"), "cpu")
    served = mc.MusicgenVideoModel(
        mc.MusicgenVideoSettings(device="cpu"),
        model=loaded.model,
        tokenizer=loaded.tokenizer,
        identity={"guidance": loaded.guidance},
    )
    assert served.guidance(GenerationOptions()) == "ossl"  # guidance auto


def test_training_records_its_recipe_beside_the_adapter():
    from cuebridge.engine.models.musicgen.training import RECIPES

    assert RECIPES["ossl"]().recipe == "ossl" and RECIPES["default"]().recipe == "default"


def test_a_device_that_is_not_here_is_not_ready_with_the_fix(folder):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device: the case is a CPU-only one")
    status = _model(folder, device="cuda").status()
    assert not status.ready and "CUEBRIDGE_DEVICE=cpu" in status.reason
    assert "not a torch device" in _model(folder, device="gpu7").status().reason
    assert _model(folder, device="cpu").status().ready


def test_a_tokenizer_that_cannot_load_is_not_ready_with_the_fix(folder, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in folder.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    (broken / "tokenizer.json").write_text("{ not json")
    status = _model(broken).status()
    assert not status.ready
    assert "tokenizer" in status.reason and str(broken) in status.reason
    assert "tokenizer.json" in status.reason


def test_a_partial_ossl_checkpoint_is_refused_naming_the_layers(folder, tmp_path):
    model = tiny_musicgen_video(seed=0)
    sd = ossl_checkpoint(model.musicgen.config.decoder,
                         model.musicgen.config.text_encoder.d_model, seed=5)  # fmt: skip
    partial = {k: v for k, v in sd.items() if not k.startswith("transformer.layers.1.video")}
    assert len(partial) < len(sd)
    torch.save({"model_state_dict": partial}, tmp_path / "multi9.pt")
    with pytest.raises(WeightsMissing, match=r"multi9\.pt.*partial.*layer\(s\) 1\b"):
        load_musicgen_video(str(folder), str(tmp_path / "multi9.pt"), "cpu")
    torch.save({"model_state_dict": sd}, tmp_path / "multi10.pt")
    assert load_musicgen_video(str(folder), str(tmp_path / "multi10.pt"), "cpu").guidance == "ossl"


def test_the_weights_licence_is_in_the_status_and_on_every_cue(folder, tmp_path):
    assert "CC-BY-NC 4.0" in _model(folder).status().description
    assert "CC-BY-NC 4.0" in mc.MusicgenVideoModel(mc.MusicgenVideoSettings()).status().description
    cue = tiny_cue_model(seed=0).generate(Segment("l", Rate(24), 12), GenerationOptions(top_k=20),
                                          tmp_path)  # fmt: skip
    assert cue.metadata["weights_licence"] == MUSICGEN_LICENCE == "CC-BY-NC-4.0"


def test_torch_threads_come_from_the_engine_settings(tmp_path):
    assert mc.MusicgenVideoSettings.from_engine(EngineSettings(threads=3)).threads == 3
    default = mc.MusicgenVideoSettings.from_engine(EngineSettings()).threads
    assert default == len(os.sched_getaffinity(0))
    model = tiny_cue_model(seed=0)
    model.settings.threads = 1
    before = torch.get_num_threads()
    try:
        model.generate(Segment("t", Rate(24), 12), GenerationOptions(top_k=20), tmp_path)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
