#!/usr/bin/env python3
"""Helper of tools/mutate.sh: reads the mutation list, checks its anchors, applies one mutation,
and reads ctest's output for the first failing test. Run it through mutate.sh; the list's format
is described at the top of tools/mutations.txt.

  mutate.py check LIST ROOT           every entry well formed, every anchor exactly once in ROOT
  mutate.py ids LIST [ONLY]           the ids to run (ONLY: comma-separated ids, each must exist)
  mutate.py get LIST ID FIELD         one field of one entry (file, bug, old, new)
  mutate.py show LIST                 the list as a table: id, file, the bug
  mutate.py apply LIST ID ROOT        put the mutation into ROOT/file (the anchor again exactly once)
  mutate.py first-failure CTEST_LOG   the name of the first test ctest reported as not passing
"""
import re
import signal
import sys

FIELDS = ("file", "bug", "old", "new")


class ListError(Exception):
    pass


def parse(path):
    """Entries in file order: [{'id', 'file', 'bug', 'old', 'new', 'line'}]."""
    entries, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.fullmatch(r"\[([A-Za-z0-9_.-]+)\]\s*", line)
            if m:
                cur = {"id": m.group(1), "line": n}
                entries.append(cur)
                continue
            m = re.fullmatch(r"(file|bug|old|new):(.*)", line)
            if not m or cur is None:
                raise ListError(f"{path}:{n}: expected '[id]' or 'file:/bug:/old:/new:' line, got: {line!r}")
            key, value = m.group(1), m.group(2).strip()
            if key in cur:
                raise ListError(f"{path}:{n}: [{cur['id']}] has a second '{key}:'")
            cur[key] = value
    seen = set()
    for e in entries:
        where = f"{path}:{e['line']}: [{e['id']}]"
        if e["id"] in seen:
            raise ListError(f"{where}: the id is used twice")
        seen.add(e["id"])
        for key in FIELDS:
            if key not in e:
                raise ListError(f"{where}: no '{key}:' line")
        for key in ("file", "bug", "old"):
            if not e[key]:
                raise ListError(f"{where}: '{key}:' is empty")
        if e["old"] == e["new"]:
            raise ListError(f"{where}: old and new are the same text")
        if e["new"].count(LINE_BREAK) != e["old"].count(LINE_BREAK):
            raise ListError(f"{where}: new must have as many line breaks (⏎) as old")
        if e["file"].startswith("/") or ".." in e["file"].split("/"):
            raise ListError(f"{where}: file must be a path inside the repository")
        if re.search(r"(^|/)tests?/|_test\.cc$|_test_support\.h$", e["file"]):
            raise ListError(f"{where}: mutations go into the model and its outputs, not into tests ({e['file']})")
    if not entries:
        raise ListError(f"{path}: no mutations")
    return entries


LINE_BREAK = "\u23ce"  # ⏎: a line break and the next line's indentation (adjacent-line swaps)


def anchor_pattern(old):
    return re.compile(r"\n([ \t]*)".join(re.escape(part) for part in old.split(LINE_BREAK)))


def count_anchor(e, root):
    path = f"{root}/{e['file']}"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise ListError(f"[{e['id']}]: cannot read {e['file']}: {err.strerror}")
    return text, len(anchor_pattern(e["old"]).findall(text))


def check(entries, root):
    bad = []
    for e in entries:
        try:
            _, n = count_anchor(e, root)
        except ListError as err:
            bad.append(str(err))
            continue
        if n != 1:
            bad.append(f"[{e['id']}]: the old text occurs {n} times in {e['file']} (must be exactly once): {e['old']!r}")
    if bad:
        raise ListError("anchors that do not match exactly once:\n  " + "\n  ".join(bad))


def by_id(entries, ident):
    for e in entries:
        if e["id"] == ident:
            return e
    raise ListError(f"no mutation with id '{ident}' (see --list)")


def apply(e, root):
    text, n = count_anchor(e, root)
    if n != 1:
        raise ListError(f"[{e['id']}]: the old text occurs {n} times in {e['file']}")
    m = anchor_pattern(e["old"]).search(text)
    # Each ⏎ of new becomes the line break and indentation its counterpart in old matched.
    seps = ["\n" + indent for indent in m.groups()]
    parts = e["new"].split(LINE_BREAK)
    new = parts[0] + "".join(sep + part for sep, part in zip(seps, parts[1:]))
    with open(f"{root}/{e['file']}", "w", encoding="utf-8") as f:
        f.write(text[:m.start()] + new + text[m.end():])


# ctest lines such as
#   " 12/337 Test  #41: Suite.Name ..........***Failed    0.03 sec"
#   "        Test #300: Scenarios/EveryScenario.X/seed_1gb  # GetParam() = \"...\" ...***Exception: SegFault  1 sec"
RESULT = re.compile(r"Test\s+#\d+: (.*?) \.+\s*(\*\*\*.*|Failed.*|Passed.*|Not Run.*)$")


def first_failure(log):
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = RESULT.search(line.rstrip("\n"))
            if not m:
                continue
            status = m.group(2)
            if status.startswith("Passed") or status.startswith("***Skipped"):
                continue
            name = re.sub(r"\s+#\s*GetParam\(\).*$", "", m.group(1)).strip()
            if status.startswith("***Failed"):
                return name
            status = re.sub(r"\s+[0-9.]+ sec$", "", status).lstrip("*").strip()
            return f"{name} ({status})"
    return ""


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `mutate.sh --list | head` is fine
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, lst = argv[1], argv[2]
    try:
        if cmd == "first-failure":
            print(first_failure(lst))
            return 0
        entries = parse(lst)
        if cmd == "check":
            check(entries, argv[3])
        elif cmd == "ids":
            if len(argv) > 3 and argv[3]:
                wanted = [i for i in argv[3].split(",") if i]
                for i in wanted:
                    by_id(entries, i)
                print("\n".join(e["id"] for e in entries if e["id"] in wanted))
            else:
                print("\n".join(e["id"] for e in entries))
        elif cmd == "get":
            print(by_id(entries, argv[3])[argv[4]])
        elif cmd == "show":
            w = max(len(e["id"]) for e in entries)
            fw = max(len(e["file"]) for e in entries)
            for e in entries:
                print(f"{e['id']:<{w}}  {e['file']:<{fw}}  {e['bug']}")
            print(f"{len(entries)} mutations")
        elif cmd == "apply":
            apply(by_id(entries, argv[3]), argv[4])
        else:
            sys.exit(__doc__)
    except ListError as err:
        print(f"mutate: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
