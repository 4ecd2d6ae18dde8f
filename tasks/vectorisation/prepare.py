"""Build the vectorisation task data: a sample batch for the agent, and a
seed for the evaluation inputs (hidden).

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/sample.npz  x, w, b, stride, pad, expected (the layer's output)
HIDDEN_DIR/eval_seed.txt    seed for the evaluation inputs
"""
import os
import sys

import numpy as np


def conv_ref(x, w, b, stride, pad):
    # vectorised reference (independent of the agent's starter loops)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, f, ho, wo))
    for a in range(kh):
        for bb in range(kw):
            patch = xp[:, :, a:a + stride * ho:stride, bb:bb + stride * wo:stride]
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, a, bb])
    return np.maximum(out + b[None, :, None, None], 0)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(8, 3, 32, 32))
    w = rng.normal(size=(16, 3, 3, 3)) * 0.3
    b = rng.normal(size=16) * 0.1
    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    np.savez(os.path.join(public, "data", "sample.npz"), x=x, w=w, b=b, stride=1, pad=1,
             expected=conv_ref(x, w, b, 1, 1))
    with open(os.path.join(hidden, "eval_seed.txt"), "w") as fh:
        fh.write("%d\n" % rng.randint(1, 2**31 - 1))


if __name__ == "__main__":
    main()
