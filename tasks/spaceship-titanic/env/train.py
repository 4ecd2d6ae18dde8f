"""Baseline for the spaceship-titanic task: predict whether each passenger was
transported. One-hot encodes a few categorical columns and fits a logistic
regression. Writes submission.csv (PassengerId,Transported)."""
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")


def features(df):
    d = df.copy()
    d[["Deck", "Num", "Side"]] = d["Cabin"].str.split("/", expand=True)
    cols = ["HomePlanet", "CryoSleep", "Destination", "VIP", "Deck", "Side"]
    return pd.get_dummies(d[cols].astype(str))   # missing values become a 'nan' category


X_df = features(train)
X = X_df.values.astype(float)
X_test = features(test).reindex(columns=X_df.columns, fill_value=0).values.astype(float)
y = train["Transported"].astype(bool).values
X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.2, random_state=0)

model = LogisticRegression(max_iter=200)
model.fit(X_tr, y_tr)
print("validation accuracy: %.4f" % accuracy_score(y_val, model.predict(X_val)))

model.fit(X, y)
submission = pd.DataFrame({"PassengerId": test["PassengerId"], "Transported": model.predict(X_test)})
submission.to_csv("submission.csv", index=False)
print("wrote submission.csv (%d rows)" % len(submission))
