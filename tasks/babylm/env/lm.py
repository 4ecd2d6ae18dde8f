"""The language model that is evaluated: a character trigram model (the next
character given the previous two) with add-k smoothing, trained by train.py
and stored in model.npz.

Interface used by the evaluator (keep it):
    lm = LM(workspace_dir)          # load whatever train.py saved
    p = lm.probs(context)           # context: the text of the current story so far
                                    # returns len(vocab) probabilities for the next
                                    # character, in the order of data/vocab.txt
"""
import os

import numpy as np


def load_vocab(workspace_dir="."):
    with open(os.path.join(workspace_dir, "data", "vocab.txt")) as fh:
        return fh.read()


class LM:
    def __init__(self, workspace_dir="."):
        self.vocab = load_vocab(workspace_dir)
        self.index = {c: i for i, c in enumerate(self.vocab)}
        m = np.load(os.path.join(workspace_dir, "model.npz"))
        counts, k = m["counts"], float(m["add_k"])             # counts[prev2, prev1, next]
        self.table = (counts + k) / (counts + k).sum(axis=2, keepdims=True)
        self.start = self.index["\n"]                           # stands for "before the story"

    def probs(self, context):
        context = "\n\n" + context
        a, b = self.index.get(context[-2], self.start), self.index.get(context[-1], self.start)
        return self.table[a, b]
