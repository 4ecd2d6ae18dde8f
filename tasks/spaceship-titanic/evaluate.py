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
from evalkit import fail, load_hidden  # noqa: E402


def to_number(col):
    """True/False (any case) -> 1/0, other values numeric or NaN."""
    m = col.astype(str).str.strip().str.lower().map({"true": 1.0, "false": 0.0})
    return m.fillna(pd.to_numeric(col, errors="coerce"))


def read_submission(ws, name, id_col, value_cols, expected_ids, expected):
    """Read WORKSPACE/name and check columns, ids and numeric values.

    Returns the values as a float array aligned with expected_ids."""
    path = os.path.join(ws, name)
    if not os.path.isfile(path):
        fail("%s not found in the workspace; expected %s" % (name, expected))
    try:
        sub = pd.read_csv(path, dtype={id_col: str})
    except Exception as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        fail("%s is not a readable CSV (%s); expected %s" % (name, first, expected))
    want = [id_col] + list(value_cols)
    if list(sub.columns) != want:
        fail("%s has columns %s; expected exactly %s" % (name, list(sub.columns), want))
    if len(sub) != len(expected_ids):
        fail("%s has %d rows; expected %d (one per %s)" % (name, len(sub), len(expected_ids), id_col))
    ids = sub[id_col].astype(str).str.strip()
    if ids.duplicated().any():
        fail("%s has duplicate %s values, e.g. %s" % (name, id_col, ids[ids.duplicated()].iloc[0]))
    exp = pd.Index([str(i) for i in expected_ids])
    unknown = ~ids.isin(exp)
    if unknown.any():
        fail("%s has %d %s values not in the test set, e.g. %r" % (name, int(unknown.sum()), id_col, ids[unknown].iloc[0]))
    vals = sub[list(value_cols)].apply(to_number)
    bad = vals.isna().any(axis=1) | ~np.isfinite(vals.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        fail("%s has %d rows with missing, non-numeric or infinite values (first: %s=%s); expected %s"
             % (name, int(bad.sum()), id_col, ids.iloc[r], expected))
    vals.index = ids
    return vals.loc[exp].to_numpy(dtype=float)


EXPECTED = ("submission.csv with header 'PassengerId,Transported', one row per PassengerId "
            "in data/test.csv, Transported True/False (or 1/0)")


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_labels.csv")
    pred = read_submission(ws, "submission.csv", "PassengerId", ["Transported"], truth["PassengerId"], EXPECTED)[:, 0]
    ok = np.isin(pred, [0, 1])
    if not ok.all():
        fail("submission.csv Transported must be True/False (or 1/0); found e.g. %r" % pred[~ok][0])
    acc = float((pred == truth["Transported"].astype(bool).to_numpy()).mean())
    print(json.dumps({"score": round(acc, 6), "accuracy": round(acc, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
