"""Child side of the inference-speed evaluator: imports generate from the
workspace's inference.py ("agent") or the starter's own env/inference.py
("reference"), loads the weights the evaluator wrote to WEIGHTS, and times each
call in CPU time, the same way for both.

usage (started by evaluate.py, in a sandbox without HIDDEN_DIR): runner.py agent|reference WORKSPACE WEIGHTS
Requests: {"prompt": [ids], "n_new": n}; reply {"dt": CPU seconds of the
call, "tokens": [ids]} (or {"error": one line}).  The weights are copied
before the clock starts.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import importlib.util  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402  (OPENBLAS_NUM_THREADS=1 comes from evalkit.child_env)

from evalkit import child_channel, one_line  # noqa: E402


def load(path, name, attr):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    fn = getattr(mod, attr, None)
    if not callable(fn):
        raise LookupError(attr)
    return fn


def main():
    mode, ws, weights = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    read, write = child_channel()
    W = dict(np.load(weights))
    if mode == "reference":
        fn = load(os.path.join(HERE, "env", "inference.py"), "starter_inference", "generate")
    else:
        sys.path.insert(0, ws)
        try:
            fn = load(os.path.join(ws, "inference.py"), "inference", "generate")
        except LookupError:
            write({"error": "inference.py does not define a function generate(W, prompt, n_new)"})
            return
        except BaseException as e:
            write({"error": "inference.py failed to import: %s" % one_line(e)})
            return
    write({"ready": True})
    while True:
        req, _ = read()
        if req is None:
            return
        prompt, n_new = [int(t) for t in req["prompt"]], int(req["n_new"])
        Wc = {k: v.copy() for k, v in W.items()}
        try:
            t = time.process_time()
            out = fn(Wc, list(prompt), n_new)
            dt = time.process_time() - t
        except BaseException as e:
            write({"error": "generate raised %s (prompt length %d, n_new %d)" % (one_line(e), len(prompt), n_new)})
            return
        try:
            toks = [int(t) for t in out]
            if any(t != u for t, u in zip(toks, out)):
                raise ValueError
        except BaseException:
            write({"error": "generate must return a list of int token ids; got %s (prompt length %d, n_new %d)"
                   % (type(out).__name__, len(prompt), n_new)})
            return
        write({"dt": dt, "tokens": toks})


if __name__ == "__main__":
    main()
