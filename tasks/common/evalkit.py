"""Submission checks shared by the tasks' evaluators.

An evaluator prints one JSON score line; a malformed submission gets exit
status 2 and one line on stderr that says what is wrong and what was
expected (never a traceback, never a score of 0).  Import it with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
    from evalkit import fail, read_submission, load_hidden
"""
import os
import sys

import numpy as np
import pandas as pd


def fail(msg, code=2):
    """One line on stderr, then exit (2 = malformed submission, 1 = host problem)."""
    sys.stderr.write(" ".join(str(msg).split()) + "\n")
    sys.exit(code)


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
    vals = sub[list(value_cols)].apply(pd.to_numeric, errors="coerce")
    bad = vals.isna().any(axis=1) | ~np.isfinite(vals.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        fail("%s has %d rows with missing, non-numeric or infinite values (first: %s=%s); expected %s"
             % (name, int(bad.sum()), id_col, ids.iloc[r], expected))
    vals.index = ids
    return vals.loc[exp].to_numpy(dtype=float)


def load_hidden(hidden, name, **kw):
    try:
        return pd.read_csv(os.path.join(hidden, name), **kw)
    except Exception as e:
        fail("evaluate: cannot read hidden file %s: %s" % (name, e), 1)
