"""Score the vectorisation task: speed-up of the workspace's conv2d_forward
(layers.py) over the original loop implementation, timed (CPU time) on fresh
hidden inputs. Both run in child processes that cannot read HIDDEN_DIR (see
runner.py and tasks/common/evalkit.py), under the same timing harness. The
output must match the reference (rtol 1e-6, atol 1e-8) on every input,
including an untimed stride-2 / 5x5 case; otherwise exit 2.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": speedup, "ref_s": ..., "agent_s": ...}.
"""
import json
import os
import sys

# Time single-threaded BLAS: idle BLAS threads spinning under load would make
# CPU-time measurements noisy. This applies to the submitted code as well.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np  # noqa: E402  (after the thread settings)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from evalkit import Child, eval_deadline, fail  # noqa: E402

ROUNDS = 15


def start(mode, ws, hidden, deadline, budget):
    """A runner child (runner.py): the agent's layers.py or, with mode "reference",
    the starter's own env/layers.py (the loop implementation the agent starts
    from, so the reference cannot drift from it), timed by the same harness in
    the same kind of process."""
    c = Child(os.path.join(HERE, "runner.py"), [mode, ws], ws, hidden,
              "layers.py" if mode == "agent" else "the starter layers.py", deadline, budget,
              host=(mode == "reference"))
    c.recv()                  # {"ready": true} once the module is imported
    return c


def call(child, x, w, b, stride, pad):
    """(output, CPU seconds) of one call in the child."""
    meta, arrays = child.request({"stride": stride, "pad": pad}, {"x": x, "w": w, "b": b})
    dt = meta.get("dt")
    if "out" not in arrays or not isinstance(dt, (int, float)) or not dt >= 0:
        child.fail("the process running layers.py sent a malformed reply (no output or no time)")
    return arrays["out"], float(dt)


def check(out, ref, what):
    try:
        out = np.asarray(out, dtype=float)
    except Exception:
        fail("conv2d_forward returned %s, not a numeric array (%s)" % (type(out).__name__, what))
    if out.shape != ref.shape:
        fail("conv2d_forward returned shape %s, expected %s (%s)" % (out.shape, ref.shape, what))
    if not np.allclose(out, ref, rtol=1e-6, atol=1e-8):
        fail("conv2d_forward output differs from the reference (max abs diff %.3g, %s); it must compute the same values"
             % (float(np.nanmax(np.abs(out - ref))) if np.isfinite(out).any() else float("nan"), what))


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    try:
        seed = int(open(os.path.join(hidden, "eval_seed.txt")).read())
    except Exception as e:
        fail("evaluate: cannot read hidden eval_seed.txt: %s" % e, 1)
    if not os.path.isfile(os.path.join(ws, "layers.py")):
        fail("layers.py not found in the workspace; expected layers.py defining conv2d_forward(x, w, b, stride, pad)")
    # layers.py runs in a child process that cannot see HIDDEN_DIR; the reference
    # runs in a second child of the same kind, so that both are timed alike
    deadline, budget = eval_deadline(HERE)
    agent = start("agent", ws, hidden, deadline, budget)
    refc = start("reference", ws, hidden, deadline, budget)
    rng = np.random.RandomState(seed)

    # untimed generality check: stride 2, no padding, 5x5 kernels, odd sizes
    x = rng.normal(size=(2, 4, 13, 11)); w = rng.normal(size=(5, 4, 5, 5)); b = rng.normal(size=5)
    out, _ = call(agent, x, w, b, 2, 0)
    check(out, call(refc, x, w, b, 2, 0)[0], "stride 2, pad 0, 5x5 kernel")

    ref_t, agent_t = [], []
    for r in range(ROUNDS):   # fresh inputs every round, timings interleaved
        x = rng.normal(size=(2, 3, 32, 32)); w = rng.normal(size=(16, 3, 3, 3)) * 0.3
        b = rng.normal(size=16) * 0.1
        # alternate which one runs first, so slow drifts in machine load cancel
        if r % 2 == 0:
            ref, rdt = call(refc, x, w, b, 1, 1)
            out, dt = call(agent, x, w, b, 1, 1)
        else:
            out, dt = call(agent, x, w, b, 1, 1)
            ref, rdt = call(refc, x, w, b, 1, 1)
        ref_t.append(rdt)
        check(out, ref, "round %d, stride 1, pad 1, 3x3 kernel" % (r + 1))
        agent_t.append(dt)
    agent.close(); refc.close()
    # CPU time of each child process (all threads), so that other load on the machine
    # matters less; the speed-up is the median of the per-round ratios
    ref_s, agent_s = float(np.median(ref_t)), max(float(np.median(agent_t)), 1e-6)
    speedup = float(np.median([r / max(a, 1e-6) for r, a in zip(ref_t, agent_t)]))
    print(json.dumps({"score": round(speedup, 4), "speedup": round(speedup, 4),
                      "ref_s": round(ref_s, 5), "agent_s": round(agent_s, 6),
                      "isolated": agent.sandboxed}))


if __name__ == "__main__":
    main()
