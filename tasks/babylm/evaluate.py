"""Score the babylm task: bits per character of the workspace's language model
(lm.py, class LM) on the hidden test stories. Lower is better.

Each story is scored on its own: for every character c (including the newline
that ends the story), the model is given the story so far and must return a
probability distribution over data/vocab.txt; the loss is -log2 p(c), with p
floored at 1e-12. A distribution that is not a finite, non-negative vector of
len(vocab) summing to 1 (+-1e-4) is a malformed submission: exit 2.

lm.py runs in a child process that cannot read HIDDEN_DIR (see runner.py and
tasks/common/evalkit.py). It is given the text one character at a time, only
after it has returned its prediction for that character; the calls to
LM.probs come in the same order as before (story by story, position by
position) on one LM object.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": bpc, "chars": n, "isolated": true if lm.py ran under bwrap}.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from evalkit import Child, eval_deadline, fail  # noqa: E402


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    try:
        test = open(os.path.join(hidden, "test.txt")).read()
    except Exception as e:
        fail("evaluate: cannot read hidden test.txt: %s" % e, 1)
    try:
        vocab = open(os.path.join(ws, "data", "vocab.txt")).read()
    except Exception as e:
        fail("data/vocab.txt missing or unreadable in the workspace (%s); it must stay as provided" % e)
    index = {c: i for i, c in enumerate(vocab)}
    if not set(test) <= set(index):
        fail("data/vocab.txt was modified: it lacks characters of the corpus; restore the provided file")

    path = os.path.join(ws, "lm.py")
    if not os.path.isfile(path):
        fail("lm.py not found in the workspace; expected lm.py defining class LM(workspace_dir) with probs(context)")
    # lm.py runs in a child process that cannot see HIDDEN_DIR (evalkit.Child); it
    # gets the test text one character at a time, after its prediction for it
    deadline, budget = eval_deadline(HERE)
    lm = Child(os.path.join(HERE, "runner.py"), [ws, len(vocab)], ws, hidden, "lm.py", deadline, budget)
    lm.recv()                                   # {"ready": true} once LM(ws) is built

    total, n = 0.0, 0
    for story in test.split("\n\n"):
        story = story.strip("\n") + "\n"
        for i, c in enumerate(story):
            _, arrays = lm.request({"story": True} if i == 0 else {"c": story[i - 1]})
            p = arrays.get("p")
            if p is None:
                fail("the process running lm.py sent a reply without probabilities")
            if p.shape != (len(vocab),):
                fail("LM.probs returned shape %s; expected (%d,) (one probability per character of data/vocab.txt)"
                     % (p.shape, len(vocab)))
            if not np.all(np.isfinite(p)) or (p < 0).any() or abs(p.sum() - 1.0) > 1e-4:
                fail("LM.probs must return finite, non-negative probabilities summing to 1; got sum %.6g, min %.3g"
                     % (float(np.nansum(p)), float(np.nanmin(p))))
            total -= np.log2(max(p[index[c]], 1e-12))
            n += 1
    lm.close()
    bpc = total / n
    print(json.dumps({"score": round(bpc, 6), "bpc": round(bpc, 6), "chars": n, "isolated": lm.sandboxed}))


if __name__ == "__main__":
    main()
