"""Train the character-level language model: count character trigrams in
data/train.txt, save them to model.npz (loaded by lm.py), and report the
validation bits per character on data/valid.txt."""
import numpy as np

from lm import LM, load_vocab

vocab = load_vocab()
index = {c: i for i, c in enumerate(vocab)}
V = len(vocab)

counts = np.zeros((V, V, V))
for story in open("data/train.txt").read().split("\n\n"):
    story = "\n\n" + story.strip("\n") + "\n"     # two start symbols, newline ends the story
    ids = np.array([index[c] for c in story])
    np.add.at(counts, (ids[:-2], ids[1:-1], ids[2:]), 1)
np.savez("model.npz", counts=counts, add_k=1.0)


def bits_per_char(lm, text):
    """Score each story separately: the context is the story so far."""
    total, n = 0.0, 0
    for story in text.split("\n\n"):
        story = story.strip("\n") + "\n"
        for i, c in enumerate(story):
            total -= np.log2(max(lm.probs(story[:i])[index[c]], 1e-12))
            n += 1
    return total / n


lm = LM(".")
print("validation bpc: %.4f" % bits_per_char(lm, open("data/valid.txt").read()))
