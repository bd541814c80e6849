#!/usr/bin/env bash
# Rebuilds resources/models/demo-tiny, the small model README command (1) opens: a 4-layer LLaMA-family
# model (d 128, 4 heads, sentencepiece vocabulary of 2000) pretrained from scratch on the pretraining
# corpus of resources/data, BOS before every document (text/sequence_convention.h). 600 steps of 16×128
# tokens: 191 s on this 2-core machine (1 thread), validation cross-entropy 4.515 (perplexity ≈ 91).
# Issue 4 replaces it with the larger demo-base.
set -euo pipefail
cd "$(dirname "$0")/../.."
emo=${EMO:-build/app/cli/emo}
out=$(mktemp -d)
"$emo" pretrain --arch llama --layers 4 --d 128 --heads 4 --vocab-size 2000 \
  --data resources/data/pretrain/train.txt --val resources/data/pretrain/validation.txt \
  --block 128 --batch 16 --steps 600 --validate-every 200 --seed 1 --out "$out/demo-tiny"
mkdir -p resources/models/demo-tiny
# The HF folder and its training history; the optimizer state (16 MB) stays out of git.
cp "$out/demo-tiny"/{config.json,model.safetensors,tokenizer.model,run.json,metrics.jsonl} resources/models/demo-tiny/
rm -rf "$out"
