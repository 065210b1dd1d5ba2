#!/usr/bin/env bash
# Fidelity of gomemsim against the real Go runtime, one Go release at a time: runs `gomemsim
# validate` on the validation set (tools/fidelity/set.tsv) with each real Go toolchain, and
# regenerates README.md's fidelity table (between the markers `<!-- fidelity:begin` and
# `<!-- fidelity:end -->`, one block per Go version) with tools/fidelity/table.py.
#
#   tools/fidelity.sh                 live: the full set with each Go version recorded in
#                                     tests/fidelity (go1.19.8, go1.26.8, ...) whose release is
#                                     installed here (~14 min per version on 2 CPUs), then the
#                                     README table (medians of the real runs); says which
#                                     versions it skipped because they are not installed
#   tools/fidelity.sh --ci            the CI subset, 1 real run each (a second where the first
#                                     exceeds a tolerance; both must, to fail), each installed
#                                     version, with each scenario's --tolerance from set.tsv; prints the table
#                                     and leaves README.md alone (ctest fidelity_ci runs this)
#   tools/fidelity.sh --recorded DIR  run no Go: compare gomemsim with the real runs recorded in
#                                     DIR/<goversion>/<id>/run-<k>/ (as tests/fidelity keeps them,
#                                     each DIR/<goversion>/meta.txt saying how they were recorded)
#                                     through `gomemsim validate --real`; seconds, not minutes.
#                                     Each scenario's set.tsv tolerance is checked, and every cell
#                                     of the table must meet its target or have a note in
#                                     tools/fidelity/notes.tsv saying why (exit 3 either way; ctest
#                                     fidelity_recorded)
# Options:
#   --go PATH         live runs with this go command only (repeatable); its version names the
#                     output folder and is passed to gomemsim as --set go=<version>
#   --versions LIST   only these Go versions (go1.26.8 or 1.26, comma-separated)
#   --runs N          real runs per scenario (default: set.tsv's runs column, with --ci 1); the
#                     table reports the median of the real values, gomemsim being deterministic
#   --only ID[,ID]    only these scenarios of set.tsv
#   --out DIR         where the runs go (default build/fidelity, with --ci build/fidelity-ci):
#                     DIR/<goversion>/<id>/run-<k>/ (validate's outputs plus wall_s),
#                     DIR/<goversion>/meta.txt, DIR/fidelity.md
#   --bin PATH        the gomemsim binary (default build/release/gomemsim)
#   --no-readme       do not touch README.md (default with --ci)
#   --readme          update README.md even with --ci
#   --table-only      do not run anything: rebuild the table from DIR's existing runs
# Exit status: 0 ok, 3 a CI tolerance exceeded (or, with --recorded, an unexplained miss), 77 skipped (no toolchain of any recorded Go
# version installed; ctest's SKIP_RETURN_CODE), 2 bad usage, 1 any other failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
setdir="$root/tools/fidelity"
recordedRoot="$root/tests/fidelity"
ci=0 runs="" only="" out="" bin="$root/build/release/gomemsim" readme="" tableOnly=0 recorded="" versions=""
gos=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) ci=1 ;;
    --runs) runs=${2:?}; shift ;;
    --only) only=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --bin) bin=${2:?}; shift ;;
    --go) gos+=("${2:?}"); shift ;;
    --versions) versions=${2:?}; shift ;;
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
if ! [ -x "$bin" ] && [ $tableOnly = 0 ]; then echo "fidelity.sh: no gomemsim binary at $bin (build it first)" >&2; exit 1; fi

# The scenarios to run: "id file env runs tolerance" lines.
selected=$(awk -v ci=$ci -v only=",$only," '
  /^[[:space:]]*(#|$)/ { next }
  NF != 7 || $5 !~ /^[1-9][0-9]*$/ { printf "set.tsv:%d: expected 7 fields (id file env ci runs tolerance table)\n", NR > "/dev/stderr"; bad = 1; next }
  ci == 1 && $4 != "ci" { next }
  only != ",," && index(only, "," $1 ",") == 0 { next }
  { print $1, $2, $3, $5, $6 }
  END { exit bad }' "$setdir/set.tsv")
if [ -z "$selected" ]; then echo "fidelity.sh: no scenario selected" >&2; exit 2; fi

# wanted VERSION: whether --versions admits go1.N.P (by its full name or its 1.N release).
wanted() {
  [ -z "$versions" ] && return 0
  local v=$1 minor
  minor=$(sed 's/^go\(1\.[0-9]*\).*/\1/' <<< "$v")
  case ",$versions," in *",$v,"*|*",${v#go},"*|*",$minor,"*|*",go$minor,"*) return 0 ;; esac
  return 1
}
# The release (1.N) of a version name go1.N[.P].
release() { sed 's/^go\(1\.[0-9]*\).*/\1/' <<< "$1"; }

# tolerance TOL GOVERSION: set.tsv's tolerance for one Go version: the plain METRIC.STAT=REL
# entries, overridden by `VERSION:METRIC.STAT=REL` ones for this version (VERSION go1.N.P or
# go1.N); `=-` leaves the metric unchecked. Prints - when nothing is left.
tolerance() {
  local tol=$1 gov=$2
  [ "$tol" = - ] && { echo -; return; }
  awk -v tol="$tol" -v gov="$gov" -v rel="go$(release "$gov")" 'BEGIN {
    n = split(tol, e, ",")
    for (pass = 0; pass < 2; pass++)
      for (i = 1; i <= n; i++) {
        entry = e[i]; c = index(entry, ":")
        if (pass == 0 && c == 0) { split(entry, kv, "="); v[kv[1]] = kv[2]; if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++m] = kv[1] } }
        if (pass == 1 && c > 0) {
          who = substr(entry, 1, c - 1); rest = substr(entry, c + 1)
          if (who != gov && who != rel) continue
          split(rest, kv, "="); v[kv[1]] = kv[2]; if (!(kv[1] in seen)) { seen[kv[1]] = 1; order[++m] = kv[1] }
        }
      }
    out = ""
    for (i = 1; i <= m; i++) if (v[order[i]] != "-") out = out (out == "" ? "" : ",") order[i] "=" v[order[i]]
    print (out == "" ? "-" : out)
  }'
}

# machineMeta GOVERSION: meta.txt lines describing this machine and commit.
machineMeta() {
  local thp=$1 gov=$2
  echo "go_version=$gov"
  echo "date=$(date -u +%Y-%m-%d)"
  echo "nproc=$(nproc)"
  echo "model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "thp=${thp:-unknown}"
  echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- sim 2>/dev/null || echo ' plus uncommitted changes under sim/')"
  echo "mode=$([ $ci = 1 ] && echo ci || echo full)"
}

status=0
done_versions=()
mkdir -p "$out"
rm -f "$out/exceeded.txt"
if [ -n "$recorded" ]; then
  # One block per version folder of DIR (DIR/go1.*/meta.txt).
  found=0
  for vdir in "$recorded"/go1.*/; do
    [ -f "$vdir/meta.txt" ] || continue
    gov=$(basename "$vdir")
    wanted "$gov" || continue
    found=1
    vout="$out/$gov"
    mkdir -p "$vout"
    {
      grep -v '^\(commit\|mode\)=' "$vdir/meta.txt"
      echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- sim 2>/dev/null || echo ' plus uncommitted changes under sim/')"
      echo "mode=recorded"
    } > "$vout/meta.txt"
    while read -r id file env n tol; do
      rm -rf "${vout:?}/$id"
      for real in "$vdir/$id"/run-*; do
        [ -f "$real/trace.csv" ] || continue
        dir="$vout/$id/$(basename "$real")"
        args=(validate "$setdir/$file" --out "$dir" --real "$real" --set "go=${gov#go}")
        [ "$env" = - ] || args+=(--env "$env")
        vtol=$(tolerance "$tol" "$gov")
        [ "$vtol" = - ] || args+=(--tolerance "$vtol")
        echo "== $gov $id ($(basename "$real")): gomemsim ${args[*]}"
        mkdir -p "$vout/$id"
        rc=0
        "$bin" "${args[@]}" > "$dir.log" 2>&1 || rc=$?
        if [ $rc = 3 ]; then
          grep "tolerance exceeded" "$dir.log" >&2 || true
          sed -n "s|^gomemsim validate: tolerance exceeded: |$gov $id $(basename "$real"): |p" "$dir.log" >> "$out/exceeded.txt"
          status=3
        elif [ $rc != 0 ]; then
          cat "$dir.log" >&2
          echo "fidelity.sh: gomemsim validate --real failed on $gov $id (exit $rc)" >&2
          exit 1
        fi
        mv "$dir.log" "$dir/validate.log"
      done
    done <<< "$selected"
    done_versions+=("$gov")
  done
  [ $found = 1 ] || { echo "fidelity.sh: --recorded $recorded: no go1.*/meta.txt there${versions:+ for $versions}" >&2; exit 2; }
elif [ $tableOnly = 0 ]; then
  # The toolchains: --go, else one installed toolchain for each Go version recorded in
  # tests/fidelity (gomemsim validate --toolchains lists them).
  pairs=()  # "goversion path"
  if [ ${#gos[@]} -gt 0 ]; then
    for g in "${gos[@]}"; do
      [ -x "$g" ] || { echo "fidelity.sh: --go $g: not an executable" >&2; exit 2; }
      pairs+=("$(GOTOOLCHAIN=local "$g" env GOVERSION) $g")
    done
  else
    installed=$("$bin" validate --toolchains)
    for vdir in "$recordedRoot"/go1.*/; do
      gov=$(basename "$vdir")
      wanted "$gov" || continue
      match=$(awk -v r="$(release "$gov")" '{ v = $1; sub(/^go/, "", v); split(v, p, "."); if (p[1] "." p[2] == r) { print; exit } }' <<< "$installed")
      if [ -z "$match" ]; then
        echo "fidelity.sh: SKIP $gov: no Go $(release "$gov") toolchain installed (installed: $(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' <<< "$installed"))"
        continue
      fi
      pairs+=("$match")
    done
  fi
  if [ ${#pairs[@]} = 0 ]; then
    echo "fidelity.sh: SKIP: no toolchain of a recorded Go version is installed"
    exit 77
  fi

  # The set is recorded with transparent huge pages in madvise mode (Debian's default); on a
  # machine in another mode, gomemsim is told that mode too (the driver refuses a mismatch).
  thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
  thpset=()
  if [ -n "$thp" ] && [ "$thp" != madvise ]; then
    echo "fidelity.sh: note: this machine runs transparent huge pages in '$thp' mode, not madvise as the set was calibrated; passing --set machine.thp=$thp"
    thpset=(--set "machine.thp=$thp")
  fi

  for pair in "${pairs[@]}"; do
    gov=${pair%% *} go=${pair#* }
    vout="$out/$gov"
    mkdir -p "$vout"
    machineMeta "$thp" "$("$go" version)" > "$vout/meta.txt"
    while read -r id file env n tol; do
      [ "$runs" = set ] || n=$runs
      rm -rf "${vout:?}/$id"
      for k in $(seq 1 "$n"); do
        dir="$vout/$id/run-$k"
        args=(validate "$setdir/$file" --out "$dir" --go "$go" --set "go=${gov#go}")
        [ "$env" = - ] || args+=(--env "$env")
        args+=(${thpset[@]+"${thpset[@]}"})
        vtol=$(tolerance "$tol" "$gov")
        [ $ci = 0 ] || [ "$vtol" = - ] || args+=(--tolerance "$vtol")
        # With --ci each scenario has one real run, and a single real run can be an outlier
        # (the CI machine's load moves real Go's timing): a run that exceeds a tolerance is run
        # once more, and fails the check only if the second run exceeds a tolerance too. Both
        # are reported at the end.
        attempts=$([ $ci = 1 ] && echo 2 || echo 1)
        for attempt in $(seq 1 "$attempts"); do
          echo "== $gov $id (run $k of $n$([ "$attempt" = 1 ] || echo ", second attempt")): gomemsim ${args[*]}"
          t0=$(date +%s.%N)
          rc=0
          mkdir -p "$vout/$id"
          rm -rf "${dir:?}"
          "$bin" "${args[@]}" 2> >(tee "$dir.stderr" >&2) || rc=$?
          wait  # for tee
          t1=$(date +%s.%N)
          if [ $rc = 3 ]; then
            sed -n "s|^gomemsim validate: tolerance exceeded: |$gov $id run $k$([ "$attempt" = 1 ] || echo ", second attempt"): |p" \
              "$dir.stderr" >> "$out/exceeded.txt"
            if [ "$attempt" = "$attempts" ]; then status=3; fi
          elif [ $rc != 0 ]; then
            echo "fidelity.sh: gomemsim validate failed on $gov $id (exit $rc)" >&2
            exit 1
          else
            [ "$attempt" = 1 ] || echo "$gov $id run $k: within every tolerance on the second attempt" >> "$out/exceeded.txt"
            break
          fi
        done
        rm -f "$dir.stderr"
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' > "$dir/wall_s"
        echo "   wall time $(cat "$dir/wall_s") s"
      done
    done <<< "$selected"
    done_versions+=("$gov")
  done
else
  for vdir in "$out"/go1.*/; do
    [ -f "$vdir/meta.txt" ] || continue
    gov=$(basename "$vdir")
    wanted "$gov" && done_versions+=("$gov")
  done
  [ ${#done_versions[@]} -gt 0 ] || { echo "fidelity.sh: --table-only: no runs in $out" >&2; exit 1; }
fi

# The table: one block per version, on stdout and DIR/fidelity.md, and into README.md unless
# told not to.
ids=$(awk '{ print $1 }' <<< "$selected" | paste -sd, -)
vlist=$(printf '%s\n' "${done_versions[@]}" | paste -sd, -)
targs=(--set "$setdir/set.tsv" --out "$out" --ids "$ids" --versions "$vlist")
[ "$readme" = 0 ] || targs+=(--readme "$root/README.md")
# Against the recorded runs gomemsim is deterministic, so a cell that stops meeting its target
# without a note is a regression: fail (a live run's single real run is noisier; its set.tsv
# tolerances are its check).
[ -z "$recorded" ] || targs+=(--check)
if command -v python3 > /dev/null; then
  trc=0
  python3 "$setdir/table.py" "${targs[@]}" || trc=$?
  if [ $trc = 3 ]; then status=3; elif [ $trc != 0 ]; then exit 1; fi
else
  echo "fidelity.sh: python3 not found; no table written (the runs are in $out)" >&2
  [ "$readme" = 0 ] || exit 1
fi
# Repeated last, so that the tail of a long log (all CI keeps) says what failed.
if [ -s "$out/exceeded.txt" ]; then
  echo "fidelity.sh: tolerances exceeded:" >&2
  sed 's/^/  /' "$out/exceeded.txt" >&2
fi
if [ $status = 3 ]; then
  echo "fidelity.sh: FAIL: a tolerance was exceeded or a cell missed its target unexplained (see above)" >&2
fi
exit $status
