"""cuebridge for DaVinci Resolve: another take of the cue under the playhead (or the selected cue).

Workspace > Scripts > cuebridge_another_take. It runs cuebridge_score.py (beside this file) with
"another take": the cue under the playhead on a Score track is scored again with a new seed,
the previous take stays on a "Score takes" track, disabled, and the other cues are untouched.
Progress and the result go to Workspace > Console. Standard library only, Python 3.6.
"""

import importlib.util
import os


def run(scope):
    here = os.path.dirname(os.path.abspath(scope.get("__file__") or __file__))
    path = os.path.join(here, "cuebridge_score.py")
    spec = importlib.util.spec_from_file_location("cuebridge_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scope = dict(scope, cuebridge_take=True, __file__=path)
    return module.main(scope)


if __name__ == "__main__" or any(k in globals() for k in ("app", "bmd", "resolve")):
    run(globals())
