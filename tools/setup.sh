#!/usr/bin/env bash
# Installs what gomemsim needs on Debian 12 (run as root, or with sudo available).
# Idempotent: skips apt when every package is already installed.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libboost-program-options-dev libeigen3-dev libbenchmark-dev libgtest-dev libgmock-dev
      libyaml-cpp-dev golang-go python3
      libprotobuf-dev protobuf-compiler zlib1g-dev  # heap-*.pb.gz (profile.proto, gzip)
      clang libclang-rt-14-dev)  # clang and libFuzzer: the fuzz build (tests/fuzz/)
# What only the tests need (tools/test.sh sets this): Jupyter for the notebooks, Chromium for
# the browser test of compare's report (tests/compare_browser_test.cc).
if [ "${GOMEMSIM_NOTEBOOK_DEPS:-0}" = 1 ]; then
  pkgs+=(jupyter-nbconvert python3-ipykernel python3-matplotlib python3-pandas chromium)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
