"""Build the parkinsons task (Kaggle "AMP Parkinson's Disease Progression"-style).

A seeded generator draws patients with a latent baseline severity and a latent
progression rate. Clinical scores updrs_1..3 are measured every 6 months
(some visits missed); each is a scaled severity plus rate x time, plus a
medication dip and rounding noise, clipped at 0. Protein abundances (NPX,
log scale) are measured at about 60% of visits: a few track severity, a few
track the progression rate, the rest are noise.

Train patients come with their full history. Test patients come with their
first visits only; the task is to forecast their scores 6, 12 and 24 months
after their last observed visit. Scored by SMAPE (0-200, lower is better).

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train_clinical.csv   patient_id, visit_month, updrs_1..3, on_medication
PUBLIC_DIR/data/train_proteins.csv   patient_id, visit_month, P00..P29
PUBLIC_DIR/data/test_clinical.csv    observed visits of the test patients
PUBLIC_DIR/data/test_proteins.csv
PUBLIC_DIR/data/test_targets.csv     prediction_id, patient_id, visit_month, target, horizon
HIDDEN_DIR/test_answers.csv          prediction_id, rating
"""
import os
import sys

import numpy as np
import pandas as pd

N_PAT, N_TEST, N_PROT = 400, 120, 30
SCALE = np.array([[0.45, 0.8], [0.4, 1.0], [1.3, 3.0]])   # per target: severity, rate/yr
HORIZONS = [6, 12, 24]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)

    pids = np.sort(rng.choice(np.arange(1000, 65000), size=N_PAT, replace=False))
    sev = rng.gamma(2.0, 6.0, N_PAT)              # baseline severity
    rate = np.clip(rng.normal(0.6, 0.5, N_PAT) + 0.03 * sev, 0, None)  # severity units per year
    prot_w_sev = np.zeros(N_PROT); prot_w_sev[:5] = rng.uniform(0.05, 0.1, 5)
    prot_w_rate = np.zeros(N_PROT); prot_w_rate[5:10] = rng.uniform(0.6, 1.0, 5)
    prot_base = rng.normal(15, 2, N_PROT)
    clin, prot = [], []
    for i, pid in enumerate(pids):
        last = rng.choice([24, 36, 48, 60], p=[0.15, 0.25, 0.3, 0.3])
        med_start = rng.choice([1e9, rng.randint(0, 5) * 12])
        for m in range(0, last + 1, 6):
            if m > 0 and rng.rand() < 0.12:
                continue  # missed visit
            on_med = m >= med_start
            state = sev[i] + rate[i] * m / 12.0
            row = {"patient_id": pid, "visit_month": m}
            for k in range(3):
                v = SCALE[k, 0] * state + (SCALE[k, 1] - 1) * rate[i] * m / 12.0 * 0.3
                v = v * (0.8 if (on_med and k == 2) else 1.0) + rng.normal(0, 0.8 + 0.1 * v)
                row["updrs_%d" % (k + 1)] = max(0, int(round(v)))
            row["on_medication"] = "On" if on_med else "Off"
            clin.append(row)
            if rng.rand() < 0.6:
                p = prot_base + prot_w_sev * state + prot_w_rate * rate[i] + rng.normal(0, 0.35, N_PROT)
                prot.append(dict(patient_id=pid, visit_month=m, **{"P%02d" % j: round(p[j], 3) for j in range(N_PROT)}))
    clin, prot = pd.DataFrame(clin), pd.DataFrame(prot)

    test_p = set(rng.choice(pids, size=N_TEST, replace=False))
    is_test_c, is_test_p = clin.patient_id.isin(test_p), prot.patient_id.isin(test_p)
    # test patients: keep visits up to a cut month, forecast from the last kept visit
    keep, targets = [], []
    for pid in sorted(test_p):
        c = clin[clin.patient_id == pid]
        months = c.visit_month.values
        cut = rng.choice([m for m in months if m <= max(months) - 12] or [months[0]])
        obs = c[c.visit_month <= cut]
        keep.append(obs)
        for h in HORIZONS:
            fut = c[c.visit_month == cut + h]
            if len(fut):
                for k in range(1, 4):
                    targets.append({"prediction_id": "%d_%d_updrs_%d_plus_%d_months" % (pid, cut, k, h),
                                    "patient_id": pid, "visit_month": cut, "target": "updrs_%d" % k,
                                    "horizon": h, "rating": int(fut["updrs_%d" % k].iloc[0])})
    test_obs = pd.concat(keep)
    targets = pd.DataFrame(targets)
    tp = prot[is_test_p].merge(test_obs[["patient_id", "visit_month"]], on=["patient_id", "visit_month"])

    d = os.path.join(public, "data")
    os.makedirs(d, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    clin[~is_test_c].to_csv(os.path.join(d, "train_clinical.csv"), index=False)
    prot[~is_test_p].to_csv(os.path.join(d, "train_proteins.csv"), index=False)
    test_obs.to_csv(os.path.join(d, "test_clinical.csv"), index=False)
    tp.to_csv(os.path.join(d, "test_proteins.csv"), index=False)
    targets.drop(columns="rating").to_csv(os.path.join(d, "test_targets.csv"), index=False)
    targets[["prediction_id", "rating"]].to_csv(os.path.join(hidden, "test_answers.csv"), index=False)


if __name__ == "__main__":
    main()
