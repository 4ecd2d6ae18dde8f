"""Baseline for the citation-graph task: predict the subject area (0-9) of each
paper. Uses only each paper's own features; the citation graph in
data/edges.csv is not used yet. Writes submission.csv (id,label)."""
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

nodes = pd.read_csv("data/nodes.csv")          # id, f0..f39 for every paper
edges = pd.read_csv("data/edges.csv")          # src, dst: undirected citation links
train = pd.read_csv("data/train_labels.csv")   # id, label
test = pd.read_csv("data/test_ids.csv")        # id

features = [c for c in nodes.columns if c.startswith("f")]
feat = nodes.set_index("id")[features]
X = feat.loc[train["id"]].values
y = train["label"].values
X_test = feat.loc[test["id"]].values
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

model = LogisticRegression(max_iter=500)
model.fit(X_tr, y_tr)
print("validation accuracy: %.4f" % accuracy_score(y_val, model.predict(X_val)))

model.fit(X, y)
submission = pd.DataFrame({"id": test["id"], "label": model.predict(X_test)})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
