"""Build the scanner-shift task: digits under covariate shift.

sklearn's bundled 8x8 digits. The labelled training images are the clean
originals. The test images went through a "different scanner": each is
translated by one pixel in a random direction (zero fill), its contrast is
scaled down by a random factor, and it gets pixel noise. Validation on clean
training data says little about the test set; models that are robust to the
shift (augmentation, invariant features, adapting to the unlabelled test
images) score better.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.csv   id, px0..px63, label   (clean)
PUBLIC_DIR/data/test.csv    id, px0..px63          (new scanner, no label)
HIDDEN_DIR/test_labels.csv  id, label
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

SHIFTS = [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]


def scan(img, rng):
    dy, dx = SHIFTS[rng.randint(len(SHIFTS))]
    out = np.zeros_like(img)
    src = img[max(0, -dy):8 - max(0, dy), max(0, -dx):8 - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    out = out * rng.uniform(0.55, 0.9) + rng.normal(0, 1.0, size=out.shape) + 1.0
    return np.clip(np.round(out), 0, 16)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    X, y = load_digits(return_X_y=True)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    test_idx, train_idx = order[:700], order[700:]
    X_test = np.array([scan(X[i].reshape(8, 8), rng).ravel() for i in test_idx])
    cols = ["px%d" % i for i in range(64)]
    ids = rng.permutation(len(y)) + 5000

    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    tr = pd.DataFrame(X[train_idx].astype(int), columns=cols)
    tr.insert(0, "id", ids[train_idx])
    tr["label"] = y[train_idx]
    tr.to_csv(os.path.join(public, "data", "train.csv"), index=False)
    te = pd.DataFrame(X_test.astype(int), columns=cols)
    te.insert(0, "id", ids[test_idx])
    te.to_csv(os.path.join(public, "data", "test.csv"), index=False)
    pd.DataFrame({"id": ids[test_idx], "label": y[test_idx]}).to_csv(
        os.path.join(hidden, "test_labels.csv"), index=False)


if __name__ == "__main__":
    main()
