#!/usr/bin/env bash
# Rebuilds the demo models of resources/models from the corpora of resources/data, reproducibly (fixed seeds):
#   demo-base  LLaMA-family, 4 layers, d 256, 4 heads, sentencepiece unigram vocabulary of 8000 trained on the
#              pretraining corpus; pretrained from scratch with MLE; stored as fp16 safetensors.
#   demo-mle   demo-base fine-tuned on the fine-tuning corpus (KJV New Testament) with MLE,
#   demo-emo   ... and with EMO (paper mode): same data, seed, steps and hyper-parameters.
# Each keeps its run.json and metrics.jsonl so the app shows real training curves out of the box.
#
# Timings on this 2-core machine (wall, one thread, beside builds and tests): pretraining 4095 s (7.31 M
# parameters, validation CE 4.641 with BOS before every document, as text/sequence_convention.h says), each
# fine-tune 283 s (MLE) and 293 s (EMO) (150 steps).
#
# Usage: bash resources/models/make-demo.sh            (the full recipe)
#        EMO_DEMO_SCALE=micro EMO_DEMO_OUT=/tmp/x bash resources/models/make-demo.sh   (seconds; ctest runs it)
# Environment: EMO (the emo binary), EMO_DEMO_OUT (where the model folders go; default resources/models),
#              EMO_DEMO_WORK (run folders with optimizer states; default a temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
emo=${EMO:-build/app/cli/emo}
out=${EMO_DEMO_OUT:-resources/models}
scale=${EMO_DEMO_SCALE:-full}
work=${EMO_DEMO_WORK:-}
if [ -z "$work" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
data=resources/data

if [ "$scale" = full ]; then
  # Pretraining: 4 layers, d 256, ffn 704 (LLaMA's 8/3·d rounded to 64), untied head: 5.2 M parameters.
  model_shape=(--arch llama --layers 4 --d 256 --heads 4 --vocab-size 8000)
  pretrain_data=("$data/pretrain/train.txt") pretrain_val=$data/pretrain/validation.txt
  pretrain_run=(--block 256 --batch 8 --steps "${EMO_DEMO_PRETRAIN_STEPS:-1800}" --lr 1.5e-3 --warmup 100
                --schedule cosine --weight-decay 0.1 --clip 1 --validate-every 400 --seed 1)
  # Fine-tuning: the paper's recipe (AdamW, linear decay, no warm-up) at this machine's scale.
  finetune_run=(--block 256 --batch 8 --steps "${EMO_DEMO_FINETUNE_STEPS:-150}" --lr 3e-4 --schedule linear
                --validate-every 50 --seed 1)
else
  # Micro: the same recipe on a few kilobytes, so that a test can run it end to end in seconds.
  model_shape=(--arch llama --layers 1 --d 32 --heads 2 --vocab-size 300)
  pretrain_data=("$data/finetune/validation.txt") pretrain_val=$data/finetune/test.txt
  pretrain_run=(--block 32 --batch 4 --steps 6 --lr 1e-3 --warmup 2 --schedule cosine --validate-every 3 --seed 1)
  finetune_run=(--block 32 --batch 4 --steps 4 --lr 3e-4 --schedule linear --validate-every 2 --seed 1)
fi
finetune_data=(--data "$data/finetune/train.txt" --val "$data/finetune/validation.txt")

# A step whose run folder in $work already completed is not run again (set EMO_DEMO_WORK to resume a recipe).
completed() { [ -f "$1/run.json" ] && grep -q '"status": *"completed"' "$1/run.json"; }
clock() { echo "$SECONDS"; }
report() { printf 'make-demo: %-28s %6d s\n' "$1" "$((SECONDS - $2))"; }
mkdir -p "$out"

t=$(clock)
if completed "$work/demo-base"; then
  echo "make-demo: demo-base already pretrained in $work/demo-base"
else
  "$emo" pretrain "${model_shape[@]}" --data "${pretrain_data[@]}" --val "$pretrain_val" "${pretrain_run[@]}" \
    --out "$work/demo-base"
  report "pretrain demo-base" "$t"
fi
"$emo" export --run "$work/demo-base" --out "$out/demo-base" --dtype fp16

for objective in mle emo; do
  t=$(clock)
  if ! completed "$work/demo-$objective"; then
    "$emo" train --model "$out/demo-base" "${finetune_data[@]}" --objective "$objective" "${finetune_run[@]}" \
      --out "$work/demo-$objective"
  fi
  report "fine-tune demo-$objective" "$t"
  "$emo" export --run "$work/demo-$objective" --out "$out/demo-$objective" --dtype fp16
done

for model in demo-base demo-mle demo-emo; do
  "$emo" info --model "$out/$model" | sed -n '1,4p'
done
