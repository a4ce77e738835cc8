#!/usr/bin/env python3
"""Build deterministic (hypothesis, reference) pairs for the metrics parity test.

Pairs are derived from the YAML policy files under $KUBESCRIBE_CORPUS/policies
(default: ../shared/corpus relative to the repository root) plus a few
hand-written intent sentences, and cover: identical texts, small edits,
synonym substitutions, reordered lines / keys, truncations, empty hypothesis,
empty reference, both empty, whitespace-only, unicode (NBSP, U+2028, \\x1c,
accented letters, CJK, Kelvin sign, dotted I, Greek sigma), sacrebleu 13a
special cases (&amp;, <skipped>, "-\\n"), CRLF line endings, unrelated
policies and very long texts (concatenated files).

Usage: make_pairs.py [-o pairs.jsonl] [--seed N] [--count N]
Output: one JSON object per line: {"id", "hypothesis", "reference"}.
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SYNONYMS = {
    "allow": "permit", "Allow": "Permit", "deny": "refuse", "Deny": "Refuse",
    "block": "stop", "Block": "Stop", "audit": "inspect", "Audit": "Inspect",
    "file": "register", "process": "procedure", "network": "web",
    "name": "figure", "access": "entree", "rules": "regulations",
    "policy": "insurance", "protocol": "communications_protocol",
    "selector": "chooser", "labels": "tags", "match": "fit",
    "message": "content", "severity": "badness", "action": "activity",
    "path": "route", "directory": "directory", "ingress": "entering",
    "egress": "emergence", "port": "larboard", "host": "server",
}

INTENTS = [
    ("Block all outbound traffic from the payment pods except DNS.",
     "Deny every egress connection of payment pods apart from DNS lookups."),
    ("Allow the frontend to talk to the backend on port 8080.",
     "Permit frontend pods to reach backend pods over TCP port 8080."),
    ("Audit any process that reads /etc/shadow in the database namespace.",
     "Log every process reading /etc/shadow inside the db namespace."),
    ("Prevent shells from being spawned inside production containers.",
     "Stop shell execution in containers running in production."),
    ("Kill processes that write to binaries under /usr/bin.",
     "Terminate any process writing files beneath /usr/bin."),
    ("The quick brown foxes were jumping over the lazy dogs",
     "A fast brown fox jumped over a lazy dog"),
    ("It is a guide to action which ensures that the military always obeys the commands of the party",
     "It is a guide to action that ensures that the military will forever heed Party commands"),
    ("Restricting ingress: only monitoring may scrape metrics.",
     "Restrict inbound traffic so that only the monitoring stack scrapes metrics."),
    ("Deny privilege escalation; drop all capabilities.",
     "Refuse privilege escalations and drop every capability."),
    ("Running containers must not mount the docker socket.",
     "Containers that run shall never mount /var/run/docker.sock."),
]

UNICODE_INSERTS = [
    "\u00a0", "\u2028", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u3000",
    "\u2009", "\u202f", "\u200b", "\t", "\r\n", "\x0b", "\x0c",
    "caf\u00e9", "na\u00efve r\u00e9sum\u00e9", "\u00c9COLE", "\u5b89\u5168\u7b56\u7565",
    "\u4e2d\u6587 \u6d4b\u8bd5", "\u212aelvin", "\u0130stanbul", "\u039f\u0394\u039f\u03a3",
    "stra\u00dfe", "\U0001f512 locked", "\u00a0\u00a0", "\u0645\u0631\u062d\u0628\u0627",
]


def corpus_dir():
    env = os.environ.get("KUBESCRIBE_CORPUS")
    base = Path(env) if env else (REPO / ".." / "shared" / "corpus")
    return (base / "policies").resolve()


def load_files(root):
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    texts = []
    for p in files:
        try:
            t = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if t.strip():
            texts.append((str(p.relative_to(root)), t))
    return texts


def small_edit(rng, text):
    words = text.split(" ")
    ops = rng.randint(1, 4)
    for _ in range(ops):
        if not words:
            break
        i = rng.randrange(len(words))
        op = rng.choice(["delete", "dup", "swap", "replace", "case", "number"])
        if op == "delete":
            del words[i]
        elif op == "dup":
            words.insert(i, words[i])
        elif op == "swap" and len(words) > 1:
            j = rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
        elif op == "replace":
            words[i] = rng.choice(["allow", "Deny", "audit", "true", "false", "80", "any", "-"])
        elif op == "case":
            words[i] = words[i].upper()
        else:
            words[i] = str(rng.randint(0, 65535))
    return " ".join(words)


def synonym_edit(rng, text):
    out = []
    for tok in text.split(" "):
        core = tok.strip(":,.-\n")
        if core in SYNONYMS and rng.random() < 0.7:
            tok = tok.replace(core, SYNONYMS[core], 1)
        out.append(tok)
    return " ".join(out)


def reorder_lines(rng, text):
    lines = text.split("\n")
    rng.shuffle(lines)
    return "\n".join(lines)


def reorder_keys(rng, text):
    """Swap adjacent sibling lines with equal indentation (YAML key reorder)."""
    lines = text.split("\n")
    for _ in range(max(1, len(lines) // 4)):
        if len(lines) < 2:
            break
        i = rng.randrange(len(lines) - 1)
        a, b = lines[i], lines[i + 1]
        ind = lambda s: len(s) - len(s.lstrip(" "))
        if a.strip() and b.strip() and ind(a) == ind(b):
            lines[i], lines[i + 1] = b, a
    return "\n".join(lines)


def unicode_edit(rng, text):
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        pos = rng.randrange(len(chars) + 1)
        chars.insert(pos, rng.choice(UNICODE_INSERTS))
    return "".join(chars)


def make_pairs(seed, count):
    rng = random.Random(seed)
    files = load_files(corpus_dir())
    if not files:
        sys.exit(f"no policy files under {corpus_dir()}")
    small = [f for f in files if len(f[1]) <= 2500]
    pairs = []

    def add(kind, hyp, ref):
        pairs.append({"id": f"{len(pairs):04d}-{kind}", "hypothesis": hyp, "reference": ref})

    # Fixed edge cases first.
    add("both-empty", "", "")
    add("empty-hyp", "", small[0][1])
    add("empty-ref", small[1][1], "")
    add("ws-only-hyp", " \n\t\u00a0", small[2][1])
    add("ws-only-both", "\u2028 \x1c", "\u3000\r\n")
    add("punct-only", "::-- ,, ..", ":: - ,.")
    add("single-token", "allow", "allow")
    add("single-token-diff", "allow", "deny")
    add("13a-escapes", "a &amp; b &lt;tag&gt; &quot;x&quot; <skipped> hy-\nphen 1,000.50-2",
        "a & b <tag> \"x\" hyphen 1,000.50 - 2")
    add("crlf", small[3][1].replace("\n", "\r\n"), small[3][1])
    add("kelvin-dotted-i", "\u212aELVIN \u0130STANBUL \u039f\u0394\u039f\u03a3 stra\u00dfe",
        "kelvin istanbul \u03bf\u03b4\u03bf\u03c2 strasse")
    add("cjk", "\u5b89\u5168\u7b56\u7565 \u963b\u6b62 \u7f51\u7edc", "\u5b89\u5168\u7b56\u7565 \u5141\u8bb8 \u7f51\u7edc")
    add("nbsp-split", "deny\u00a0all\u2028egress\x1ctraffic", "deny all egress traffic")
    add("short-ref", "one two three four five six", "one")
    add("short-hyp", "one", "one two three four five six")
    add("star-d-quirk", "a*ded x*ding fulli logi generalli", "a*d x*d full log general")
    for h, r in INTENTS:
        add("intent", h, r)
        add("intent-rev", r, h)

    kinds = ["identical", "small-edit", "synonyms", "reorder-lines", "reorder-keys",
             "truncated", "unicode", "unrelated", "prefix-suffix", "lower"]
    while len(pairs) < count - 6:
        kind = kinds[len(pairs) % len(kinds)]
        _, ref = rng.choice(small)
        if kind == "identical":
            hyp = ref
        elif kind == "small-edit":
            hyp = small_edit(rng, ref)
        elif kind == "synonyms":
            hyp = synonym_edit(rng, ref)
        elif kind == "reorder-lines":
            hyp = reorder_lines(rng, ref)
        elif kind == "reorder-keys":
            hyp = reorder_keys(rng, ref)
        elif kind == "truncated":
            hyp = ref[: rng.randrange(1, max(2, len(ref)))]
        elif kind == "unicode":
            hyp = unicode_edit(rng, ref)
            if rng.random() < 0.5:
                ref = unicode_edit(rng, ref)
        elif kind == "unrelated":
            hyp = rng.choice(small)[1]
        elif kind == "prefix-suffix":
            hyp = "# generated by kubescribe\n" + ref + "\n---\n"
        else:
            hyp = ref.lower()
        add(kind, hyp, ref)

    # Very long pairs: concatenations of several files (kept moderate: the
    # pure-Python ROUGE-L reference is quadratic).
    for _ in range(6):
        docs = [rng.choice(files)[1] for _ in range(rng.randint(4, 8))]
        ref = "\n---\n".join(docs)
        hyp = "\n---\n".join(small_edit(rng, d) if rng.random() < 0.5 else d
                             for d in reversed(docs))
        add("long", hyp, ref)
    return pairs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", default="pairs.jsonl")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--count", type=int, default=360)
    args = ap.parse_args()
    pairs = make_pairs(args.seed, args.count)
    with open(args.output, "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"wrote {len(pairs)} pairs to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
