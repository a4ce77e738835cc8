#!/usr/bin/env python3
"""Checks the licence of every crate the workspace can build with (from `cargo metadata
--locked`, so the lock file is what is checked) against the project's allow-list: every
licence is compatible with shipping kubescribe under Apache-2.0. An SPDX expression passes
when it can be satisfied by allowed licences (`A OR B` needs one, `A AND B` both; the old
`A/B` spelling is OR). Prints a table of licences and the crates using each; exit 1 when a
crate's licence is missing or not allowed.

    python3 scripts/check/licenses.py
"""
import json
import re
import subprocess
import sys
from collections import defaultdict

ALLOWED = {
    "MIT", "MIT-0", "Apache-2.0", "Apache-2.0 WITH LLVM-exception", "BSD-2-Clause",
    "BSD-3-Clause", "ISC", "Zlib", "Unicode-3.0", "Unlicense", "BSL-1.0", "CC0-1.0",
    "CDLA-Permissive-2.0",
}


def tokens(expr):
    return re.findall(r"\(|\)|[A-Za-z0-9.+-]+(?:\s+WITH\s+[A-Za-z0-9.+-]+)?", expr.replace("/", " OR "))


def satisfiable(expr):
    toks = tokens(expr)
    pos = 0

    def atom():
        nonlocal pos
        t = toks[pos]
        pos += 1
        if t == "(":
            v = disj()
            pos += 1  # ')'
            return v
        return re.sub(r"\s+", " ", t) in ALLOWED

    def conj():
        nonlocal pos
        v = atom()
        while pos < len(toks) and toks[pos] == "AND":
            pos += 1
            v = atom() and v
        return v

    def disj():
        nonlocal pos
        v = conj()
        while pos < len(toks) and toks[pos] == "OR":
            pos += 1
            v = conj() or v
        return v

    return disj()


def main():
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True).stdout)
    ws = set(meta["workspace_members"])
    by_licence = defaultdict(list)
    bad = []
    for p in meta["packages"]:
        lic = p.get("license")
        if p["id"] in ws:
            if lic != "Apache-2.0":
                bad.append(f"{p['name']} (workspace): licence {lic!r}, expected Apache-2.0")
            continue
        by_licence[lic or "(none)"].append(p["name"])
        if not lic or not satisfiable(lic):
            bad.append(f"{p['name']} {p['version']}: {lic or 'no licence field'}")
    for lic, names in sorted(by_licence.items(), key=lambda x: -len(x[1])):
        print(f"{len(names):>4}  {lic}")
    if bad:
        print("not allowed:")
        for b in bad:
            print("  " + b)
        return 1
    print(f"licences: ok ({sum(map(len, by_licence.values()))} crates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
