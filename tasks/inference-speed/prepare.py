"""Build the inference-speed task: seeded weights of a small GPT-style model
(vocabulary 64, width 64, 2 layers, 4 heads, context 128) and prompts.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/weights.npz         model weights (also copied to HIDDEN_DIR)
PUBLIC_DIR/data/sample_prompts.npz  three sample prompts
HIDDEN_DIR/weights.npz              the evaluator's copy of the weights
HIDDEN_DIR/eval_seed.txt            seed for the evaluation prompts
"""
import os
import sys

import numpy as np

V, D, L, H, CTX, FF = 64, 64, 2, 4, 128, 256


def weights(rng):
    W = {"n_layer": np.array(L), "n_head": np.array(H),
         "wte": rng.normal(0, 0.5, (V, D)), "wpe": rng.normal(0, 0.5, (CTX, D)),
         "lm_head": rng.normal(0, 0.3, (D, V)),
         "lnf_g": 1 + rng.normal(0, 0.1, D), "lnf_b": rng.normal(0, 0.1, D)}
    for l in range(L):
        for n, shape, s in [("wq", (D, D), 0.2), ("wk", (D, D), 0.2), ("wv", (D, D), 0.15),
                            ("wo", (D, D), 0.1), ("w1", (D, FF), 0.12), ("w2", (FF, D), 0.06)]:
            W["l%d.%s" % (l, n)] = rng.normal(0, s, shape)
        W["l%d.b1" % l] = rng.normal(0, 0.05, FF)
        W["l%d.b2" % l] = rng.normal(0, 0.05, D)
        for n in ("ln1", "ln2"):
            W["l%d.%s_g" % (l, n)] = 1 + rng.normal(0, 0.1, D)
            W["l%d.%s_b" % (l, n)] = rng.normal(0, 0.1, D)
    return W


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    W = weights(rng)
    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    np.savez(os.path.join(public, "data", "weights.npz"), **W)
    np.savez(os.path.join(hidden, "weights.npz"), **W)
    np.savez(os.path.join(public, "data", "sample_prompts.npz"),
             **{"p%d" % i: rng.randint(0, V, size=16) for i in range(3)})
    with open(os.path.join(hidden, "eval_seed.txt"), "w") as fh:
        fh.write("%d\n" % rng.randint(1, 2**31 - 1))


if __name__ == "__main__":
    main()
