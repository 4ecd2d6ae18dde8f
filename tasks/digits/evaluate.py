"""Score the digits task: accuracy of WORKSPACE/submission.csv on hidden labels.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": accuracy, ...}.  Malformed submission: exit 2 with
one line on stderr.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from evalkit import fail, load_hidden, read_submission  # noqa: E402

EXPECTED = "submission.csv with header 'id,label', one row per id in data/test.csv, integer labels 0-9"


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_labels.csv")
    pred = read_submission(ws, "submission.csv", "id", ["label"], truth["id"], EXPECTED)[:, 0]
    if not np.all(pred == np.round(pred)) or pred.min() < 0 or pred.max() > 9:
        fail("submission.csv labels must be integers 0-9")
    acc = float((pred == truth["label"].to_numpy()).mean())
    print(json.dumps({"score": round(acc, 6), "accuracy": round(acc, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
