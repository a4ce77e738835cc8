"""A byte-level vocabulary written by hand (no tokenizers package): the 256
byte symbols of GPT-2's byte-level BPE, no merges, ``</s>`` (id 256) ends a
sequence. Token id ``b`` is byte ``b``, so a test can name tokens by
``ord``."""

import json

import kubescribe


def byte_tokenizer_json() -> str:
    """The vocabulary as a Hugging Face ``tokenizer.json`` document."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    vocab = {chr(c): b for b, c in zip(bs, cs)}
    vocab["</s>"] = 256
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": 256, "content": "</s>", "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None, "pre_tokenizer": byte_level, "post_processor": None, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    })


def byte_vocab() -> kubescribe.ConstraintVocab:
    return kubescribe.ConstraintVocab(byte_tokenizer_json(), [256])
