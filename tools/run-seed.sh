#!/usr/bin/env bash
# Installs what is needed (if missing), builds gomemsim, and runs the seed scenario:
# prints its summary and writes trace.csv, gctrace.log, summary.json and report.html to
# out/seed-10gb/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target gomemsim
./build/release/gomemsim run scenarios/seed-10gb.yaml --out out/seed-10gb
