#!/usr/bin/env bash
# Installs the Python reference implementations used by scripts/metrics/parity.py
# and bench.py. Idempotent: re-running only checks what is already there.
#
#   * a venv at $KUBESCRIBE_METRICS_VENV (default ~/.cache/kubescribe-metrics/venv)
#     with pinned sacrebleu==2.6.0, rouge-score==0.1.2, nltk==3.10.4
#   * Debian packages wordnet-base (WordNet 3.0 dict files in /usr/share/wordnet)
#     and wordnet-sense-index (index.sense, which nltk's reader opens)
#   * an nltk data dir at $KUBESCRIBE_NLTK_DATA (default
#     ~/.cache/kubescribe-metrics/nltk_data) with corpora/wordnet/ holding
#     *copies* of the Debian files (nltk rejects symlinks leaving its root)
#     plus a generated `lexnames` file (Debian does not ship it).
#
# Afterwards run:  $VENV/bin/python scripts/metrics/parity.py
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-metrics"
VENV="${KUBESCRIBE_METRICS_VENV:-$CACHE/venv}"
NLTK_DATA_DIR="${KUBESCRIBE_NLTK_DATA:-$CACHE/nltk_data}"
WN_SRC="${KUBESCRIBE_WORDNET:-/usr/share/wordnet}"
PY="${PYTHON:-python3}"
PINS=(sacrebleu==2.6.0 rouge-score==0.1.2 nltk==3.10.4)

say() { printf '[install_refs] %s\n' "$*"; }

# 1. WordNet via apt.
need_apt=()
[ -f "$WN_SRC/data.noun" ] || need_apt+=(wordnet-base)
[ -f "$WN_SRC/index.sense" ] || need_apt+=(wordnet-sense-index)
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$WN_SRC" != /usr/share/wordnet ]; then
        say "ERROR: $WN_SRC lacks WordNet files (${need_apt[*]})" >&2
        exit 1
    fi
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    say "apt-get install ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
else
    say "WordNet files present in $WN_SRC"
fi

# 2. Python venv with pinned references.
if [ ! -x "$VENV/bin/python" ]; then
    say "creating venv $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PY" -m venv "$VENV"
fi
if "$VENV/bin/python" - "${PINS[@]}" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
then
    say "pinned packages already installed: ${PINS[*]}"
else
    say "pip install ${PINS[*]}"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"
fi

# 3. nltk_data/corpora/wordnet.
WN_DST="$NLTK_DATA_DIR/corpora/wordnet"
mkdir -p "$WN_DST"
copied=0
for f in "$WN_SRC"/*; do
    [ -f "$f" ] || continue
    dst="$WN_DST/$(basename "$f")"
    if [ -L "$dst" ] || ! cmp -s "$f" "$dst"; then
        rm -f "$dst"
        cp "$f" "$dst"
        copied=$((copied + 1))
    fi
done
say "nltk WordNet dir $WN_DST ($copied files copied)"
if [ ! -s "$WN_DST/lexnames" ]; then
    "$VENV/bin/python" - "$WN_DST/lexnames" <<'EOF'
import sys
names = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact
noun.attribute noun.body noun.cognition noun.communication noun.event noun.feeling
noun.food noun.group noun.location noun.motive noun.object noun.person
noun.phenomenon noun.plant noun.possession noun.process noun.quantity
noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change
verb.cognition verb.communication verb.competition verb.consumption verb.contact
verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social
verb.stative verb.weather adj.ppl""".split()
syn = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
with open(sys.argv[1], "w") as f:
    for i, n in enumerate(names):
        f.write(f"{i:02d}\t{n}\t{syn[n.split('.')[0]]}\n")
EOF
    say "generated $WN_DST/lexnames"
fi

# 4. Smoke test.
NLTK_DATA="$NLTK_DATA_DIR" "$VENV/bin/python" -W ignore - <<'EOF'
import sacrebleu, nltk, rouge_score
from importlib.metadata import version
from nltk.corpus import wordnet as wn
assert wn.synsets("dog"), "WordNet not readable by nltk"
print(f"[install_refs] OK: sacrebleu {sacrebleu.__version__}, rouge-score {version('rouge-score')}, "
      f"nltk {nltk.__version__}, WordNet {wn.get_version()}")
EOF
say "venv: $VENV"
say "export NLTK_DATA=$NLTK_DATA_DIR"
