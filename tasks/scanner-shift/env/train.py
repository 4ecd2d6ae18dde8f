"""Baseline for the scanner-shift task: train a digit classifier on the clean
images in data/train.csv, report validation accuracy on held-out clean images,
and write predictions for the new-scanner images in data/test.csv to
submission.csv (id,label)."""
import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
features = [c for c in train.columns if c.startswith("px")]

X = train[features].values.astype(float)
y = train["label"].values
X_test = test[features].values.astype(float)
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

model = SVC(C=10)
model.fit(X_tr, y_tr)
print("validation accuracy: %.4f" % accuracy_score(y_val, model.predict(X_val)))

model.fit(X, y)
submission = pd.DataFrame({"id": test["id"], "label": model.predict(X_test)})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
