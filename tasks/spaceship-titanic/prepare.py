"""Build the spaceship-titanic task (Kaggle "Spaceship Titanic"-style).

A seeded generator draws passengers travelling in groups; whether a passenger
was transported depends on cryosleep, the kind of spending (room service, spa
and VR deck lower the odds; food court and mall raise them, non-linearly), the
cabin deck and side, an interaction of home planet and destination, age, and a
shared group effect. About 2% of every feature is missing.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.csv   PassengerId, <features>, Transported (True/False)
PUBLIC_DIR/data/test.csv    PassengerId, <features>
HIDDEN_DIR/test_labels.csv  PassengerId, Transported
"""
import os
import sys

import numpy as np
import pandas as pd

PLANETS = ["Earth", "Europa", "Mars"]
DESTS = ["TRAPPIST-1e", "55 Cancri e", "PSO J318.5-22"]
DECKS = list("ABCDEFGT")
FIRST = ("Ada Alar Bex Cora Dax Eli Fen Gia Hal Ira Jax Kira Leo Mira Nox Ona Pax "
         "Quin Rae Sol Tam Uma Vex Wen Xan Yara Zed").split()
LAST = ("Orion Vega Hale Rook Stone Pike Marsh Quill Frost Vale Ridge Crane Fox "
        "Lark Moss Reed Sable Thorn Wren Ash").split()


def make(rng, n_groups):
    rows = []
    gid = 0
    # planet x destination interaction (log-odds)
    pd_eff = np.array([[-0.3, 0.1, -0.5],     # Earth
                       [0.2, 1.3, 0.3],       # Europa
                       [0.5, -0.4, 0.1]])     # Mars
    deck_eff = dict(zip(DECKS, [0.4, 1.2, 0.9, -0.2, -0.6, 0.0, -0.1, -1.0]))
    for _ in range(n_groups):
        gid += 1
        size = min(1 + rng.geometric(0.55) - 1 + (rng.rand() < 0.3), 8)
        size = max(size, 1)
        planet = rng.choice(3, p=[0.54, 0.25, 0.21])
        dest = rng.choice(3, p=[0.68, 0.21, 0.11])
        deck = rng.choice(DECKS, p=([0.05, 0.15, 0.15, 0.1, 0.1, 0.05, 0.35, 0.05] if planet == 1 else
                                    [0.0, 0.02, 0.02, 0.08, 0.14, 0.34, 0.39, 0.01] if planet == 0 else
                                    [0.0, 0.02, 0.02, 0.2, 0.2, 0.4, 0.16, 0.0]))
        num = rng.randint(0, 1800)
        side = rng.choice(["P", "S"])
        group_eff = rng.normal(0, 0.4)
        last = rng.choice(LAST)
        for p in range(1, size + 1):
            age = float(np.clip(rng.normal(29, 14), 0, 79).round())
            cryo = rng.rand() < (0.25 + 0.15 * (planet == 1) + 0.1 * (age < 18))
            vip = (rng.rand() < 0.025 + 0.05 * (planet == 1)) and age >= 18
            spend = np.zeros(5)  # RoomService FoodCourt ShoppingMall Spa VRDeck
            if not cryo and age >= 13:
                active = rng.rand(5) < [0.35, 0.4, 0.35, 0.38, 0.35]
                scale = [250, 450, 180, 300, 300] if planet != 1 else [450, 1400, 250, 800, 800]
                spend = np.where(active, rng.exponential(scale) * (3 if vip else 1), 0).round()
            logit = (-0.3 + 2.2 * cryo
                     - 0.55 * np.log1p(spend[0]) - 0.6 * np.log1p(spend[3]) - 0.55 * np.log1p(spend[4])
                     + 0.3 * np.log1p(spend[1]) + 0.25 * np.log1p(spend[2])
                     + deck_eff[deck] + (0.45 if side == "S" else -0.25)
                     + pd_eff[planet, dest]
                     + (0.9 if age < 13 else 0.0) - 0.01 * max(age - 40, 0)
                     - 0.3 * vip + group_eff)
            transported = rng.rand() < 1 / (1 + np.exp(-logit))
            rows.append({
                "PassengerId": "%04d_%02d" % (gid, p),
                "HomePlanet": PLANETS[planet], "CryoSleep": bool(cryo),
                "Cabin": "%s/%d/%s" % (deck, num + (p > 2) * rng.randint(0, 3), side),
                "Destination": DESTS[dest], "Age": age, "VIP": bool(vip),
                "RoomService": spend[0], "FoodCourt": spend[1], "ShoppingMall": spend[2],
                "Spa": spend[3], "VRDeck": spend[4],
                "Name": "%s %s" % (rng.choice(FIRST), last),
                "Transported": bool(transported)})
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c not in ("PassengerId", "Transported"):
            df[c] = df[c].astype(object)
            df.loc[rng.rand(len(df)) < 0.02, c] = np.nan
    return df


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    df = make(rng, 4600)
    groups = df["PassengerId"].str[:4]
    ug = groups.unique()
    test_groups = set(rng.choice(ug, size=int(len(ug) * 0.33), replace=False))
    is_test = groups.isin(test_groups).values
    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    df[~is_test].to_csv(os.path.join(public, "data", "train.csv"), index=False)
    df[is_test].drop(columns="Transported").to_csv(os.path.join(public, "data", "test.csv"), index=False)
    df[is_test][["PassengerId", "Transported"]].to_csv(os.path.join(hidden, "test_labels.csv"), index=False)


if __name__ == "__main__":
    main()
