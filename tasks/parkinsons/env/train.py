"""Baseline for the parkinsons task: forecast each test patient's UPDRS scores
6, 12 and 24 months after their last observed visit.

Training examples are built from the train patients' histories: for every visit
month m and horizon h with a visit at m + h, the target is the score at m + h.
This baseline uses only (visit month, horizon, which score) as features.
Writes submission.csv (prediction_id,rating)."""
import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit
from sklearn.tree import DecisionTreeRegressor

TARGETS = ["updrs_1", "updrs_2", "updrs_3"]
HORIZONS = [6, 12, 24]

clinical = pd.read_csv("data/train_clinical.csv")
proteins = pd.read_csv("data/train_proteins.csv")     # not used yet
test_targets = pd.read_csv("data/test_targets.csv")   # rows to predict


def smape(pred, actual):
    pred, actual = np.asarray(pred, float), np.asarray(actual, float)
    den = np.abs(pred) + np.abs(actual)
    return 100 * np.mean(np.where(den == 0, 0.0, 2 * np.abs(pred - actual) / np.where(den == 0, 1, den)))


rows = []
for pid, visits in clinical.groupby("patient_id"):
    visits = visits.set_index("visit_month")
    for m in visits.index:
        for h in HORIZONS:
            if m + h in visits.index:
                for k, t in enumerate(TARGETS):
                    rows.append({"patient_id": pid, "visit_month": m, "horizon": h,
                                 "target_index": k, "rating": visits.loc[m + h, t]})
examples = pd.DataFrame(rows)
features = ["visit_month", "horizon", "target_index"]
X, y, groups = examples[features].values, examples["rating"].values, examples["patient_id"].values

# validate on held-out patients
tr, val = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(X, y, groups))

model = DecisionTreeRegressor(max_depth=3, random_state=0)
model.fit(X[tr], y[tr])
print("validation smape: %.4f" % smape(model.predict(X[val]), y[val]))

model.fit(X, y)
test_targets["target_index"] = test_targets["target"].map({t: k for k, t in enumerate(TARGETS)})
pred = np.clip(model.predict(test_targets[features].values), 0, None)
submission = pd.DataFrame({"prediction_id": test_targets["prediction_id"], "rating": pred})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
