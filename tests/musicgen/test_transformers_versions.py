"""The transformers floor: pyproject's musicgen extra names it, and tests/musicgen passes on it.

The version runs install transformers into a throwaway folder and run tests/musicgen against it
in a child process (about 30 s each). The suite runs them at pyproject's floor and at the newest
release on PyPI; CUEBRIDGE_TEST_TRANSFORMERS=5.25.0 (any version) runs one version instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from cuebridge.engine.models.musicgen.modeling import MIN_TRANSFORMERS, SamplingConfig
from tests.musicgen.helpers import random_video

REPO = Path(__file__).resolve().parents[2]
ASKED = os.environ.get("CUEBRIDGE_TEST_TRANSFORMERS", "")


def pyproject_floor() -> str:
    text = (REPO / "pyproject.toml").read_text()
    extra = re.search(r"^musicgen = \[(.*)\]$", text, re.M).group(1)
    return re.search(r'"transformers>=([\d.]+)"', extra).group(1)


def test_pyproject_names_the_floor_the_code_needs():
    assert pyproject_floor() == MIN_TRANSFORMERS.removesuffix(".0")
    import transformers
    from packaging.version import Version

    assert Version(transformers.__version__) >= Version(MIN_TRANSFORMERS)


def test_decoding_and_training_raise_no_future_warnings(model, text):
    """transformers deprecates past_key_values= (removed in 5.40): the code uses `cache=`."""
    model.set_gates(0.5)
    ids, mask = text
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        cond = model.encode_text(ids, mask)
        cond.video = random_video(2, 5, seed=1)
        gens = [torch.Generator(), torch.Generator()]
        codes = model.generate_long(cond, 9, SamplingConfig(window_frames=6, stride_frames=4),
                                    [1, 2])  # fmt: skip
        model.generate_codes(cond, 4, SamplingConfig(guidance="text-and-video-null"), gens)
        logits = model.forward_logits(cond, codes.reshape(8, -1))
    assert logits.shape[:2] == (8, 9)


def _version(asked: str) -> str:
    if asked == "floor":
        return MIN_TRANSFORMERS
    if asked == "latest":
        out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "transformers"],
                             capture_output=True, text=True, check=True)  # fmt: skip
        return re.search(r"transformers \(([^)]+)\)", out.stdout).group(1)
    return asked


@pytest.mark.parametrize("asked", [ASKED] if ASKED else ["floor", "latest"])
def test_musicgen_tests_pass_on_that_transformers(tmp_path, asked):
    version = _version(asked)
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         f"transformers=={version}"],
        check=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)]),
           "CUEBRIDGE_TEST_TRANSFORMERS": ""}  # fmt: skip
    probe = subprocess.run(
        [sys.executable, "-c", "import transformers; print(transformers.__version__)"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]  # transformers checks its deps on import
    assert probe.stdout.strip() == version
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/musicgen",
         f"--ignore={Path(__file__).relative_to(REPO)}", "-W", "error::FutureWarning:cuebridge"],
        env=env, cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\d+ passed", run.stdout)
