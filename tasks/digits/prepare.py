"""Build the digits task data from sklearn's bundled 8x8 digits (no download).

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.csv  id, px0..px63, label
PUBLIC_DIR/data/test.csv   id, px0..px63          (no label)
HIDDEN_DIR/test_labels.csv id, label
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    n_test = 540
    test_idx, train_idx = order[:n_test], order[n_test:]
    cols = ["px%d" % i for i in range(X.shape[1])]
    ids = rng.permutation(100000)[: len(y)] + 100000  # opaque ids

    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    tr = pd.DataFrame(X[train_idx].astype(int), columns=cols)
    tr.insert(0, "id", ids[train_idx])
    tr["label"] = y[train_idx]
    tr.to_csv(os.path.join(public, "data", "train.csv"), index=False)
    te = pd.DataFrame(X[test_idx].astype(int), columns=cols)
    te.insert(0, "id", ids[test_idx])
    te.to_csv(os.path.join(public, "data", "test.csv"), index=False)
    pd.DataFrame({"id": ids[test_idx], "label": y[test_idx]}).to_csv(
        os.path.join(hidden, "test_labels.csv"), index=False)


if __name__ == "__main__":
    main()
