"""Score the digits task: accuracy of WORKSPACE/submission.csv on hidden labels.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": accuracy, ...}.  Malformed submission: exit 2 with
one line on stderr.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

EXPECTED = "submission.csv with header 'id,label', one row per id in data/test.csv, integer labels 0-9"


def fail(msg, code=2):
    sys.stderr.write(msg.replace("\n", " ") + "\n")
    sys.exit(code)


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    try:
        truth = pd.read_csv(os.path.join(hidden, "test_labels.csv"))
    except Exception as e:  # host problem, not the agent's
        fail("evaluate: cannot read hidden labels: %s" % e, 1)

    path = os.path.join(ws, "submission.csv")
    if not os.path.isfile(path):
        fail("submission.csv not found in the workspace; expected " + EXPECTED)
    try:
        sub = pd.read_csv(path)
    except Exception as e:
        fail("submission.csv is not a readable CSV (%s); expected %s" % (str(e).splitlines()[0] if str(e) else type(e).__name__, EXPECTED))
    if list(sub.columns) != ["id", "label"]:
        fail("submission.csv has columns %s; expected exactly ['id', 'label']" % list(sub.columns))
    if len(sub) != len(truth):
        fail("submission.csv has %d rows; expected %d (one per test id)" % (len(sub), len(truth)))
    ids = pd.to_numeric(sub["id"], errors="coerce")
    if ids.isna().any() or ids.duplicated().any() or set(ids.astype(np.int64)) != set(truth["id"]):
        fail("submission.csv ids do not match data/test.csv ids (missing, duplicate, or unknown ids)")
    labels = pd.to_numeric(sub["label"], errors="coerce")
    if labels.isna().any():
        fail("submission.csv has %d missing or non-numeric labels; expected integers 0-9" % int(labels.isna().sum()))
    if not np.all(labels == np.round(labels)) or labels.min() < 0 or labels.max() > 9:
        fail("submission.csv labels must be integers 0-9")
    pred = dict(zip(ids.astype(np.int64), labels.astype(np.int64)))
    correct = sum(int(pred[i] == l) for i, l in zip(truth["id"], truth["label"]))
    acc = correct / len(truth)
    print(json.dumps({"score": round(acc, 6), "accuracy": round(acc, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
