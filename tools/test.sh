#!/usr/bin/env bash
# Installs what is needed (if missing), builds, and runs every test: the release build, then the
# same tests under AddressSanitizer and UndefinedBehaviorSanitizer; the release run also executes
# the notebooks (so Jupyter is installed too, and Chromium for the browser test of compare's
# report); then the two libFuzzer targets (tests/fuzz/, built
# with clang under ASan and UBSan), a minute each (GOMEMSIM_FUZZ_SECONDS). Used by .ci/run.
# The sanitize preset leaves out the fidelity label (CMakePresets.json): fidelity_recorded runs the
# same simulator code as Scenarios/EveryScenario over ~80 scenario runs and took 324 s under the
# sanitizers on a 2-core machine, and fidelity_ci times real Go, which must run alone.
set -euo pipefail
cd "$(dirname "$0")/.."
GOMEMSIM_NOTEBOOK_DEPS=1 bash tools/setup.sh
jobs=$(nproc)
for preset in release sanitize fuzz; do
  echo "== $preset build"
  cmake --preset "$preset" -DGOMEMSIM_FUZZ_SECONDS="${GOMEMSIM_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  echo "== $preset tests"
  ctest --preset "$preset" -j"$jobs"
done
