#!/usr/bin/env bash
# README command (1): install what is missing, build, and run the main job on the shipped demo model:
# describe it, inspect a sentence token by token (CE next to DEMD), and sample continuations.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target emo
model=${EMO_DEMO_MODEL:-resources/models/demo-tiny}
emo=build/app/cli/emo
"$emo" info --model "$model"
echo
"$emo" inspect --model "$model" --text "The quick brown fox jumps over the lazy dog." --top-k 3
echo
"$emo" sample --model "$model" --prompt "It is a truth universally acknowledged" --max-new 40 --n 3 --seed 1
