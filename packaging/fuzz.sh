#!/usr/bin/env bash
# packaging/fuzz.sh [SECONDS] [HARNESS...]: builds the libFuzzer executables of every reader (the fuzz preset:
# clang-14, ASan + UBSan; sentencepiece from fuzz-plain, since its shim cannot load under ASan) and fuzzes each
# for SECONDS (default 60), starting from tests/data/fuzz/<name>/ with tests/data/fuzz/<name>.dict.
# Findings land in build-fuzz/findings/<name>/: copy each into tests/data/fuzz/<name>/found-<what> once fixed,
# so the suite replays it. Prints executions and findings per harness.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(safetensors torch_checkpoint checkpoint_index model_config gpt2_bpe tokenizer_json sentencepiece
     documents prompts few_shot run_json metrics_jsonl trainer_state experiment)
if [ "$#" -gt 0 ]; then harnesses=("$@"); else harnesses=("${all[@]}"); fi

command -v clang++-14 > /dev/null || { echo "fuzz.sh: needs clang-14 and libfuzzer-14-dev (apt install clang-14 libfuzzer-14-dev)" >&2; exit 2; }
cmake --preset fuzz > /dev/null && cmake --build --preset fuzz
if printf '%s\n' "${harnesses[@]}" | grep -qx sentencepiece; then
  cmake --preset fuzz-plain > /dev/null && cmake --build --preset fuzz-plain --target fuzz-sentencepiece
fi

printf '%-18s %12s %10s %9s %s\n' harness executions "exec/s" findings "corpus (files)"
for name in "${harnesses[@]}"; do
  build=build-fuzz
  [ "$name" = sentencepiece ] && build=build-fuzz-plain
  exe="$build/tests/fuzz/fuzz-${name//_/-}"
  corpus=build-fuzz/corpus/$name findings=build-fuzz/findings/$name
  mkdir -p "$corpus" "$findings"
  dict=()
  [ -f "tests/data/fuzz/$name.dict" ] && dict=(-dict="tests/data/fuzz/$name.dict")
  log=build-fuzz/findings/$name.log
  # A second is a hang; a reader may not hold more than 2 GiB, nor one allocation above 1 GiB.
  ASAN_OPTIONS=detect_leaks=1 "$exe" "$corpus" "tests/data/fuzz/$name" "${dict[@]}" -max_total_time="$seconds" \
    -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/" \
    > "$log" 2>&1 || true
  executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  printf '%-18s %12s %10s %9s %s\n' "$name" "${executions:-0}" "${speed:-0}" "$(ls "$findings" | wc -l)" "$(ls "$corpus" | wc -l)"
done
