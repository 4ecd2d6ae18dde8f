"""Score the sentiment task: accuracy of WORKSPACE/submission.csv on hidden labels.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": accuracy, ...}. Malformed submission: exit 2, one stderr line.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from evalkit import fail, load_hidden, read_submission  # noqa: E402


EXPECTED = "submission.csv with header 'id,label', one row per id in data/test.csv, label 0 or 1"


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_labels.csv")
    pred = read_submission(ws, "submission.csv", "id", ["label"], truth["id"], EXPECTED)[:, 0]
    if not np.isin(pred, [0, 1]).all():
        fail("submission.csv labels must be 0 or 1; found e.g. %r" % pred[~np.isin(pred, [0, 1])][0])
    acc = float((pred == truth["label"].to_numpy()).mean())
    print(json.dumps({"score": round(acc, 6), "accuracy": round(acc, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
