#!/usr/bin/env bash
# Executes every notebook in notebooks/ (or the ones named on the command line) with
# `jupyter nbconvert --to notebook --execute` and fails if any cell raises. The executed copies go
# to a temporary folder (or $NOTEBOOK_OUT if set); the notebooks themselves are left untouched and
# must be saved without outputs, which this script checks too.
#
# Needs Debian's Jupyter and scientific Python (for /usr/bin/python3, not a pyenv or venv python):
#   apt-get install -y --no-install-recommends jupyter-nbconvert python3-ipykernel python3-matplotlib python3-pandas
# and a built simulator (cmake --preset release && cmake --build build/release), or GOMEMSIM=/path/to/gomemsim.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

# Debian's python3 and jupyter first on PATH, whatever python3 the shell would pick.
export PATH="/usr/bin:$PATH"
py=/usr/bin/python3
if ! "$py" -c 'import pandas, matplotlib, nbconvert, nbformat, ipykernel' 2>/dev/null; then
  echo "run_notebooks.sh: $py lacks pandas/matplotlib/nbconvert/ipykernel; install them with" >&2
  echo "  apt-get install -y --no-install-recommends jupyter-nbconvert python3-ipykernel python3-matplotlib python3-pandas" >&2
  exit 2
fi

export GOMEMSIM="${GOMEMSIM:-$repo/build/release/gomemsim}"
if [[ ! -x "$GOMEMSIM" ]]; then
  echo "run_notebooks.sh: no simulator at $GOMEMSIM; build it (cmake --preset release && cmake --build build/release) or set GOMEMSIM" >&2
  exit 2
fi

if (($#)); then
  notebooks=("$@")
else
  shopt -s nullglob
  notebooks=("$here"/*.ipynb)
  shopt -u nullglob
fi
if ((${#notebooks[@]} == 0)); then
  echo "run_notebooks.sh: no notebooks" >&2
  exit 2
fi

tmp="$(mktemp -d -t gomemsim-notebooks.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
out="${NOTEBOOK_OUT:-$tmp/executed}"
mkdir -p "$out"

# A private Jupyter data/runtime/config area with a kernel named python3 that is Debian's python,
# so no user-level kernelspec or config can swap in another interpreter; matplotlib's cache too.
export JUPYTER_DATA_DIR="$tmp/jupyter-data" JUPYTER_RUNTIME_DIR="$tmp/jupyter-runtime"
export JUPYTER_CONFIG_DIR="$tmp/jupyter-config" MPLCONFIGDIR="$tmp/matplotlib"
export IPYTHONDIR="$tmp/ipython"
mkdir -p "$JUPYTER_DATA_DIR/kernels/python3"
cat >"$JUPYTER_DATA_DIR/kernels/python3/kernel.json" <<JSON
{"argv": ["$py", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "Python 3 (Debian)", "language": "python"}
JSON

status=0
for nb in "${notebooks[@]}"; do
  name="$(basename "$nb")"
  # Saved notebooks carry no outputs, so the repository stays small and deterministic.
  if ! "$py" - "$nb" <<'PY'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
bad = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))]
if bad:
    sys.exit(f"{sys.argv[1]}: code cells {bad} have saved outputs; clear them before committing")
PY
  then
    status=1
    continue
  fi
  start=$SECONDS
  # nbconvert exits non-zero when a cell raises (allow_errors is off by default).
  if jupyter nbconvert --to notebook --execute \
      --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
      --output-dir "$out" "$nb" >"$tmp/$name.log" 2>&1; then
    echo "ok    $name ($((SECONDS - start)) s)"
  else
    echo "FAIL  $name ($((SECONDS - start)) s)" >&2
    cat "$tmp/$name.log" >&2
    status=1
  fi
done
if [[ -n "${NOTEBOOK_OUT:-}" ]]; then echo "executed notebooks in $out"; fi
exit $status
