"""Score the inference-speed task: generation speed (tokens/s, CPU time) of the
workspace's inference.generate relative to the original implementation, timed
on hidden prompts. Both run in child processes that cannot read HIDDEN_DIR
(see runner.py and tasks/common/evalkit.py), under the same timing harness.
The generated tokens must equal the original's exactly; otherwise exit 2.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": speedup, "tokens_per_s": ..., "ref_tokens_per_s": ...}.
"""
import json
import os
import shutil
import sys
import tempfile

# Time single-threaded BLAS: idle BLAS threads spinning under load would make
# CPU-time measurements noisy. This applies to the submitted code as well.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np  # noqa: E402  (after the thread settings)

ROUNDS = 11
N_NEW = 32

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from evalkit import Child, eval_deadline, fail  # noqa: E402


# ---- evaluation
def start(mode, ws, hidden, weights, deadline, budget):
    """A runner child (runner.py): the agent's inference.py or, with mode "reference",
    the starter's own env/inference.py generate() (so the reference cannot drift
    from the code the agent starts from), timed by the same harness in the same
    kind of process."""
    c = Child(os.path.join(HERE, "runner.py"), [mode, ws, weights], ws, hidden,
              "inference.py" if mode == "agent" else "the starter inference.py", deadline, budget,
              ro_paths=[os.path.dirname(weights)], host=(mode == "reference"))
    c.recv()                  # {"ready": true} once the module is imported
    return c


def run(child, prompt, n_new):
    """(tokens, CPU seconds) of one call in the child."""
    meta, _ = child.request({"prompt": [int(t) for t in prompt], "n_new": int(n_new)})
    out, dt = meta.get("tokens"), meta.get("dt")
    if not isinstance(out, list) or not isinstance(dt, (int, float)) or not dt >= 0:
        child.fail("the process running inference.py sent a malformed reply (no tokens or no time)")
    return out, float(dt)


def check(out, ref, what):
    try:
        toks = [int(t) for t in out]
        if any(t != u for t, u in zip(toks, out)):
            raise ValueError
    except Exception:
        fail("generate must return a list of int token ids; got %s (%s)" % (type(out).__name__, what))
    if len(toks) != len(ref):
        fail("generate returned %d tokens, expected %d (%s)" % (len(toks), len(ref), what))
    if toks != list(ref):
        i = next(i for i, (a, b) in enumerate(zip(toks, ref)) if a != b)
        fail("generated tokens differ from the original implementation at position %d (%d instead of %d, %s); "
             "the output must be identical" % (i, toks[i], ref[i], what))


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    try:
        W = dict(np.load(os.path.join(hidden, "weights.npz")))
        seed = int(open(os.path.join(hidden, "eval_seed.txt")).read())
    except Exception as e:
        fail("evaluate: cannot read hidden files: %s" % e, 1)
    if not os.path.isfile(os.path.join(ws, "inference.py")):
        fail("inference.py not found in the workspace; expected inference.py defining generate(W, prompt, n_new)")
    # inference.py runs in a child process that cannot see HIDDEN_DIR; the reference
    # runs in a second child of the same kind, so that both are timed alike.  Both
    # load the weights from a copy in a temporary folder they may read.
    tmp = tempfile.mkdtemp(prefix="mlab-eval-")
    try:
        weights = os.path.join(tmp, "weights.npz")
        np.savez(weights, **W)
        os.chmod(tmp, 0o755)
        deadline, budget = eval_deadline(HERE)
        agent = start("agent", ws, hidden, weights, deadline, budget)
        refc = start("reference", ws, hidden, weights, deadline, budget)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)   # both children have loaded them by now
    rng = np.random.RandomState(seed)
    V = W["wte"].shape[0]

    # untimed generality checks: other prompt lengths and counts
    for plen, n in [(1, 20), (70, 30)]:
        prompt = [int(t) for t in rng.randint(0, V, size=plen)]
        out, _ = run(agent, prompt, n)
        check(out, run(refc, prompt, n)[0], "prompt length %d, n_new %d" % (plen, n))

    ref_t, agent_t = [], []
    for r in range(ROUNDS):
        prompt = [int(t) for t in rng.randint(0, V, size=16)]
        # alternate which one runs first, so slow drifts in machine load cancel
        if r % 2 == 0:
            ref, rdt = run(refc, prompt, N_NEW)
            out, dt = run(agent, prompt, N_NEW)
        else:
            out, dt = run(agent, prompt, N_NEW)
            ref, rdt = run(refc, prompt, N_NEW)
        ref_t.append(rdt)
        check(out, ref, "round %d, prompt length 16, n_new %d" % (r + 1, N_NEW))
        agent_t.append(max(dt, 1e-6))
    agent.close(); refc.close()
    speedup = float(np.median([a / b for a, b in zip(ref_t, agent_t)]))
    print(json.dumps({"score": round(speedup, 4), "speedup": round(speedup, 4),
                      "tokens_per_s": round(N_NEW / float(np.median(agent_t)), 1),
                      "ref_tokens_per_s": round(N_NEW / float(np.median(ref_t)), 1),
                      "isolated": agent.sandboxed}))


if __name__ == "__main__":
    main()
