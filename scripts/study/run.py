#!/usr/bin/env python3
"""Runs the model study's rows (examples/study.toml) and writes the report (issue 25).

Each row runs on the first N samples of the held-out test set (target/study/data/test.jsonl,
scripts/study/testset.py):

- single-attempt rows: `kubescribe eval --dataset SUBSET --backend synth|candle:MODEL|ort:DIR --template T
  --few-shot N --examples BANK [--no-constrain] --max-new-tokens M --threads K`;
- rows with `attempts` > 1: `kubescribe generate --backend candle --model MODEL --intent-file …
  --max-attempts A --best-effort --trace …` per sample (the regeneration loop with validation and
  fidelity feedback; a failed loop scores its last valid answer, or nothing), then the final
  answers are scored by `kubescribe eval --backend replay:` keyed by the first prompt eval builds
  (scripts/study/capture.py), so every row is scored by the same harness.

Beside eval's figures (compile %, coverage %, fidelity %, BLEU, chrF++, ROUGE-1/2/L, METEOR), each
row gets: the text metrics again on canonical YAML (constrained answers are compact JSON, the
references YAML: eval's raw BLEU compares the two forms), simulation verdicts (the answer replayed
on the intent evaluation case's scenario events with `kubescribe.simulate`: share of cases whose
verdicts all equal the expected ones), mean attempts, decode tokens/s (answer tokens, SmolLM2's
tokenizer, over generation wall time, prompt processing included) and the row's wall time.

    python scripts/study/run.py --config examples/study.toml [--subset N] [--rows SLUG,SLUG] \
        [--out target/study/results] [--doc docs/model-study]

Needs the study venv's Python (scripts/study/install.sh: the kubescribe wheel, tokenizers,
matplotlib). Writes OUT/rows/<row>/ (eval's files), OUT/study.json; with --doc, DOC.csv, DOC.json,
DOC-metrics.svg, DOC-scatter.svg and the table between the markers of DOC.md.
"""

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import capture  # noqa: E402

METRICS = [("compile_rate", "compile %", 100), ("coverage_rate", "coverage %", 100),
           ("fidelity_rate", "fidelity %", 100), ("bleu", "BLEU", 1), ("chrf_pp", "chrF++", 1),
           ("rouge1", "ROUGE-1", 1), ("rouge2", "ROUGE-2", 1), ("rougeL", "ROUGE-L", 1),
           ("meteor", "METEOR", 1)]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def rows_of(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def model_path(spec: str, cfg: dict) -> Path | None:
    runs = Path(os.environ.get("KUBESCRIBE_STUDY_RUNS", ROOT / "target/study/runs"))
    named = {"base": os.environ.get("KUBESCRIBE_SMOLLM2_HF"), "tuned": runs / "tuned-r2/merged",
             "tuned-r1": runs / "tuned-r1/merged", "base-onnx": os.environ.get("KUBESCRIBE_SMOLLM2_ONNX"),
             "tuned-onnx": runs / "tuned-r2/onnx"}
    p = named.get(spec, spec)
    return Path(p) if p else None


def run_eval(kb: str, subset: Path, row: dict, model: Path | None, out: Path, cfg: dict, bank: Path) -> None:
    backend = "synth" if row.get("backend") == "synth" else f"{row.get('backend', 'candle')}:{model}"
    cmd = [kb, "eval", "--dataset", str(subset), "--backend", backend, "--out", str(out), "-q", "--force",
           "--template", row.get("template", "few-shot"), "--few-shot", str(row.get("few_shot", 2)),
           "--examples", str(bank), "--max-new-tokens", str(cfg["max_new_tokens"]),
           "--threads", str(cfg["threads"])]
    if not row.get("constrain", True):
        cmd.append("--no-constrain")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def run_loop(kb: str, subset: Path, row: dict, model: Path, out: Path, cfg: dict, bank: Path) -> list[dict]:
    """The regeneration loop per sample; eval over the final answers (replay)."""
    out.mkdir(parents=True, exist_ok=True)
    tmpl, k = row.get("template", "few-shot"), row.get("few_shot", 2)
    prompts = capture.capture(kb, subset, tmpl, k, bank, row.get("constrain", True))
    replay, traces = [], []
    for s in rows_of(subset):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(s["intent"], f)
        tr = out / f"trace-{s['id']}.json"
        cmd = [kb, "generate", "--intent-file", f.name, "--backend", row.get("backend", "candle"), "--model", str(model),
               "--template", tmpl, "--few-shot", str(k), "--examples", str(bank),
               "--max-attempts", str(row["attempts"]), "--max-new-tokens", str(cfg["max_new_tokens"]),
               "--threads", str(cfg["threads"]), "--trace", str(tr), "--force", "--best-effort", "-q"]
        if not row.get("constrain", True):
            cmd.append("--no-constrain")
        t = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        os.unlink(f.name)
        answer = p.stdout if p.stdout.strip() else ""
        if answer.startswith("#"):  # the BEST EFFORT comment line
            answer = answer.split("\n", 1)[1] if "\n" in answer else ""
        t_info = json.loads(tr.read_text()) if tr.exists() else {"attempts": []}
        traces.append({"id": s["id"], "exit": p.returncode, "wall_s": time.time() - t,
                       "attempts": len(t_info.get("attempts", [])),
                       "completion_tokens": sum(a.get("completion_tokens") or 0 for a in t_info.get("attempts", [])),
                       "generate_ms": sum(a.get("generate_ms") or 0 for a in t_info.get("attempts", []))})
        replay.append({"prompt": prompts[s["id"]], "output": answer})
    rp = out / "replay.jsonl"
    rp.write_text("".join(json.dumps(r) + "\n" for r in replay))
    cmd = [kb, "eval", "--dataset", str(subset), "--backend", f"replay:loop={rp}", "--out", str(out / "eval"),
           "-q", "--force", "--template", tmpl, "--few-shot", str(k), "--examples", str(bank)]
    if not row.get("constrain", True):
        cmd.append("--no-constrain")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    (out / "loop.jsonl").write_text("".join(json.dumps(t) + "\n" for t in traces))
    return traces


def canonical(text: str):
    import kubescribe
    try:
        return kubescribe.Policy.from_yaml(text)
    except Exception:
        return None


def extra_metrics(eval_dir: Path, subset: list[dict], tok) -> dict:
    """Canonical-YAML text metrics, simulation verdicts, answer tokens."""
    import kubescribe
    gens = {g["id"]: g for g in rows_of(next(eval_dir.glob("generations-*.jsonl")))}
    hyps, refs, sim_ok, sim_n, toks, ms = [], [], 0, 0, 0, 0.0
    for s in subset:
        g = gens.get(s["id"], {})
        out = g.get("output") or ""
        pol = canonical(out) if out.strip() else None
        hyps.append(pol.to_yaml() if pol else out)
        refs.append(s["reference"])
        if tok is not None and out:
            toks += len(tok.encode(out, add_special_tokens=False))
            ms += g.get("elapsed_ms") or 0
        if s.get("events") and s.get("verdicts"):
            sim_n += 1
            if pol is not None:
                try:
                    got = [d.get("verdict") for d in kubescribe.simulate(pol, events=s["events"]).decisions]
                    sim_ok += got == s["verdicts"]
                except Exception:
                    pass
    cs = kubescribe.corpus_score(hyps, refs)
    return {"yaml_bleu": cs.get("bleu"), "yaml_chrf_pp": cs.get("chrf_pp"), "yaml_rougeL": cs.get("rougeL"),
            "yaml_meteor": cs.get("meteor"), "sim_ok": sim_ok, "sim_n": sim_n,
            "answer_tokens": toks, "gen_ms": ms}


def training_figures() -> dict:
    """The training rounds' records (finetune.py's train.json, selftrain.py's selftrain.json)."""
    runs = Path(os.environ.get("KUBESCRIBE_STUDY_RUNS", ROOT / "target/study/runs"))
    out = {}
    for key, rel in (("round1", "tuned-r1/train.json"), ("selftrain", "selftrain-r1/selftrain.json"),
                     ("round2", "tuned-r2/train.json")):
        p = runs / rel
        if p.exists():
            d = json.loads(p.read_text())
            d.pop("losses", None)
            out[key] = d
    if (runs / "heldout-loss.json").exists():
        out["heldout_loss"] = json.loads((runs / "heldout-loss.json").read_text())
    return out


def training_table(t: dict) -> str:
    if not t:
        return "No training records (scripts/study/finetune.py has not run)."
    lines = ["| round | examples prepared (JSON / YAML / accepted) | tokens trained (answer) | examples seen (optimizer steps) | "
             "train s | tok/s | loss first 8 -> last 8 | stopped |", "|---|---|---:|---:|---:|---:|---|---|"]
    for key in ("round1", "round2"):
        if key in t:
            r = t[key]
            f = r["examples_by_form"]
            lines.append(f"| {key[-1]} | {r['examples']} ({f.get('json', 0)} / {f.get('yaml', 0)} / {f.get('extra', 0)}) | "
                         f"{r['tokens_trained']} ({r['answer_tokens_trained']}) | {r['steps']} ({r['optimizer_steps']}) | "
                         f"{r['train_s']} | {r['tokens_per_s']} | {r['loss_first8']} -> {r['loss_last8']} | {r['stopped']} |")
    text = "\n".join(lines)
    if "selftrain" in t:
        s = t["selftrain"]
        text += (f"\n\nValidator in the loop (round-1 model, {'constrained' if s.get('constrained') else 'unconstrained'}, "
                 f"T = {s['temperature']}): {s['intents']} train intents x {s['samples_per_intent']} samples = "
                 f"{s['candidates']} candidates; {s['valid']} valid, {s['faithful']} valid and faithful, "
                 f"{s['accepted']} accepted as round-2 data ({s['intents_with_an_accepted_answer']} intents); "
                 f"{s['sampling_s']} s of sampling.")
    if "heldout_loss" in t:
        h = t["heldout_loss"]
        text += (f"\n\nHeld-out answer loss (scripts/study/heldout_loss.py: mean cross-entropy per reference answer "
                 f"token, teacher-forced, on the first {h['n']} test samples' zero-shot prompts; lower is better):\n\n"
                 "| model | JSON answers (constrained prompt) | YAML answers (free prompt) |\n|---|---:|---:|\n")
        text += "\n".join(f"| {k} | {v['loss_json']} | {v['loss_yaml']} |" for k, v in h["models"].items())
    return text


def fmt(v, scale=1, nd=1):
    return "-" if v is None else f"{v * scale:.{nd}f}"


def write_doc(doc: Path, res: dict) -> None:
    rows = res["rows"]
    n = res["subset"]
    doc.parent.mkdir(parents=True, exist_ok=True)
    cols = ["row", "samples", "errors", "compile %", "coverage %", "fidelity %", "BLEU", "chrF++", "ROUGE-1",
            "ROUGE-2", "ROUGE-L", "METEOR", "BLEU (YAML)", "chrF++ (YAML)", "sim. verdicts", "attempts",
            "answer tok/s", "s/sample", "wall s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" + "---:|" * (len(cols) - 1)]
    with (doc.with_suffix(".csv")).open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["row", "model", "constrain", "template", "few_shot", "attempts_max", "samples", "errors",
                    "compile_pct", "coverage_pct", "fidelity_pct", "bleu", "chrf_pp", "rouge1", "rouge2", "rougeL",
                    "meteor", "yaml_bleu", "yaml_chrf_pp", "yaml_rougeL", "yaml_meteor", "sim_ok", "sim_n",
                    "mean_attempts", "answer_tokens_per_s", "s_per_sample", "wall_s"])
        for r in rows:
            s = r["summary"]
            tps = r["answer_tokens"] / (r["gen_ms"] / 1000) if r.get("gen_ms") else None
            sim = f"{r['sim_ok']}/{r['sim_n']}" if r["sim_n"] else "-"
            lines.append("| " + " | ".join([
                r["name"], str(s["samples"]), str(s["errors"]), fmt(s["compile_rate"], 100), fmt(s["coverage_rate"], 100),
                fmt(s.get("fidelity_rate"), 100), fmt(s["bleu"], 1, 2), fmt(s["chrf_pp"], 1, 2), fmt(s["rouge1"], 1, 3),
                fmt(s["rouge2"], 1, 3), fmt(s["rougeL"], 1, 3), fmt(s["meteor"], 1, 3), fmt(r["yaml_bleu"], 1, 2),
                fmt(r["yaml_chrf_pp"], 1, 2), sim, fmt(r["mean_attempts"], 1, 2), fmt(tps, 1, 1),
                fmt(r["wall_s"] / max(1, s["samples"]), 1, 1), fmt(r["wall_s"], 1, 0)]) + " |")
            w.writerow([r["name"], r["model"], r["constrain"], r["template"], r["few_shot"], r["attempts_max"],
                        s["samples"], s["errors"], s["compile_rate"] * 100, s["coverage_rate"] * 100,
                        None if s.get("fidelity_rate") is None else s["fidelity_rate"] * 100, s["bleu"], s["chrf_pp"],
                        s["rouge1"], s["rouge2"], s["rougeL"], s["meteor"], r["yaml_bleu"], r["yaml_chrf_pp"],
                        r["yaml_rougeL"], r["yaml_meteor"], r["sim_ok"], r["sim_n"], r["mean_attempts"],
                        None if tps is None else round(tps, 2), round(r["wall_s"] / max(1, s["samples"]), 2),
                        round(r["wall_s"], 1)])
    doc.with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n")
    table = "\n".join(lines)
    md = doc.with_suffix(".md")
    text = md.read_text() if md.exists() else "<!-- table:start -->\n<!-- table:end -->\n"
    block = (f"<!-- table:start -->\nTest set: first {n} samples of `target/study/data/test.jsonl` "
             f"({res['by_source']}); machine: {res['machine']}; generated {res['when']} by `{res['command']}`.\n\n"
             f"{table}\n\nTraining (scripts/study/finetune.py, selftrain.py; figures from their records):\n\n"
             f"{training_table(res.get('training') or training_figures())}\n\n![metrics]({doc.name}-metrics.svg)\n![compile vs fidelity]({doc.name}-scatter.svg)\n"
             f"<!-- table:end -->")
    text = re.sub(r"<!-- table:start -->.*?<!-- table:end -->", lambda _: block, text, flags=re.S)
    md.write_text(text)
    plots(doc, rows, n)


def plots(doc: Path, rows: list[dict], n: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["name"] for r in rows]
    mets = [("compile_rate", "compile %", 100), ("coverage_rate", "coverage %", 100), ("fidelity_rate", "fidelity %", 100),
            ("bleu", "BLEU", 1), ("chrf_pp", "chrF++", 1), ("rouge1", "ROUGE-1 x100", 100), ("rouge2", "ROUGE-2 x100", 100),
            ("rougeL", "ROUGE-L x100", 100), ("meteor", "METEOR x100", 100)]
    fig, axes = plt.subplots(3, 3, figsize=(15, 12))
    for ax, (k, label, sc) in zip(axes.flat, mets):
        vals = [(r["summary"].get(k) or 0) * sc for r in rows]
        ax.barh(range(len(rows)), vals, color="#4c72b0")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(names if ax in axes[:, 0] else [""] * len(rows), fontsize=7)
        ax.invert_yaxis()
        ax.set_title(f"{label} (n = {n} samples per row)", fontsize=9)
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:.1f}", va="center", fontsize=6)
    fig.tight_layout()
    fig.savefig(doc.parent / f"{doc.name}-metrics.svg")
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 6))
    for r in rows:
        s = r["summary"]
        c = s["compile_rate"] * 100
        fid = (s.get("fidelity_rate") or 0) * 100
        ax.scatter([c], [fid], s=40)
        ax.annotate(r["name"], (c, fid), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"compile % (n = {n} samples per row)")
    ax.set_ylabel(f"fidelity % (n = {n} samples with an intent per row)")
    ax.set_xlim(-5, 105)
    ax.set_ylim(-5, 105)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(doc.parent / f"{doc.name}-scatter.svg")
    plt.close(fig)


def save(a: argparse.Namespace, subset_rows: list[dict], results: list[dict]) -> None:
    """OUT/study.json: the rows so far, with the subset, machine, time and command."""
    by_source: dict[str, int] = {}
    for s in subset_rows:
        by_source[s["origin_set"]] = by_source.get(s["origin_set"], 0) + 1
    res = {"subset": len(subset_rows), "by_source": ", ".join(f"{k} {v}" for k, v in sorted(by_source.items())),
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU(s), {platform.platform()}",
           "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "command": a.command or ("scripts/study/run.sh" + (f" --subset {a.subset}" if a.subset is not None else "")),
           "rows": results, "training": training_figures()}
    (a.out / "study.json").write_text(json.dumps(res, indent=1) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "examples/study.toml")
    ap.add_argument("--subset", type=int, help="first N test samples (0: all); default the config's")
    ap.add_argument("--rows", help="comma-separated row slugs to run (the name lower-case, runs of other "
                    "characters as '-': base-constrained-zero-shot); default all. Other rows' results of "
                    "the same subset size are kept from OUT/study.json")
    ap.add_argument("--max-new-tokens", type=int, help="override the config's max_new_tokens")
    ap.add_argument("--data", type=Path, default=ROOT / "target/study/data")
    ap.add_argument("--out", type=Path, default=ROOT / "target/study/results")
    ap.add_argument("--doc", type=Path, help="write DOC.md's table, DOC.csv, DOC.json, DOC-*.svg")
    ap.add_argument("--render-only", action="store_true", help="rewrite --doc from OUT/study.json")
    ap.add_argument("--command", help="the command the report names (default: run.sh with this --subset)")
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    a = ap.parse_args()
    if a.render_only:
        write_doc(a.doc, json.loads((a.out / "study.json").read_text()))
        return 0
    conf = tomllib.loads(a.config.read_text())
    cfg = conf["study"]
    if a.max_new_tokens:
        cfg["max_new_tokens"] = a.max_new_tokens
    n = cfg.get("subset", 0) if a.subset is None else a.subset
    test = rows_of(a.data / "test.jsonl")
    subset_rows = test[:n] if n else test
    a.out.mkdir(parents=True, exist_ok=True)
    subset = a.out / "test-subset.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in subset_rows))
    wanted = [w.strip() for w in a.rows.split(",")] if a.rows else None
    tok = None
    try:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(os.environ["KUBESCRIBE_SMOLLM2_HF"])
    except Exception as e:  # tokens/s left out
        print(f"note: no tokenizer ({e}); tokens/s left out", file=sys.stderr)
    results = []
    prev = {}
    if (a.out / "study.json").exists():
        prev = {r["name"]: r for r in json.loads((a.out / "study.json").read_text()).get("rows", [])}
    for row in conf["row"]:
        name = row["name"]
        if wanted and slug(name) not in wanted:
            if name in prev and prev[name]["summary"]["samples"] == len(subset_rows):
                results.append(prev[name])
            continue
        model = None if row.get("backend") == "synth" else model_path(row.get("model", "base"), conf)
        if row.get("backend") != "synth" and (model is None or not (model / "config.json").exists()):  # ONNX dirs have one too
            print(f"{name}: NOT RUN (no model at {model}; scripts/study/finetune.py makes the tuned ones)", file=sys.stderr)
            continue
        out = a.out / "rows" / slug(name)
        t = time.time()
        print(f"{name}: {len(subset_rows)} sample(s) ...", file=sys.stderr, flush=True)
        loop = None
        if row.get("attempts", 1) > 1:
            loop = run_loop(a.kubescribe, subset, row, model, out, cfg, a.data / "bank")
            eval_dir = out / "eval"
        else:
            run_eval(a.kubescribe, subset, row, model, out, cfg, a.data / "bank")
            eval_dir = out
        wall = time.time() - t
        summ = json.loads((eval_dir / "summary.json").read_text())
        summ = summ[0] if isinstance(summ, list) else summ.get("models", [summ])[0] if "models" in summ else summ
        ex = extra_metrics(eval_dir, subset_rows, tok if row.get("backend") != "synth" else None)
        if loop is not None:  # the loop's own decode figures (all attempts)
            ex["answer_tokens"] = sum(t["completion_tokens"] for t in loop)
            ex["gen_ms"] = sum(t["generate_ms"] for t in loop)
        r = {"name": name, "model": str(model) if model else "synth", "constrain": row.get("constrain", True),
             "template": row.get("template", "few-shot"), "few_shot": row.get("few_shot", 2),
             "attempts_max": row.get("attempts", 1), "summary": summ, "wall_s": wall,
             "mean_attempts": (sum(t["attempts"] for t in loop) / max(1, len(loop))) if loop else 1.0,
             "exit0": sum(t["exit"] == 0 for t in loop) if loop else None, **ex}
        results.append(r)
        print(f"  compile {summ['compile_rate'] * 100:.0f}%, fidelity {fmt(summ.get('fidelity_rate'), 100, 0)}%, "
              f"sim {ex['sim_ok']}/{ex['sim_n']}, {wall:.0f} s", file=sys.stderr, flush=True)
        save(a, subset_rows, results)  # after every row: an interrupted run keeps what it ran
    # and at the end: rows kept from the last run (--rows) after the last row run this time
    save(a, subset_rows, results)
    if a.doc and results:
        write_doc(a.doc, json.loads((a.out / "study.json").read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
