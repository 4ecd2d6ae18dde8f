"""Child side of the vectorisation evaluator: imports conv2d_forward from the
workspace's layers.py ("agent") or the starter's own env/layers.py
("reference"), and times each call in CPU time, the same way for both.

usage (started by evaluate.py, in a sandbox without HIDDEN_DIR): runner.py agent|reference WORKSPACE
Requests: {"stride", "pad"} with arrays x, w, b; reply {"dt": CPU seconds of
the call} with the array "out" (or {"error": one line}).  The inputs are
copied before the clock starts.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
import importlib.util  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402  (OPENBLAS_NUM_THREADS=1 comes from evalkit.child_env)

from evalkit import child_channel, one_line  # noqa: E402


def load(path, name, attr, what):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    fn = getattr(mod, attr, None)
    if not callable(fn):
        raise LookupError(what)
    return fn


def main():
    mode, ws = sys.argv[1], os.path.abspath(sys.argv[2])
    read, write = child_channel()
    if mode == "reference":
        fn = load(os.path.join(HERE, "env", "layers.py"), "starter_layers", "conv2d_forward", "")
    else:
        sys.path.insert(0, ws)
        try:
            fn = load(os.path.join(ws, "layers.py"), "layers", "conv2d_forward", "")
        except LookupError:
            write({"error": "layers.py does not define a function conv2d_forward(x, w, b, stride, pad)"})
            return
        except BaseException as e:
            write({"error": "layers.py failed to import: %s" % one_line(e)})
            return
    write({"ready": True})
    while True:
        req, a = read()
        if req is None:
            return
        x, w, b, stride, pad = a["x"], a["w"], a["b"], int(req["stride"]), int(req["pad"])
        xc, wc, bc = x.copy(), w.copy(), b.copy()
        try:
            t = time.process_time()
            out = fn(xc, wc, bc, stride=stride, pad=pad)
            dt = time.process_time() - t
        except BaseException as e:
            write({"error": "conv2d_forward raised %s (input shape %s, stride %d, pad %d)"
                   % (one_line(e), x.shape, stride, pad)})
            return
        try:
            out = np.asarray(out, dtype=float)
        except BaseException:
            write({"error": "conv2d_forward returned %s, not a numeric array (input shape %s, stride %d, pad %d)"
                   % (type(out).__name__, x.shape, stride, pad)})
            return
        write({"dt": dt}, {"out": out})


if __name__ == "__main__":
    main()
