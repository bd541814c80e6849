#!/usr/bin/python3
"""Reference values for tests/eval/tst_rouge.cpp: ROUGE-1 and ROUGE-L as Google's rouge-score computes them.

rouge-score itself is not installed here, so its logic (rouge_score/tokenize.py and rouge_scorer.py) is
re-implemented below in a few lines, with NLTK's PorterStemmer() in its default NLTK_EXTENSIONS mode, which
is what rouge-score constructs. Needs python3-nltk (Debian bookworm: NLTK 3.8).
Writes rouge_reference.json next to this script:
  {"stems": {word: stem}, "pairs": [{"target", "prediction", "stem": bool, "rouge1": [P,R,F], "rougeL": [P,R,F]}]}
Run: /usr/bin/python3 tests/data/eval/make_rouge_reference.py
"""
import json
import os
import random
import re

import nltk
from nltk.stem import porter

HERE = os.path.dirname(os.path.abspath(__file__))
STEMMER = porter.PorterStemmer()
assert STEMMER.mode == porter.PorterStemmer.NLTK_EXTENSIONS


def tokenize(text, use_stemmer):
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    tokens = re.split(r"\s+", text)
    if use_stemmer:
        tokens = [STEMMER.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if re.match(r"^[a-z0-9]+$", x)]


def fmeasure(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def rouge1(target, prediction):
    # Counter intersection written out with dicts.
    t, p = {}, {}
    for x in target:
        t[x] = t.get(x, 0) + 1
    for x in prediction:
        p[x] = p.get(x, 0) + 1
    overlap = sum(min(c, p.get(w, 0)) for w, c in t.items())
    prec = overlap / max(len(prediction), 1)
    rec = overlap / max(len(target), 1)
    return [prec, rec, fmeasure(prec, rec)]


def rougeL(target, prediction):
    if not target or not prediction:
        return [0.0, 0.0, 0.0]
    # Full LCS table, as rouge_scorer._lcs_table builds it.
    table = [[0] * (len(prediction) + 1) for _ in range(len(target) + 1)]
    for i in range(1, len(target) + 1):
        for j in range(1, len(prediction) + 1):
            if target[i - 1] == prediction[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    lcs = table[-1][-1]
    prec, rec = lcs / len(prediction), lcs / len(target)
    return [prec, rec, fmeasure(prec, rec)]


# Porter's own examples from the paper, NLTK's irregular forms and departures, and words exercising each rule.
CLASSIC = """caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized
hopping tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci
hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization predication operator
feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative
formalize electriciti electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable
defensible irritant replacement adjustment dependent adoption homologou communism activate angulariti
homologous effective bowdlerize probate rate cease controll roll generalizations oscillators running runs
ran dying lying tying news innings outings cannings howe proceed exceed succeed skies flies dies spied died
enjoy enjoyment spy fly try generously fully hopefully logically analogi archaeology theology geology
meetings mating matting meeting milling messing disabled agreed eed bleed speed dogs is as us this these
international nationally rationally optionally traditionally generational sensational ii iii iv 1990s
covid19 gpt2 abcdefgh yyyy syzygy toy trees ivy troubles private oaten orrery are eve ice ore use""".split()


def vocabulary():
    words = list(CLASSIC)
    for path in ("/usr/share/common-licenses/GPL-3",):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                words += tokenize(f.read(), False)
    seen, out = set(), []
    for w in words:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def main():
    words = vocabulary()
    stems = {w: STEMMER.stem(w) for w in words}

    crafted = [
        ("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log."),
        ("the cat sat on the mat", "the cat was sitting on the mat"),
        ("Running runners ran; the runner runs!", "run, RUNNING, runs... ran"),
        ("", "anything at all"),
        ("anything at all", ""),
        ("", ""),
        ("!!! ??? ...", "words here"),
        ("İstanbul in 1990s, 5K runs at 300 K", "istanbul 1990s 5k runs 300k"),
        ("naïve café — déjà vu", "naive cafe deja vu"),
        ("the the the the", "the the"),
        ("a b c d e f", "f e d c b a"),
        ("hopefulness and happiness", "hopeful and happy"),
        ("generalizations of oscillators", "generalization oscillator"),
        ("tab\tseparated\nnew-lines\r\nand_underscores", "tab separated new lines and underscores"),
    ]
    rng = random.Random(2023)
    pool = [w for w in words if len(w) > 1][:400]
    random_pairs = []
    for _ in range(40):
        small = rng.sample(pool, 12)
        t = " ".join(rng.choice(small) for _ in range(rng.randint(0, 30)))
        p = " ".join(rng.choice(small) for _ in range(rng.randint(0, 30)))
        random_pairs.append((t.capitalize() + ".", p.upper() if rng.random() < 0.2 else p))

    pairs = []
    for target, prediction in crafted + random_pairs:
        for use_stemmer in (False, True):
            tt, pt = tokenize(target, use_stemmer), tokenize(prediction, use_stemmer)
            pairs.append({"target": target, "prediction": prediction, "stem": use_stemmer,
                          "rouge1": rouge1(tt, pt), "rougeL": rougeL(tt, pt)})

    out = {"nltk_version": nltk.__version__, "stems": stems, "pairs": pairs}
    with open(os.path.join(HERE, "rouge_reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0, sort_keys=True)
    print(f"{len(stems)} stems, {len(pairs)} pairs")


if __name__ == "__main__":
    main()
