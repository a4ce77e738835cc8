#!/usr/bin/env python3
"""LoRA fine-tuning of SmolLM2-135M-Instruct on kubescribe's dataset (issue 25).

Training examples are (the prompt the product builds for a train intent, the reference policy):
the prompts are captured from `kubescribe eval`'s own builder (scripts/study/capture.py), zero-shot
template, half with the answer form of constrained decoding (compact JSON, keys sorted, as the
grammar writes it) and half with the unconstrained one (canonical YAML), so the tuned model is
trained on what `generate`/`eval` send it. The loss is on the answer tokens only (the assistant
turn and its `<|im_end|>`), computed on those positions only (the vocabulary projection of the
prompt positions is skipped). LoRA (peft) sits on the attention and MLP projections of the top
`--top-layers` decoder layers: the layers below hold nothing trainable, so autograd records
nothing there (a 2-core CPU budget).

Outputs in OUT: `adapter/` (PEFT LoRA adapter: adapter_config.json, adapter_model.safetensors),
`merged/` (the adapter merged into the weights: config.json, model.safetensors f32, tokenizer;
`kubescribe eval --backend candle:OUT/merged` loads it), `train.json` (examples, tokens, steps,
seconds, losses), and with --onnx `onnx/` (scripts/models/llama_to_onnx.py with
$KUBESCRIBE_MODELS_PYTHON, for `--backend ort`).

Training data from the validator in the loop: `--extra FILE` adds JSONL lines {"messages", "answer"}
(scripts/study/selftrain.py writes them: sampled answers that validated and implement the intent).

    eval "$(bash scripts/study/install.sh)"
    $KUBESCRIBE_STUDY_PYTHON scripts/study/finetune.py --out target/study/runs/tuned-r1 \
        --max-examples 64 --max-seconds 480
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import capture  # noqa: E402

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def answer_text(reference: str, form: str) -> str:
    """The reference as the decoder writes it: compact JSON (keys sorted) or canonical YAML."""
    if form == "yaml":
        return reference.strip() + "\n"
    doc = yaml.safe_load(reference)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def build_examples(data: Path, binary: str, max_examples: int, seed: int) -> list[dict]:
    rows = [json.loads(l) for l in (data / "train.jsonl").read_text().splitlines() if l.strip()]
    rng = random.Random(seed)
    rows.sort(key=lambda r: r["id"])
    rng.shuffle(rows)
    # engines in turn, so a small run sees every engine of the train split
    by_engine: dict[str, list[dict]] = {}
    for r in rows:
        by_engine.setdefault(r["engine"], []).append(r)
    picked: list[dict] = []
    while len(picked) < min(max_examples, len(rows)):
        for e in sorted(by_engine):
            if by_engine[e] and len(picked) < max_examples:
                picked.append(by_engine[e].pop())
    tmp = data / "finetune-picked.jsonl"
    tmp.write_text("".join(json.dumps(r) + "\n" for r in picked))
    pj = capture.capture(binary, tmp, "zero-shot", 0, None, True)
    py = capture.capture(binary, tmp, "zero-shot", 0, None, False)
    out = []
    for i, r in enumerate(picked):
        form = "json" if i % 2 == 0 else "yaml"
        msgs = pj[r["id"]] if form == "json" else py[r["id"]]
        out.append({"id": r["id"], "engine": r["engine"], "form": form, "messages": msgs,
                    "answer": answer_text(r["reference"], form)})
    return out


def encode(tok, ex: dict, max_len: int):
    prompt = tok.apply_chat_template(ex["messages"], tokenize=False, add_generation_prompt=True)
    p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tok(ex["answer"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
    ids = (p_ids + a_ids)[:max_len]
    return ids, min(len(p_ids), len(ids))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "target/study/data", help="scripts/study/testset.py's OUT")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--base", type=Path, default=Path(os.environ.get("KUBESCRIBE_SMOLLM2_HF", "")),
                    help="base HF dir (default $KUBESCRIBE_SMOLLM2_HF)")
    ap.add_argument("--resume-adapter", type=Path, help="continue training this PEFT adapter (a later round)")
    ap.add_argument("--extra", type=Path, action="append", default=[], help="JSONL {messages, answer} to add")
    ap.add_argument("--max-examples", type=int, default=64, help="train.jsonl records to use (engines in turn)")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, default=0, help="stop training after this long (0: no limit)")
    ap.add_argument("--max-len", type=int, default=1536)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--top-layers", type=int, default=8, help="LoRA on the top N decoder layers")
    ap.add_argument("--grad-accum", type=int, default=4)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("KUBESCRIBE_STUDY_THREADS", "2")))
    ap.add_argument("--seed", type=int, default=25)
    ap.add_argument("--onnx", action="store_true", help="also export merged/ to ONNX (llama_to_onnx.py)")
    ap.add_argument("--kubescribe", default=os.environ.get("KUBESCRIBE_BIN", str(ROOT / "target/release/kubescribe")))
    a = ap.parse_args()
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    examples = build_examples(a.data, a.kubescribe, a.max_examples, a.seed) if a.max_examples > 0 else []
    for path in a.extra:
        for l in path.read_text().splitlines():
            if l.strip():
                e = json.loads(l)
                examples.append({"id": e.get("id", "extra"), "engine": e.get("engine", "?"), "form": "extra",
                                 "messages": e["messages"], "answer": e["answer"]})
    if not examples:
        print("no training examples", file=sys.stderr)
        return 1
    tok = AutoTokenizer.from_pretrained(a.base)
    model = AutoModelForCausalLM.from_pretrained(a.base, torch_dtype=torch.float32)
    n_layers = model.config.num_hidden_layers
    layers = list(range(max(0, n_layers - a.top_layers), n_layers))
    if a.resume_adapter:
        model = PeftModel.from_pretrained(model, a.resume_adapter, is_trainable=True)
    else:
        model = get_peft_model(model, LoraConfig(r=a.rank, lora_alpha=2 * a.rank, lora_dropout=0.05,
                                                 target_modules=TARGETS, layers_to_transform=layers,
                                                 task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    enc = [encode(tok, e, a.max_len) for e in examples]
    prep_s = time.time() - t0
    order = list(range(len(enc)))
    steps_total = math.ceil(len(enc) * a.epochs)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=a.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 4) * max(0.1, 1 - s / max(1, steps_total / a.grad_accum)))
    model.train()
    inner = model.get_base_model()
    rng = random.Random(a.seed)
    losses, tokens, answer_tokens, seen = [], 0, 0, 0
    t1 = time.time()
    stopped = "epochs done"
    for k in range(steps_total):
        if k % len(order) == 0:
            rng.shuffle(order)
        ids, plen = enc[order[k % len(order)]]
        x = torch.tensor([ids])
        hidden = inner.model(input_ids=x).last_hidden_state[0, plen - 1:-1]
        logits = inner.lm_head(hidden)
        loss = torch.nn.functional.cross_entropy(logits, x[0, plen:])
        (loss / a.grad_accum).backward()
        losses.append(round(loss.item(), 4))
        tokens += len(ids)
        answer_tokens += len(ids) - plen
        seen += 1
        if seen % a.grad_accum == 0 or k == steps_total - 1:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
        if seen % 8 == 0:
            el = time.time() - t1
            print(f"step {seen}/{steps_total} loss {sum(losses[-8:]) / 8:.3f} {tokens / el:.0f} tok/s {el:.0f} s",
                  file=sys.stderr, flush=True)
        if a.max_seconds and time.time() - t1 > a.max_seconds:
            stopped = f"--max-seconds {a.max_seconds:g} reached"
            if seen % a.grad_accum:
                opt.step()
                opt.zero_grad()
            break
    train_s = time.time() - t1
    model.save_pretrained(a.out / "adapter")
    merged = model.merge_and_unload()
    mdir = a.out / "merged"
    if mdir.exists():
        shutil.rmtree(mdir)
    merged.save_pretrained(mdir, safe_serialization=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        if (a.base / f).exists():
            shutil.copy(a.base / f, mdir / f)
    if a.onnx:
        # the models venv of scripts/models/install.sh has onnx (the study venv does not)
        py = os.environ.get("KUBESCRIBE_MODELS_PYTHON", sys.executable)
        subprocess.run([py, str(ROOT / "scripts/models/llama_to_onnx.py"), str(mdir), str(a.out / "onnx")], check=True)
    info = {
        "base": str(a.base), "resume_adapter": str(a.resume_adapter) if a.resume_adapter else None,
        "examples": len(enc), "examples_by_form": {f: sum(e["form"] == f for e in examples) for f in ("json", "yaml", "extra")},
        "examples_by_engine": {g: sum(e["engine"] == g for e in examples) for g in sorted({e["engine"] for e in examples})},
        "example_tokens": sum(len(i) for i, _ in enc), "steps": seen, "optimizer_steps": math.ceil(seen / a.grad_accum),
        "tokens_trained": tokens, "answer_tokens_trained": answer_tokens, "epochs": round(seen / len(enc), 3),
        "stopped": stopped, "prepare_s": round(prep_s, 1), "train_s": round(train_s, 1),
        "tokens_per_s": round(tokens / max(train_s, 1e-9), 1), "trainable_params": trainable,
        "lora": {"rank": a.rank, "alpha": 2 * a.rank, "layers": layers if not a.resume_adapter else "resumed", "targets": TARGETS},
        "lr": a.lr, "grad_accum": a.grad_accum, "threads": a.threads, "seed": a.seed,
        "loss_first8": round(sum(losses[:8]) / max(1, len(losses[:8])), 4),
        "loss_last8": round(sum(losses[-8:]) / max(1, len(losses[-8:])), 4), "losses": losses,
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__,
                     "peft": __import__("peft").__version__},
    }
    (a.out / "train.json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps({k: v for k, v in info.items() if k != "losses"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
