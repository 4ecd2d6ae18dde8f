"""Score the house-prices task: RMSE between log(predicted) and log(true) SalePrice.

usage: evaluate.py WORKSPACE HIDDEN_DIR
Last stdout line: {"score": rmse_log, ...}. Malformed submission: exit 2, one stderr line.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from evalkit import fail, load_hidden, read_submission  # noqa: E402


EXPECTED = "submission.csv with header 'Id,SalePrice', one row per Id in data/test.csv, SalePrice > 0"


def main():
    if len(sys.argv) != 3:
        fail("usage: evaluate.py WORKSPACE HIDDEN_DIR", 1)
    ws, hidden = sys.argv[1], sys.argv[2]
    truth = load_hidden(hidden, "test_prices.csv")
    pred = read_submission(ws, "submission.csv", "Id", ["SalePrice"], truth["Id"], EXPECTED)[:, 0]
    if (pred <= 0).any():
        fail("submission.csv has %d non-positive SalePrice values; prices must be > 0" % int((pred <= 0).sum()))
    err = np.log(pred) - np.log(truth["SalePrice"].to_numpy(dtype=float))
    rmse = float(np.sqrt(np.mean(err ** 2)))
    print(json.dumps({"score": round(rmse, 6), "rmse_log": round(rmse, 6), "n": len(truth)}))


if __name__ == "__main__":
    main()
