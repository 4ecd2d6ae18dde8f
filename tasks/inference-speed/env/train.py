"""Generate from the model in data/weights.npz with inference.py and report
the generation speed in tokens per second (the model is already trained;
there is nothing to train here)."""
import time

import numpy as np

from inference import generate

W = dict(np.load("data/weights.npz"))
prompts = np.load("data/sample_prompts.npz")
n_new = 48

total, start = 0, time.perf_counter()
for name in sorted(prompts.files):
    out = generate(W, [int(t) for t in prompts[name]], n_new)
    total += len(out)
elapsed = time.perf_counter() - start
first = generate(W, [int(t) for t in prompts[sorted(prompts.files)[0]]], n_new)
print("first continuation:", first[:16], "...")
print("generated %d tokens in %.3f s: %.1f tokens/s" % (total, elapsed, total / elapsed))
