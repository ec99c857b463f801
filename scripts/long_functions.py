#!/usr/bin/env python3
"""Lists non-test Rust functions longer than a limit (default 80 lines).

Usage: scripts/long_functions.py [LIMIT] [PATH...]   (default: the workspace)

A function is counted from its `fn` line to its closing brace (brace
matching on code with strings, chars and comments stripped). Code inside
`#[cfg(test)]` modules and files under `tests/` or `benches/` is skipped:
the rule "functions under ~80 lines" is for the library and binary code.
"""
import re
import sys
from pathlib import Path

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(unsafe\s+)?(extern\s+\"C\"\s+)?fn\s+(\w+)")


def strip(line, state):
    """Removes comments, strings and char literals; state carries block comments."""
    out, i = [], 0
    while i < len(line):
        if state["block"]:
            j = line.find("*/", i)
            if j < 0:
                return "".join(out)
            state["block"], i = False, j + 2
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"], i = True, i + 2
            continue
        if c == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        if c == "'" and re.match(r"'(\\.|[^\\'])'", line[i:]):
            i += len(re.match(r"'(\\.|[^\\'])'", line[i:]).group(0))
            continue
        out.append(c)
        i += 1
    return "".join(out)


def item_end(code, i):
    """Last line of the item starting at line i (brace matching), and
    whether it has a body (a `;`-terminated declaration has none)."""
    depth, opened = 0, False
    for j in range(i, len(code)):
        depth += code[j].count("{") - code[j].count("}")
        opened = opened or "{" in code[j]
        if opened and depth <= 0:
            return j, True
        if not opened and code[j].rstrip().endswith(";"):
            return j, False
    return len(code) - 1, opened


def functions(path):
    lines = path.read_text().splitlines()
    state = {"block": False}
    code = [strip(l, state) for l in lines]
    i = 0
    while i < len(lines):
        if "#[cfg(test)]" in lines[i]:
            # skip the item that follows (a test module or function)
            i = item_end(code, i + 1)[0] + 1
            continue
        m = FN.match(code[i])
        if m:
            j, has_body = item_end(code, i)
            if has_body:
                yield m.group(6), i + 1, j - i + 1
        i += 1


def main():
    args = sys.argv[1:]
    limit = int(args.pop(0)) if args and args[0].isdigit() else 80
    roots = [Path(a) for a in args] or [Path(".")]
    found = 0
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.rs"))
        for f in files:
            parts = set(f.parts)
            if parts & {"target", "tests", "benches", ".venv"} or f.name in ("tests.rs", "test_util.rs"):
                continue
            for name, line, n in functions(f):
                if n > limit:
                    print(f"{f}:{line}: {name}: {n} lines")
                    found += 1
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
