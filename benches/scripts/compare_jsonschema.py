#!/usr/bin/env python3
"""Compare kubescribe's validation throughput with Python's `jsonschema`.

Runs after `cargo bench -p kubescribe-benches` (which writes the workload to
target/bench-data/<engine>.json and criterion's estimates to target/criterion/).
Python validates the same documents against the same built-in schemas with
`jsonschema`'s Draft 2020-12 validator (formats checked where the library can;
Go's `\\P{C}` class, which Python's `re` lacks, is rewritten to an equivalent
character class). Prints documents/second for both and the ratio.

Usage: python3 benches/scripts/compare_jsonschema.py [--repeat N]
"""
import argparse
import json
import pathlib
import re
import sys
import time

try:
    import jsonschema
except ImportError:
    sys.exit("pip install jsonschema  (the reference implementation)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "target" / "bench-data"
CRIT = ROOT / "target" / "criterion" / "validate"


def python_compatible(schema):
    if isinstance(schema, dict):
        return {k: (re.sub(r"\\P\{C\}", r"[^\\x00-\\x1f\\x7f-\\x9f]", v) if k == "pattern" and isinstance(v, str) else python_compatible(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [python_compatible(x) for x in schema]
    return schema


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit("run `KUBESCRIBE_CORPUS=../shared/corpus cargo bench -p kubescribe-benches` first")
    from importlib.metadata import version
    print(f"jsonschema {version('jsonschema')}, Python {sys.version.split()[0]}")
    print(f"{'engine':<11} {'docs':>5} {'python docs/s':>14} {'rust docs/s':>12} {'ratio':>7}")
    for f in sorted(DATA.glob("*.json")):
        w = json.loads(f.read_text())
        validators = {}
        for key, schema in w["schemas"].items():
            validators[key] = jsonschema.Draft202012Validator(
                python_compatible(schema), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        docs = w["docs"]
        keyed = [(validators[f"{d['apiVersion']}/{d['kind']}"], d) for d in docs]
        invalid = sum(1 for v, d in keyed if not v.is_valid(d))
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            for v, d in keyed:
                for _err in v.iter_errors(d):
                    pass
            best = min(best, time.perf_counter() - t)
        py_rate = len(docs) / best
        est = CRIT / w["engine"] / "new" / "estimates.json"
        rust_rate = None
        if est.exists():
            mean_ns = json.loads(est.read_text())["mean"]["point_estimate"]
            rust_rate = len(docs) / (mean_ns / 1e9)
        ratio = f"{rust_rate / py_rate:6.1f}x" if rust_rate else "   n/a"
        rr = f"{rust_rate:12.0f}" if rust_rate else f"{'n/a':>12}"
        note = f"  ({invalid} rejected by Python)" if invalid else ""
        print(f"{w['engine']:<11} {len(docs):>5} {py_rate:14.0f} {rr} {ratio}{note}")


if __name__ == "__main__":
    main()
