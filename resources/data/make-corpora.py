#!/usr/bin/python3
"""Cleans the raw texts that make-corpora.sh extracted from Debian packages and writes the demo corpora.

Usage: make-corpora.py RAW_DIR OUT_DIR
  RAW_DIR holds austen-*.txt and melville-moby-dick.txt (written by R), kjv-new-testament.txt (written by
  `bible`); the Debian Handbook, the Jargon File and the fortunes are read from their installed paths.
  OUT_DIR receives pretrain/, finetune/ and topics/, each split into train / validation / test.

Everything is deterministic: splits depend only on a SHA-256 of each document's key (or text), never on
a random generator or the order of a directory listing.
"""
import gzip
import hashlib
import html.parser
import json
import os
import re
import sys
import unicodedata

HANDBOOK_DIR = "/usr/share/doc/debian-handbook/html/en-US"
JARGON_DICT = "/usr/share/dictd/jargon.dict.dz"
FORTUNES_DIR = "/usr/share/games/fortunes"

# Typographic characters mapped to the plain ASCII that the Gutenberg texts already use, so that a small
# sentencepiece vocabulary does not spend pieces on two spellings of every quote and dash.
ASCII_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2014": "--", "\u2013": "-", "\u2012": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u200b": "", "\ufeff": "", "\u00ad": "",
    "\u2022": "*", "\u00b7": "-", "\u2192": "->", "\u00d7": "x",
}
# Printable ASCII plus Latin-1 letters and the pound sign; a paragraph with anything else is dropped.
ALLOWED = re.compile(r"^[\x20-\x7e\u00a3\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\n]*$")


def normalise(text):
    text = unicodedata.normalize("NFKC", text)
    return "".join(ASCII_MAP.get(c, c) for c in text)


def one_line(text):
    return " ".join(normalise(text).split())


def digest(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def rewrap(lines):
    """Blank-line separated paragraphs of wrapped lines -> list of one-line paragraphs."""
    paras, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            paras.append(one_line(" ".join(cur)))
            cur = []
    return paras


def prose_like(paragraph, min_words=4):
    letters = sum(c.isalpha() or c == " " for c in paragraph)
    return len(paragraph.split()) >= min_words and letters >= 0.8 * len(paragraph)


def good_paragraphs(paras):
    # "* * * * *" section breaks carry no words.
    return [p for p in paras if re.search(r"[A-Za-z0-9]", p) and ALLOWED.match(p)]


# ---------------------------------------------------------------- pretraining sources

AUSTEN_CHAPTER = re.compile(r"^(CHAPTER|Chapter) +([0-9]+|[IVXLC]+)\.? *$")


def austen(raw_dir):
    docs = []
    for name in sorted(f for f in os.listdir(raw_dir) if f.startswith("austen-")):
        book = name[len("austen-"):-len(".txt")]
        lines = open(os.path.join(raw_dir, name), encoding="utf-8").read().split("\n")
        chapters, cur = [], None
        for line in lines:
            if AUSTEN_CHAPTER.match(line.strip()):
                cur = []
                chapters.append(cur)
            elif re.match(r"^\s*VOLUME +[IVX]+\s*$", line):
                continue
            elif cur is not None:
                cur.append(line)
        for i, chapter in enumerate(chapters, 1):
            paras = [p.replace("_", "") for p in rewrap(chapter)]
            paras = [p for p in paras if p not in ("THE END", "FINIS", "Finis")]
            docs.append(("austen/%s/%03d" % (book, i), good_paragraphs(paras)))
    return docs


def moby_dick(raw_dir):
    text = open(os.path.join(raw_dir, "melville-moby-dick.txt"), encoding="utf-8").read()
    lines = text.split("\n")
    docs, cur, title = [], None, None
    for line in lines:
        if line.startswith("End of Project Gutenberg"):
            break
        if re.match(r"^CHAPTER \d+\. ", line) or line.strip() == "Epilogue":
            cur = []
            title = line.strip()
            docs.append((title, cur))
        elif cur is not None:
            cur.append(line)
    out = []
    for i, (title, body) in enumerate(docs, 1):
        paras = [p for p in rewrap(body) if not re.match(r"^\*?\s*$", p)]
        out.append(("melville/moby-dick/%03d" % i, good_paragraphs(paras)))
    return out


class HandbookParser(html.parser.HTMLParser):
    """Collects the text of DocBook <div class="para"> blocks, leaving out code listings, tables and navigation."""
    SKIP_TAGS = {"pre", "table", "script", "style", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.skipping, self.buffers, self.paragraphs = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        skip = tag in self.SKIP_TAGS or bool({"navheader", "navfooter", "toc", "docnav"} & set(classes))
        para = tag == "div" and "para" in classes
        self.stack.append((tag, para, skip))
        self.skipping += skip
        if para:
            self.buffers.append([])

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, para, skip = self.stack.pop()
            self.skipping -= skip
            if para:
                self.paragraphs.append(one_line("".join(self.buffers.pop())))
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.buffers and not self.skipping:
            self.buffers[-1].append(data)


def debian_handbook():
    docs = []
    for name in sorted(os.listdir(HANDBOOK_DIR)):
        if not name.endswith(".html") or name == "index.html":
            continue
        parser = HandbookParser()
        parser.feed(open(os.path.join(HANDBOOK_DIR, name), encoding="utf-8").read())
        # Prose only: whole sentences of some length, not command lines or captions.
        paras = [p for p in parser.paragraphs
                 if prose_like(p, 8) and re.search(r"[.!?:)\"]$", p) and not p.startswith(("$ ", "# "))]
        docs.append(("handbook/" + name[:-len(".html")], good_paragraphs(paras)))
    return docs


def jargon_file():
    text = gzip.open(JARGON_DICT, "rt", encoding="utf-8").read()
    # dictd layout: an entry is a headword at column 0, a " pronunciation, part-of-speech" line indented by
    # one space, then its body indented by four spaces; entries are separated by blank lines.
    entries, cur = [], None
    for line in text.split("\n"):
        if line and not line[0].isspace():
            cur = [line.strip(), []]
            entries.append(cur)
        elif cur is not None:
            cur[1].append(line)
    docs = []
    for head, body in entries:
        if head.startswith("00-database") or head.startswith("00database"):
            continue
        lines = list(body)
        while lines and not lines[0].strip():
            lines.pop(0)
        if lines and re.match(r"^ \S", lines[0]):  # the pronunciation / part-of-speech line
            lines.pop(0)
        paras = rewrap([l.strip() for l in lines])
        cleaned = []
        for p in paras:
            p = re.sub(r"\{\s*([^{}]*?)\s*\}", r"\1", p)          # {cross reference} -> cross reference
            p = re.sub(r"\s+", " ", p).strip()
            if cleaned and re.match(r"^\[[^\]]*\]$", cleaned[-1]):  # a lone "[etymology]" opens the sense
                p = cleaned.pop() + " " + p
            cleaned.append(p)
        # Prose only: no ASCII art, code, tables, figure references or section letters.
        cleaned = good_paragraphs([p for p in cleaned if prose_like(p)])
        if sum(len(p.split()) for p in cleaned) < 25:  # one-line glosses teach little English
            continue
        title = one_line(head)
        docs.append(("jargon/" + title, [title + ": " + cleaned[0]] + cleaned[1:]))
    return docs


# ---------------------------------------------------------------- fine-tuning source

def kjv_new_testament(raw_dir):
    docs, cur = [], None
    for line in open(os.path.join(raw_dir, "kjv-new-testament.txt"), encoding="utf-8"):
        line = line.rstrip("\n")
        heading = re.match(r"^([1-3] )?[A-Z][a-z]+ \d+$", line)
        verse = re.match(r"^\s+\d+ (.*)$", line)
        if heading:
            cur = []
            docs.append(("kjv/" + line.replace(" ", "-"), cur))
        elif verse and cur is not None:
            cur.append(one_line(verse.group(1)))
        elif line.strip():
            raise SystemExit("kjv-new-testament.txt: unexpected line %r" % line)
    return [(key, good_paragraphs(verses)) for key, verses in docs]


# ---------------------------------------------------------------- topic-labelled fortunes

# Fortune files are grouped by topic only loosely (a "science" cookie may be a joke about economists), so an
# item is kept only when its own words show its topic; the label is still the file it came from.
TOPICS = {
    "computers": r"comput|program|software|hardware|unix|\bbugs?\b|\bcode|byte|\bbits?\b|\bdisk|memory|keyboard|"
                 r"\bcpu|machine|hacker|system|\bdata\b|\bfiles?\b|\busers?\b|network|internet|e-?mail|windows|"
                 r"\bibm\b|\bpcs?\b|terminal|modem|linux|algorithm|fortran|cobol|\bbasic\b|pascal|\blisp|"
                 r"compiler|debug|kernel|install|crash|screen|mouse|digital|electronic|robot",
    "food": r"\bfood|\beat|\bate\b|dinner|lunch|breakfast|\bmeals?\b|\bcook|\bchef|kitchen|\bdiet|bread|cheese|"
            r"\bmeat|fruit|vegetable|apple|\bpies?\b|\bcakes?\b|cookie|coffee|\btea\b|\bwine|\bbeer|\bdrink|"
            r"restaurant|\bmenu|\bsoup|pizza|chocolate|sugar|\bsalt|\btaste|hungry|hunger|appetite|stomach|"
            r"\bfish|chicken|\beggs?\b|\bmilk|butter|\bham\b|\bpork|\bbeef|steak|dessert|sandwich|banana|potato|"
            r"recipe|vegetarian|\bdine|dining|glutton|calori|donut|doughnut|\bfed\b|\bfeed|\bfeast|tomato|"
            r"carrot|onion|garlic|\brice\b|pasta|salad|\bsoda\b|\bcoke\b|pickle|hamburger|turkey|cabbage|sardine|"
            r"mushroom|caffeine|candy|buffet|barbecue|peanut|prune|raisin|syrup|pancake|sushi|fattening|"
            r"ice cream|creamer|licorice|\bplate\b",
    "law": r"\blaws?\b|lawyer|attorney|\bjudge|\bcourts?\b|\bjury|\blegal|illegal|ordinance|statute|\bcrime|"
           r"criminal|police|\barrest|\bsue\b|\bsued\b|lawsuit|justice|prohibit|forbid|prison|\bjail|guilty|"
           r"innocent|\btrial|verdict|constitution|contract|witness|testify|felony|misdemeanor|unlawful|"
           r"legislat|\bpenal|\bcops?\b|\bsheriff",
    "love": r"\blove|\blover|romance|romantic|\bkiss|\bhearts?\b|\bmarri|wedding|\bwife|husband|girlfriend|"
            r"boyfriend|sweetheart|darling|passion|\bdating\b|\baffair|divorce|jealous|\bflirt|\bsex|beloved|"
            r"\bbride|\badore",
    "politics": r"politic|government|president|congress|\bsenat|\bvot(e|er|ing)|\belect|democra|republic|"
                r"\bparty\b|parliament|\bminister|\bliberal|conservative|\btax|\bcampaign|candidate|"
                r"\bcitizen|\bmayor|\bgovern|\bdiplomat|\bstatesm",
}
TOPIC_COUNTS = {"train": 50, "validation": 20, "test": 40}  # per label; 110 of each label in all


def fix_mojibake(text):
    # Some cookies were UTF-8 read as Latin-1 and re-encoded, once or twice; undo while that is lossless.
    for _ in range(3):
        try:
            fixed = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            break
        if fixed == text:
            break
        text = fixed
    return text


def fortune_items(topic):
    raw = open(os.path.join(FORTUNES_DIR, topic), "rb").read().decode("utf-8", errors="replace")
    items = []
    for cookie in raw.split("\n%\n"):
        cookie = re.sub(r".\x08", "", cookie)                        # nroff overstrike (underline/bold)
        lines = [l for l in cookie.split("\n")
                 if l.strip() and not re.match(r"^\s*--", l)]        # attribution lines would give the topic away
        text = one_line(fix_mojibake(" ".join(lines)))
        if 20 <= len(text) <= 250 and len(text.split()) >= 4 and re.match(r"^[\x20-\x7e]*$", text) \
                and re.search(TOPICS[topic], text, re.I):
            items.append(text)
    return items


def topic_splits():
    by_topic = {t: fortune_items(t) for t in sorted(TOPICS)}
    seen = {}
    for topic, items in by_topic.items():
        for text in set(items):
            seen.setdefault(text.lower(), set()).add(topic)
    need = sum(TOPIC_COUNTS.values())
    splits = {name: [] for name in TOPIC_COUNTS}
    for topic, items in by_topic.items():
        unique = sorted({t for t in items if len(seen[t.lower()]) == 1}, key=digest)
        if len(unique) < need:
            raise SystemExit("fortunes/%s: only %d usable items, need %d" % (topic, len(unique), need))
        start = 0
        for name in ("test", "validation", "train"):
            splits[name] += [{"text": t, "label": topic} for t in unique[start:start + TOPIC_COUNTS[name]]]
            start += TOPIC_COUNTS[name]
    return {name: sorted(rows, key=lambda r: digest(r["text"])) for name, rows in splits.items()}


# ---------------------------------------------------------------- splitting and writing

def split_documents(docs, fraction=0.05):
    """Per source, the documents with the smallest key hashes go to test, the next ones to validation."""
    docs = [(k, "\n".join(p)) for k, p in docs if sum(len(x) for x in p) >= 200]
    sources = sorted({k.split("/")[0] for k, _ in docs})
    held = {}
    for source in sources:
        keys = sorted((k for k, _ in docs if k.split("/")[0] == source), key=digest)
        n = max(1, round(fraction * len(keys)))
        for k in keys[:n]:
            held[k] = "test"
        for k in keys[n:2 * n]:
            held[k] = "validation"
    out = {"train": [], "validation": [], "test": []}
    for k, text in docs:  # reading order is kept inside each split
        out[held.get(k, "train")].append(text)
    return out


def write_text(path, documents):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    body = "\n\n".join(documents) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(body)
    os.replace(tmp, path)


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    os.replace(tmp, path)


def stats_line(path, documents):
    size = os.path.getsize(path)
    words = sum(len(d.split()) for d in documents)
    return "%-28s %9d bytes %8d words %5d documents" % (os.path.relpath(path, OUT), size, words, len(documents))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    RAW, OUT = sys.argv[1], sys.argv[2]

    pre_docs = austen(RAW) + moby_dick(RAW) + debian_handbook() + jargon_file()
    pre_sources = {}
    for k, p in pre_docs:
        s = pre_sources.setdefault(k.split("/")[0], [0, 0])
        s[0] += 1
        s[1] += sum(len(x) + 1 for x in p)
    for source, (n, chars) in sorted(pre_sources.items()):
        print("pretrain source %-10s %5d documents %9d characters" % (source, n, chars))

    report = []
    for corpus, docs in (("pretrain", pre_docs), ("finetune", kjv_new_testament(RAW))):
        for split, documents in split_documents(docs).items():
            path = os.path.join(OUT, corpus, split + ".txt")
            write_text(path, documents)
            report.append(stats_line(path, documents))
    for split, rows in topic_splits().items():
        path = os.path.join(OUT, "topics", split + ".jsonl")
        write_jsonl(path, rows)
        report.append(stats_line(path, [r["text"] for r in rows]))
    print("\n".join(report))
