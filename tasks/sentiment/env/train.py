"""Baseline for the sentiment task: classify movie reviews as positive (1) or
negative (0). Reads data/train.csv (id,text,label) and data/test.csv (id,text),
reports validation accuracy and writes submission.csv (id,label)."""
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")

# features: counts of the 500 most frequent words and word pairs
vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=5, max_features=500)
X = vectorizer.fit_transform(train["text"]).toarray()
X_test = vectorizer.transform(test["text"]).toarray()
y = train["label"].values
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)

model = DecisionTreeClassifier(max_depth=6, random_state=0)
model.fit(X_tr, y_tr)
print("validation accuracy: %.4f" % accuracy_score(y_val, model.predict(X_val)))

model.fit(X, y)
submission = pd.DataFrame({"id": test["id"], "label": model.predict(X_test)})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
