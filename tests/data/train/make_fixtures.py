#!/usr/bin/python3
"""Fixtures of the train tests (run with /usr/bin/python3; outputs are committed next to this script).

- tokenizer/vocab.json + merges.txt: a GPT-2 byte-level BPE vocabulary with the 256 byte symbols
  (GPT-2's bytes_to_unicode order) and <|endoftext|> = 256, no merges: a character-level tokenizer that
  any GPT-2 BPE implementation must read, small enough for a tiny model (vocab 257).
- corpus.txt: small repetitive English (a tiny grammar, fixed seed), documents separated by blank lines,
  so that a tiny model can learn it within a few hundred steps.
"""
import json
import os
import random

here = os.path.dirname(os.path.abspath(__file__))


def bytes_to_unicode():
    # As in OpenAI's encoder.py.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer():
    folder = os.path.join(here, "tokenizer")
    os.makedirs(folder, exist_ok=True)
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    vocab["<|endoftext|>"] = 256
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")


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
    write_tokenizer()
    write_corpus()
