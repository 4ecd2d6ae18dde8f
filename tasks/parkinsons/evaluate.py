"""Score the parkinsons task: SMAPE (0-200, lower is better) of WORKSPACE/submission.csv.

SMAPE = 100/n * sum(2|F - A| / (|F| + |A|)), a term is 0 when F = A = 0.
usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": smape, ...}. Malformed submission: exit 2, one stderr line.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from evalkit import fail, load_hidden, read_submission  # noqa: E402


EXPECTED = ("submission.csv with header 'prediction_id,rating', one row per prediction_id "
            "in data/test_targets.csv, rating a number >= 0")


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_answers.csv")
    pred = read_submission(ws, "submission.csv", "prediction_id", ["rating"], truth["prediction_id"], EXPECTED)[:, 0]
    if (pred < 0).any():
        fail("submission.csv has %d negative ratings; UPDRS scores are >= 0" % int((pred < 0).sum()))
    a = truth["rating"].to_numpy(dtype=float)
    den = np.abs(pred) + np.abs(a)
    terms = np.where(den == 0, 0.0, 2 * np.abs(pred - a) / np.where(den == 0, 1, den))
    s = float(100 * terms.mean())
    out = {"score": round(s, 6), "smape": round(s, 6), "n": len(truth)}
    for t in ("updrs_1", "updrs_2", "updrs_3"):
        m = truth["prediction_id"].str.contains("_%s_" % t).to_numpy()
        out["smape_" + t] = round(float(100 * terms[m].mean()), 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
