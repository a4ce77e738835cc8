#!/usr/bin/env python3
"""One prepared GPU check: candle on CUDA against transformers (bf16, sdpa) on random-initialised
Llama models of two real shapes, prefill and decode tokens/s at batch 1 and 32, constrained
against free decoding, and peak GPU memory. Meant for a GPU machine with PyTorch and transformers
but no Rust and no network; `bash scripts/gpu/check.sh prepare` fills the payload it reads (the
`cuda` build of the decode_speed example and of kubescribe, the bundled SmolLM2 tokenizer and
config). See docs/gpu.md.

    python3 scripts/gpu/check.py [--payload .gpu] [--device cuda[:N]|cpu] [--shapes smollm2,deepseek]
                                 [--steps 64] [--batch 32] [--out-dir DIR]

Shapes (weights from torch's seeded default initialisation: timing needs no trained weights):
  * smollm2: SmolLM2-135M's config.json (hidden 576, 30 layers, 9 heads / 3 KV heads, MLP 1536,
    vocabulary 49,152, tied embeddings);
  * deepseek: DeepSeek-Coder-6.7B's shape (hidden 4096, 32 layers, 32 heads, 32 KV heads, MLP
    11008, untied), with the bundled SmolLM2 tokenizer's vocabulary of 49,152 instead of 32,256
    (every token id the tokenizer writes must exist; the embedding and LM head are 2% more of the
    parameters) and without its linear RoPE scaling (factor 4, for 16K positions: the same work
    per token).
Both are written as safetensors (bf16 on a GPU, f32 on the CPU) with the tokenizer, then:
  * transformers: the model in memory, `attn_implementation="sdpa"` (eager on torch < 2.1.1), a
    prefill of the prompt and --steps greedy steps on the KV cache (a plain loop, as candle's
    timer does), batch 1 and --batch copies of the prompt;
  * candle: decode_speed --device ... --precision bf16 (the same prompt: it is read from
    kubescribe-infer/examples/decode_speed.rs), batch 1 (--runs 3, median), --batch (batched
    decoding), and --constrained (the decoding loop free, then constrained to a NetworkPolicy);
  * kubescribe generate --backend candle --device ... on the small shape, once (the CLI path).
Peak GPU memory is sampled with NVML (nvidia-ml-py, else nvidia-smi) every 20 ms, above what the
GPU used before the step began. Prints markdown tables; --out-dir also gets gpu-check.md and
gpu-check.json (every raw line).
"""
import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEEPSEEK = {
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "rms_norm_eps": 1e-6,
    "rope_theta": 100000.0,
    "max_position_embeddings": 16384,
    "tie_word_embeddings": False,
}


def log(msg):
    print(f"[gpu-check {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def prompt_text():
    """decode_speed's prompt in ChatML, as candle renders it (no default system message)."""
    src = (ROOT / "kubescribe-infer/examples/decode_speed.rs").read_text()
    m = re.search(r'const PROMPT: &str = "((?:[^"\\]|\\.)*)";', src, re.S)
    if not m:
        sys.exit("check.py: no PROMPT in kubescribe-infer/examples/decode_speed.rs")
    text = re.sub(r"\\\n\s*", "", m.group(1))
    return f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n"


class MemorySampler:
    """Peak device memory used above a baseline, sampled in a thread."""

    def __init__(self, index):
        self.index = index
        self.read = None
        try:
            import pynvml
            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            self.read = lambda: pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
            self.how = "NVML"
        except Exception:
            if shutil.which("nvidia-smi"):
                def read():
                    out = subprocess.run(
                        ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits",
                         "-i", str(index)], capture_output=True, text=True, timeout=10)
                    return float(out.stdout.strip().splitlines()[0])
                self.read = read
                self.how = "nvidia-smi"

    def __enter__(self):
        self.peak = None
        if self.read is None:
            return self
        self.base = self.read()
        self.peak = 0.0
        self.stop = threading.Event()

        def loop():
            while not self.stop.is_set():
                try:
                    self.peak = max(self.peak, self.read() - self.base)
                except Exception:
                    pass
                self.stop.wait(0.02)

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.read is not None:
            self.stop.set()
            self.thread.join()


def cuda_library_path():
    """CUDA 13's libraries for candle (cudarc opens them at run time): the pip wheels' lib
    folders (nvidia-cublas, nvidia-cuda-nvrtc, nvidia-curand: PyTorch's), then a system toolkit."""
    dirs = []
    try:
        import nvidia
        for base in nvidia.__path__:
            for lib in sorted(Path(base).glob("*/lib")):
                if any(lib.glob("lib*.so*")):
                    dirs.append(str(lib))
    except ImportError:
        pass
    for d in ("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"):
        if Path(d).is_dir():
            dirs.append(d)
    return dirs


def write_model(torch, transformers, name, cfg, dtype, device, payload, out):
    """A random-initialised Llama of `cfg` saved as safetensors with the bundled tokenizer;
    returns the model (in memory, for transformers) and its directory."""
    config = transformers.LlamaConfig(**cfg)
    torch.manual_seed(0)
    sdpa_ok = tuple(int(x) for x in re.findall(r"\d+", torch.__version__)[:2]) >= (2, 2)
    config._attn_implementation = "sdpa" if sdpa_ok else "eager"
    started = time.perf_counter()
    if device.type == "cuda":
        previous = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            with torch.device(device):
                model = transformers.LlamaForCausalLM(config)
        finally:
            torch.set_default_dtype(previous)
    else:
        model = transformers.LlamaForCausalLM(config).to(dtype)
    model.eval()
    d = out / name
    model.save_pretrained(d, safe_serialization=True)
    # config.json as the shape says (a newer transformers writes RoPE as `rope_parameters`)
    full = dict(cfg, architectures=["LlamaForCausalLM"], model_type="llama",
                torch_dtype=str(dtype).removeprefix("torch."))
    (d / "config.json").write_text(json.dumps(full, indent=2))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(payload / "tokenizer" / f, d / f)
    params = sum(p.numel() for p in model.parameters())
    log(f"{name}: {params / 1e6:.0f}M parameters ({config._attn_implementation}), written to {d} "
        f"in {time.perf_counter() - started:.0f} s")
    return model, d, params, config._attn_implementation


def time_transformers(torch, model, ids, batch, steps, device):
    """Prefill and `steps` greedy decode steps on the KV cache; tokens/s of each."""
    x = torch.tensor([ids] * batch, device=device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def once(n):
        with torch.no_grad():
            sync()
            t0 = time.perf_counter()
            out = model(input_ids=x, use_cache=True)
            sync()
            t1 = time.perf_counter()
            past = out.past_key_values
            tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
            for _ in range(n):
                out = model(input_ids=tok, past_key_values=past, use_cache=True)
                past = out.past_key_values
                tok = out.logits[:, -1, :].argmax(-1, keepdim=True)
            sync()
            return t1 - t0, time.perf_counter() - t1

    once(4)  # warm-up
    prefill, decode = once(steps)
    # PyTorch's allocator since the model was made: weights, activations, KV cache
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    return {
        "runtime": "transformers", "batch": batch, "prompt_tokens": len(ids),
        "prefill_tok_s": batch * len(ids) / prefill, "decode_tok_s": batch * steps / decode,
        "peak_mib": peak,
    }


def run_candle(binary, model_dir, device, precision, steps, batch, threads, env, sampler,
               extra=()):
    cmd = [str(binary), "--backend", "candle", "--model", str(model_dir), "--device", device,
           "--precision", precision, "--steps", str(steps), "--runs", "3",
           "--threads", str(threads), *extra]
    if batch:
        cmd += ["--batch", str(batch)]
    log(" ".join(cmd))
    with sampler:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return p, lines


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--payload", default=str(ROOT / ".gpu"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--shapes", default=None, help="smollm2,deepseek (the CPU: smollm2)")
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--constrained-tokens", type=int, default=128,
                    help="the budget of the free and the constrained generation")
    ap.add_argument("--threads", type=int, default=2,
                    help="CPU threads of both runtimes on --device cpu")
    ap.add_argument("--out-dir", default=None)
    ap.add_argument("--work", default=None, help="where the models are written (a temp dir)")
    args = ap.parse_args()
    payload = Path(args.payload).resolve()
    for need in ("bin/decode_speed", "tokenizer/tokenizer.json", "smollm2-config.json"):
        if not (payload / need).exists():
            sys.exit(f"check.py: {payload / need} is missing: run `bash scripts/gpu/check.sh "
                     "prepare` where Rust is, and carry the folder")
    import torch
    import transformers
    from tokenizers import Tokenizer

    on_gpu = args.device.startswith("cuda")
    index = int(args.device.split(":")[1]) if ":" in args.device else 0
    if on_gpu and not torch.cuda.is_available():
        sys.exit("check.py: --device cuda, but PyTorch sees no GPU")
    device = torch.device(f"cuda:{index}" if on_gpu else "cpu")
    dtype = torch.bfloat16 if on_gpu else torch.float32
    precision = "bf16" if on_gpu else "f32"
    shapes = (args.shapes or ("smollm2,deepseek" if on_gpu else "smollm2")).split(",")
    small = json.loads((payload / "smollm2-config.json").read_text())
    small = {k: small[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                    "num_attention_heads", "num_key_value_heads", "rms_norm_eps",
                                    "rope_theta", "max_position_embeddings", "tie_word_embeddings",
                                    "vocab_size", "bos_token_id", "eos_token_id")}
    tokenizer = Tokenizer.from_file(str(payload / "tokenizer/tokenizer.json"))
    vocab = tokenizer.get_vocab_size(True)
    cfgs = {"smollm2": small,
            "deepseek": dict(DEEPSEEK, vocab_size=vocab, bos_token_id=small["bos_token_id"],
                             eos_token_id=small["eos_token_id"])}
    ids = tokenizer.encode(prompt_text(), add_special_tokens=False).ids
    env = dict(os.environ)
    libs = cuda_library_path() if on_gpu else []
    env["LD_LIBRARY_PATH"] = ":".join(libs + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
    env.setdefault("RUST_BACKTRACE", "1")
    if not on_gpu:
        torch.set_num_threads(args.threads)
        for var in ("CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"):
            env[var] = str(args.threads)
    threads = args.threads
    sampler = MemorySampler(index) if on_gpu else MemorySampler.__new__(MemorySampler)
    if not on_gpu:
        sampler.read = None
    gpu_name = torch.cuda.get_device_name(device) if on_gpu else platform.processor() or "CPU"
    header = [
        f"# GPU check, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"* device: {args.device} ({gpu_name}); torch {torch.__version__}, transformers "
        f"{transformers.__version__}; Python {platform.python_version()}",
        f"* prompt: {len(ids)} tokens (decode_speed's, SmolLM2 chat template); {args.steps} greedy "
        f"decode steps on the KV cache; precision {precision}",
        f"* CUDA libraries for candle from: {', '.join(libs) or 'the system library path'}",
        "* peak GPU MiB: transformers, PyTorch's allocator peak since the model was made (weights, "
        "activations, KV cache; the batch-32 row includes the batch-1 run); candle, the GPU's "
        f"memory in use above what it was before the process started ({getattr(sampler, 'how', 'not sampled')}, "
        "every 20 ms: weights, KV caches, CUDA context), over its whole run (batch 1, batch "
        f"{args.batch} and the constrained runs)",
    ]
    log("\n".join(header))
    rows, constrained_rows, raw, notes = [], [], [], []
    work = Path(args.work or tempfile.mkdtemp(prefix="kubescribe-gpu-check-"))
    started = time.perf_counter()
    for name in shapes:
        if on_gpu:
            torch.cuda.reset_peak_memory_stats(device)
        model, mdir, params, attn = write_model(torch, transformers, name, cfgs[name], dtype,
                                                device, payload, work)
        for batch in (1, args.batch):
            r = time_transformers(torch, model, ids, batch, args.steps, device)
            r.update(shape=name, attention=attn)
            rows.append(r)
            raw.append(r)
            log(f"{name} transformers batch {batch}: {r}")
        del model
        gc.collect()
        if on_gpu:
            torch.cuda.empty_cache()
        p, lines = run_candle(payload / "bin/decode_speed", mdir, args.device, precision,
                              args.steps, args.batch, threads, env, sampler,
                              ["--constrained", "--constrained-tokens",
                               str(args.constrained_tokens)])
        raw += [dict(line, shape=name) for line in lines]
        if p.returncode != 0:
            notes.append(f"candle on {name} exited {p.returncode}: {p.stderr.strip()[-600:]}")
            log(notes[-1])
        runs = [x for x in lines if "run" in x]
        if runs and runs[0]["prompt_tokens"] != len(ids):
            notes.append(f"the prompt is {runs[0]['prompt_tokens']} tokens for candle, {len(ids)} "
                         "for transformers")
        if runs:
            rows.append({
                "shape": name, "runtime": "candle", "batch": 1,
                "prompt_tokens": runs[0]["prompt_tokens"],
                "prefill_tok_s": statistics.median(
                    x["prompt_tokens"] / (x["prefill_ms"] / 1e3) for x in runs),
                "decode_tok_s": statistics.median(x["decode_tok_s"] for x in runs),
                "peak_mib": sampler.peak,
            })
        batched = [x for x in lines if x.get("mode") == "batch"]
        if batched:
            b = batched[0]
            rows.append({
                "shape": name, "runtime": "candle", "batch": b["batch"],
                "prompt_tokens": b["prompt_tokens"],
                "prefill_tok_s": b["batch"] * b["prompt_tokens"] / (b["prefill_ms"] / 1e3),
                "decode_tok_s": b["decode_tok_s"], "peak_mib": sampler.peak,
            })
        else:
            why = next((ln for ln in p.stderr.splitlines() if "--batch" in ln),
                       "no batch line")
            rows.append({"shape": name, "runtime": "candle", "batch": args.batch,
                         "note": f"not available ({why.strip()})"})
        modes = {x["mode"]: x for x in lines if x.get("mode") in ("free", "constrained")}
        if len(modes) == 2:
            f, c = modes["free"], modes["constrained"]
            constrained_rows.append({
                "shape": name, "free_forward_ms": f["forward_ms_per_step"],
                "constrained_forward_ms": c["forward_ms_per_step"],
                "grammar_ms_per_token": c["grammar_ms_per_token"],
                # the grammar's time per token against a decode step (a free forward pass)
                "share": c["grammar_ms_per_token"] / f["forward_ms_per_step"]
                if f["decode_steps"] else None,
                "free_tok_s": f["decode_tok_s"], "constrained_tok_s": c["decode_tok_s"],
                "tokens": f"{c['output_tokens']} ({c['forced_tokens']} forced)",
            })
        if name == shapes[0] and (payload / "bin/kubescribe").exists():
            cmd = [str(payload / "bin/kubescribe"), "generate", "--intent-file",
                   str(ROOT / "examples/intents/nginx-www.json"), "--backend", "candle",
                   "--model", str(mdir), "--device", args.device, "--max-attempts", "1",
                   "--max-new-tokens", "400", "-q"]
            t0 = time.perf_counter()
            g = subprocess.run(cmd, capture_output=True, text=True, env=env)
            said = next((ln for ln in g.stderr.splitlines() if "running on" in ln), "")
            notes.append(f"`kubescribe generate --backend candle --device {args.device}` on the "
                         f"random {name}: exit {g.returncode} in {time.perf_counter() - t0:.1f} s; "
                         f"stderr: {said.strip() or g.stderr.strip()[-400:]!r}")
            log(notes[-1])
        shutil.rmtree(mdir, ignore_errors=True)
    total = time.perf_counter() - started
    table = ["", "| shape | runtime | batch | prompt tokens | prefill tok/s | decode tok/s | "
             "peak GPU MiB |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "note" in r:
            table.append(f"| {r['shape']} | {r['runtime']} | {r['batch']} | | {r['note']} | | |")
        else:
            table.append(f"| {r['shape']} | {r['runtime']} | {r['batch']} | {r['prompt_tokens']} "
                         f"| {fmt(r['prefill_tok_s'])} | {fmt(r['decode_tok_s'], 1)} "
                         f"| {fmt(r['peak_mib'])} |")
    table += ["", f"Constrained (a NetworkPolicy) against free decoding, candle, batch 1, up to "
              f"{args.constrained_tokens} tokens each; the grammar's time per output token (masks, "
              "commits, forced tokens, the close-out check) against a free forward pass:", "",
              "| shape | ms per forward pass, free | ms per forward pass, constrained | grammar ms "
              "per token | grammar / forward pass | tok/s free | tok/s constrained | tokens |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    for c in constrained_rows:
        table.append(f"| {c['shape']} | {c['free_forward_ms']:.2f} | "
                     f"{c['constrained_forward_ms']:.2f} | {c['grammar_ms_per_token']:.3f} | "
                     f"{'n/a' if c['share'] is None else format(c['share'], '.1%')} | {c['free_tok_s']:.1f} | {c['constrained_tok_s']:.1f} | "
                     f"{c['tokens']} |")
    table += ["", f"Whole check: {total:.0f} s."] + [f"* {n}" for n in notes]
    text = "\n".join(header + table) + "\n"
    print(text)
    if args.out_dir:
        out = Path(args.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "gpu-check.md").write_text(text)
        (out / "gpu-check.json").write_text(json.dumps(raw, indent=1))
    return 1 if any("exited" in n for n in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
