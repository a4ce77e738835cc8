#!/usr/bin/env python3
"""Held-out replay of `kubescribe discover`, plotted (issue 24, point 4).

Runs `kubescribe discover --holdout FRACTION --thresholds ... -o json` on a
store (or reads such a JSON file) and plots, per aggregation threshold, the
false-block rate (held-out benign observations of discovered workloads that
the discovered policies block) against the rules' breadth (file and
executable rules, and how many are directories). Writes an SVG (or PNG, by
the extension) and prints the table.

    python3 scripts/discover/holdout_plot.py --store kubescribe.db --out docs/discover-holdout.svg
    python3 scripts/discover/holdout_plot.py --json holdout.json --out holdout.png

Needs matplotlib.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def run_discover(args: argparse.Namespace) -> dict:
    cmd = [
        args.kubescribe,
        "discover",
        "--store",
        str(args.store),
        "--holdout",
        str(args.fraction),
        "--thresholds",
        args.thresholds,
        "-o",
        "json",
    ]
    for e in args.engine:
        cmd += ["--engine", e]
    if args.namespace:
        cmd += ["-n", args.namespace]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def label(t: int | None) -> str:
    return "exact" if t is None else str(t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--store", type=Path, help="an event store (kubescribe ingest)")
    src.add_argument("--json", type=Path, help="the JSON of a previous `discover --holdout -o json`")
    ap.add_argument("--kubescribe", default="target/debug/kubescribe")
    ap.add_argument("--fraction", type=float, default=0.5)
    ap.add_argument("--thresholds", default="0,1,2,3,5,10")
    ap.add_argument("--engine", action="append", default=[])
    ap.add_argument("-n", "--namespace")
    ap.add_argument("--out", type=Path, required=True, help="the plot (.svg or .png)")
    ap.add_argument("--title", default="kubescribe discover: held-out replay")
    args = ap.parse_args()

    data = json.loads(args.json.read_text()) if args.json else run_discover(args)
    points = data["points"]
    if not points:
        print("no points", file=sys.stderr)
        return 1

    print(
        f"{data['workloads']} workloads, each split at {data['fraction']:.0%} of its window: {data['train_events']} distinct events train, "
        f"{data['test_events']} held out"
    )
    print(f"{'threshold':>9} {'judged':>7} {'blocked':>7} {'rate':>7} {'undecided':>9} {'rules':>6} {'dirs':>5}  blocked by kind")
    for p in points:
        print(
            f"{label(p['threshold']):>9} {p['judged']:>7} {p['false_blocks']:>7} "
            f"{p['false_block_rate']:>7.1%} {p['undecided']:>9} {p['path_rules']:>6} {p['dir_rules']:>5}  "
            + ", ".join(f"{k} {v}" for k, v in sorted(p.get("false_blocks_by_kind", {}).items()))
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = list(range(len(points)))
    fig, ax = plt.subplots(figsize=(7, 4.6))
    ax.plot(xs, [100 * p["false_block_rate"] for p in points], "o-", color="tab:red", label="false blocks (%)")
    ax.set_xticks(xs, [label(p["threshold"]) for p in points])
    ax.set_xlabel("directory aggregation threshold (a directory with more entries is allowed whole)")
    ax.set_ylabel("held-out benign observations blocked (%)", color="tab:red")
    top = max(100 * p["false_block_rate"] for p in points)
    ax.set_ylim(0, max(5.0, top * 1.2))
    ax2 = ax.twinx()
    ax2.bar([x - 0.15 for x in xs], [p["path_rules"] for p in points], width=0.3, alpha=0.35, color="tab:blue", label="file/exec rules")
    ax2.bar([x + 0.15 for x in xs], [p["dir_rules"] for p in points], width=0.3, alpha=0.35, color="tab:green", label="of which directories")
    ax2.set_ylabel("rules written (breadth)")
    lines = ax.get_legend_handles_labels()
    bars = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + bars[0], lines[1] + bars[1], loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8)
    judged = points[0]["judged"]
    ax.set_title(f"{args.title}\n(train on the first {data['fraction']:.0%}, {judged} held-out observations judged)", fontsize=10)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
