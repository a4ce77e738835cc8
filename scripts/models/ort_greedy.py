"""Reference greedy decoding with Python onnxruntime on a decoder written by
llama_to_onnx.py (or any optimum-layout decoder with past_key_values inputs):
the parity test compares kubescribe's `ort` backend against it, and the
benchmark times it.

  python ort_greedy.py MODEL_DIR --prompt TEXT [--prompt TEXT ...] [--max-new N] [--threads N]
      prints one JSON line per prompt: {"prompt", "prompt_ids", "tokens"} (greedy, KV cache)
  python ort_greedy.py MODEL_DIR --bench [--prompt-len P] [--max-new N] [--threads N] [--repeat R]
      prints {"prefill_tok_s", "decode_tok_s", ...} for prefill of P tokens and N decode steps
  --check-no-cache: also recompute every step without the cache and compare the argmax (slow)

Stops at the end-of-sequence token (`eos_token_id` in config.json) or after N tokens.
"""
import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def session(model_dir, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(os.path.join(model_dir, "model.onnx"), so, providers=["CPUExecutionProvider"])


def past_names(sess):
    return [i for i in sess.get_inputs() if i.name.startswith("past_key_values.")]


def empty_past(sess, batch=1):
    return {i.name: np.zeros((batch, i.shape[1], 0, i.shape[3]), np.float32) for i in past_names(sess)}


def step(sess, ids, past, total):
    feeds = {
        "input_ids": np.array([ids], np.int64),
        "attention_mask": np.ones((1, total), np.int64),
        "position_ids": np.arange(total - len(ids), total, dtype=np.int64)[None, :],
    }
    feeds.update(past)
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, feeds)
    res = dict(zip(names, outs))
    new_past = {n.replace("present.", "past_key_values."): v for n, v in res.items() if n.startswith("present.")}
    return res["logits"][0, -1], new_past


def greedy(sess, ids, max_new, eos, check_no_cache=False):
    past = empty_past(sess)
    out = []
    seq = list(ids)
    logits, past = step(sess, seq, past, len(seq))
    for _ in range(max_new):
        t = int(np.argmax(logits))
        if check_no_cache:
            full, _ = step(sess, seq, empty_past(sess), len(seq))
            assert int(np.argmax(full)) == t, "KV-cache and full recompute disagree"
        if t in eos:
            break
        out.append(t)
        seq.append(t)
        logits, past = step(sess, [t], past, len(seq))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--prompt", action="append", default=[])
    ap.add_argument("--max-new", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--check-no-cache", action="store_true")
    a = ap.parse_args()
    sess = session(a.model_dir, a.threads)
    cfg = json.load(open(os.path.join(a.model_dir, "config.json")))
    eos = cfg.get("eos_token_id", [])
    eos = set(eos if isinstance(eos, list) else [eos])
    if a.bench:
        vocab = cfg["vocab_size"]
        ids = [(i * 7919) % (vocab - 100) + 50 for i in range(a.prompt_len)]
        pre, dec = [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            logits, past = step(sess, ids, empty_past(sess), len(ids))
            pre.append(time.perf_counter() - t0)
            total = len(ids)
            t0 = time.perf_counter()
            for _ in range(a.max_new):  # fixed length: no early stop at EOS
                t = int(np.argmax(logits))
                total += 1
                logits, past = step(sess, [t], past, total)
            dec.append(time.perf_counter() - t0)
        print(json.dumps({
            "runtime": f"onnxruntime {ort.__version__} (Python)", "threads": a.threads,
            "prompt_len": a.prompt_len, "decode_tokens": a.max_new,
            "prefill_tok_s": a.prompt_len / min(pre), "decode_tok_s": a.max_new / min(dec),
        }))
        return
    tok = Tokenizer.from_file(os.path.join(a.model_dir, "tokenizer.json"))
    for p in a.prompt:
        ids = tok.encode(p, add_special_tokens=False).ids
        toks = greedy(sess, ids, a.max_new, eos, a.check_no_cache)
        print(json.dumps({"prompt": p, "prompt_ids": ids, "tokens": toks}))


if __name__ == "__main__":
    main()
