"""Build the sentiment task: synthetic movie reviews with a planted sentiment signal.

A seeded generator composes reviews from word lists. Each review has a latent
opinion; sentences carry sentiment words whose polarity depends on the opinion,
often negated ("not great" is negative), sometimes contrastive ("I expected a
masterpiece but it was dull": the clause after "but" counts), plus lots of
neutral plot talk. Labels carry 4% noise. Bag-of-words with bigrams does well;
frequent-word counts do not.

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.csv  id,text,label   (label 1 = positive, 0 = negative)
PUBLIC_DIR/data/test.csv   id,text
HIDDEN_DIR/test_labels.csv id,label
"""
import os
import sys

import numpy as np
import pandas as pd

POS = ("great good superb wonderful brilliant moving delightful charming gripping "
       "stunning beautiful clever funny hilarious touching masterful excellent "
       "fantastic memorable engaging thrilling heartfelt witty elegant powerful "
       "inventive gorgeous riveting satisfying fresh lovely").split()
NEG = ("bad awful terrible boring dull tedious clumsy bland lifeless predictable "
       "messy forgettable weak shallow pointless silly painful dreadful lazy "
       "incoherent tiresome flat hollow stale annoying mediocre sloppy cheap "
       "overlong unwatchable").split()
NOUNS = ("film movie story plot script cast acting direction soundtrack ending "
         "dialogue pacing camera work lead performance villain hero score editing "
         "cinematography twist finale opening screenplay characters effects").split()
NEUTRAL = ("the a this that it was is of and in on with for as to by from at "
           "then later after before while during when where there here one two "
           "first second scene scenes minute minutes hour year city house family "
           "friend brother sister mother father town night day road car train war "
           "school office island journey secret letter money detective doctor "
           "teacher soldier king queen ship dog").split()
OPENERS = ["I watched this {n} last night.", "Saw it at the cinema with my {f}.",
           "This {n} came out in {y}.", "My {f} recommended this {n}.",
           "I went in knowing nothing about it.", "It is a {g} set in a small {p}."]
GENRES = "drama comedy thriller western romance horror musical documentary mystery".split()
PLACES = "town city village island house school ship".split()
FRIENDS = "brother sister friend mother father wife husband cousin".split()


def plot_sentence(rng):
    k = rng.randint(6, 14)
    return " ".join(rng.choice(NEUTRAL, size=k)).capitalize() + "."


def word(rng, pol):
    lst = POS if pol > 0 else NEG
    # Zipf-like: a few words are common, most are rare
    w = 1.0 / np.arange(1, len(lst) + 1) ** 0.9
    return lst[rng.choice(len(lst), p=w / w.sum())]


def opinion_sentence(rng, pol):
    """A sentence expressing polarity pol (+1/-1), in one of several forms."""
    n = rng.choice(NOUNS)
    r = rng.rand()
    if r < 0.35:
        return "The %s was %s." % (n, word(rng, pol))
    if r < 0.6:   # negated opposite: "not bad" expresses mild positive
        return "The %s was not %s at all." % (n, word(rng, -pol)) if rng.rand() < 0.5 else \
               "Honestly the %s is not %s." % (n, word(rng, -pol))
    if r < 0.8:   # contrast: the second clause wins
        return "I expected the %s to be %s but it was %s." % (n, word(rng, -pol), word(rng, pol))
    if r < 0.9:
        return "What a %s %s." % (word(rng, pol), n)
    return "Some say the %s is %s, I disagree." % (n, word(rng, -pol))


def review(rng):
    pos = rng.rand() < 0.5
    pol = 1 if pos else -1
    sents = [rng.choice(OPENERS).format(n=rng.choice(NOUNS), f=rng.choice(FRIENDS),
                                        y=rng.randint(1950, 2023), g=rng.choice(GENRES),
                                        p=rng.choice(PLACES))]
    n_op = rng.randint(2, 6)
    n_contra = rng.binomial(n_op - 1, 0.3)  # a few sentences point the other way
    pols = [pol] * (n_op - n_contra) + [-pol] * n_contra
    rng.shuffle(pols)
    body = [opinion_sentence(rng, p) for p in pols] + [plot_sentence(rng) for _ in range(rng.randint(2, 7))]
    rng.shuffle(body)
    verdict = rng.rand()
    if verdict < 0.2:
        body.append("Overall %s." % ("recommended" if pos else "not recommended"))
    text = " ".join(sents + body)
    label = int(pos)
    if rng.rand() < 0.04:
        label = 1 - label
    return text, label


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    n_train, n_test = 6000, 4000
    rows = [review(rng) for _ in range(n_train + n_test)]
    ids = rng.permutation(n_train + n_test) + 1
    df = pd.DataFrame(rows, columns=["text", "label"])
    df.insert(0, "id", ids)
    os.makedirs(os.path.join(public, "data"), exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    df.iloc[:n_train].to_csv(os.path.join(public, "data", "train.csv"), index=False)
    df.iloc[n_train:][["id", "text"]].to_csv(os.path.join(public, "data", "test.csv"), index=False)
    df.iloc[n_train:][["id", "label"]].to_csv(os.path.join(hidden, "test_labels.csv"), index=False)


if __name__ == "__main__":
    main()
