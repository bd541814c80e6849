#!/usr/bin/env bash
# For people with a GPU: builds core + CLI + the core tests against the LibTorch inside a CUDA PyTorch install
# (the `headless` preset: no app, no widgets) and runs them there, so every test with a device dimension runs its
# cuda rows; then trains, samples, inspects and evaluates a bundled model with --device cuda, as a user would.
#
#   bash packaging/cuda-check.sh              # PYTHON=python3, BUILD_DIR=build-cuda, NCCL on
#
# Needs: a compiler, CMake ≥ 3.25, Ninja, Qt 6 Core + Test (qt6-base-dev), the Debian -dev packages of
# packaging/install-deps.sh but libtorch-dev, and a CUDA build of PyTorch for $PYTHON. Exit 2 says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
build=${BUILD_DIR:-build-cuda}
fail() { echo "cuda-check: $*" >&2; exit 2; }

prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) \
  || fail "$python cannot import torch: install a CUDA build of PyTorch (pip install torch) or set PYTHON"
cuda=$("$python" -c 'import torch; print(torch.version.cuda or "")')
[ -n "$cuda" ] || fail "the torch of $python is a CPU build (torch.version.cuda is None)"
"$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
  || fail "torch $("$python" -c 'import torch; print(torch.__version__)') sees no CUDA device (driver, CUDA_VISIBLE_DEVICES?)"
# The Debian libraries we link (spdlog, fmt, sentencepiece, Qt) use the C++11 std::string ABI; so must LibTorch.
abi=$("$python" -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')
[ "$abi" = 1 ] || fail "this torch uses the pre-C++11 ABI; use a wheel built with the C++11 ABI or the cxx11-ABI LibTorch zip from pytorch.org (then -DCMAKE_PREFIX_PATH=<libtorch>)"
gpus=$("$python" -c 'import torch; print(torch.cuda.device_count())')
echo "cuda-check: torch $("$python" -c 'import torch; print(torch.__version__)') with CUDA $cuda, $gpus GPU(s); LibTorch at $prefix"

cmake --preset headless -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DEMO_USE_NCCL=ON
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j 2 -E '^bench\.'   # the bench smoke compares against CPU eager

emo="$build/app/cli/emo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=resources/models/demo-tiny
data=resources/data/finetune/train.txt
"$emo" info --model "$model" --device cuda
for dtype in fp32 bf16 fp16; do
  "$emo" train --model "$model" --data "$data" --objective emo --steps 8 --batch 8 --block 128 \
    --device cuda --dtype "$dtype" --out "$work/run-$dtype"
done
"$emo" sample --model "$work/run-bf16" --prompt "The" --max-new 24 --device cuda --dtype bf16
"$emo" inspect --model "$work/run-fp32" --text "The quick brown fox" --device cuda --json > "$work/inspect.json"
"$emo" eval --model "$work/run-fp32" --data resources/data/finetune/validation.txt --metrics ppl --device cuda
if [ "$gpus" -ge 2 ]; then
  "$emo" train --nproc 2 --model "$model" --data "$data" --objective emo --steps 8 --batch 4 --block 128 \
    --device cuda --dtype bf16 --out "$work/run-ddp"
fi
echo "cuda-check: all passed"
