#!/usr/bin/env bash
# README command (1): install what is missing, build, and open EMO Studio on the shipped demo model
# (demo-base, the fine-tuning corpus preselected). Offline: everything it needs is in resources/.
# Without a display it runs the command-line tool's main job on the same model instead: describe it,
# inspect a sentence token by token (CE next to DEMD), and sample continuations.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
cmake --preset default >/dev/null
model=${EMO_DEMO_MODEL:-resources/models/demo-base}
data=resources/data/finetune/train.txt

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cmake --build --preset default --target emo-studio
  exec build/app/studio/emo-studio --model "$model" --data "$data" "$@"
fi

echo "demo: no display found; running the command-line tool on $model instead" >&2
cmake --build --preset default --target emo
emo=build/app/cli/emo
"$emo" info --model "$model"
echo
"$emo" inspect --model "$model" --text "And he said unto them, Go ye into all the world." --top-k 3
echo
"$emo" sample --model "$model" --prompt "It is a truth universally acknowledged" --max-new 40 --n 3 --seed 1
