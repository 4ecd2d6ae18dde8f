"""Run the convolutional layer in layers.py on the sample batch in
data/sample.npz, check it against the stored expected output, and report how
long the forward pass takes."""
import time

import numpy as np

from layers import conv2d_forward

data = np.load("data/sample.npz")
x, w, b = data["x"], data["w"], data["b"]
stride, pad = int(data["stride"]), int(data["pad"])

start = time.perf_counter()
out = conv2d_forward(x, w, b, stride=stride, pad=pad)
elapsed = time.perf_counter() - start

ok = out.shape == data["expected"].shape and np.allclose(out, data["expected"], rtol=1e-6, atol=1e-8)
print("output shape %s, matches expected: %s" % (out.shape, ok))
print("forward pass time: %.4f s" % elapsed)
