#!/bin/sh
# Reference for tst_sentencepiece: a tiny LLaMA-style sentencepiece model (BPE, byte fallback, identity
# normalisation, whitespace kept) trained with the sentencepiece command-line tools (Debian package
# `sentencepiece` 0.1.97), and the ids and pieces `spm_encode` gives for each line of sp_test_lines.txt.
# Run from the repository root: sh tests/data/text/make_sp_reference.sh
set -eu
here=tests/data/text
spm_train --input=$here/sp_corpus.txt --model_prefix=$here/sp/tiny_bpe --vocab_size=400 --model_type=bpe \
  --character_coverage=1.0 --normalization_rule_name=identity --remove_extra_whitespaces=false \
  --byte_fallback=true --num_threads=1 --minloglevel=1
rm -f $here/sp/tiny_bpe.vocab
spm_encode --model=$here/sp/tiny_bpe.model --output_format=id < $here/sp_test_lines.txt > /tmp/sp_ids.txt
spm_encode --model=$here/sp/tiny_bpe.model --output_format=piece < $here/sp_test_lines.txt > /tmp/sp_pieces.txt
/usr/bin/python3 - "$here" <<'PY'
import json, sys
here = sys.argv[1]
lines = open(f"{here}/sp_test_lines.txt", encoding="utf-8").read().split("\n")[:-1]
ids = open("/tmp/sp_ids.txt", encoding="utf-8").read().split("\n")[:-1]
pieces = open("/tmp/sp_pieces.txt", encoding="utf-8").read().split("\n")[:-1]
assert len(lines) == len(ids) == len(pieces)
out = {"source": "spm_encode (sentencepiece 0.1.97) --output_format=id/piece on sp/tiny_bpe.model",
       "lines": [{"text": t, "ids": [int(x) for x in i.split()], "pieces": p.split(" ") if p else []}
                 for t, i, p in zip(lines, ids, pieces)]}
json.dump(out, open(f"{here}/sp_reference.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print(len(out["lines"]), "lines")
PY
