"""Build the citation-graph task (ogbn-arxiv-like node classification).

A seeded degree-corrected stochastic block model: 4000 papers in 10 subject
areas of unequal size; each paper cites others, mostly in its own area
(about half of the citations). Each paper has 40 noisy features (a bag-of-words embedding
stand-in): the area's mean vector plus heavy Gaussian noise, so features alone
are weak and aggregating neighbours' features or labels helps a lot.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/nodes.csv         id, f0..f39       (all papers)
PUBLIC_DIR/data/edges.csv         src, dst          (undirected, each edge once)
PUBLIC_DIR/data/train_labels.csv  id, label         (2000 papers)
PUBLIC_DIR/data/test_ids.csv      id                (2000 papers to classify)
HIDDEN_DIR/test_labels.csv        id, label
"""
import os
import sys

import numpy as np
import pandas as pd

N, K, D = 4000, 10, 40
HOMOPHILY = 0.5


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)

    sizes = rng.dirichlet(np.full(K, 3.0))
    y = rng.choice(K, size=N, p=sizes)
    means = rng.normal(0, 1.0, size=(K, D)) * 0.22
    X = means[y] + rng.normal(0, 1.0, size=(N, D))

    # degree-corrected SBM: out-degree from a heavy-tailed distribution
    out_deg = np.minimum(1 + rng.geometric(0.2, size=N), 60)
    members = [np.flatnonzero(y == k) for k in range(K)]
    # popularity weights so some papers are cited a lot
    pop = rng.pareto(2.0, size=N) + 1.0
    src, dst = [], []
    for i in range(N):
        for _ in range(out_deg[i]):
            if rng.rand() < HOMOPHILY:
                cand = members[y[i]]
            else:
                cand = members[rng.randint(K)]
            p = pop[cand] / pop[cand].sum()
            j = cand[rng.choice(len(cand), p=p)]
            if j != i:
                src.append(i)
                dst.append(j)
    e = np.array([src, dst]).T
    e.sort(axis=1)
    e = np.unique(e, axis=0)
    e = e[rng.permutation(len(e))]

    ids = rng.permutation(N)  # node ids are a random relabelling
    order = rng.permutation(N)
    train, test = order[:2000], order[2000:]

    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    nodes = pd.DataFrame(np.round(X, 4), columns=["f%d" % d for d in range(D)])
    nodes.insert(0, "id", ids)
    nodes.sort_values("id").to_csv(os.path.join(public, "data", "nodes.csv"), index=False)
    pd.DataFrame({"src": ids[e[:, 0]], "dst": ids[e[:, 1]]}).to_csv(
        os.path.join(public, "data", "edges.csv"), index=False)
    pd.DataFrame({"id": ids[train], "label": y[train]}).to_csv(
        os.path.join(public, "data", "train_labels.csv"), index=False)
    pd.DataFrame({"id": ids[test]}).to_csv(os.path.join(public, "data", "test_ids.csv"), index=False)
    pd.DataFrame({"id": ids[test], "label": y[test]}).to_csv(
        os.path.join(hidden, "test_labels.csv"), index=False)


if __name__ == "__main__":
    main()
