#!/usr/bin/env python3
"""Checks the layout rules of docs/architecture.md: no source file over 500 lines, no function
over 80 lines unless a `// long:` comment just above it says why, and no import cycle between a
crate's top-level modules (../shared/tools/modcycles.py's rule, re-implemented so CI needs no
file outside the repository). Prints each breach; exits 1 if there is one."""
import os, re, sys

ROOTS = ["fnkit", "fnkit-macros", "fnkit-spec", "fnkit-local", "tests", "bench", "examples", "conformance/rust"]
MAX_FILE, MAX_FN = 500, 80
FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")

def strip(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)          # string literals
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)            # char literals
    return line.split("//")[0]

def functions(lines):
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        depth, opened, j = 0, False, i
        while j < len(lines):
            code = strip(lines[j])
            if not opened and ";" in code and "{" not in code:
                break  # a declaration without a body
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth <= 0:
                break
            j += 1
        if opened:
            reason = any("// long:" in lines[k] for k in range(max(0, i - 3), i))
            yield m.group(6), i + 1, j - i + 1, reason
        i += 1

def cycles(src):
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            top = rel.split(os.sep)[0]
            top = top[:-3] if top.endswith(".rs") else top
            if top in ("main", "lib"):
                continue
            text = open(os.path.join(root, f), encoding="utf-8").read()
            text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
            deps = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
            for m in re.findall(r"use crate::\{([^}]*)\}", text):
                deps |= set(re.findall(r"(?:^|,)\s*([a-z_][a-z0-9_]*)", m))
            mods.setdefault(top, set()).update(d for d in deps if d != top)
    graph = {m: {d for d in ds if d in mods} for m, ds in mods.items()}
    found = []
    def reach(a, b, seen):
        return any(n == b or (n not in seen and reach(n, b, seen | {n})) for n in graph[a])
    for a in sorted(graph):
        for b in sorted(graph[a]):
            if a < b and reach(b, a, {b}):
                found.append(f"{src}: import cycle between {a} and {b}")
    return found

breaches = []
for root in ROOTS:
    for dirpath, _, files in os.walk(root):
        if "/target" in dirpath or "/tests/ui" in dirpath:
            continue
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            lines = open(path, encoding="utf-8").read().split("\n")
            if len(lines) - 1 > MAX_FILE:
                breaches.append(f"{path}: {len(lines) - 1} lines (at most {MAX_FILE})")
            for name, line, length, reason in functions(lines):
                if length > MAX_FN and not reason:
                    breaches.append(f"{path}:{line}: fn {name} is {length} lines (at most {MAX_FN}, or a `// long:` reason)")
    if os.path.isdir(os.path.join(root, "src")):
        breaches += cycles(os.path.join(root, "src"))
for b in breaches:
    print(b)
print(f"layout: {len(breaches)} breach(es)")
sys.exit(1 if breaches else 0)
