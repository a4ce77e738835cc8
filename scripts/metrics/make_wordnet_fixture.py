#!/usr/bin/env python3
"""Cut a tiny WordNet 3.0 database for the Rust unit tests.

For every word given (and its nltk Porter stem) and every part of speech, it
keeps exactly what `wordnet.synsets(word)` touches in the full database: the
exception-list line of the word (if any), the index lines of the base forms
`_morphy` finds, and the data lines of their synsets (byte offsets
renumbered). Lookups of these words in the cut therefore give the same lemma
names as in the full database. The WordNet license header is kept in every
file.

Usage: NLTK_DATA=... make_wordnet_fixture.py OUT_DIR WORD... (needs nltk and
WordNet, see install_refs.sh; reads the dict files from $KUBESCRIBE_WORDNET or
/usr/share/wordnet)
"""

import os
import sys
from pathlib import Path

from nltk.corpus import wordnet as wn
from nltk.stem.porter import PorterStemmer

POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


def main():
    out = Path(sys.argv[1])
    src = Path(os.environ.get("KUBESCRIBE_WORDNET", "/usr/share/wordnet"))
    stem = PorterStemmer()
    words = set()
    for w in sys.argv[2:]:
        w = w.lower()
        words.update([w, stem.stem(w)])
    out.mkdir(parents=True, exist_ok=True)
    for p, name in POS.items():
        forms, exc_lines = set(), []
        exc = {}
        for line in (src / f"{name}.exc").read_text().splitlines():
            if line.split():
                exc[line.split()[0]] = line
        for w in sorted(words):
            if w in exc:
                exc_lines.append(exc[w])
            forms.update(wn._morphy(w, p))
        data = (src / f"data.{name}").read_bytes()
        header = []
        for line in data.split(b"\n"):
            if not line.startswith(b"  "):
                break
            header.append(line)
        body = b"\n".join(header) + b"\n"
        new_offset = {}
        index_lines = []
        for line in (src / f"index.{name}").read_text().splitlines():
            toks = line.split()
            if line.startswith(" ") or toks[0] not in forms:
                continue
            n = int(toks[2])
            offs = [int(o) for o in toks[-n:]]
            for o in offs:
                if o not in new_offset:
                    end = data.index(b"\n", o)
                    old = data[o:end]
                    new_offset[o] = len(body)
                    body += b"%08d" % len(body) + old[8:] + b"\n"
            index_lines.append(" ".join(toks[:-n] + ["%08d" % new_offset[o] for o in offs]))
        hdr = b"\n".join(header).decode() + "\n"
        (out / f"index.{name}").write_text(hdr + "".join(l + " \n" for l in sorted(index_lines)))
        (out / f"data.{name}").write_bytes(body)
        (out / f"{name}.exc").write_text("".join(l + "\n" for l in sorted(exc_lines)))
    print(f"wrote WordNet cut for {len(words)} words to {out}")


if __name__ == "__main__":
    main()
