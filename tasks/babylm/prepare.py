"""Build the babylm task: a small corpus of children's stories from a seeded
probabilistic grammar (characters keep their names and pronouns within a
story, verbs agree with their subjects, dialogue is quoted, some phrases
recur), split into train / valid (public) and test (hidden).

usage: prepare.py PUBLIC_DIR HIDDEN_DIR   (env MLAB_TASK_SEED, default 0)
PUBLIC_DIR/data/train.txt   ~600k characters, stories separated by blank lines
PUBLIC_DIR/data/valid.txt   ~40k characters
PUBLIC_DIR/data/vocab.txt   the character vocabulary (one line: all characters, sorted; newline is the first)
HIDDEN_DIR/test.txt         ~25k characters
"""
import os
import sys

import numpy as np

GIRLS = "Anna Lily Mia Rosa Zoe Ella Nora Ruby Ivy Maya".split()
BOYS = "Ben Tom Max Leo Sam Finn Jack Omar Theo Noah".split()
ANIMALS = [("cat", "cats"), ("dog", "dogs"), ("bird", "birds"), ("fox", "foxes"), ("rabbit", "rabbits"),
           ("mouse", "mice"), ("frog", "frogs"), ("duck", "ducks"), ("bear", "bears"), ("horse", "horses")]
THINGS = [("ball", "balls"), ("kite", "kites"), ("box", "boxes"), ("apple", "apples"), ("book", "books"),
          ("hat", "hats"), ("boat", "boats"), ("cake", "cakes"), ("drum", "drums"), ("key", "keys")]
PLACES = "the park|the garden|the river|the forest|the beach|the market|the hill|the school|the farm|the old house".split("|")
ADJ = "big small red blue happy sad little old shiny funny quiet brave green soft".split()
# verb: (3sg present, plural present, past)
VERBS_T = [("finds", "find", "found"), ("sees", "see", "saw"), ("likes", "like", "liked"),
           ("takes", "take", "took"), ("wants", "want", "wanted"), ("loses", "lose", "lost"),
           ("makes", "make", "made"), ("carries", "carry", "carried")]
VERBS_I = [("runs", "run", "ran"), ("jumps", "jump", "jumped"), ("sleeps", "sleep", "slept"),
           ("sings", "sing", "sang"), ("laughs", "laugh", "laughed"), ("hides", "hide", "hid")]
TIMES = ["One day", "In the morning", "After lunch", "That night", "On Sunday", "Later", "Then", "Soon"]
FEEL = "happy sad tired hungry scared excited".split()


class Story:
    def __init__(self, rng):
        self.rng = rng
        g = rng.rand() < 0.5
        self.hero = rng.choice(GIRLS if g else BOYS)
        self.pro, self.pos, self.obj = ("she", "her", "her") if g else ("he", "his", "him")
        self.friend = rng.choice([n for n in (BOYS if g else GIRLS)])
        self.pet = ANIMALS[rng.randint(len(ANIMALS))]
        self.pet_name = rng.choice(["Pip", "Coco", "Biscuit", "Momo", "Sunny", "Bolt"])
        self.thing = THINGS[rng.randint(len(THINGS))]
        self.adj = rng.choice(ADJ)
        self.place = rng.choice(PLACES)

    def c(self, xs):
        return xs[self.rng.randint(len(xs))]

    def np_(self, plural=None):
        r = self.rng
        if plural is None:
            plural = r.rand() < 0.3
        if r.rand() < 0.5:
            n = self.c(ANIMALS)
        else:
            n = self.c(THINGS)
        adj = (self.c(ADJ) + " ") if r.rand() < 0.5 else ""
        if plural:
            return "%s %s%s" % (self.c(["two", "three", "some", "many"]), adj, n[1]), True
        art = "an" if (adj or n[0])[0] in "aeiou" else "a"
        return "%s %s%s" % (art, adj, n[0]), False

    def subj(self):
        r = self.rng.rand()
        if r < 0.35:
            return self.hero, False
        if r < 0.5:
            return self.pro, False
        if r < 0.65:
            return "%s and %s" % (self.hero, self.friend), True
        if r < 0.8:
            return self.pet_name, False
        if r < 0.9:
            return "the %s" % self.pet[0], False
        return "the %s" % self.pet[1], True

    def clause(self, tense):
        s, pl = self.subj()
        vi = 2 if tense == "past" else (1 if pl else 0)
        if self.rng.rand() < 0.6:
            v = self.c(VERBS_T)[vi]
            o = self.c([self.np_()[0], "the %s %s" % (self.adj, self.thing[0]), "%s %s" % (self.pos, self.thing[0])])
            out = "%s %s %s" % (s, v, o)
        else:
            v = self.c(VERBS_I)[vi]
            out = "%s %s" % (s, v)
            if self.rng.rand() < 0.5:
                out += " in " + self.c([self.place] + PLACES)
        return out

    def sentence(self):
        r = self.rng.rand()
        if r < 0.15:
            return "%s, %s." % (self.c(TIMES), self.clause("past"))
        if r < 0.3:
            say = self.c(["said", "asked", "shouted", "whispered"])
            q = say == "asked"
            speech = self.c(["where is my %s" % self.thing[0], "can we go to %s" % self.place,
                             "do you like the %s" % self.pet[0], "I want %s" % self.np_()[0],
                             "look at the %s %s" % (self.adj, self.thing[0]), "%s is so %s" % (self.pet_name, self.c(FEEL))])
            speech = speech[0].upper() + speech[1:] + ("?" if q or speech.startswith(("where", "can", "do")) else "!")
            who = self.c([self.hero, self.friend, self.pro])
            return '"%s" %s %s.' % (speech, who, say)
        if r < 0.45:
            return "%s was %s because %s." % (self.c([self.hero, self.pro, self.friend]), self.c(FEEL), self.clause("past"))
        if r < 0.55:
            return "%s and %s went to %s." % (self.hero, self.friend, self.c([self.place, self.place, self.c(PLACES)]))
        if r < 0.65:
            n = self.rng.randint(2, 10)
            return "There were %d %s in %s." % (n, self.c(ANIMALS + THINGS)[1], self.place)
        return self.clause("past") + "."

    def text(self):
        head = "%s had %s %s %s called %s. %s loved %s %s %s." % (
            self.hero, "an" if self.adj[0] in "aeiou" else "a", self.adj, self.pet[0], self.pet_name, self.pro.capitalize(), self.pos,
            self.adj, self.thing[0])
        n = self.rng.randint(4, 11)
        body = []
        for _ in range(n):
            s = self.sentence()
            body.append(s[0].upper() + s[1:])
        tail = self.c(["The end.", "%s was %s. The end." % (self.hero, self.c(FEEL)),
                       "They went home to %s." % self.place, "And %s never lost %s %s again." % (self.pro, self.pos, self.thing[0])])
        return " ".join([head] + body + [tail[0].upper() + tail[1:]])


def corpus(rng, n_chars):
    out, total = [], 0
    while total < n_chars:
        t = Story(rng).text()
        out.append(t)
        total += len(t) + 2
    return "\n\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py PUBLIC_DIR HIDDEN_DIR")
    public, hidden = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("MLAB_TASK_SEED", "0"))
    rng = np.random.RandomState(seed)
    train, valid, test = corpus(rng, 600000), corpus(rng, 40000), corpus(rng, 25000)
    vocab = sorted(set(train) | set(valid) | set(test))
    d = os.path.join(public, "data")
    os.makedirs(d, exist_ok=True)
    os.makedirs(hidden, exist_ok=True)
    for name, txt in [("train.txt", train), ("valid.txt", valid)]:
        with open(os.path.join(d, name), "w") as fh:
            fh.write(txt)
    with open(os.path.join(d, "vocab.txt"), "w") as fh:
        fh.write("".join(vocab))
    with open(os.path.join(hidden, "test.txt"), "w") as fh:
        fh.write(test)


if __name__ == "__main__":
    main()
