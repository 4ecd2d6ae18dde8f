"""Baseline for the digits task: train a classifier on data/train.csv,
report validation accuracy, and write predictions for data/test.csv
to submission.csv (columns: id,label)."""
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.metrics import accuracy_score
from sklearn.tree import DecisionTreeClassifier

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
features = [c for c in train.columns if c.startswith("px")]

X = train[features].values
y = train["label"].values
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

model = DecisionTreeClassifier(max_depth=4, random_state=0)
model.fit(X_tr, y_tr)
print("validation accuracy: %.4f" % accuracy_score(y_val, model.predict(X_val)))

# refit on all training data and predict the test set
model.fit(X, y)
submission = pd.DataFrame({"id": test["id"], "label": model.predict(test[features].values)})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
