#!/usr/bin/env bash
# Keeps the real side of live fidelity runs in tests/fidelity, where `tools/fidelity.sh
# --recorded` and ctest fidelity_recorded read them without Go.
#
#   tools/fidelity/import-runs.sh OUT
#
# OUT is a `tools/fidelity.sh --out OUT` folder: OUT/<goversion>/<id>/run-<k>/real/ (the driver's
# trace.csv, gctrace.log, steps.csv, driver.log) and OUT/<goversion>/meta.txt. Each run is copied
# to tests/fidelity/<goversion>/<id>/run-<n>/, n the next number free for that scenario, so a
# second recording adds to the first. meta.txt is copied when the version folder is new; every
# recording appends its meta.txt to recordings.txt beside it. gomemsim's side is not kept: it is
# deterministic and `validate --real` recomputes it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: import-runs.sh OUT}
found=0
for vdir in "$out"/go1.*/; do
  [ -f "$vdir/meta.txt" ] || continue
  gov=$(basename "$vdir")
  dest="$root/tests/fidelity/$gov"
  mkdir -p "$dest"
  [ -f "$dest/meta.txt" ] || grep -v '^mode=' "$vdir/meta.txt" > "$dest/meta.txt"
  { echo "# recording imported $(date -u +%Y-%m-%d) from $out"; grep -v '^mode=' "$vdir/meta.txt"; } >> "$dest/recordings.txt"
  for run in "$vdir"/*/run-*/real; do
    [ -f "$run/trace.csv" ] || continue
    found=1
    id=$(basename "$(dirname "$(dirname "$run")")")
    n=1
    while [ -e "$dest/$id/run-$n" ]; do n=$((n + 1)); done
    target="$dest/$id/run-$n"
    mkdir -p "$target"
    cp "$run"/trace.csv "$run"/gctrace.log "$run"/steps.csv "$run"/driver.log "$target/"
    echo "$gov/$id/run-$n"
  done
done
[ $found = 1 ] || { echo "import-runs.sh: no runs under $out/go1.*/<id>/run-*/real" >&2; exit 1; }
