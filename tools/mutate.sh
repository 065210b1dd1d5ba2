#!/usr/bin/env bash
# Mutation testing: can the tests fail? (issue 13, "tests that can fail")
#
# Puts, one at a time, each realistic one-line bug of tools/mutations.txt into the model or its
# outputs, rebuilds, and runs the fast suite (the release tests without the fidelity and
# notebooks labels). A mutation is caught when the build or any test fails, SURVIVED when
# everything still passes: then a test is missing (write one that fails with the bug and passes
# without it), or the mutation cannot change anything observable (replace it in the list).
#
# It never touches your working tree: it copies the committed tree (git archive of HEAD, or of
# --rev) into a temporary directory, configures one release build there (Ninja, no benchmarks),
# builds it, checks that the unmutated tree passes the fast suite, and then for each mutation
# applies it, rebuilds incrementally, runs ctest --stop-on-failure and puts the file back.
#
# Run:   bash tools/mutate.sh                    # every mutation of the list
#        bash tools/mutate.sh --only ID[,ID...]  # some of them
#        bash tools/mutate.sh --list             # the list (id, file, the bug); checks the anchors
# Options: --rev REV         the commit to test (default HEAD)
#          --mutations FILE  another list (default: tools/mutations.txt of that commit)
#          --jobs N          build and test parallelism (default 2)
#          --keep            keep the temporary tree, its build and the logs (printed at the end)
# Prints one line per mutation (id, file, caught/SURVIVED, the first failing test when caught)
# and the counts. Exit status: 0 if every mutation was caught, 1 if any survived, 2 if the list
# is refused (an anchor not found exactly once is named), the tree does not build or its tests
# fail without a mutation.
# How long (2 CPUs): ~5 min for the first build and ~35 s for the unmutated suite, then per
# mutation ~5 s of incremental build and the suite up to its first failure, 10-50 s; a survivor
# runs all of it (~70 s). A mutation in a header (os_memory.h) rebuilds most of the tree, and
# again for the next mutation once it is put back: ~3-4 min each. The whole list (50): ~40 min.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
helper="$here/mutate.py"

rev=HEAD only="" list_only=0 keep=0 jobs=2 mutations=""
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) only="${2:?--only needs ID[,ID...]}"; shift 2 ;;
    --only=*) only="${1#*=}"; shift ;;
    --list) list_only=1; shift ;;
    --rev) rev="${2:?--rev needs a commit}"; shift 2 ;;
    --mutations) mutations="$(realpath "${2:?--mutations needs a file}")"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "mutate: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

commit="$(git -C "$repo" rev-parse --verify "$rev^{commit}")" || { echo "mutate: no commit '$rev'" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/gomemsim-mutate.XXXXXX")"
tree="$work/src"
logs="$work/logs"
mkdir -p "$tree" "$logs"
current_file="" current_backup=""
cleanup() {
  # A mutation still applied (interrupted run) is put back, even in the throw-away copy.
  if [[ -n "$current_file" ]]; then cp "$current_backup" "$tree/$current_file"; fi
  if [[ $keep -eq 1 ]]; then echo "mutate: kept $work (tree in src/, build in src/build/, logs in logs/)" >&2
  else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

git -C "$repo" archive --format=tar "$commit" | tar -x -C "$tree"
[[ -n "$mutations" ]] || mutations="$tree/tools/mutations.txt"
[[ -f "$mutations" ]] || { echo "mutate: no mutation list $mutations" >&2; exit 2; }
python3 "$helper" check "$mutations" "$tree" || exit 2
ids=()
mapfile -t ids < <(python3 "$helper" ids "$mutations" "$only") || exit 2
[[ ${#ids[@]} -gt 0 && -n "${ids[0]}" ]] || { echo "mutate: nothing to run" >&2; exit 2; }

if [[ $list_only -eq 1 ]]; then
  python3 "$helper" show "$mutations"
  exit 0
fi

start=$SECONDS
echo "mutate: commit ${commit:0:12}, ${#ids[@]} mutation(s), work in $work"
build() { cmake --build "$tree/build" -j"$jobs" >"$1" 2>&1; }
fast_suite() {
  (cd "$tree/build" && ctest -LE "fidelity|notebooks" -j"$jobs" --timeout 600 --stop-on-failure) >"$1" 2>&1
}
cmake -S "$tree" -B "$tree/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGOMEMSIM_BENCH=OFF >"$logs/configure.log" 2>&1 \
  || { echo "mutate: configure failed, see $logs/configure.log" >&2; keep=1; exit 2; }
build "$logs/build.log" || { echo "mutate: the unmutated tree does not build, see $logs/build.log" >&2; keep=1; exit 2; }
echo "mutate: built in $((SECONDS - start)) s; the unmutated fast suite..."
if ! fast_suite "$logs/baseline.log"; then
  echo "mutate: the unmutated tree fails its fast suite ($(python3 "$helper" first-failure "$logs/baseline.log")), see $logs/baseline.log" >&2
  keep=1
  exit 2
fi
echo "mutate: the unmutated fast suite passes ($((SECONDS - start)) s so far)"

idw=0
for id in "${ids[@]}"; do if (( ${#id} > idw )); then idw=${#id}; fi; done
caught=0 survived=0 survivors=()
for id in "${ids[@]}"; do
  t0=$SECONDS
  file="$(python3 "$helper" get "$mutations" "$id" file)"
  current_backup="$work/backup"
  cp "$tree/$file" "$current_backup"
  current_file="$file"
  python3 "$helper" apply "$mutations" "$id" "$tree" || exit 2
  if ! build "$logs/$id.build.log"; then
    result=caught by="(the build fails)"
  elif fast_suite "$logs/$id.test.log"; then
    result=SURVIVED by=""
  else
    result=caught by="$(python3 "$helper" first-failure "$logs/$id.test.log")"
    [[ -n "$by" ]] || by="(ctest failed, see logs/$id.test.log)"
  fi
  # Back to the committed text (a fresh mtime, so the next build recompiles it).
  cp "$current_backup" "$tree/$file"
  current_file=""
  if [[ $result == caught ]]; then caught=$((caught + 1)); else survived=$((survived + 1)); survivors+=("$id"); fi
  printf "%-${idw}s  %-30s  %-8s  %s  [%d s]\n" "$id" "$file" "$result" "$by" $((SECONDS - t0))
done

echo "mutate: ${#ids[@]} mutations: $caught caught, $survived SURVIVED (wall time $((SECONDS - start)) s)"
if [[ $survived -gt 0 ]]; then
  echo "mutate: survivors: ${survivors[*]}"
  exit 1
fi
exit 0
