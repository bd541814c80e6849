#!/usr/bin/env bash
# Installs everything EMO Studio's build, tests and app need from Debian's packages.
# Idempotent and non-interactive: packages already present are skipped, apt runs only when one is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libgl-dev
  libqcustomplot-dev qt6-svg-dev libcairo2-dev
  libtorch-dev libgloo-dev
  libsentencepiece-dev sentencepiece
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libopenblas0-openmp libopenblas-openmp-dev
  xvfb xauth
  python3 python3-torch python3-numpy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch calls whatever libblas.so.3 is selected; the reference BLAS is ~17x slower than OpenBLAS.
arch_triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for alt in libblas.so.3 liblapack.so.3; do
  target=$(update-alternatives --list "${alt}-${arch_triplet}" 2>/dev/null | grep -m1 openblas-openmp || true)
  if [ -n "$target" ]; then
    current=$(readlink -f "/etc/alternatives/${alt}-${arch_triplet}" 2>/dev/null || true)
    if [ "$current" != "$(readlink -f "$target")" ]; then
      "${sudo_cmd[@]}" update-alternatives --set "${alt}-${arch_triplet}" "$target" >/dev/null
      echo "install-deps: selected $target"
    fi
  fi
done
