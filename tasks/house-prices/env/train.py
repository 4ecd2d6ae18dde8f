"""Baseline for the house-prices task: predict SalePrice for data/test.csv.
Uses the numeric columns only (missing values filled with the training median)
and a regression tree on log(SalePrice). Writes submission.csv (Id,SalePrice)."""
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeRegressor

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")

features = [c for c in train.columns
            if c not in ("Id", "SalePrice") and train[c].dtype != object]
medians = train[features].median()
X = train[features].fillna(medians).values
X_test = test[features].fillna(medians).values
y = np.log(train["SalePrice"].values)
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0)

model = DecisionTreeRegressor(max_depth=5, random_state=0)
model.fit(X_tr, y_tr)
rmse = np.sqrt(np.mean((model.predict(X_val) - y_val) ** 2))
print("validation rmse: %.4f" % rmse)

model.fit(X, y)
submission = pd.DataFrame({"Id": test["Id"], "SalePrice": np.exp(model.predict(X_test))})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
