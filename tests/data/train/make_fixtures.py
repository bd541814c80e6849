#!/usr/bin/python3
"""Fixtures of the train tests (run with /usr/bin/python3; outputs are committed next to this script).

- corpus.txt: small repetitive English (a tiny grammar, fixed seed), documents separated by blank lines,
  so that a tiny model can learn it within a few hundred steps.
"""
import os
import random

here = os.path.dirname(os.path.abspath(__file__))


def write_corpus():
    rng = random.Random(1234)
    subjects = ["the cat", "a dog", "the bird", "my friend", "the teacher"]
    verbs = ["sees", "likes", "finds", "follows", "helps"]
    objects = ["the ball", "a tree", "the river", "an apple", "the house"]
    documents = []
    for _ in range(120):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            sentences.append(f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}.")
        documents.append(" ".join(sentences).capitalize())
    with open(os.path.join(here, "corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n\n".join(documents) + "\n")


if __name__ == "__main__":
    write_corpus()
