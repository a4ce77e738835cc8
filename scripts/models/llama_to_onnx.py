"""Export a Llama-architecture model in the Hugging Face layout (config.json +
model.safetensors + tokenizer.json, e.g. what gguf_to_hf.py derives from the
SmolLM2-135M GGUF) as an ONNX decoder WITH a KV cache, in the layout
Hugging Face optimum writes (`model.onnx`), using only numpy + onnx +
safetensors (no torch):

  inputs   input_ids            int64   [batch, seq]
           attention_mask       int64   [batch, past + seq]   (1 = attend, 0 = padding)
           position_ids         int64   [batch, seq]
           past_key_values.{i}.key / .value  float32 [batch, kv_heads, past, head_dim]
  outputs  logits               float32 [batch, seq, vocab]
           present.{i}.key / .value          float32 [batch, kv_heads, past + seq, head_dim]

The first step passes past tensors with past = 0. Opset 17, plain ops only,
so any ONNX Runtime >= 1.15 runs it. Weights go to `model.onnx.data` next to
the graph. tokenizer.json, tokenizer_config.json and config.json are copied
beside it, so the output directory is a complete model for kubescribe's
`ort` backend.

Usage:
  python llama_to_onnx.py HF_DIR OUT_DIR
  python llama_to_onnx.py --random-tiny OUT_DIR [--seed N]
      a random tiny Llama (2 layers, hidden 64, a byte-level vocabulary of
      ~300 tokens) for unit tests: writes the HF directory (config.json,
      model.safetensors, tokenizer.json) AND model.onnx into OUT_DIR.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file, save_file

MAX_POS = 8192


def export(src, out_dir):
    cfg = json.load(open(os.path.join(src, "config.json")))
    W = load_file(os.path.join(src, "model.safetensors"))
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim", H // nh)
    eps = cfg["rms_norm_eps"]
    theta = cfg.get("rope_theta", 10000.0)
    L = cfg["num_hidden_layers"]
    V = cfg["vocab_size"]
    max_pos = min(cfg.get("max_position_embeddings", MAX_POS), MAX_POS)

    nodes, inits = [], []
    cnt = [0]

    def name(p):
        cnt[0] += 1
        return f"{p}_{cnt[0]}"

    def init(n, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    def node(op, ins, out=None, **attrs):
        o = out or name(op)
        nodes.append(helper.make_node(op, ins, [o], name=name(op + "_n"), **attrs))
        return o

    def c_i64(vals):
        return init(name("c"), np.array(vals, dtype=np.int64))

    f32 = lambda x: np.array(x, dtype=np.float32)
    c_eps = init("eps", f32(eps))
    c_scale = init("attn_scale", f32(1.0 / np.sqrt(hd)))
    c_neg = init("neg_one", f32(-1.0))
    c_zero_f = init("zero_f", f32(0.0))
    c_ninf = init("neg_big", f32(-1e9))

    def rms(x, w):
        ms = node("ReduceMean", [node("Mul", [x, x])], axes=[-1], keepdims=1)
        return node("Mul", [node("Div", [x, node("Sqrt", [node("Add", [ms, c_eps])])]), w])

    def linear(x, w_name):
        return node("MatMul", [x, init(w_name + ".T", W[w_name].T.astype(np.float32))])

    # rotary tables gathered by position_ids: [B, S, hd] -> [B, 1, S, hd]
    inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    fr = np.outer(np.arange(max_pos, dtype=np.float64), inv)
    emb = np.concatenate([fr, fr], axis=-1)
    cos_t = init("rope_cos", np.cos(emb).astype(np.float32))
    sin_t = init("rope_sin", np.sin(emb).astype(np.float32))
    ax1 = c_i64([1])
    cos = node("Unsqueeze", [node("Gather", [cos_t, "position_ids"], axis=0), ax1])
    sin = node("Unsqueeze", [node("Gather", [sin_t, "position_ids"], axis=0), ax1])

    # mask [B, 1, S, T]: key t is visible to query s when t <= (T - S) + s and attention_mask[b, t] = 1
    zero = c_i64(0)
    one = c_i64(1)
    S = node("Gather", [node("Shape", ["input_ids"]), one], axis=0)
    T = node("Gather", [node("Shape", ["attention_mask"]), one], axis=0)
    keys = node("Range", [zero, T, one])  # [T]
    qpos = node("Range", [node("Sub", [T, S]), T, one])  # [S]
    causal = node("LessOrEqual", [node("Unsqueeze", [keys, c_i64([0])]), node("Unsqueeze", [qpos, c_i64([1])])])  # [S,T]
    am = node("Cast", ["attention_mask"], to=TensorProto.BOOL)
    am = node("Unsqueeze", [am, c_i64([1, 2])])  # [B,1,1,T]
    visible = node("And", [node("Unsqueeze", [causal, c_i64([0, 1])]), am])  # [B,1,S,T]
    mask = node("Where", [visible, c_zero_f, c_ninf])

    half = hd // 2
    s_q = c_i64([0, 0, nh, hd])
    s_kv = c_i64([0, 0, nkv, hd])
    s_out = c_i64([0, 0, nh * hd])
    rep = nh // nkv
    s_rep = c_i64([1, 1, rep, 1, 1])
    s_grp = c_i64([0, nh, -1, hd])

    def rope(x):  # x: [B, heads, S, hd]
        x1 = node("Slice", [x, c_i64([0]), c_i64([half]), c_i64([3])])
        x2 = node("Slice", [x, c_i64([half]), c_i64([hd]), c_i64([3])])
        rot = node("Concat", [node("Mul", [x2, c_neg]), x1], axis=3)
        return node("Add", [node("Mul", [x, cos]), node("Mul", [rot, sin])])

    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = []
    x = node("Gather", [init("embed", W["model.embed_tokens.weight"].astype(np.float32)), "input_ids"], axis=0)
    for i in range(L):
        p = f"model.layers.{i}."
        pk, pv = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        for n in (pk, pv):
            inputs.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch_size", nkv, "past_sequence_length", hd]))
        h = rms(x, init(p + "ln1", W[p + "input_layernorm.weight"].astype(np.float32)))
        q = node("Transpose", [node("Reshape", [linear(h, p + "self_attn.q_proj.weight"), s_q])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(h, p + "self_attn.k_proj.weight"), s_kv])], perm=[0, 2, 1, 3])
        v = node("Transpose", [node("Reshape", [linear(h, p + "self_attn.v_proj.weight"), s_kv])], perm=[0, 2, 1, 3])
        q, k = rope(q), rope(k)
        k = node("Concat", [pk, k], out=f"present.{i}.key", axis=2)  # [B, nkv, T, hd]
        v = node("Concat", [pv, v], out=f"present.{i}.value", axis=2)
        for n in (k, v):
            outputs.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch_size", nkv, "total_sequence_length", hd]))
        if rep > 1:  # grouped-query attention: [B,nkv,T,hd] -> [B,nkv,rep,T,hd] -> [B,nh,T,hd]
            k = node("Reshape", [node("Expand", [node("Unsqueeze", [k, c_i64([2])]), s_rep]), s_grp])
            v = node("Reshape", [node("Expand", [node("Unsqueeze", [v, c_i64([2])]), s_rep]), s_grp])
        sc = node("Mul", [node("MatMul", [q, node("Transpose", [k], perm=[0, 1, 3, 2])]), c_scale])
        pr = node("Softmax", [node("Add", [sc, mask])], axis=-1)
        a = node("Reshape", [node("Transpose", [node("MatMul", [pr, v])], perm=[0, 2, 1, 3]), s_out])
        x = node("Add", [x, linear(a, p + "self_attn.o_proj.weight")])
        h = rms(x, init(p + "ln2", W[p + "post_attention_layernorm.weight"].astype(np.float32)))
        g = linear(h, p + "mlp.gate_proj.weight")
        g = node("Mul", [g, node("Sigmoid", [g])])
        u = linear(h, p + "mlp.up_proj.weight")
        x = node("Add", [x, linear(node("Mul", [g, u]), p + "mlp.down_proj.weight")])
    x = rms(x, init("norm", W["model.norm.weight"].astype(np.float32)))
    if "lm_head.weight" in W and not cfg.get("tie_word_embeddings", False):
        node("MatMul", [x, init("lm_head.T", W["lm_head.weight"].T.astype(np.float32))], out="logits")
    else:  # tied embeddings: reuse the embedding initializer (ORT constant-folds the Transpose)
        node("MatMul", [x, node("Transpose", ["embed"], perm=[1, 0])], out="logits")
    outputs.insert(0, helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", V]))

    g = helper.make_graph(nodes, "llama_decoder_with_past", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=9,
                          producer_name="kubescribe/scripts/models/llama_to_onnx.py")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, "model.onnx")
    onnx.save_model(m, out, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)
    onnx.checker.check_model(out)
    for f in ("tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json"):
        s, d = os.path.join(src, f), os.path.join(out_dir, f)
        if os.path.exists(s) and os.path.abspath(s) != os.path.abspath(d):
            shutil.copyfile(s, d)
    print("wrote", out, len(nodes), "nodes,", L, "layers with KV cache")


def random_tiny(out_dir, seed):
    """A random tiny Llama with a byte-level BPE tokenizer (no merges: one
    token per byte, plus ChatML control tokens). Unconstrained it emits
    garbage; its purpose is exercising the runtime, not the text."""
    from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders

    os.makedirs(out_dir, exist_ok=True)
    byte_vocab = pre_tokenizers.ByteLevel.alphabet()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    vocab = {t: i for i, t in enumerate(specials)}
    for ch in sorted(byte_vocab):
        vocab[ch] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    V = len(vocab)
    H, L, nh, nkv, ff = 64, 2, 4, 2, 128
    hd = H // nh
    rng = np.random.default_rng(seed)
    r = lambda *s: (rng.standard_normal(s) * 0.2).astype(np.float32)
    W = {"model.embed_tokens.weight": r(V, H), "model.norm.weight": np.ones(H, np.float32),
         "lm_head.weight": r(V, H)}
    for i in range(L):
        p = f"model.layers.{i}."
        W[p + "input_layernorm.weight"] = np.ones(H, np.float32)
        W[p + "post_attention_layernorm.weight"] = np.ones(H, np.float32)
        W[p + "self_attn.q_proj.weight"] = r(nh * hd, H)
        W[p + "self_attn.k_proj.weight"] = r(nkv * hd, H)
        W[p + "self_attn.v_proj.weight"] = r(nkv * hd, H)
        W[p + "self_attn.o_proj.weight"] = r(H, nh * hd)
        W[p + "mlp.gate_proj.weight"] = r(ff, H)
        W[p + "mlp.up_proj.weight"] = r(ff, H)
        W[p + "mlp.down_proj.weight"] = r(H, ff)
    save_file(W, os.path.join(out_dir, "model.safetensors"))
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H,
           "intermediate_size": ff, "num_hidden_layers": L, "num_attention_heads": nh,
           "num_key_value_heads": nkv, "vocab_size": V, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
           "max_position_embeddings": 512, "bos_token_id": 0, "eos_token_id": 2,
           "tie_word_embeddings": False, "hidden_act": "silu", "torch_dtype": "float32"}
    json.dump(cfg, open(os.path.join(out_dir, "config.json"), "w"), indent=2)
    json.dump({"eos_token": "<|im_end|>", "bos_token": "<|endoftext|>"},
              open(os.path.join(out_dir, "tokenizer_config.json"), "w"), indent=2)
    export(out_dir, out_dir)


def main():
    args = sys.argv[1:]
    if args and args[0] == "--random-tiny":
        seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 0
        random_tiny(args[1], seed)
    elif len(args) == 2:
        export(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
