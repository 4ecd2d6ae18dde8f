"""Score the spaceship-titanic task: accuracy of WORKSPACE/submission.csv.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": accuracy, ...}. Malformed submission: exit 2, one stderr line.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from evalkit import fail, load_hidden, read_submission  # noqa: E402


def to_number(col):
    """True/False (any case) -> 1/0, other values numeric or NaN."""
    m = col.astype(str).str.strip().str.lower().map({"true": 1.0, "false": 0.0})
    return m.fillna(pd.to_numeric(col, errors="coerce"))


EXPECTED = ("submission.csv with header 'PassengerId,Transported', one row per PassengerId "
            "in data/test.csv, Transported True/False (or 1/0)")


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_labels.csv")
    pred = read_submission(ws, "submission.csv", "PassengerId", ["Transported"], truth["PassengerId"], EXPECTED,
                           to_number=to_number)[:, 0]
    ok = np.isin(pred, [0, 1])
    if not ok.all():
        fail("submission.csv Transported must be True/False (or 1/0); found e.g. %r" % pred[~ok][0])
    acc = float((pred == truth["Transported"].astype(bool).to_numpy()).mean())
    print(json.dumps({"score": round(acc, 6), "accuracy": round(acc, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
