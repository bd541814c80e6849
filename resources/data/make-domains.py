#!/usr/bin/python3
"""Writes resources/data/domains/: six fine-tuning corpora of different domains for `emo experiment domains`.

    /usr/bin/python3 resources/data/make-domains.py

Made only from the files make-corpora.py wrote beside it (no package is needed, deterministic):
  austen, melville, handbook, jargon   the held-out documents (validation + test) of each pretraining source,
                                       which no pretraining run has trained on: in-domain text, as WikiText
                                       or WebText are for GPT-2
  kjv                                  finetune/*.txt (the KJV New Testament): a domain the pretraining never saw
  fortunes                             the texts of topics/*.jsonl (fortune cookies): short texts, as AG News
Documents are paragraphs (one line each); in the four books and the New Testament a short paragraph is joined
to the next ones of its document until it has at least MIN_WORDS words (a verse is not a document). Per
domain, documents are ordered by SHA-256 of their text; the first 10 % go to test, the next 10 % to
validation, the rest to train (see split() for the caps).
"""
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "domains")
MIN_WORDS = 40
MAX_TEST, MAX_VALIDATION, MAX_TRAIN = 100, 60, 600
# pretrain/{validation,test}.txt hold each source's documents in this order and number (PROVENANCE.md).
PRETRAIN_SOURCES = [("austen", 13), ("melville", 7), ("handbook", 6), ("jargon", 88)]


def read_documents(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in f.read().split("\n\n") if d.strip()]


def paragraphs(document, min_words):
    out, pending = [], []
    for line in document.split("\n"):
        words = line.split()
        if not words:
            continue
        pending.append(" ".join(words))
        if sum(len(p.split()) for p in pending) >= min_words:
            out.append(" ".join(pending))
            pending = []
    if pending and out:
        out[-1] += " " + " ".join(pending)
    elif pending:
        out.append(" ".join(pending))
    return out


def digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split(texts):
    texts = sorted(set(texts), key=digest)
    # Enough test prefixes for MAUVE in the small domains (a quarter, up to 50), at most MAX_TEST; the
    # large one (kjv) is cut to MAX_TRAIN training documents so no domain dominates the experiment's time.
    n_test = min(MAX_TEST, max(round(0.1 * len(texts)), min(50, len(texts) // 4)))
    n_val = min(MAX_VALIDATION, max(1, round(0.1 * len(texts))))
    return {"test": texts[:n_test], "validation": texts[n_test:n_test + n_val],
            "train": texts[n_test + n_val:n_test + n_val + MAX_TRAIN]}


def main():
    domains = {name: [] for name, _ in PRETRAIN_SOURCES}
    for held_out in ("validation", "test"):
        docs = read_documents(os.path.join(HERE, "pretrain", held_out + ".txt"))
        if len(docs) != sum(n for _, n in PRETRAIN_SOURCES):
            raise SystemExit("pretrain/%s.txt: %d documents, expected %d" % (held_out, len(docs), 114))
        start = 0
        for name, count in PRETRAIN_SOURCES:
            for doc in docs[start:start + count]:
                # A Jargon entry is one short document already; the books are cut into paragraphs.
                domains[name] += [" ".join(doc.split())] if name == "jargon" else paragraphs(doc, MIN_WORDS)
            start += count
    domains["kjv"] = []
    for part in ("train", "validation", "test"):
        for doc in read_documents(os.path.join(HERE, "finetune", part + ".txt")):
            domains["kjv"] += paragraphs(doc, MIN_WORDS)
    domains["fortunes"] = []
    for part in ("train", "validation", "test"):
        with open(os.path.join(HERE, "topics", part + ".jsonl"), encoding="utf-8") as f:
            domains["fortunes"] += [" ".join(json.loads(line)["text"].split()) for line in f if line.strip()]
    for name, texts in domains.items():
        for part, docs in split(texts).items():
            path = os.path.join(OUT, name, part + ".txt")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path + ".tmp", "w", encoding="utf-8", newline="\n") as f:
                f.write("\n\n".join(docs) + "\n")
            os.replace(path + ".tmp", path)
            words = sum(len(d.split()) for d in docs)
            print("%-22s %5d documents %7d words %8d bytes" % (name + "/" + part, len(docs), words, os.path.getsize(path)))


if __name__ == "__main__":
    main()
