#!/usr/bin/env bash
# Prints what the README shows of the demo models: three continuations of demo-base, demo-mle and demo-emo
# for the same prompts and seed, and their perplexity on the fine-tuning corpus (validation and test
# splits). Usage: bash resources/models/show-demo.sh   (EMO: the emo binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
emo=${EMO:-build/app/cli/emo}
models=(demo-base demo-mle demo-emo)
prompts=("And Jesus said unto them," "It is a truth universally acknowledged that" "The ship sailed")

for prompt in "${prompts[@]}"; do
  echo "### \"$prompt\""
  for model in "${models[@]}"; do
    text=$("$emo" sample --model "resources/models/$model" --prompt "$prompt" --max-new 40 --seed 7 --json \
           | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["samples"][0] if isinstance(d,dict) else d[0]; print(s["text"].replace("\n"," "))')
    echo "- **$model**: $prompt$text"
  done
  echo
done

echo "| model | perplexity, finetune/validation | perplexity, finetune/test | perplexity, pretrain/test |"
echo "|---|---|---|---|"
for model in "${models[@]}"; do
  row="| $model |"
  for data in finetune/validation finetune/test pretrain/test; do
    ppl=$("$emo" eval --model "resources/models/$model" --data "resources/data/$data.txt" --metrics ppl --json \
          | python3 -c 'import json,sys
d = json.load(sys.stdin)
ppl = next(m["mean"] for m in d["metrics"] if m["name"] == "ppl") if "metrics" in d else d["ppl"]["perplexity"]
print("%.2f" % ppl)')
    row="$row $ppl |"
  done
  echo "$row"
done
