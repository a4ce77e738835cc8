#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ (git-ignored) from the shared corpus at run
# time, plus the few seeds kept in fuzz/seeds/. Nothing is copied into the
# repository. Usage: scripts/fuzz/seed.sh [CORPUS_DIR]
# (default: $KUBESCRIBE_CORPUS, else ../shared/corpus next to the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CORPUS="${1:-${KUBESCRIBE_CORPUS:-$ROOT/../shared/corpus}}"
case "$CORPUS" in /*) ;; *) CORPUS="$ROOT/$CORPUS" ;; esac
if [ ! -f "$CORPUS/INDEX.json" ]; then
  echo "corpus not found at $CORPUS (set KUBESCRIBE_CORPUS)" >&2
  exit 1
fi
OUT="$ROOT/fuzz/corpus"
rm -rf "$OUT"
mkdir -p "$OUT"/{parse_validate,events_falco,events_tetragon,events_kubearmor,events_hubble,selector,glob,intent}

# Files, named by a hash of their path so nested names never collide.
copy_tree() { # SRC DEST PATTERN
  find "$1" -type f -name "$3" -size -256k | sort | while read -r f; do
    cp "$f" "$2/$(printf '%s' "$f" | sha1sum | cut -c1-16)"
  done
}
copy_tree "$CORPUS/policies" "$OUT/parse_validate" '*.yaml'
copy_tree "$CORPUS/policies" "$OUT/parse_validate" '*.json'
cp "$ROOT"/fuzz/seeds/*.yaml "$OUT/parse_validate/"
for e in falco tetragon kubearmor hubble; do
  copy_tree "$CORPUS/events/$e" "$OUT/events_$e" '*'
done

# One value per file: Calico selectors and KubeArmor patterns as they appear
# in the upstream policies.
n=0
grep -rhoE '^\s*(namespaceSelector|selector|serviceAccountSelector): .+' "$CORPUS/policies/calico" 2>/dev/null |
  sed -E 's/^[^:]+: //; s/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/' | sort -u | while IFS= read -r s; do
    n=$((n + 1)); printf '%s' "$s" > "$OUT/selector/s$n"
  done
grep -rhoE 'pattern: .+' "$CORPUS/policies/kubearmor" 2>/dev/null |
  sed -E 's/^pattern: //; s/^"(.*)"$/\1/' | sort -u | while IFS= read -r p; do
    n=$((n + 1)); printf '%s\n/usr/local/bin/tool' "$p" > "$OUT/glob/g$n"
  done
printf '*.github.com\napi.github.com' > "$OUT/glob/fqdn"
printf 'block writes to /etc/passwd in pods labelled app=nginx in namespace shop' > "$OUT/intent/i1"
printf 'allow only frontend to reach cartservice on port 7070 in namespace shop' > "$OUT/intent/i2"

for d in "$OUT"/*; do
  echo "$(basename "$d"): $(find "$d" -type f | wc -l) seeds"
done
