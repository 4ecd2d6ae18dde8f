"""Child side of the babylm evaluator: loads the workspace's lm.py (class LM)
and answers one request per character position, in the evaluator's order.

usage (started by evaluate.py, in a sandbox without HIDDEN_DIR): runner.py WORKSPACE VOCAB_SIZE
Requests: {"story": true} starts a new story (the context becomes empty),
{"c": ch} appends the character ch to the context; each is answered with
lm.probs(context) as a float array "p" (or {"error": one line}).  The text is
revealed one character at a time, after the distribution for that position has
been returned, so the model never sees characters it has yet to predict.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import importlib.util  # noqa: E402

import numpy as np  # noqa: E402

from evalkit import child_channel, one_line  # noqa: E402


def main():
    ws, V = os.path.abspath(sys.argv[1]), int(sys.argv[2])
    read, write = child_channel()
    os.chdir(ws)
    sys.path.insert(0, ws)
    try:
        spec = importlib.util.spec_from_file_location("lm", os.path.join(ws, "lm.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules["lm"] = mod
        spec.loader.exec_module(mod)
        lm = mod.LM(ws)
    except BaseException as e:
        write({"error": "lm.py failed to load the model: %s" % one_line(e)})
        return
    write({"ready": True})
    context = ""
    while True:
        req, _ = read()
        if req is None:
            return
        if req.get("story"):
            context = ""
        else:
            context += req["c"]
        try:
            p = lm.probs(context)
        except BaseException as e:
            write({"error": "LM.probs raised %s (at character %d of a story)" % (one_line(e), len(context))})
            return
        try:
            p = np.asarray(p, dtype=float)
        except BaseException:
            write({"error": "LM.probs must return %d numbers; got %s" % (V, type(p).__name__)})
            return
        write({}, {"p": p})


if __name__ == "__main__":
    main()
