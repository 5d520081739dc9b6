"""A disk that cannot take a cue: reported for that cue, the others made, no temp files left.

The engine runs in a child process whose file-size limit (RLIMIT_FSIZE) is below one cue's WAV:
the kernel fails that write with EFBIG, as a full disk fails it with ENOSPC.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    from cuebridge.v1 import engine_pb2 as pb
    from cuebridge.engine.jobs import JobQueue
    from cuebridge.engine.registry import ModelRegistry
    from cuebridge.engine.segment import GenerationOptions, Rate, Segment
    from cuebridge.engine.store import JobStore

    out, state = Path(sys.argv[1]), Path(sys.argv[2])
    store = JobStore(state / "engine.sqlite3")
    jobs = JobQueue(ModelRegistry(), out, store)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    limit = 1_500_000  # bytes: a 2 s cue fits (576 kB), an 8 s one (2.3 MB) does not
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    segs = [Segment(id=f"s{i}", rate=Rate(24), duration_frames=24 * n, seed=i)
            for i, n in enumerate([2, 8, 2])]
    job = jobs.submit(segs, GenerationOptions(), out)
    for _ in jobs.watch(job.id):
        pass
    from cuebridge.engine.wire import job_state_to_pb, segment_state_to_pb
    runs = [[segment_state_to_pb(r.state), r.error] for r in job.runs]
    print(json.dumps({"state": job_state_to_pb(job.state), "runs": runs}))
    """
)


def test_a_cue_too_big_for_the_disk_fails_alone(tmp_path):
    out, state = tmp_path / "cues", tmp_path / "state"
    state.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    from cuebridge.v1 import engine_pb2 as pb

    assert report["state"] == pb.JOB_STATE_PARTIAL
    (s0, e0), (s1, e1), (s2, e2) = report["runs"]
    assert s0 == s2 == pb.SEGMENT_STATE_DONE and s1 == pb.SEGMENT_STATE_FAILED
    assert "cannot write the cue into" in e1 and "too large" in e1.lower()
    assert sorted(p.name for p in out.iterdir()) == ["s0.mid", "s0.wav", "s2.mid", "s2.wav"]
