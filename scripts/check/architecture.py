#!/usr/bin/env python3
"""Checks the workspace's shape (issue 15), printing what it finds; exit 1 on a violation.

* no crate over 30% of the workspace's Rust lines (src/, tests/, examples/, benches/);
* no module file over 1,000 lines unless its `//!` doc gives the reason, in a line
  starting `//! Size:`;
* no import circles between the modules of a crate: module A uses module B when A's
  file names `crate::B…`, `super::…B` or a child `B::…` it declares; a module's uses
  of its own ancestors or descendants (re-exports, `super::Type`) are not counted;
  strongly connected components of two or more modules are circles;
* crate dependencies point one way: each crate may depend only on the layers below it.

    python3 scripts/check/architecture.py [--verbose]
"""
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_SHARE = 0.30
MAX_LINES = 1000
# Layers, lowest first: a crate may depend (normal dependencies) only on crates of lower layers.
LAYERS = [
    ["kubescribe-core", "kubescribe-metrics"],
    ["kubescribe-events", "kubescribe-testkit"],
    ["kubescribe-simulate", "kubescribe-validate", "kubescribe-store-pg"],
    ["kubescribe-intent", "kubescribe-synth", "kubescribe-discover", "kubescribe-kube", "kubescribe-collect"],
    ["kubescribe-infer"],
    ["kubescribe-cli", "kubescribe-py", "kubescribe-benches"],
]


def workspace_crates():
    ws = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    out = {}
    for m in ws:
        manifest = tomllib.loads((ROOT / m / "Cargo.toml").read_text())
        out[manifest["package"]["name"]] = (ROOT / m, manifest)
    return out


def rust_files(d):
    for sub in ("src", "tests", "examples", "benches"):
        yield from sorted((d / sub).rglob("*.rs")) if (d / sub).is_dir() else []


def module_path(src, f):
    rel = f.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP_RE = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)
CHILD_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", re.M)
COMMENT_RE = re.compile(r"//[^\n]*")


def resolve(mods, base, names):
    """Longest module prefix of base + names that exists."""
    best = None
    cur = list(base)
    if tuple(cur) in mods:
        best = tuple(cur)
    for n in names:
        cur.append(n)
        if tuple(cur) in mods:
            best = tuple(cur)
        else:
            break
    return best


def crate_cycles(src):
    files = {module_path(src, f): f for f in sorted(src.rglob("*.rs"))}
    # only modules reachable from lib.rs/main.rs (skip src/bin and stray files)
    mods = set(files)
    edges = {m: set() for m in mods}
    for m, f in files.items():
        text = COMMENT_RE.sub("", f.read_text())
        refs = []
        for g in GROUP_RE.finditer(text):
            head = [x for x in g.group(2).split("::") if x]
            for item in re.split(r"[,\s{}]+", g.group(3)):
                item = item.split("::")[0].strip()
                if item and item not in ("self",):
                    refs.append((g.group(1), head + [item]))
        for p in PATH_RE.finditer(text):
            refs.append((p.group(1), [x for x in p.group(2).split("::") if x]))
        children = set(CHILD_RE.findall(text))
        for c in children:
            for q in re.finditer(r"\b%s::([A-Za-z_][A-Za-z0-9_]*)" % c, text):
                refs.append(("self", [c, q.group(1)]))
        for kind, names in refs:
            if kind == "crate":
                base = ()
            elif kind == "self":
                base = m
            else:
                base = m[:-1]
                while names and names[0] == "super":
                    base = base[:-1]
                    names = names[1:]
            t = resolve(mods, base, names)
            if t is None or t == m:
                continue
            # ancestors / descendants do not count
            if t[: len(m)] == m or m[: len(t)] == t:
                continue
            edges[m].add(t)
    return edges


def sccs(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return [c for c in out if len(c) > 1]


def main():
    verbose = "--verbose" in sys.argv
    crates = workspace_crates()
    bad = 0
    lines = {n: sum(len(f.read_text().splitlines()) for f in rust_files(d)) for n, (d, _) in crates.items()}
    total = sum(lines.values())
    print(f"crates ({total} lines of Rust):")
    for n, l in sorted(lines.items(), key=lambda x: -x[1]):
        share = l / total
        flag = "  TOO LARGE" if share > MAX_SHARE else ""
        bad += bool(flag)
        print(f"  {n:<22} {l:>6} {share:6.1%}{flag}")

    print(f"modules over {MAX_LINES} lines:")
    for n, (d, _) in sorted(crates.items()):
        for f in rust_files(d):
            text = f.read_text()
            count = len(text.splitlines())
            if count > MAX_LINES:
                reason = any(l.startswith("//! Size:") for l in text.splitlines()[:80])
                bad += not reason
                print(f"  {f.relative_to(ROOT)}: {count} lines, {'reason given' if reason else 'NO REASON (//! Size: ...)'}")

    print("import circles between modules:")
    found = 0
    for n, (d, _) in sorted(crates.items()):
        src = d / "src"
        edges = crate_cycles(src)
        if verbose:
            for m, ts in sorted(edges.items()):
                print(f"  {n}::{'::'.join(m) or '(root)'} -> {sorted('::'.join(t) or '(root)' for t in ts)}")
        for comp in sccs(edges):
            found += 1
            print(f"  {n}: " + " <-> ".join(sorted("::".join(c) or "(root)" for c in comp)))
    if not found:
        print("  none")
    bad += found

    print("crate layers:")
    layer_of = {c: i for i, layer in enumerate(LAYERS) for c in layer}
    for n, (d, manifest) in sorted(crates.items()):
        if n not in layer_of:
            print(f"  {n}: not placed in a layer")
            bad += 1
            continue
        for dep in manifest.get("dependencies", {}):
            if dep in layer_of and layer_of[dep] >= layer_of[n]:
                print(f"  {n} (layer {layer_of[n]}) depends on {dep} (layer {layer_of[dep]})")
                bad += 1
    if not bad:
        print("  ok")
    print("architecture: " + ("ok" if not bad else f"{bad} problem(s)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
