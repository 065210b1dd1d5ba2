#!/usr/bin/env python3
"""The fidelity table: gomemsim against real Go, scenario x metric, from tools/fidelity.sh's runs.

Reads, per Go version V of --versions, OUT/V/meta.txt and, per scenario id, OUT/V/<id>/run-<k>/
{validate.csv,sim/trace.csv,real/trace.csv,wall_s} (what `gomemsim validate --out` writes, plus
the wall time), and writes the Markdown tables, one block per version, to stdout and
OUT/fidelity.md; with --readme, also between README's markers `<!-- fidelity:begin` and
`<!-- fidelity:end -->` (the marker lines are kept, the rest of the file is untouched). Same runs
=> byte-identical output.

Per metric: gomemsim's value (deterministic, identical in every run), the median of the real
runs, the relative error (sim - real) / |real|, and whether it meets issue 4's target (and issue 9's
for RSS after debug.FreeOSMemory), for every Go version.
Standard library only.
"""

import argparse
import csv
import math
import os
import re
import statistics
import sys

# (key, column title, target relative error, kind); kinds: count, bytes, seconds.
COLUMNS = [
    ("num_gc", "GCs", 0.10, "count"),
    ("rss_peak", "peak RSS", 0.10, "bytes"),
    ("rss_final", "final RSS", 0.10, "bytes"),
    ("heap_goal_peak", "peak heap goal", 0.05, "bytes"),
    ("release", "release after drop", 0.20, "seconds"),
    ("pprof_drop", "pprof inuse at drop", 0.05, "bytes"),
    ("rss_freeos", "RSS after FreeOSMemory", 0.10, "bytes"),
]
# The table of the scenarios at the memory limit (set.tsv table column "limit"): what each GC
# cycle costs decides how often they run there (issue 10's targets).
LIMIT_COLUMNS = [
    ("num_gc", "GCs", 0.10, "count"),
    ("gc_gap", "mean time between GCs", 0.15, "ms"),
    ("gc_cpu", "GC CPU (gctrace %)", 0.20, "percent"),
    ("rss_peak", "peak RSS", 0.10, "bytes"),
    ("rss_final", "final RSS", 0.10, "bytes"),
    ("limiter", "GC CPU limiter", None, "onoff"),
]
BEGIN, END = "<!-- fidelity:begin", "<!-- fidelity:end -->"
RELEASE_STEPS = re.compile(r"^(drop:.*|drop_all|free_os_memory)$")
DROP_STEPS = re.compile(r"^(drop:.*|drop_all)$")


def read_set(path):
    """set.tsv lines: id -> (file, env, table)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            fields = s.split()
            out[fields[0]] = (fields[1], fields[2], fields[6] if len(fields) > 6 else "main")
    return out


GC_LINE = re.compile(r"^gc (\d+) @([0-9.]+)s (\d+)%:")


def gctrace_stats(path):
    """(mean seconds between the starts of automatic GC cycles, the GC CPU % of the last line)."""
    starts, util = [], math.nan
    if not os.path.exists(path):
        return math.nan, math.nan
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = GC_LINE.match(line)
            if m:
                util = float(m.group(3))
                if "(forced)" not in line:
                    starts.append(float(m.group(2)))
    gap = (starts[-1] - starts[0]) / (len(starts) - 1) if len(starts) > 1 else math.nan
    return gap, util


def limiter_on(trace_path):
    """1 if /gc/limiter/last-enabled is non-zero at the end (the limiter was on at some point)."""
    with open(trace_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "gc_limiter_last_enabled" not in rows[-1]:
        return math.nan
    v = num(rows[-1]["gc_limiter_last_enabled"])
    return math.nan if math.isnan(v) else (1.0 if v > 0 else 0.0)


def read_meta(path):
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def num(text):
    try:
        return float(text) if text not in ("", "nan") else math.nan
    except ValueError:
        return math.nan


def read_validate(path):
    """validate.csv -> {(metric, stat): (sim, real)}."""
    rows = {}
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            rows[(r["metric"], r["stat"])] = (num(r["sim"]), num(r["real"]))
    return rows


def pprof_at_drop(trace_path):
    """pprof_inuse in the sample right after the first drop step (the last row of its run)."""
    with open(trace_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    value, inside = math.nan, False
    for r in rows:
        if DROP_STEPS.match(r["step"]):
            value, inside = num(r["pprof_inuse"]), True
        elif inside:
            break
    return value


def rss_after_free_os_memory(trace_path):
    """rss in the row written right after the first free_os_memory step (its last row)."""
    with open(trace_path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    value, inside = math.nan, False
    for r in rows:
        if r["step"] == "free_os_memory":
            value, inside = num(r["rss"]), True
        elif inside:
            break
    return value


def sample_every_s(scenario_path):
    """The scenario's sample_every in seconds (100 ms when absent)."""
    with open(scenario_path, encoding="utf-8") as f:
        m = re.search(r"^sample_every:\s*([0-9.]+)\s*(ms|s)\s*$", f.read(), re.M)
    if not m:
        return 0.1
    return float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)


def run_values(run_dir):
    """Per column key: (sim, real) of one run, plus the release event's label."""
    v = read_validate(os.path.join(run_dir, "validate.csv"))
    get = lambda m, s: v.get((m, s), (math.nan, math.nan))  # noqa: E731
    out = {
        "num_gc": get("num_gc", "final"),
        "rss_peak": get("rss", "peak"),
        "rss_final": get("rss", "final"),
        "heap_goal_peak": get("heap_goal", "peak"),
    }
    # The release after a drop: of the step events (drop:*, drop_all, free_os_memory) gomemsim
    # and the real run both show, the one that released the most real RSS.
    best, label = None, ""
    for (metric, stat), (sim, real) in v.items():
        if metric != "rss" or not stat.startswith("released:"):
            continue
        key = stat[len("released:"):]
        if not RELEASE_STEPS.match(key.split("#")[0]) or math.isnan(real):
            continue
        if best is None or real > best[0]:
            best, label = (real, key), key
    out["release"] = get("rss", "release_s:" + label) if best else (math.nan, math.nan)
    out["pprof_drop"] = (pprof_at_drop(os.path.join(run_dir, "sim", "trace.csv")),
                         pprof_at_drop(os.path.join(run_dir, "real", "trace.csv")))
    out["rss_freeos"] = (rss_after_free_os_memory(os.path.join(run_dir, "sim", "trace.csv")),
                         rss_after_free_os_memory(os.path.join(run_dir, "real", "trace.csv")))
    sim_gap, sim_cpu = gctrace_stats(os.path.join(run_dir, "sim", "gctrace.log"))
    real_gap, real_cpu = gctrace_stats(os.path.join(run_dir, "real", "gctrace.log"))
    out["gc_gap"] = (sim_gap * 1000, real_gap * 1000)
    out["gc_cpu"] = (sim_cpu, real_cpu)
    out["limiter"] = (limiter_on(os.path.join(run_dir, "sim", "trace.csv")),
                      limiter_on(os.path.join(run_dir, "real", "trace.csv")))
    wall = math.nan
    wall_path = os.path.join(run_dir, "wall_s")
    if os.path.exists(wall_path):
        with open(wall_path, encoding="utf-8") as f:
            wall = num(f.read().strip())
    return out, label, wall


def rel_err(sim, real):
    if math.isnan(sim) or math.isnan(real):
        return math.nan
    if real == 0:
        return 0.0 if sim == 0 else math.copysign(math.inf, sim)
    return (sim - real) / abs(real)


def median(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def shown(kind, x):
    if math.isnan(x):
        return "-"
    if kind == "count":
        return f"{x:.0f}"
    if kind == "seconds":
        return f"{x:.1f} s"
    if kind == "ms":
        return f"{x:.0f} ms"
    if kind == "percent":
        return f"{x:.0f} %"
    if kind == "onoff":
        return "on" if x > 0.5 else "off"
    mib = x / 1048576.0
    return f"{mib:.0f} MiB" if mib >= 100 else f"{mib:.1f} MiB"


def percent(e):
    if math.isnan(e):
        return "-"
    if math.isinf(e):
        return "+inf" if e > 0 else "-inf"
    return f"{e * 100:+.1f} %"


NO_GOAL = 2.0 ** 62  # Go reports "no heap goal" (GOGC=off, no limit) as ~2^63 B; gomemsim as 0


def cell(kind, target, sim, real, slack=0.0, goal=False):
    if math.isnan(sim) and math.isnan(real):
        return "-"
    if kind == "onoff":  # the same state, or not
        ok = not math.isnan(real) and (sim > 0.5) == (real > 0.5)
        return f"{shown(kind, sim)} / {shown(kind, real)} {'✓' if ok else '✗'}"
    # No heap goal: gomemsim writes 0, Go ~2^63 B (validate reads that as 0 too).
    if goal and (sim == 0 or sim >= NO_GOAL) and (real == 0 or real >= NO_GOAL):
        return "none / none ✓"
    e = rel_err(sim, real)
    ok = not math.isnan(e) and (abs(e) <= target or abs(sim - real) <= slack)
    mark = "✓" if ok else "✗"
    return f"{shown(kind, sim)} / {shown(kind, real)} ({percent(e)}) {mark}"


def read_notes(path):
    """notes.tsv: (version, id, column key) -> why that cell misses its target."""
    notes = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                s = line.strip()
                if s and not s.startswith("#"):
                    version, sid, keys, text = s.split(None, 3)
                    for key in keys.split(","):
                        notes[(version, sid, key)] = text
    return notes


# The cells that miss their target with no note in notes.tsv (table_rows fills it): with
# --check, a regression (a cell that met its target and no longer does) or a new miss that
# nobody has explained yet fails the run.
UNEXPLAINED = []


def table_rows(args, version, notes, ids, columns):
    """The rows of one table: (body, spread rows, release events, missed-target notes)."""
    sets = read_set(args.set)
    vout = os.path.join(args.out, version)
    setdir = os.path.dirname(os.path.abspath(args.set))
    body, spread_rows, events, missed = [], [], [], []
    for sid in ids:
        file, env, _ = sets[sid]
        if not os.path.isdir(os.path.join(vout, sid)):
            continue
        runs = sorted(
            (d for d in os.listdir(os.path.join(vout, sid)) if re.fullmatch(r"run-\d+", d)),
            key=lambda d: int(d.split("-")[1]))
        per_run = [run_values(os.path.join(vout, sid, d)) for d in runs]
        if not per_run:
            continue
        slack = sample_every_s(os.path.join(setdir, file))
        name = f"[{sid}](tools/fidelity/{file})" + ("" if env == "-" else f" `{env}`")
        cells = []
        spreads = []
        for key, title, target, kind in columns:
            sims = [r[0][key][0] for r in per_run]
            reals = [r[0][key][1] for r in per_run]
            sim = sims[0]
            real = median(reals)
            cells.append(cell(kind, target, sim, real, slack if kind == "seconds" else 0.0, key == "heap_goal_peak"))
            if cells[-1].endswith("✗"):
                note = notes.get((version, sid, key)) or notes.get((version, sid, "*")) or notes.get(("*", sid, key)) \
                    or notes.get(("*", sid, "*"))
                if note is None:
                    note = "not explained yet"
                    UNEXPLAINED.append(f"{version} {sid} {key} ({title}): {cells[-1]}")
                missed.append(f"- {sid}, {title}: {note}.")
            finite = [x for x in reals if not math.isnan(x)]
            if kind == "onoff":
                spreads.append(f"on in {sum(1 for x in finite if x > 0.5)} of {len(finite)}" if finite else "-")
            elif key == "heap_goal_peak" and finite and all(x == 0 or x >= NO_GOAL for x in finite):
                spreads.append("-")
            elif len(finite) > 1 and max(finite) == min(finite):
                spreads.append("0 %")
            elif len(finite) > 1 and real != 0 and not math.isnan(real):
                spreads.append(f"{(max(finite) - min(finite)) / abs(real) * 100:.0f} %")
            elif len(finite) > 1:
                spreads.append(f"{shown(kind, min(finite))}-{shown(kind, max(finite))}")
            else:
                spreads.append("-")
        body.append(f"| {name} | " + " | ".join(cells) + " |")
        walls = [r[2] for r in per_run]
        spread_rows.append(f"| {sid} | {len(per_run)} | " + " | ".join(spreads) + f" | {shown('seconds', median(walls))} |")
        labels = sorted({r[1] for r in per_run if r[1]})
        if labels and any(c[0] == "release" for c in columns):
            events.append(f"{sid}: `{'`, `'.join(labels)}`")
    return body, spread_rows, events, missed


def table_lines(columns, body, spread_rows, missed):
    lines = ["| scenario | " + " | ".join(c[1] for c in columns) + " |", "|---|" + "---|" * len(columns), *body]
    if missed:
        lines += ["", "Why a cell misses its target (the numbers are the divergences in `tests/fidelity/README.md`):", "",
                  *missed]
    if any(r.split(" | ")[1] != "1" for r in spread_rows):
        lines += [
            "",
            "| real-run spread | runs | " + " | ".join(c[1] for c in columns) + " | wall time per validate |",
            "|---|---|" + "---|" * len(columns) + "---|",
            *spread_rows,
        ]
    return lines


def build_version(args, version, notes):
    sets = read_set(args.set)
    vout = os.path.join(args.out, version)
    meta = read_meta(os.path.join(vout, "meta.txt"))
    ids = [i for i in args.ids.split(",") if i]
    main_ids = [i for i in ids if sets[i][2] == "main"]
    limit_ids = [i for i in ids if sets[i][2] == "limit"]
    body, spread_rows, events, missed = table_rows(args, version, notes, main_ids, COLUMNS)
    lbody, lspread, _, lmissed = table_rows(args, version, notes, limit_ids, LIMIT_COLUMNS)
    multi = any(r.split(" | ")[1] != "1" for r in spread_rows + lspread)
    go = meta.get("go_version", "?").replace("go version ", "")
    machine = f"{go} on {meta.get('nproc', '?')} CPUs ({meta.get('model', '?')}, transparent huge pages {meta.get('thp', '?')})"
    if meta.get("mode") == "recorded":
        first = (f"Real runs recorded {meta.get('date', '?')} with {machine} (`tests/fidelity/{version}`); "
                 f"gomemsim {meta.get('commit', '?')} compared with them by `tools/fidelity.sh --recorded`.")
    else:
        first = (f"Measured {meta.get('date', '?')} with {machine}, gomemsim {meta.get('commit', '?')}, by "
                 "`tools/fidelity.sh`" + (" --ci" if meta.get("mode") == "ci" else "") + ".")
    lines = [
        f"### {version}",
        "",
        first
        + (" The real side is the median of the real runs; the spread tables give their number and spread."
           if multi else " The real side is a single run per scenario.")
        + (" Release after drop is for the step event that released the most real RSS"
           + (f" ({'; '.join(events)})" if events else "") + "." if body else "")
        + (" No Go ran for this table, so it has no wall times." if meta.get("mode") == "recorded" else ""),
    ]
    if body:
        lines += ["", *table_lines(COLUMNS, body, spread_rows, missed)]
    if lbody:
        lines += ["", f"At the memory limit ({version}):", "", *table_lines(LIMIT_COLUMNS, lbody, lspread, lmissed)]
    return "\n".join(lines) + "\n"


def build(args):
    notes = read_notes(os.path.join(os.path.dirname(os.path.abspath(args.set)), "notes.tsv"))
    versions = [v for v in args.versions.split(",") if v]
    intro = (
        "Each cell: gomemsim / real Go (relative error, gomemsim - real over real) and ✓ or ✗ against "
        "the target: GC count within 10 %, peak and final RSS within 10 %, heap goal within 5 %, time to "
        "release RSS after a drop within 20 % (or within one sample interval), the heap profile's in-use "
        "bytes at the drop within 5 %, RSS right after debug.FreeOSMemory() within 10 %. gomemsim runs "
        "each scenario as the Go version of its block (`--set go=VERSION`), and is deterministic, so its "
        "figure is the same against every real run. Release after drop: time from the step until RSS is "
        "within 10 % of its value at the end of the quiet period that follows. With GOGC=off there is no "
        "heap goal (Go reports ~2^63 B, gomemsim 0): shown as none. The spread tables give (max - min) / "
        "median of the real runs: where a growing heap's GCs land and the scavenger's batches vary from "
        "run to run, steady states do not. The tables at the memory limit add the mean time between the "
        "starts of automatic GC cycles (gctrace's @ times) within 15 %, the GC CPU of the last gctrace line "
        "within 20 %, and whether the GC CPU limiter turned on at all (/gc/limiter/last-enabled).\n")
    return intro + "".join("\n" + build_version(args, v, notes) for v in versions)


def replace_readme(path, table):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        b = next(i for i, l in enumerate(lines) if l.lstrip().startswith(BEGIN))
        e = next(i for i, l in enumerate(lines) if i > b and l.strip() == END)
    except StopIteration:
        sys.exit(f"table.py: {path}: no '{BEGIN} ... {END}' markers")
    new = lines[: b + 1] + table.rstrip("\n").split("\n") + lines[e:]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(new))
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--set", required=True, help="tools/fidelity/set.tsv")
    p.add_argument("--out", required=True, help="the runs' directory")
    p.add_argument("--ids", required=True, help="scenario ids, comma-separated, in table order")
    p.add_argument("--versions", required=True, help="Go versions (folders of --out), comma-separated, in block order")
    p.add_argument("--readme", help="README.md to update between the markers")
    p.add_argument("--check", action="store_true",
                   help="exit 3 when a cell misses its target and notes.tsv does not say why")
    a = p.parse_args()
    table = build(a)
    with open(os.path.join(a.out, "fidelity.md"), "w", encoding="utf-8") as f:
        f.write(table)
    sys.stdout.write(table)
    if a.check and UNEXPLAINED:
        # Before the README is touched: a table with an unexplained miss is not published.
        sys.stderr.write("table.py: these cells miss their target and tools/fidelity/notes.tsv does not say why "
                         "(a regression, or a new miss to explain there):\n" + "".join(f"  {u}\n" for u in UNEXPLAINED))
        sys.exit(3)
    if a.readme:
        replace_readme(a.readme, table)


if __name__ == "__main__":
    main()
