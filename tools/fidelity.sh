#!/usr/bin/env bash
# Fidelity of gomemsim against the real Go runtime: runs `gomemsim validate` on the validation
# set (tools/fidelity/set.tsv) and regenerates README.md's fidelity table (between the markers
# `<!-- fidelity:begin` and `<!-- fidelity:end -->`) with tools/fidelity/table.py.
#
#   tools/fidelity.sh                 the full set, with each scenario's number of real runs
#                                     from set.tsv (~14 min on 2 CPUs), then the README table
#                                     (medians of the real runs)
#   tools/fidelity.sh --ci            the CI subset, 1 real run each (~4 min), with each
#                                     scenario's --tolerance from set.tsv; prints the table and
#                                     leaves README.md alone (ctest fidelity_ci runs this)
# Options:
#   --runs N          real runs per scenario (default: set.tsv's runs column, with --ci 1); the
#                     table reports the median of the real values, gomemsim being deterministic
#   --only ID[,ID]    only these scenarios of set.tsv
#   --out DIR         where the runs go (default build/fidelity, with --ci build/fidelity-ci):
#                     DIR/<id>/run-<k>/ (validate's outputs plus wall_s), DIR/meta.txt, DIR/fidelity.md
#   --bin PATH        the gomemsim binary (default build/release/gomemsim)
#   --go PATH         the go command (default: go on PATH)
#   --no-readme       do not touch README.md (default with --ci)
#   --readme          update README.md even with --ci
#   --table-only      do not run anything: rebuild the table from DIR's existing runs
#   --recorded DIR    run no Go: compare gomemsim with the real runs recorded in DIR (DIR/<id>/
#                     run-<k>/, as tests/fidelity keeps them, with DIR/meta.txt saying how they
#                     were recorded) through `gomemsim validate --real`; seconds, not minutes.
#                     Only as good as DIR is current: re-record after changing the driver.
#                     Each scenario's set.tsv tolerance is checked (exit 3; ctest fidelity_recorded)
# Exit status: 0 ok, 3 a CI tolerance exceeded, 77 skipped (no Go 1.19 toolchain; ctest's
# SKIP_RETURN_CODE), 2 bad usage, 1 any other failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
setdir="$root/tools/fidelity"
ci=0 runs="" only="" out="" bin="$root/build/release/gomemsim" go="" readme="" tableOnly=0 recorded=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci=1 ;;
    --runs) runs=${2:?}; shift ;;
    --only) only=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --bin) bin=${2:?}; shift ;;
    --go) go=${2:?}; shift ;;
    --no-readme) readme=0 ;;
    --readme) readme=1 ;;
    --table-only) tableOnly=1 ;;
    --recorded) recorded=${2:?}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fidelity.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$runs" ] || runs=$([ $ci = 1 ] && echo 1 || echo set)
[ -n "$out" ] || out="$root/build/$([ $ci = 1 ] && echo fidelity-ci || echo fidelity)"
[ -n "$readme" ] || readme=$([ $ci = 1 ] && echo 0 || echo 1)
case "$runs" in set) ;; ''|*[!0-9]*|0) echo "fidelity.sh: --runs expects a positive integer" >&2; exit 2 ;; esac

# The scenarios to run: "id file env runs tolerance" lines.
selected=$(awk -v ci=$ci -v only=",$only," '
  /^[[:space:]]*(#|$)/ { next }
  NF != 6 || $5 !~ /^[1-9][0-9]*$/ { printf "set.tsv:%d: expected 6 fields (id file env ci runs tolerance)\n", NR > "/dev/stderr"; bad = 1; next }
  ci == 1 && $4 != "ci" { next }
  only != ",," && index(only, "," $1 ",") == 0 { next }
  { print $1, $2, $3, $5, $6 }
  END { exit bad }' "$setdir/set.tsv")
if [ -z "$selected" ]; then echo "fidelity.sh: no scenario selected" >&2; exit 2; fi

if [ -n "$recorded" ]; then
  [ -f "$recorded/meta.txt" ] || { echo "fidelity.sh: --recorded $recorded: no meta.txt there" >&2; exit 2; }
  if ! [ -x "$bin" ]; then echo "fidelity.sh: no gomemsim binary at $bin (build it first)" >&2; exit 1; fi
  mkdir -p "$out"
  {
    grep -v '^\(commit\|mode\)=' "$recorded/meta.txt"
    echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- sim 2>/dev/null || echo ' plus uncommitted changes under sim/')"
    echo "mode=recorded"
  } > "$out/meta.txt"
  status=0
  while read -r id file env n tol; do
    rm -rf "${out:?}/$id"
    for real in "$recorded/$id"/run-*; do
      [ -f "$real/trace.csv" ] || continue
      dir="$out/$id/$(basename "$real")"
      args=(validate "$setdir/$file" --out "$dir" --real "$real")
      [ "$env" = - ] || args+=(--env "$env")
      [ "$tol" = - ] || args+=(--tolerance "$tol")
      echo "== $id ($(basename "$real")): gomemsim ${args[*]}"
      mkdir -p "$out/$id"
      rc=0
      "$bin" "${args[@]}" > "$dir.log" 2>&1 || rc=$?
      if [ $rc = 3 ]; then
        grep "tolerance exceeded" "$dir.log" >&2 || true
        status=3
      elif [ $rc != 0 ]; then
        cat "$dir.log" >&2
        echo "fidelity.sh: gomemsim validate --real failed on $id (exit $rc)" >&2
        exit 1
      fi
      mv "$dir.log" "$dir/validate.log"
    done
  done <<< "$selected"
elif [ $tableOnly = 0 ]; then
  # A Go 1.19 toolchain, or skip: the set's scenarios and tolerances are for Go 1.19.
  if [ -z "$go" ]; then
    go=$(command -v go || true)
    for g in /usr/lib/go/bin/go /usr/local/go/bin/go; do [ -n "$go" ] || { [ -x "$g" ] && go=$g; } || true; done
  fi
  if [ -z "$go" ] || ! [ -x "$go" ]; then
    echo "fidelity.sh: SKIP: no go command (install golang-go, Go 1.19, or pass --go)"
    exit 77
  fi
  goversion=$("$go" version)
  case "$goversion" in
    *" go1.19"*) ;;
    *) echo "fidelity.sh: SKIP: the validation set is for Go 1.19, $go is: $goversion"; exit 77 ;;
  esac
  if ! [ -x "$bin" ]; then echo "fidelity.sh: no gomemsim binary at $bin (build it first)" >&2; exit 1; fi

  # The set is recorded with transparent huge pages in madvise mode (Debian's default); on a
  # machine in another mode, gomemsim is told that mode too (the driver refuses a mismatch).
  thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
  thpset=()
  if [ -n "$thp" ] && [ "$thp" != madvise ]; then
    echo "fidelity.sh: note: this machine runs transparent huge pages in '$thp' mode, not madvise as the set was calibrated; passing --set machine.thp=$thp"
    thpset=(--set "machine.thp=$thp")
  fi

  mkdir -p "$out"
  {
    echo "go_version=$goversion"
    echo "date=$(date -u +%Y-%m-%d)"
    echo "nproc=$(nproc)"
    echo "model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "thp=${thp:-unknown}"
    echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- sim 2>/dev/null || echo ' plus uncommitted changes under sim/')"
    echo "mode=$([ $ci = 1 ] && echo ci || echo full)"
  } > "$out/meta.txt"

  status=0
  while read -r id file env n tol; do
    [ "$runs" = set ] || n=$runs
    rm -rf "${out:?}/$id"
    for k in $(seq 1 "$n"); do
      dir="$out/$id/run-$k"
      args=(validate "$setdir/$file" --out "$dir" --go "$go")
      [ "$env" = - ] || args+=(--env "$env")
      args+=(${thpset[@]+"${thpset[@]}"})
      [ $ci = 0 ] || [ "$tol" = - ] || args+=(--tolerance "$tol")
      echo "== $id (run $k of $n): gomemsim ${args[*]}"
      t0=$(date +%s.%N)
      rc=0
      "$bin" "${args[@]}" || rc=$?
      t1=$(date +%s.%N)
      if [ $rc = 3 ]; then
        status=3
      elif [ $rc != 0 ]; then
        echo "fidelity.sh: gomemsim validate failed on $id (exit $rc)" >&2
        exit 1
      fi
      awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' > "$dir/wall_s"
      echo "   wall time $(cat "$dir/wall_s") s"
    done
  done <<< "$selected"
else
  status=0
  [ -f "$out/meta.txt" ] || { echo "fidelity.sh: --table-only: no runs in $out" >&2; exit 1; }
fi

# The table: on stdout and DIR/fidelity.md, and into README.md unless told not to.
ids=$(awk '{ print $1 }' <<< "$selected" | paste -sd, -)
targs=(--set "$setdir/set.tsv" --out "$out" --ids "$ids")
[ "$readme" = 0 ] || targs+=(--readme "$root/README.md")
if command -v python3 > /dev/null; then
  python3 "$setdir/table.py" "${targs[@]}"
else
  echo "fidelity.sh: python3 not found; no table written (the runs are in $out)" >&2
  [ "$readme" = 0 ] || exit 1
fi
if [ $status = 3 ]; then echo "fidelity.sh: FAIL: a tolerance was exceeded (see above)" >&2; fi
exit $status
