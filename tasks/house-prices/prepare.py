"""Build the house-prices task (Kaggle "House Prices"-style regression).

A seeded generator draws houses with numeric, ordinal and categorical
attributes and missing values that mean something (no garage -> GarageType
missing) or nothing (LotFrontage not recorded). log(SalePrice) depends on size,
quality (non-linearly, and interacting with size), age and remodelling,
neighbourhood, kitchen/basement quality, garage, air conditioning and sale
condition, plus noise; a few partial sales of huge houses are underpriced.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.csv  Id, <features>, SalePrice   (1460 houses)
PUBLIC_DIR/data/test.csv   Id, <features>              (1459 houses)
HIDDEN_DIR/test_prices.csv Id, SalePrice
"""
import os
import sys

import numpy as np
import pandas as pd

NEIGH = ["NAmes", "CollgCr", "OldTown", "Edwards", "Somerst", "Gilbert", "NridgHt",
         "Sawyer", "NWAmes", "SawyerW", "BrkSide", "Crawfor", "Mitchel", "NoRidge",
         "Timber", "IDOTRR", "ClearCr", "StoneBr", "SWISU", "MeadowV"]
QUAL = ["Po", "Fa", "TA", "Gd", "Ex"]


def make(rng, n):
    nb_eff = rng.normal(0, 0.18, size=len(NEIGH))
    nb_eff = nb_eff - nb_eff.mean()
    nb_p = rng.dirichlet(np.full(len(NEIGH), 2.0))
    nb = rng.choice(len(NEIGH), size=n, p=nb_p)
    # neighbourhood shifts quality and age a bit (richer areas, newer houses)
    qual = np.clip(np.round(rng.normal(6 + 3 * nb_eff[nb], 1.3)), 1, 10).astype(int)
    cond = np.clip(np.round(rng.normal(5.6, 1.1, n)), 1, 9).astype(int)
    yr_sold = rng.randint(2006, 2011, size=n)
    year_built = np.clip((2010 - rng.gamma(2.0, 18, n) + 40 * nb_eff[nb]).astype(int), 1872, 2010)
    year_built = np.minimum(year_built, yr_sold)
    remod = np.where(rng.rand(n) < 0.45, rng.randint(0, 60, n) + year_built, year_built)
    remod = np.minimum(remod, yr_sold)
    liv = np.exp(rng.normal(np.log(1400) + 0.08 * (qual - 6), 0.3)).round()
    lot_area = np.exp(rng.normal(np.log(9000) + 0.5 * np.log(liv / 1400), 0.45)).round()
    frontage = np.sqrt(lot_area) * rng.uniform(0.5, 0.9, n)
    bsmt = np.where(rng.rand(n) < 0.06, 0, (liv * rng.uniform(0.5, 1.1, n)).round())
    bsmt_q = np.clip(np.round(rng.normal(2 + 0.35 * (qual - 5), 0.7)), 1, 4).astype(int)
    kit_q = np.clip(np.round(rng.normal(2 + 0.4 * (qual - 5), 0.6)), 1, 4).astype(int)
    full_bath = np.clip(np.round(liv / 900 + rng.normal(0, 0.4, n)), 0, 4).astype(int)
    half_bath = (rng.rand(n) < 0.35).astype(int)
    bed = np.clip(np.round(liv / 500 + rng.normal(0, 0.6, n)), 0, 8).astype(int)
    fire = rng.choice([0, 1, 2], size=n, p=[0.47, 0.45, 0.08])
    fire_q = np.where(fire > 0, np.clip(np.round(rng.normal(2.5, 0.7, n)), 1, 4), -1).astype(int)
    has_gar = rng.rand(n) > 0.055
    gar_cars = np.where(has_gar, np.clip(np.round(rng.normal(1.2 + 0.25 * (qual - 5), 0.6)), 1, 4), 0).astype(int)
    gar_type = np.where(has_gar, rng.choice(["Attchd", "Detchd", "BuiltIn", "CarPort"], n, p=[0.62, 0.28, 0.08, 0.02]), None)
    gar_yr = np.where(has_gar, np.minimum(year_built + (rng.rand(n) < 0.2) * rng.randint(0, 30, n), yr_sold), np.nan)
    air = np.where(rng.rand(n) < 0.07 + 0.2 * (year_built < 1940), "N", "Y")
    cond_sale = rng.choice(["Normal", "Abnorml", "Partial", "Family", "Alloca"], n, p=[0.82, 0.07, 0.08, 0.02, 0.01])
    cond_sale = np.where(year_built >= yr_sold - 1, np.where(rng.rand(n) < 0.7, "Partial", cond_sale), cond_sale)
    zoning = rng.choice(["RL", "RM", "FV", "RH", "C (all)"], n, p=[0.79, 0.15, 0.045, 0.01, 0.005])
    bldg = rng.choice(["1Fam", "TwnhsE", "Duplex", "Twnhs", "2fmCon"], n, p=[0.83, 0.08, 0.04, 0.03, 0.02])
    style = rng.choice(["1Story", "2Story", "1.5Fin", "SLvl", "SFoyer"], n, p=[0.5, 0.3, 0.1, 0.06, 0.04])
    pool = np.where(rng.rand(n) < 0.005, rng.randint(300, 700, n), 0)
    mo = rng.randint(1, 13, n)

    age = yr_sold - year_built
    since_remod = yr_sold - remod
    logp = (12.0
            + 0.55 * np.log(liv / 1400)
            + 0.075 * (qual - 6) + 0.012 * (qual - 6) ** 2
            + 0.10 * (qual >= 8) * np.log(liv / 1400)          # size is worth more in good houses
            + 0.04 * (cond - 5)
            - 0.0035 * age + 0.000015 * age ** 2
            - 0.0015 * np.minimum(since_remod, 40)
            + 1.3 * nb_eff[nb]
            + 0.09 * np.log1p(bsmt) / np.log(1500) + 0.03 * (bsmt_q - 2) * (bsmt > 0)
            + 0.045 * (kit_q - 2)
            + 0.035 * fire.clip(0, 1) + 0.01 * np.maximum(fire_q, 0)
            + 0.045 * gar_cars - 0.06 * (~has_gar)
            + 0.06 * np.log(lot_area / 9000)
            + 0.025 * full_bath + 0.015 * half_bath - 0.01 * np.maximum(bed - 3, 0)
            - 0.12 * (air == "N")
            + np.select([cond_sale == "Abnorml", cond_sale == "Partial", cond_sale == "Family"], [-0.09, 0.07, -0.05], 0)
            - 0.15 * (zoning == "C (all)") + 0.05 * (zoning == "FV")
            - 0.05 * np.isin(bldg, ["Duplex", "2fmCon"])
            + rng.normal(0, 0.075, n))
    # a few huge partial sales far below what their size suggests
    odd = (liv > np.quantile(liv, 0.995)) & (rng.rand(n) < 0.5)
    logp = np.where(odd, logp - 0.9, logp)
    price = np.round(np.exp(logp) / 100) * 100

    def q(v):
        return np.array([QUAL[i] if i >= 0 else None for i in v], dtype=object)

    df = pd.DataFrame({
        "MSZoning": zoning, "LotFrontage": np.round(frontage), "LotArea": lot_area.astype(int),
        "Neighborhood": np.array(NEIGH)[nb], "BldgType": bldg, "HouseStyle": style,
        "OverallQual": qual, "OverallCond": cond, "YearBuilt": year_built, "YearRemodAdd": remod,
        "TotalBsmtSF": bsmt.astype(int), "BsmtQual": np.where(bsmt > 0, q(bsmt_q), None),
        "GrLivArea": liv.astype(int), "FullBath": full_bath, "HalfBath": half_bath,
        "BedroomAbvGr": bed, "KitchenQual": q(kit_q), "Fireplaces": fire, "FireplaceQu": q(fire_q),
        "GarageType": gar_type, "GarageYrBlt": gar_yr, "GarageCars": gar_cars,
        "CentralAir": air, "PoolArea": pool, "MoSold": mo, "YrSold": yr_sold,
        "SaleCondition": cond_sale, "SalePrice": price.astype(int)})
    # values that were simply not recorded
    df.loc[rng.rand(n) < 0.18, "LotFrontage"] = np.nan
    df.loc[rng.rand(n) < 0.01, "KitchenQual"] = None
    df.loc[rng.rand(n) < 0.004, "MSZoning"] = None
    return df


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    n_train, n_test = 1460, 1459
    df = make(rng, n_train + n_test)
    df.insert(0, "Id", np.arange(1, len(df) + 1))
    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    df.iloc[:n_train].to_csv(os.path.join(public, "data", "train.csv"), index=False)
    df.iloc[n_train:].drop(columns="SalePrice").to_csv(os.path.join(public, "data", "test.csv"), index=False)
    df.iloc[n_train:][["Id", "SalePrice"]].to_csv(os.path.join(hidden, "test_prices.csv"), index=False)


if __name__ == "__main__":
    main()
